using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

/// <summary>
/// A whole edge node lifecycle against the real mosquitto, checked twice: by our sparkplug in node and by Eclipse
/// Tahu's independent JavaScript decoder.
/// </summary>
[Collection(MosquittoCollection.Name)]
public sealed class EdgeLifecycleTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Birth_data_device_death_connection_loss_and_rebirth_decode_the_same_in_sparkplug_in_and_in_tahu()
    {
        var group = Spb.Group();
        await using var relay = new TcpRelay(mosquitto.PlainPort);
        await using var tahu = await TahuPeer.StartAsync(mosquitto.PlainPort, $"spBv1.0/{group}/#");
        var listener = Spb.Flow(Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.In("si", "b2", group, "h"), Mqtt.Helper("h"));
        await using var flow = await Spb.StartAsync(listener);
        await flow.ConnectedAsync("si");

        // The edge node joins once sparkplug in listens, so both see its first NBIRTH.
        var metrics = """[{"name":"Firmware","type":"String","value":"1.2.3"},{"name":"Temp","type":"Float","value":20.5,"properties":{"engUnit":"C"}}]""";
        var full = Spb.Flow(Mqtt.Broker(mosquitto.PlainPort, "b2"), Spb.In("si", "b2", group, "h"), Mqtt.Helper("h"),
            Mqtt.Broker(relay.Port, "b1"), Spb.Edge("e1", "b1", group, "E1", $",\"metrics\":{System.Text.Json.JsonSerializer.Serialize(metrics)}"),
            Spb.Out("so", "e1", "Pump1", "cmds"), Mqtt.Helper("cmds"));
        await flow.DeployAsync(full, FlowEngine.Core.Flows.DeploymentType.Nodes);

        var nbirth = await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E1");
        Assert.Equal(0, nbirth.Seq());
        Assert.Equal(0, (long)nbirth.Metric("bdSeq")["value"]!);
        Assert.Equal("Int64", (string?)nbirth.Metric("bdSeq")["type"]);
        Assert.Equal(false, (bool?)nbirth.Metric("Node Control/Rebirth")["value"]);
        Assert.Equal("Boolean", (string?)nbirth.Metric("Node Control/Rebirth")["type"]);
        Assert.Equal("1.2.3", (string?)nbirth.Metric("Firmware")["value"]);
        var temp = nbirth.Metric("Temp");
        Assert.Equal("Float", (string?)temp["type"]);
        Assert.Equal(20.5, (double)temp["value"]!);
        Assert.Equal("C", (string?)temp["properties"]!["engUnit"]!["value"]);
        Assert.NotNull(temp["alias"]);
        var ours = await flow.NextMatchingAsync("h", m => (string?)m["topic"] == $"{group}/E1/Temp");
        Assert.Equal(20.5, ours["payload"]);
        Assert.Equal("Float", ours["datatype"]);
        Assert.Equal("GOOD", ours["quality"]);
        Assert.Equal("C", ((JsObject)((JsObject)ours["metric"]!)["properties"]!)["engUnit"]);
        Assert.Equal("NBIRTH", ((JsObject)ours["sparkplug"]!)["type"]);

        // First data of a device: DBIRTH with names and aliases; then DDATA by alias only.
        flow.Send("so", """{"payload":{"metrics":[{"name":"Flow","value":12.5,"type":"Double"},{"name":"Running","value":true},{"name":"Mode","value":-3,"type":"Int8"}]}}""");
        var dbirth = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E1/Pump1");
        Assert.Equal(1, dbirth.Seq());
        Assert.Equal(12.5, (double)dbirth.Metric("Flow")["value"]!);
        Assert.Equal("Double", (string?)dbirth.Metric("Flow")["type"]);
        Assert.Equal(true, (bool?)dbirth.Metric("Running")["value"]);
        Assert.Equal(-3, (int)dbirth.Metric("Mode")["value"]!);
        Assert.Equal("Int8", (string?)dbirth.Metric("Mode")["type"]);
        var flowAlias = (long)dbirth.Metric("Flow")["alias"]!;

        flow.Send("so", """{"payload":{"Flow":13}}""");
        var ddata = await tahu.NextAsync($"spBv1.0/{group}/DDATA/E1/Pump1");
        Assert.Equal(2, ddata.Seq());
        var only = Assert.Single(ddata["payload"]!["metrics"]!.AsArray())!;
        Assert.Null(only["name"]);
        Assert.Equal(flowAlias, (long)only["alias"]!);
        Assert.Equal(13.0, (double)only["value"]!);
        var resolved = await flow.NextMatchingAsync("h", m => (string?)m["topic"] == $"{group}/E1/Pump1/Flow" && ((JsObject)m["sparkplug"]!)["type"] as string == "DDATA");
        Assert.Equal(13.0, resolved["payload"]);
        Assert.Equal("Double", resolved["datatype"]);

        // The device goes away: DDEATH, and sparkplug in marks its metrics stale.
        flow.Send("so", """{"action":"death"}""");
        var ddeath = await tahu.NextAsync($"spBv1.0/{group}/DDEATH/E1/Pump1");
        Assert.Equal(3, ddeath.Seq());
        var staleFlow = await flow.NextMatchingAsync("h", m => (string?)m["topic"] == $"{group}/E1/Pump1/Flow" && m["quality"] as string == "STALE");
        Assert.Equal(13.0, staleFlow["payload"]);

        // Back with data: DBIRTH again.
        flow.Send("so", """{"payload":{"Flow":14}}""");
        var rebornDevice = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E1/Pump1");
        Assert.Equal(4, rebornDevice.Seq());
        Assert.Equal(14.0, (double)rebornDevice.Metric("Flow")["value"]!);

        // The network drops the edge node's connection: the broker publishes its will, the NDEATH with bdSeq 0.
        relay.DropAll();
        var ndeath = await tahu.NextAsync($"spBv1.0/{group}/NDEATH/E1");
        Assert.Equal(0, (long)ndeath.Metric("bdSeq")["value"]!);
        Assert.Null(ndeath["payload"]!["seq"]);
        var staleTemp = await flow.NextMatchingAsync("h", m => (string?)m["topic"] == $"{group}/E1/Temp" && m["quality"] as string == "STALE");
        Assert.Equal("NDEATH", ((JsObject)staleTemp["sparkplug"]!)["type"]);
        await flow.NextMatchingAsync("h", m => (string?)m["topic"] == $"{group}/E1/Pump1/Flow" && m["quality"] as string == "STALE");

        // It reconnects: a new session, bdSeq 1, seq from 0, every birth again with the latest values.
        var nbirth2 = await tahu.NextAsync($"spBv1.0/{group}/NBIRTH/E1");
        Assert.Equal(0, nbirth2.Seq());
        Assert.Equal(1, (long)nbirth2.Metric("bdSeq")["value"]!);
        var dbirth2 = await tahu.NextAsync($"spBv1.0/{group}/DBIRTH/E1/Pump1");
        Assert.Equal(1, dbirth2.Seq());
        Assert.Equal(14.0, (double)dbirth2.Metric("Flow")["value"]!);
        var good = await flow.NextMatchingAsync("h", m => (string?)m["topic"] == $"{group}/E1/Pump1/Flow" && m["quality"] as string == "GOOD");
        Assert.Equal(14.0, good["payload"]);
        Assert.DoesNotContain(flow.Logs, l => l.Message.Contains("seq gap", StringComparison.Ordinal));
    }
}
