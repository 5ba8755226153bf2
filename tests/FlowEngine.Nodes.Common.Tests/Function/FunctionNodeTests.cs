using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Function;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>The function node's message handling in a running flow (Node-RED §6 and §2.2).</summary>
public sealed class FunctionNodeTests
{
    [Fact]
    public async Task Return_msg_passes_the_changed_message_on()
    {
        await using var flow = await StartAsync(OneFunction("msg.payload = msg.payload * 2; msg.topic = 'x' + msg.topic; return msg;"));
        flow.Send("f", """{"payload":21,"topic":"t"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(42.0, msg["payload"]);
        Assert.Equal("xt", msg["topic"]);
    }

    [Fact]
    public async Task Return_null_sends_nothing_but_the_message_is_still_done()
    {
        await using var flow = await StartAsync(OneFunction("return null;", more: """,{"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["f"],"wires":[["h2"]]}"""));
        flow.Send("f", """{"payload":1}""");
        var completed = await flow.NextAsync("h2");
        Assert.Equal(1.0, completed["payload"]);
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task Returned_array_sends_one_message_per_output()
    {
        await using var flow = await StartAsync(OneFunction("return msg.payload > 5 ? [msg, null] : [null, msg];", outputs: 2, wires: """[["h"],["h2"]]"""));
        flow.Send("f", """{"payload":10}""");
        flow.Send("f", """{"payload":1}""");
        Assert.Equal(10.0, (await flow.NextAsync("h"))["payload"]);
        Assert.Equal(1.0, (await flow.NextAsync("h2"))["payload"]);
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task An_array_inside_the_returned_array_sends_several_messages_on_that_output_in_order()
    {
        await using var flow = await StartAsync(OneFunction("return [msg.payload.map(p => ({ payload: p })), { payload: 'other' }];", outputs: 2, wires: """[["h"],["h2"]]"""));
        flow.Send("f", """{"payload":[1,2,3]}""");
        var first = await flow.NextAsync("h", 3);
        Assert.Equal([1.0, 2.0, 3.0], first.Select(m => m["payload"]));
        Assert.Equal("other", (await flow.NextAsync("h2"))["payload"]);
    }

    [Fact]
    public async Task Every_message_sent_carries_the_received_msgid()
    {
        await using var flow = await StartAsync(OneFunction("node.send({ payload: 'a' }); return [[{ payload: 'b', _msgid: 'other' }, { payload: 'c' }]];"));
        flow.Send("f", """{"payload":1,"_msgid":"0123456789abcdef"}""");
        var received = await flow.NextAsync("h", 3);
        Assert.All(received, m => Assert.Equal("0123456789abcdef", m["_msgid"]));
        Assert.Equal(["a", "b", "c"], received.Select(m => m["payload"]));
    }

    [Fact]
    public async Task Node_send_copies_the_message_so_later_changes_do_not_leak()
    {
        await using var flow = await StartAsync(OneFunction("node.send(msg); msg.payload = 'changed'; node.send(msg, false); return null;"));
        flow.Send("f", """{"payload":"original"}""");
        var received = await flow.NextAsync("h", 2);
        Assert.Equal(["original", "changed"], received.Select(m => m["payload"]));
    }

    [Fact]
    public async Task Outputs_beyond_the_configured_count_are_ignored()
    {
        await using var flow = await StartAsync(OneFunction("return [msg, msg, msg];", outputs: 1, wires: """[["h"]]"""));
        flow.Send("f", """{"payload":1}""");
        await flow.NextAsync("h");
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task A_value_that_is_not_a_message_is_reported_and_skipped()
    {
        await using var flow = await StartAsync(OneFunction("return [5, msg];", outputs: 2, wires: """[["h"],["h2"]]"""));
        flow.Send("f", """{"payload":1}""");
        Assert.Equal(1.0, (await flow.NextAsync("h2"))["payload"]);
        Assert.Contains(flow.Logs, l => l.Message == "Function tried to send a message of type number");
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task A_thrown_error_reaches_catch_with_line_column_and_the_message_as_the_code_left_it()
    {
        await using var flow = await StartAsync(OneFunction("let a = 1;\nmsg.payload = 'seen';\nundefinedThing.x = 2;\nreturn msg;"));
        flow.Send("f", """{"payload":"before"}""");
        var caught = await flow.NextAsync("hc");
        Assert.Equal("ReferenceError: undefinedThing is not defined (line 3, col 1)", ErrorText(caught));
        Assert.Equal("seen", caught["payload"]);
        Assert.Equal("f", ((JsObject)((JsObject)caught["error"]!)["source"]!)["id"]);
        Assert.True(await flow.NothingArrivesAsync("h"));
    }

    [Fact]
    public async Task A_thrown_string_is_reported_as_it_is()
    {
        await using var flow = await StartAsync(OneFunction("throw 'boom';"));
        flow.Send("f", """{"payload":1}""");
        Assert.Equal("boom", ErrorText(await flow.NextAsync("hc")));
    }

    [Theory]
    [InlineData("throw new TypeError('wrong type');", "TypeError: wrong type")]
    [InlineData("throw { code: 42, text: 'x' };", "{\"code\":42,\"text\":\"x\"}")]
    [InlineData("node.done(new Error('via done'));", "Error: via done")]
    [InlineData("msg.payload.deep.x = 1;", "TypeError: ")]
    public async Task Errors_read_as_node_red_writes_them(string func, string expected)
    {
        await using var flow = await StartAsync(OneFunction(func));
        flow.Send("f", """{"payload":1}""");
        Assert.StartsWith(expected, ErrorText(await flow.NextAsync("hc")));
    }

    [Fact]
    public async Task A_failed_message_does_not_fire_complete_nodes()
    {
        await using var flow = await StartAsync(OneFunction("if (msg.payload === 1) throw new Error('bad'); return msg;", more: """,{"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["f"],"wires":[["h2"]]}"""));
        flow.Send("f", """{"payload":1}""");
        Assert.Equal("Error: bad", ErrorText(await flow.NextAsync("hc")));
        flow.Send("f", """{"payload":2}""");
        Assert.Equal(2.0, (await flow.NextAsync("h2"))["payload"]);
        Assert.Single(flow.Received("h2"));
    }

    [Fact]
    public async Task Node_error_with_a_message_reaches_catch_and_the_code_carries_on()
    {
        await using var flow = await StartAsync(OneFunction("node.error('bad value', msg); msg.after = true; return msg;"));
        flow.Send("f", """{"payload":1}""");
        var caught = await flow.NextAsync("hc");
        Assert.Equal("bad value", ErrorText(caught));
        Assert.Equal(true, (await flow.NextAsync("h"))["after"]);
    }

    [Fact]
    public async Task Node_status_is_published()
    {
        await using var flow = await StartAsync(OneFunction("node.status({ fill: 'green', shape: 'dot', text: 'count ' + msg.payload }); return msg;"));
        flow.Send("f", """{"payload":3}""");
        await flow.NextAsync("h");
        Assert.Contains(flow.Statuses, s => s.Node.Id == "f" && s.Status == new NodeStatus("green", "dot", "count 3"));
    }

    [Fact]
    public async Task Log_warn_and_console_go_to_the_node_log()
    {
        await using var flow = await StartAsync(OneFunction("node.log('info ' + msg.payload); node.warn({ w: 1 }); console.log('c', [1]); return msg;"));
        flow.Send("f", """{"payload":1}""");
        await flow.NextAsync("h");
        Assert.Contains(flow.Logs, l => l.Node?.Id == "f" && l.Level == LogLevel.Information && l.Message == "info 1");
        Assert.Contains(flow.Logs, l => l.Node?.Id == "f" && l.Level == LogLevel.Warning && l.Message == "{ w: 1 }");
        Assert.Contains(flow.Logs, l => l.Node?.Id == "f" && l.Message == "c [ 1 ]");
    }

    [Fact]
    public async Task Node_knows_its_id_name_path_and_output_count()
    {
        await using var flow = await StartAsync(OneFunction("msg.payload = [node.id, node.name, node.path, node.outputCount]; return [msg];", outputs: 2, wires: """[["h"],[]]"""));
        flow.Send("f", """{"payload":1}""");
        Assert.Equal("""["f","fn","t1/f",2]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Locals_start_fresh_for_each_message_but_undeclared_globals_persist_as_in_node_red()
    {
        await using var flow = await StartAsync(OneFunction("let local = 0; local++; counter = (typeof counter === 'undefined' ? 0 : counter) + 1; msg.payload = [local, counter]; return msg;"));
        flow.Send("f", """{"payload":1}""");
        flow.Send("f", """{"payload":2}""");
        var received = await flow.NextAsync("h", 2);
        Assert.Equal("[1,1]", JsJson.Serialize(received[0]["payload"]));
        Assert.Equal("[1,2]", JsJson.Serialize(received[1]["payload"]));
    }

    [Fact]
    public async Task The_declaration_matches_node_red()
    {
        await using var flow = await StartAsync(OneFunction("return msg;"));
        var declaration = FunctionNode.Declaration;
        Assert.Equal("function", declaration.Type);
        Assert.Equal("outputs", declaration.OutputsProperty);
        Assert.Equal("\nreturn msg;", declaration.Properties.Single(p => p.Name == "func").Default);
        Assert.Equal(["name", "func", "outputs", "timeout", "noerr", "initialize", "finalize", "libs"], declaration.Properties.Select(p => p.Name));
        Assert.Equal(declaration, flow.Runtime.Registry.Declaration("function"));
    }
}
