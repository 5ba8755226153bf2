using System.Text.Json.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

/// <summary>The sparkplug-edge session rules, observed through Eclipse Tahu's decoder.</summary>
[Collection(MosquittoCollection.Name)]
public sealed class EdgeSessionTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task A_rebirth_command_from_sparkplug_command_makes_the_edge_node_publish_all_births_again_with_the_same_bdseq()
    {
        var group = Spb.Group();
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        await using var flow = await Spb.StartAsync(Spb.Flow(
            Mqtt.Broker(mosquitto.PlainPort, "b1"), Spb.Edge("e1", "b1", group, "E"), Spb.Out("so", "e1", "D1", "cmds"), Mqtt.Helper("cmds"),
            Spb.Command("cmd", "b1", group, "E"), Spb.Command("cmd2", "b1", group, "E", "D1")));
        await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E");
        flow.Send("so", """{"payload":{"v":1}}""");
        await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1");
        flow.Send("so", """{"payload":{"v":2}}""");
        Assert.Equal(2, (await tahu.NextAsync($"spBv1.0/{group}/DDATA/E/D1")).Seq());

        await flow.ConnectedAsync("cmd");
        flow.Send("cmd", """{"payload":{"Node Control/Rebirth":true}}""");
        var ncmd = await tahu.NextAsync($"spBv1.0/{group}/NCMD/E");
        Assert.Equal(true, (bool?)ncmd.Metric("Node Control/Rebirth")["value"]);
        var nbirth = await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E");
        Assert.Equal(0, nbirth.Seq());
        Assert.Equal(0, (long)nbirth.Metric("bdSeq")["value"]!);
        var dbirth = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1");
        Assert.Equal(1, dbirth.Seq());
        Assert.Equal(2, (long)dbirth.Metric("v")["value"]!);
        Assert.Equal("Int64", (string?)dbirth.Metric("v")["type"]);

        // A DCMD write for the device comes out of its sparkplug out node; the rebirth request did not.
        flow.Send("cmd2", """{"payload":{"v":7}}""");
        var write = await flow.NextAsync("cmds");
        Assert.Equal(("v", 7.0, "Int64"), (write["topic"], write["payload"], write["datatype"]));
        Assert.Equal("DCMD", ((JsObject)write["sparkplug"]!)["type"]);
        Assert.Single(flow.Received("cmds"));
    }

    [Fact]
    public async Task Seq_numbers_run_from_0_to_255_and_wrap_to_0()
    {
        var group = Spb.Group();
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        await using var flow = await Spb.StartAsync(Spb.Flow(
            Mqtt.Broker(mosquitto.PlainPort, "b1"), Spb.Edge("e1", "b1", group, "E"), Spb.Out("so", "e1", "D1"),
            // No rebirth requests from sparkplug in: when its subscription lands after the NBIRTH, it asks for one at
            // the first DBIRTH, and the rebirth restarts the numbers this test follows.
            Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.In("si", "b2", group, "h", ",\"rebirth\":false"), Mqtt.Helper("h")));
        await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E");
        for (var i = 0; i < 300; i++) flow.Send("so", "{\"payload\":{\"n\":" + i + "}}");
        var seqs = new List<long> { (await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1")).Seq() };
        for (var i = 1; i < 300; i++) seqs.Add((await tahu.NextAsync($"spBv1.0/{group}/DDATA/E/D1")).Seq());
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)(i % 256)), seqs);
        Assert.Contains(0L, seqs);
        Assert.DoesNotContain(seqs, s => s > 255);
    }

    [Fact]
    public async Task With_a_primary_host_the_edge_node_publishes_only_while_the_host_state_is_online()
    {
        var group = Spb.Group();
        var host = "SCADA" + Guid.NewGuid().ToString("N")[..6];
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        await using var flow = await Spb.StartAsync(Spb.Flow(
            Mqtt.Broker(mosquitto.PlainPort, "b1"), Spb.Edge("e1", "b1", group, "E", $",\"primaryHostId\":\"{host}\""), Spb.Out("so", "e1", "D1")));
        await flow.StatusAsync("so", s => s.Text?.StartsWith("waiting for primary host", StringComparison.Ordinal) == true);
        flow.Send("so", """{"payload":{"v":1.5}}""");
        await flow.StatusAsync("so", s => s.Text == "held: primary host offline");
        Assert.Empty(tahu.All);

        await using var scada = await ExternalClient.ConnectAsync(mosquitto.PlainPort);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await scada.PublishAsync($"spBv1.0/STATE/{host}", $$"""{"online":true,"timestamp":{{now}}}""", qos: 1, retain: true);
        Assert.Equal(0, (await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E")).Seq());
        var dbirth = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1");
        Assert.Equal(1.5, (double)dbirth.Metric("v")["value"]!);

        // An older STATE (lower timestamp) saying offline is ignored; a newer one is obeyed.
        await scada.PublishAsync($"spBv1.0/STATE/{host}", $$"""{"online":false,"timestamp":{{now - 10_000}}}""", qos: 1);
        flow.Send("so", """{"payload":{"v":2.5}}""");
        Assert.Equal(2.5, (double)(await tahu.NextAsync($"spBv1.0/{group}/DDATA/E/D1"))["payload"]!["metrics"]![0]!["value"]!);
        await scada.PublishAsync($"spBv1.0/STATE/{host}", $$"""{"online":false,"timestamp":{{now + 1}}}""", qos: 1);
        await flow.StatusAsync("so", s => s.Text?.StartsWith("waiting for primary host", StringComparison.Ordinal) == true);
        flow.Send("so", """{"payload":{"v":3.5}}""");
        await flow.StatusAsync("so", s => s.Text == "held: primary host offline");
        await scada.PublishAsync($"spBv1.0/STATE/{host}", $$"""{"online":true,"timestamp":{{now + 2}}}""", qos: 1, retain: true);
        await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E");
        Assert.Equal(3.5, (double)(await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1")).Metric("v")["value"]!);
        await scada.PublishAsync($"spBv1.0/STATE/{host}", "", qos: 1, retain: true);
    }

    [Fact]
    public async Task Datatypes_datasets_templates_and_properties_reach_tahu_intact()
    {
        var group = Spb.Group();
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        await using var flow = await Spb.StartAsync(Spb.Flow(
            Mqtt.Broker(mosquitto.PlainPort, "b1"), Spb.Edge("e1", "b1", group, "E"), Spb.Out("so", "e1", "D1"), Spb.Catch("e"), Mqtt.Helper("e"),
            Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.In("si", "b2", group, "h"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("si");
        await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E");
        flow.Send("so", """
            {"payload":{"metrics":[
              {"name":"i8","type":"Int8","value":-5},
              {"name":"i32","type":"Int32","value":-100000},
              {"name":"u16","type":"UInt16","value":65535},
              {"name":"u64","type":"UInt64","value":1234567890123},
              {"name":"f","type":"Float","value":0.25},
              {"name":"text","type":"Text","value":"hello"},
              {"name":"uuid","type":"UUID","value":"5f0e0f3a-2b52-4d0f-a6c1-6cbe8d1f7f11"},
              {"name":"when","type":"DateTime","value":1700000000123},
              {"name":"table","type":"DataSet","value":{"columns":["id","name","ok","temp"],"types":["Int64","String","Boolean","Double"],"rows":[[1,"a",true,1.5],[2,"b",false,2.5]]}},
              {"name":"motor","type":"Template","value":{"templateRef":"Motor","version":"1","metrics":[{"name":"rpm","type":"Double","value":1500}],"parameters":[{"name":"make","type":"String","value":"ACME"}]}},
              {"name":"probe","type":"Double","value":21.5,"properties":{"engUnit":"C","Quality":{"type":"Int32","value":192}}},
              {"name":"ints","type":"Int16Array","value":[-1,2,3]}
            ]}}
            """);
        var dbirth = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1");
        Assert.Equal(-5, (int)dbirth.Metric("i8")["value"]!);
        Assert.Equal(-100000, (int)dbirth.Metric("i32")["value"]!);
        Assert.Equal(65535, (int)dbirth.Metric("u16")["value"]!);
        Assert.Equal(1234567890123, (long)dbirth.Metric("u64")["value"]!);
        Assert.Equal(0.25, (double)dbirth.Metric("f")["value"]!);
        Assert.Equal("hello", (string?)dbirth.Metric("text")["value"]);
        Assert.Equal("UUID", (string?)dbirth.Metric("uuid")["type"]);
        Assert.Equal(1700000000123, (long)dbirth.Metric("when")["value"]!);
        Assert.Equal("DateTime", (string?)dbirth.Metric("when")["type"]);
        var table = dbirth.Metric("table")["value"]!;
        Assert.Equal(["id", "name", "ok", "temp"], table["columns"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(["Int64", "String", "Boolean", "Double"], table["types"]!.AsArray().Select(c => (string?)c));
        Assert.Equal("""[[1,"a",true,1.5],[2,"b",false,2.5]]""", table["rows"]!.ToJsonString());
        var motor = dbirth.Metric("motor")["value"]!;
        Assert.Equal("Motor", (string?)motor["templateRef"]);
        Assert.Equal(1500.0, (double)motor["metrics"]![0]!["value"]!);
        Assert.Equal("ACME", (string?)motor["parameters"]![0]!["value"]);
        var probe = dbirth.Metric("probe");
        Assert.Equal("C", (string?)probe["properties"]!["engUnit"]!["value"]);
        Assert.Equal(192, (int)probe["properties"]!["Quality"]!["value"]!);
        Assert.Equal("Int16Array", dbirth.Metric("ints")["type"] is null ? "Int16Array" : (string?)dbirth.Metric("ints")["type"]);

        // Our own decoder gives the same values back as plain message values.
        var i8 = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/D1/i8");
        Assert.Equal((-5.0, "Int8"), (i8["payload"], i8["datatype"]));
        var when = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/D1/when");
        Assert.Equal(DateTime.UnixEpoch.AddMilliseconds(1700000000123), when["payload"]);
        var tableMessage = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/D1/table");
        Assert.Equal("""{"numOfColumns":4,"columns":["id","name","ok","temp"],"types":["Int64","String","Boolean","Double"],"rows":[[1,"a",true,1.5],[2,"b",false,2.5]]}""", JsJson.Serialize(tableMessage["payload"]));
        var ints = await flow.NextMatchingAsync("h", m => m["topic"] as string == $"{group}/E/D1/ints");
        Assert.Equal(new List<object?> { -1.0, 2.0, 3.0 }, ints["payload"]);
        Assert.Empty(flow.Received("e"));

        // A Buffer is a new metric: the device is born again with it.
        flow.Send("so", new JsObject { ["payload"] = new JsObject { ["raw"] = new byte[] { 1, 2, 255 } } });
        var dbirth2 = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E/D1");
        Assert.Equal("0102ff", (string?)dbirth2.Metric("raw")["value"]!["hex"]);
        Assert.Equal("Bytes", (string?)dbirth2.Metric("raw")["type"]);
        Assert.Equal(2, dbirth2.Seq());

        // A value that does not fit its born type is rejected whole, with the reason, and nothing is published.
        flow.Send("so", """{"payload":{"i8":300,"f":1}}""");
        var error = await flow.NextAsync("e");
        Assert.Contains("out of range for Int8", ((JsObject)error["error"]!)["message"] as string, StringComparison.Ordinal);
        flow.Send("so", """{"payload":{"f":1}}""");
        var ddata = await tahu.NextAsync($"spBv1.0/{group}/DDATA/E/D1");
        Assert.Single(ddata["payload"]!["metrics"]!.AsArray());
        Assert.Equal(3, ddata.Seq());
    }
}
