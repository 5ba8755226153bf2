using System.Text;
using System.Text.Json.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

/// <summary>sparkplug in and sparkplug command against an edge node played by Eclipse Tahu's encoder.</summary>
[Collection(MosquittoCollection.Name)]
public sealed class HostSideTests(MosquittoFixture mosquitto)
{
    private static JsonObject TahuMetric(string name, long alias, string type, JsonNode? value) =>
        new() { ["name"] = name, ["alias"] = alias, ["type"] = type, ["value"] = value };

    [Fact]
    public async Task A_seq_gap_from_an_independent_edge_node_makes_sparkplug_in_warn_and_ask_for_a_rebirth()
    {
        var group = Spb.Group();
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        await using var flow = await Spb.StartAsync(Spb.Flow(Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.In("si", "b2", group, "h"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("si");

        await tahu.PublishAsync($"spBv1.0/{group}/NBIRTH/E", new JsonObject
        {
            ["timestamp"] = 1700000000000, ["seq"] = 0,
            ["metrics"] = new JsonArray(TahuMetric("bdSeq", 0, "Int64", 0), TahuMetric("Level", 1, "Double", 1.5), TahuMetric("Mode", 2, "Int16", -2)),
        });
        await tahu.PublishAsync($"spBv1.0/{group}/NDATA/E", new JsonObject
        {
            ["timestamp"] = 1700000000001, ["seq"] = 1,
            ["metrics"] = new JsonArray(new JsonObject { ["alias"] = 1, ["type"] = "Double", ["value"] = 2.5 }, new JsonObject { ["alias"] = 2, ["type"] = "Int16", ["value"] = -300 }),
        });
        var level = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/Level" && ((JsObject)m["sparkplug"]!)["type"] as string == "NDATA");
        Assert.Equal(2.5, level["payload"]);
        var mode = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/Mode");
        Assert.Equal(-300.0, mode["payload"]);
        Assert.Equal("Int16", mode["datatype"]);
        Assert.Equal(1700000000001.0, ((JsObject)mode["sparkplug"]!)["timestamp"]);

        // seq 2 is lost: 3 arrives.
        await tahu.PublishAsync($"spBv1.0/{group}/NDATA/E", new JsonObject
        {
            ["seq"] = 3, ["metrics"] = new JsonArray(new JsonObject { ["alias"] = 1, ["type"] = "Double", ["value"] = 4.0 }),
        });
        var ncmd = await tahu.NextAsync($"spBv1.0/{group}/NCMD/E");
        var rebirth = ncmd.Metric("Node Control/Rebirth");
        Assert.Equal(true, (bool?)rebirth["value"]);
        Assert.Equal("Boolean", (string?)rebirth["type"]);
        Assert.Contains(flow.Statuses, s => s.Node.Id == "si" && s.Status.Text?.Contains("expected 2, got 3", StringComparison.Ordinal) == true);
        Assert.Contains(flow.Logs, l => l.Message.Contains("seq gap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_payload_that_is_not_sparkplug_protobuf_goes_to_catch_and_the_stream_continues()
    {
        var group = Spb.Group();
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/NOTHING");
        await using var flow = await Spb.StartAsync(Spb.Flow(Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.In("si", "b2", group, "h", ",\"rebirth\":false"), Mqtt.Helper("h"), Spb.Catch("e"), Mqtt.Helper("e")));
        await flow.ConnectedAsync("si");
        await tahu.PublishRawAsync($"spBv1.0/{group}/NBIRTH/E", Encoding.UTF8.GetBytes("not protobuf"));
        await tahu.PublishAsync($"spBv1.0/{group}/NBIRTH/E", new JsonObject { ["seq"] = 0, ["metrics"] = new JsonArray(TahuMetric("bdSeq", 0, "Int64", 0), TahuMetric("ok", 1, "Boolean", true)) });

        var error = await flow.NextAsync("e");
        Assert.Contains("not a Sparkplug B payload", ((JsObject)error["error"]!)["message"] as string, StringComparison.Ordinal);
        Assert.Equal($"spBv1.0/{group}/NBIRTH/E", error["topic"]);
        Assert.Equal(Encoding.UTF8.GetBytes("not protobuf"), error["payload"]);
        var ok = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/ok");
        Assert.Equal(true, ok["payload"]);
    }

    [Fact]
    public async Task Sparkplug_command_writes_a_dcmd_that_tahu_decodes_and_records_it_in_the_audit_log()
    {
        var group = Spb.Group();
        var audit = new AuditRecorder();
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        await using var flow = await Spb.StartAsync(Spb.Flow(Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.Command("cmd", "b2", group, "E", "Pump1"), Spb.Catch("e"), Mqtt.Helper("e")), audit);
        await flow.ConnectedAsync("cmd");
        flow.Send("cmd", """{"payload":{"metrics":[{"name":"Setpoint","value":42.5,"type":"Float"},{"name":"Start","value":true}]},"_client":{"user":"operator1"}}""");

        var dcmd = await tahu.NextAsync($"spBv1.0/{group}/DCMD/E/Pump1");
        Assert.Equal(42.5, (double)dcmd.Metric("Setpoint")["value"]!);
        Assert.Equal("Float", (string?)dcmd.Metric("Setpoint")["type"]);
        Assert.Equal(true, (bool?)dcmd.Metric("Start")["value"]);
        var entry = Assert.Single(audit.Entries);
        Assert.Equal(("sparkplug.command", "operator1"), (entry.Action, entry.User));
        Assert.Equal($"spBv1.0/{group}/DCMD/E/Pump1", entry.Details!["topic"]);

        flow.Send("cmd", """{"payload":{"Setpoint":{"nested":1}}}""");
        var error = await flow.NextAsync("e");
        Assert.Contains("Setpoint", ((JsObject)error["error"]!)["message"] as string, StringComparison.Ordinal);
        Assert.Single(audit.Entries);
    }
}
