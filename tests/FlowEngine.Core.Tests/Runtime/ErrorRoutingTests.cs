using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Runtime;

public sealed class ErrorRoutingTests
{
    [Fact]
    public async Task A_thrown_error_reaches_catch_nodes_with_the_message_and_the_source()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"x","type":"test-thrower","z":"t","name":"thrower","x":0,"y":0,"wires":[]},
             {"id":"c","type":"catch","z":"t","scope":null,"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("x", """{"payload":"x","topic":"t1"}""");
        var msg = await flow.NextAsync("h");
        var error = (JsObject)msg["error"]!;
        Assert.Equal("boom", error["message"]);
        Assert.Equal("""{"id":"x","type":"test-thrower","name":"thrower","count":1}""", JsJson.Serialize(error["source"]));
        Assert.Equal("t1", msg["topic"]);
    }

    [Fact]
    public async Task The_flow_goes_on_after_an_error()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"x","type":"test-thrower","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("x", """{"payload":"bad"}""");
        flow.Send("x", """{"payload":"ok"}""");
        Assert.Equal("ok", (await flow.NextAsync("h"))["payload"]);
        Assert.Contains(flow.Logs, l => l.Node?.Id == "x" && l.Message == "boom");
    }

    [Fact]
    public async Task Every_matching_catch_node_receives_a_copy_and_uncaught_ones_only_when_nobody_else_did()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"x","type":"test-thrower","z":"t","x":0,"y":0,"wires":[]},
             {"id":"y","type":"test-thrower","z":"t","x":0,"y":0,"wires":[]},
             {"id":"all","type":"catch","z":"t","scope":null,"x":0,"y":0,"wires":[["h1"]]},
             {"id":"onlyx","type":"catch","z":"t","scope":["x"],"x":0,"y":0,"wires":[["h2"]]},
             {"id":"unc","type":"catch","z":"t","scope":["y"],"uncaught":true,"x":0,"y":0,"wires":[["h3"]]},
             {"id":"h1","type":"helper","z":"t","x":0,"y":0,"wires":[]},
             {"id":"h2","type":"helper","z":"t","x":0,"y":0,"wires":[]},
             {"id":"h3","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("x", """{"payload":1}""");
        await flow.NextAsync("h1");
        await flow.NextAsync("h2");
        flow.Send("y", """{"payload":2}""");
        await flow.NextAsync("h1");
        Assert.True(await flow.NothingArrivesAsync("h3"));
        Assert.True(await flow.NothingArrivesAsync("h2"));
    }

    [Fact]
    public async Task A_group_scoped_catch_node_hears_only_its_group()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"g1","type":"group","z":"t","nodes":["x","c"],"x":0,"y":0,"w":10,"h":10},
             {"id":"x","type":"test-thrower","z":"t","g":"g1","x":0,"y":0,"wires":[]},
             {"id":"y","type":"test-thrower","z":"t","x":0,"y":0,"wires":[]},
             {"id":"c","type":"catch","z":"t","g":"g1","scope":"group","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("y", """{"payload":"from y"}""");
        Assert.True(await flow.NothingArrivesAsync("h"));
        flow.Send("x", """{"payload":"from x"}""");
        Assert.Equal("from x", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task A_catch_node_on_another_tab_does_not_hear_the_error()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t1","type":"tab"},{"id":"t2","type":"tab"},
             {"id":"x","type":"test-thrower","z":"t1","x":0,"y":0,"wires":[]},
             {"id":"c","type":"catch","z":"t2","scope":null,"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t2","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("x", """{"payload":1}""");
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task An_existing_msg_error_moves_to_underscore_error()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"x","type":"test-thrower","z":"t","x":0,"y":0,"wires":[]},
             {"id":"c","type":"catch","z":"t","scope":null,"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("x", """{"payload":1,"error":"earlier"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("earlier", msg["_error"]);
    }

    [Fact]
    public async Task An_error_uncaught_inside_a_subflow_is_offered_to_the_parent_flow_as_the_instance()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"sf","type":"subflow","name":"S","in":[{"x":0,"y":0,"wires":[{"id":"inner"}]}],"out":[]},
             {"id":"inner","type":"test-thrower","z":"sf","x":0,"y":0,"wires":[]},
             {"id":"inst","type":"subflow:sf","z":"t","x":0,"y":0,"wires":[]},
             {"id":"c","type":"catch","z":"t","scope":["inst"],"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("inst", """{"payload":1}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("inst", ((JsObject)((JsObject)msg["error"]!)["source"]!)["id"]);
    }

    [Fact]
    public async Task A_catch_node_inside_the_subflow_takes_the_error_first()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"sf","type":"subflow","name":"S","in":[{"x":0,"y":0,"wires":[{"id":"inner"}]}],"out":[{"x":0,"y":0,"wires":[{"id":"ic","port":0}]}]},
             {"id":"inner","type":"test-thrower","z":"sf","x":0,"y":0,"wires":[]},
             {"id":"ic","type":"catch","z":"sf","scope":null,"x":0,"y":0,"wires":[]},
             {"id":"inst","type":"subflow:sf","z":"t","x":0,"y":0,"wires":[["hin"]]},
             {"id":"c","type":"catch","z":"t","scope":null,"x":0,"y":0,"wires":[["hout"]]},
             {"id":"hin","type":"helper","z":"t","x":0,"y":0,"wires":[]},
             {"id":"hout","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("inst", """{"payload":1}""");
        var msg = await flow.NextAsync("hin");
        Assert.Equal("inst-inner", ((JsObject)((JsObject)msg["error"]!)["source"]!)["id"]);
        Assert.True(await flow.NothingArrivesAsync("hout"));
    }
}
