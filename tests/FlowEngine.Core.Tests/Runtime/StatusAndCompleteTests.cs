using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Runtime;

public sealed class StatusAndCompleteTests
{
    [Fact]
    public async Task A_status_node_receives_status_changes_with_their_source()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"s","type":"test-status","z":"t","name":"setter","x":0,"y":0,"wires":[]},
             {"id":"st","type":"status","z":"t","scope":null,"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("s", """{"payload":"running"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("""{"fill":"green","shape":"dot","text":"running","source":{"id":"s","type":"test-status","name":"setter"}}""", JsJson.Serialize(msg["status"]));
    }

    [Fact]
    public async Task A_scoped_status_node_ignores_other_nodes()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"s1","type":"test-status","z":"t","x":0,"y":0,"wires":[]},
             {"id":"s2","type":"test-status","z":"t","x":0,"y":0,"wires":[]},
             {"id":"st","type":"status","z":"t","scope":["s2"],"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("s1", """{"payload":"a"}""");
        Assert.True(await flow.NothingArrivesAsync("h"));
        flow.Send("s2", """{"payload":"b"}""");
        Assert.Equal("b", ((JsObject)(await flow.NextAsync("h"))["status"]!)["text"]);
    }

    [Fact]
    public async Task A_complete_node_fires_when_a_scoped_node_is_done()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"p","type":"test-pass","z":"t","name":"pass","x":0,"y":0,"wires":[]},
             {"id":"cm","type":"complete","z":"t","scope":["p"],"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("p", """{"payload":7}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(7.0, msg["payload"]);
        Assert.Equal("""{"source":{"id":"p","type":"test-pass","name":"pass"}}""", JsJson.Serialize(msg["complete"]));
    }

    [Fact]
    public async Task Nodes_that_never_report_done_never_trigger_complete_nodes()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"p","type":"test-no-done","z":"t","x":0,"y":0,"wires":[]},
             {"id":"cm","type":"complete","z":"t","scope":["p"],"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("p", """{"payload":7}""");
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task A_failed_message_does_not_trigger_complete_nodes()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"x","type":"test-thrower","z":"t","x":0,"y":0,"wires":[]},
             {"id":"cm","type":"complete","z":"t","scope":["x"],"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("x", """{"payload":"bad"}""");
        Assert.True(await flow.NothingArrivesAsync("h"));
        flow.Send("x", """{"payload":"ok"}""");
        Assert.Equal("ok", (await flow.NextAsync("h"))["payload"]);
    }
}
