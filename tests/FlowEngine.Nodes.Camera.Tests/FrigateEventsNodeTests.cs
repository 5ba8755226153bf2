using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Tests.Peers;

namespace FlowEngine.Nodes.Camera.Tests;

[Collection(CameraCollection.Name)]
public sealed class FrigateEventsNodeTests(MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Frigate_events_from_a_real_broker_are_filtered_flattened_and_bad_json_goes_to_catch()
    {
        await using var frigate = await FrigateStandIn.StartAsync(mosquitto.Port, [0], [0xFF, 0xD8, 0xFF, 0xD9]);
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync($$"""
            {"id":"b1","type":"mqtt-broker","name":"frigate broker","broker":"127.0.0.1","port":"{{mosquitto.Port}}","clientid":"","protocolVersion":"4","keepalive":"60","cleansession":true},
            {"id":"in","type":"mqtt in","z":"t1","topic":"frigate/events","qos":"1","datatype":"auto-detect","broker":"b1","nl":false,"rap":true,"rh":0,"inputs":0,"wires":[["fe","raw"]]},
            {"id":"fe","type":"frigate-events","z":"t1","cameras":"yard","labels":"person","zones":"","minScore":0.6,"types":"new,update,end","wires":[["h"]]},
            {"id":"raw","type":"helper","z":"t1","wires":[]},
            {"id":"h","type":"helper","z":"t1","wires":[]},
            """ + CameraFlows.Catch());
        // The subscription is in place once a message makes it through.
        for (var i = 0; i < 100 && flow.Received("raw").Count == 0; i++)
        {
            await frigate.PublishRawAsync("""{"type":"new","before":{},"after":{"id":"0.0-probe0","camera":"probe","label":"person","start_time":1}}""");
            await Task.Delay(200);
        }
        Assert.NotEmpty(flow.Received("raw"));
        await flow.SettleAsync();
        Assert.Empty(flow.Received("h"));

        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        var id = await frigate.NewEventAsync("yard", "person", start, ["driveway"], score: 0.8);
        await frigate.NewEventAsync("gate", "person", start, score: 0.9);      // other camera
        await frigate.NewEventAsync("yard", "car", start, score: 0.9);         // other label
        await frigate.NewEventAsync("yard", "person", start, score: 0.3);      // below minScore
        await frigate.UpdateEventAsync(id, 0.92, ["driveway", "porch"]);
        await frigate.PublishRawAsync("{\"type\":\"new\",\"after\":{oops");
        await frigate.EndEventAsync(id, start.AddSeconds(4));

        var messages = await flow.NextAsync("h", 3, TimeSpan.FromSeconds(20));
        Assert.Equal(["new", "update", "end"], messages.Select(m => (string)CameraFlows.Obj(m, "payload")["type"]!));
        var end = CameraFlows.Obj(messages[2], "payload");
        Assert.Equal(id, end["id"]);
        Assert.Equal("yard", end["camera"]);
        Assert.Equal("person", end["label"]);
        Assert.Equal(0.92, end["top_score"]);
        Assert.Equal(new List<object?> { "driveway", "porch" }, end["entered_zones"]);
        Assert.Equal(start.ToUnixTimeMilliseconds() / 1000.0, (double)end["start_time"]!, 3);
        Assert.Equal((start.ToUnixTimeMilliseconds() + 4000) / 1000.0, (double)end["end_time"]!, 3);
        Assert.Equal(false, end["in_progress"]);
        Assert.Equal(true, end["has_clip"]);
        Assert.Equal("frigate/yard/person", messages[2]["topic"]);
        Assert.Equal((double)start.ToUnixTimeMilliseconds(), (double)messages[2]["time"]!, 0);
        Assert.Equal(true, CameraFlows.Obj(messages[0], "payload")["in_progress"]);

        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(10)), "error");
        Assert.Contains("not valid JSON", (string)error["message"]!, StringComparison.Ordinal);
        Assert.Equal("fe", CameraFlows.Obj(error, "source")["id"]);
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task With_a_broker_frigate_events_subscribes_itself_and_bad_json_goes_to_catch()
    {
        await using var frigate = await FrigateStandIn.StartAsync(mosquitto.Port, [0], [0xFF, 0xD8, 0xFF, 0xD9]);
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync($$"""
            {"id":"b1","type":"mqtt-broker","name":"frigate broker","broker":"127.0.0.1","port":"{{mosquitto.Port}}","clientid":"","protocolVersion":"4","keepalive":"60","cleansession":true},
            {"id":"fe","type":"frigate-events","z":"t1","broker":"b1","topic":"frigate/events","cameras":"yard","labels":"","minScore":0,"types":"new,update,end","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]},
            """ + CameraFlows.Catch());
        Assert.True(await CameraFlows.EventuallyAsync(() => flow.Runtime.FindNode("fe")?.Status.Fill == "green"), "frigate-events never showed the broker connected");

        // The subscription is in place once a message makes it through.
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        for (var i = 0; i < 100 && flow.Received("h").Count == 0; i++)
        {
            await frigate.NewEventAsync("yard", "person", start, score: 0.8);
            await Task.Delay(200);
        }
        var first = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(20)), "payload");
        Assert.Equal(("new", "yard", "person"), ((string)first["type"]!, (string)first["camera"]!, (string)first["label"]!));

        await frigate.PublishRawAsync("{\"type\":\"new\",\"after\":{oops");
        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(10)), "error");
        Assert.Contains("not valid JSON", (string)error["message"]!, StringComparison.Ordinal);
        Assert.Equal("fe", CameraFlows.Obj(error, "source")["id"]);
    }

    [Fact]
    public async Task A_zone_filter_passes_events_whose_current_or_entered_zones_match()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync("""
            {"id":"fe","type":"frigate-events","z":"t1","zones":"porch","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("fe", """{"payload":"{\"type\":\"new\",\"after\":{\"id\":\"1.0-aaaaaa\",\"camera\":\"yard\",\"label\":\"person\",\"start_time\":1,\"current_zones\":[\"yard\"],\"entered_zones\":[\"yard\"]}}"}""");
        flow.Send("fe", """{"payload":{"type":"end","after":{"id":"1.0-aaaaaa","camera":"yard","label":"person","start_time":1,"end_time":3,"current_zones":[],"entered_zones":["yard","porch"]}}}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("end", CameraFlows.Obj(msg, "payload")["type"]);
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(300)));
    }
}
