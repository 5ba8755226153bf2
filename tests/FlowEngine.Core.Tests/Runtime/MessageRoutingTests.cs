using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Runtime;

public sealed class MessageRoutingTests
{
    [Fact]
    public async Task Fan_out_gives_each_receiver_its_own_copy()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"src","type":"test-pass","z":"t","x":0,"y":0,"wires":[["m","hb"]]},
             {"id":"m","type":"test-mutate","z":"t","x":0,"y":0,"wires":[["ha"]]},
             {"id":"ha","type":"helper","z":"t","x":0,"y":0,"wires":[]},
             {"id":"hb","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("src", """{"payload":{"a":1}}""");
        var mutated = await flow.NextAsync("ha");
        var untouched = await flow.NextAsync("hb");
        Assert.Equal(100.0, ((JsObject)mutated["payload"]!)["a"]);
        Assert.Equal(1.0, ((JsObject)untouched["payload"]!)["a"]);
        Assert.Equal(mutated["_msgid"], untouched["_msgid"]);
    }

    [Fact]
    public async Task Each_node_handles_its_messages_in_order()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"c","type":"test-counter","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        for (var i = 0; i < 1000; i++) flow.Send("c", new JsObject { ["seq"] = (double)i });
        var received = await flow.NextAsync("h", 1000);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal((double)i, received[i]["seq"]);
            Assert.Equal((double)(i + 1), received[i]["payload"]);
        }
    }

    [Fact]
    public async Task Messages_sent_from_a_receive_loop_run_idle_nodes_on_that_loop_in_order()
    {
        // What mqtt in does: the flow runs on the protocol's receive thread, with no hop to the thread pool.
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"src","type":"test-pass","z":"t","x":0,"y":0,"wires":[["a"]]},
             {"id":"a","type":"thread-recorder","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        var loopThread = flow.SendFromReceiveLoop("src", Enumerable.Range(0, 1000).Select(i => new JsObject { ["seq"] = (double)i }));
        var received = await flow.NextAsync("h", 1000);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (object?)(double)i), received.Select(m => m["seq"]));
        Assert.All(received, m => Assert.Equal((double)loopThread, m["thread"]));
    }

    [Fact]
    public async Task A_node_wired_back_to_itself_does_not_deadlock()
    {
        // The counter sends every message to itself and to a switch-like gate; the loop ends when the helper has 500.
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"c","type":"test-counter","z":"t","x":0,"y":0,"wires":[["h","j"]]},
             {"id":"j","type":"junction","z":"t","x":0,"y":0,"wires":[["c"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("c", """{"payload":0}""");
        var received = await flow.NextAsync("h", 500);
        Assert.Equal(500.0, received[^1]["payload"]);
    }

    [Fact]
    public async Task Wires_to_missing_or_disabled_nodes_are_skipped()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"src","type":"test-pass","z":"t","x":0,"y":0,"wires":[["nope","off","h"]]},
             {"id":"off","type":"helper","z":"t","x":0,"y":0,"d":true,"wires":[]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("src", """{"payload":1}""");
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
        Assert.Null(flow.Runtime.FindNode("off"));
    }

    [Fact]
    public async Task Nodes_on_a_disabled_tab_do_not_start()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab","disabled":true},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        Assert.Null(flow.Runtime.FindNode("h"));
    }

    [Fact]
    public async Task A_node_of_unknown_type_shows_an_error_status_and_the_rest_runs()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"u","type":"vendor-gizmo","z":"t","x":0,"y":0,"speed":"fast","wires":[["h"]]},
             {"id":"p","type":"test-pass","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("u", """{"payload":"lost"}""");
        flow.Send("p", """{"payload":"kept"}""");
        Assert.Equal("kept", (await flow.NextAsync("h"))["payload"]);
        Assert.True(await flow.NothingArrivesAsync("h"));
        Assert.Contains(flow.Statuses, s => s.Node.Id == "u" && s.Status.Fill == "red" && s.Status.Text!.Contains("vendor-gizmo", StringComparison.Ordinal));
        Assert.Equal(["vendor-gizmo"], flow.Runtime.MissingTypes);
        Assert.Contains(flow.Notifications, n => n.Topic == "notification/runtime-state" && n.Data.Get("error") as string == "missing-types");
    }

    [Fact]
    public async Task A_link_out_reaches_link_ins_that_name_it_on_other_tabs()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t1","type":"tab"},{"id":"t2","type":"tab"},
             {"id":"out","type":"link out","z":"t1","mode":"link","links":[],"x":0,"y":0,"wires":[]},
             {"id":"in","type":"link in","z":"t2","links":["out"],"x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t2","x":0,"y":0,"wires":[]}]
            """);
        var plan = FlowEngine.Core.Flows.FlowPlanner.Build(flow.Runtime.Configuration, _ => true);
        Assert.Equal(["in"], plan.Nodes["out"].Wires[0]);
    }
}
