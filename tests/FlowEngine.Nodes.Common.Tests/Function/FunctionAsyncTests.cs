using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>Promises, async/await, timers, node.done(), On Start and On Stop, all on the fake clock.</summary>
public sealed class FunctionAsyncTests
{
    [Fact]
    public async Task Await_on_a_promise_resolved_by_set_timeout_sends_when_the_clock_gets_there()
    {
        await using var flow = await StartAsync(OneFunction("""
            await new Promise(resolve => setTimeout(resolve, 2000));
            msg.payload = 'late';
            return msg;
            """, extra: ""","initialize":"","finalize":"" """));
        flow.Send("f", """{"payload":1}""");
        await flow.SettleAsync();
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1999));
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal("late", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Other_messages_run_while_an_earlier_one_awaits()
    {
        await using var flow = await StartAsync(OneFunction("if (msg.payload === 'slow') await new Promise(r => setTimeout(r, 1000)); return msg;"));
        flow.Send("f", """{"payload":"slow"}""");
        await flow.SendAsync("f", """{"payload":"fast"}""");
        Assert.Equal("fast", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("slow", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Node_send_from_a_timer_uses_the_message_id_it_was_started_for()
    {
        await using var flow = await StartAsync(OneFunction("setTimeout(() => node.send({ payload: 'from timer' }), 500); return null;"));
        await flow.SendAsync("f", """{"payload":1,"_msgid":"aaaaaaaaaaaaaaaa"}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(500));
        var msg = await flow.NextAsync("h");
        Assert.Equal("from timer", msg["payload"]);
        Assert.Equal("aaaaaaaaaaaaaaaa", msg["_msgid"]);
    }

    [Fact]
    public async Task Node_send_from_a_resolved_promise_without_await()
    {
        await using var flow = await StartAsync(OneFunction("new Promise(r => setTimeout(() => r(msg.payload * 2), 100)).then(v => node.send({ payload: v })); return null;"));
        await flow.SendAsync("f", """{"payload":21}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(42.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Set_interval_repeats_until_cleared()
    {
        await using var flow = await StartAsync(OneFunction("""
            let n = 0;
            const id = setInterval(() => { n++; node.send({ payload: n }); if (n === 3) clearInterval(id); }, 1000);
            return null;
            """));
        await flow.SendAsync("f", """{"payload":1}""");
        for (var i = 0; i < 5; i++) await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        var received = await flow.NextAsync("h", 3);
        Assert.Equal([1.0, 2.0, 3.0], received.Select(m => m["payload"]));
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task Clear_timeout_with_an_id_kept_in_context_cancels_a_pending_timer()
    {
        // The debounce pattern: the timer id is kept in context between messages.
        await using var flow = await StartAsync(OneFunction("""
            clearTimeout(context.get('timer'));
            context.set('timer', setTimeout(() => node.send(msg), 1000));
            return null;
            """));
        await flow.SendAsync("f", """{"payload":1}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(600));
        await flow.SendAsync("f", """{"payload":2}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(600));
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(400));
        Assert.Equal(2.0, (await flow.NextAsync("h"))["payload"]);
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task A_rejected_promise_reaches_catch_with_the_message()
    {
        await using var flow = await StartAsync(OneFunction("""
            msg.step = 'waiting';
            await new Promise((resolve, reject) => setTimeout(() => reject(new Error('remote failed')), 100));
            return msg;
            """));
        await flow.SendAsync("f", """{"payload":1}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(100));
        var caught = await flow.NextAsync("hc");
        Assert.Equal("Error: remote failed", ErrorText(caught));
        Assert.Equal("waiting", caught["step"]);
        Assert.Equal(1.0, caught["payload"]);
    }

    [Fact]
    public async Task An_error_in_a_timer_callback_reaches_catch_with_an_empty_message()
    {
        await using var flow = await StartAsync(OneFunction("setTimeout(() => { throw new Error('in timer'); }, 10); return null;"));
        await flow.SendAsync("f", """{"payload":1}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(10));
        var caught = await flow.NextAsync("hc");
        Assert.Equal("Error: in timer", ErrorText(caught));
        Assert.False(caught.ContainsKey("payload"));
    }

    [Fact]
    public async Task Code_that_calls_node_done_fires_complete_nodes_only_when_it_does()
    {
        await using var flow = await StartAsync(OneFunction("setTimeout(() => { node.send(msg); node.done(); }, 1000);",
            more: """,{"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["f"],"wires":[["h2"]]}"""));
        flow.Send("f", """{"payload":1}""");
        await flow.SettleAsync();
        Assert.Empty(flow.Received("h2"));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        await flow.NextAsync("h");
        Assert.Equal(1.0, (await flow.NextAsync("h2"))["payload"]);
    }

    [Fact]
    public async Task An_async_body_fires_complete_nodes_after_its_promise_resolves()
    {
        await using var flow = await StartAsync(OneFunction("await new Promise(r => setTimeout(r, 300)); return msg;",
            more: """,{"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["f"],"wires":[["h2"]]}"""));
        flow.Send("f", """{"payload":1}""");
        await flow.SettleAsync();
        Assert.Empty(flow.Received("h2"));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1.0, (await flow.NextAsync("h2"))["payload"]);
    }

    [Fact]
    public async Task On_start_runs_once_and_its_sends_get_a_fresh_id()
    {
        await using var flow = await StartAsync(OneFunction("msg.payload = context.get('greeting'); return msg;",
            extra: ""","initialize":"context.set('greeting', 'hello'); node.send({ payload: 'started' });" """));
        var started = await flow.NextAsync("h");
        Assert.Equal("started", started["payload"]);
        Assert.Matches("^[0-9a-f]{16}$", (string)started["_msgid"]!);
        flow.Send("f", """{"payload":1}""");
        Assert.Equal("hello", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Messages_wait_for_an_async_on_start()
    {
        await using var flow = await StartAsync(OneFunction("msg.payload = flow.get('config'); return msg;",
            extra: ""","initialize":"await new Promise(r => setTimeout(r, 5000)); flow.set('config', 'loaded');" """));
        flow.Send("f", """{"payload":1}""");
        flow.Send("f", """{"payload":2}""");
        await flow.SettleAsync();
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(5));
        var received = await flow.NextAsync("h", 2);
        Assert.All(received, m => Assert.Equal("loaded", m["payload"]));
    }

    [Fact]
    public async Task A_failing_on_start_leaves_the_node_stopped()
    {
        await using var flow = await StartAsync(OneFunction("return msg;", extra: ""","initialize":"throw new Error('cannot start');" """));
        flow.Send("f", """{"payload":1}""");
        Assert.True(await flow.NothingArrivesAsync("h"));
        Assert.Contains(flow.Logs, l => l.Node?.Id == "f" && l.Message.Contains("cannot start", StringComparison.Ordinal));
        Assert.Contains(flow.Statuses, s => s.Node.Id == "f" && s.Status == NodeStatus.Error("On Start failed"));
    }

    [Fact]
    public async Task Timers_left_running_stop_when_a_redeploy_replaces_the_node()
    {
        const string ticking = "setInterval(() => node.send({ payload: 'old' }), 1000); return null;";
        await using var flow = await StartAsync(OneFunction(ticking));
        await flow.SendAsync("f", """{"payload":1}""");
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("old", (await flow.NextAsync("h"))["payload"]);
        await flow.DeployAsync(OneFunction("return msg;"));
        for (var i = 0; i < 5; i++) await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.True(await flow.NothingArrivesAsync("h"));
        flow.Send("f", """{"payload":"new"}""");
        Assert.Equal("new", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task On_stop_and_close_handlers_run_on_redeploy_and_a_status_set_by_the_code_is_cleared()
    {
        await using var flow = await StartAsync(OneFunction(
            "node.status({ text: 'running' }); node.on('close', function (removed, done) { global.set('removed', removed); done(); }); return null;",
            extra: ""","finalize":"global.set('stopped', 'yes');" """));
        flow.Send("f", """{"payload":1}""");
        await flow.SettleAsync();
        await flow.DeployAsync(OneFunction("msg.payload = [global.get('stopped'), global.get('removed')]; return msg;"));
        flow.Send("f", """{"payload":1}""");
        Assert.Equal("""["yes",false]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
        Assert.Equal(NodeStatus.Clear, flow.Statuses.Last(s => s.Node.Id == "f").Status);
    }

    [Fact]
    public async Task Async_body_may_return_an_array_for_several_outputs()
    {
        await using var flow = await StartAsync(OneFunction("const v = await Promise.resolve(msg.payload); return [{ payload: v }, { payload: -v }];", outputs: 2, wires: """[["h"],["h2"]]"""));
        flow.Send("f", """{"payload":5}""");
        Assert.Equal(5.0, (await flow.NextAsync("h"))["payload"]);
        Assert.Equal(-5.0, (await flow.NextAsync("h2"))["payload"]);
    }
}
