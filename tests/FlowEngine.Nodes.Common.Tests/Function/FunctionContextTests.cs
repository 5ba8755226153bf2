using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>context, flow, global, env and RED.util inside a running flow (Node-RED §2.9, §2.10).</summary>
public sealed class FunctionContextTests
{
    [Fact]
    public async Task Node_context_counts_across_messages()
    {
        await using var flow = await StartAsync(OneFunction("let c = context.get('count') || 0; c++; context.set('count', c); msg.payload = c; return msg;"));
        for (var i = 0; i < 3; i++) flow.Send("f", """{"payload":0}""");
        Assert.Equal([1.0, 2.0, 3.0], (await flow.NextAsync("h", 3)).Select(m => m["payload"]));
    }

    [Fact]
    public async Task Flow_context_is_shared_by_the_nodes_of_a_tab_and_node_context_is_not()
    {
        await using var flow = await StartAsync(OneFunction("flow.set('shared', msg.payload); context.set('mine', 'f'); return msg;", wires: """[["g"]]""",
            more: Node("g", "msg.payload = [flow.get('shared'), context.get('mine') === undefined]; return msg;", """[["h"]]""")));
        flow.Send("f", """{"payload":"from f"}""");
        Assert.Equal("""["from f",true]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
        Assert.Equal("from f", flow.Runtime.Contexts.Flow("t1", null).Get("shared"));
    }

    [Fact]
    public async Task Global_context_reaches_other_tabs_and_reads_the_settings_seed()
    {
        var settings = new JsObject { ["functionGlobalContext"] = new JsObject { ["site"] = "plant 7" } };
        await using var flow = await StartAsync(OneFunction("global.set('g', msg.payload); return null;",
            more: """,{"id":"t2","type":"tab","label":"T2"}""" + Node("g2", "msg.payload = [global.get('g'), global.get('site')]; return msg;", """[["h3"]]""", tab: "t2") +
                  """,{"id":"h3","type":"helper","z":"t2","x":1,"y":1,"wires":[]}"""), settings);
        flow.Send("f", """{"payload":5}""");
        await flow.SettleAsync();
        flow.Send("g2", """{"payload":0}""");
        Assert.Equal("""[5,"plant 7"]""", JsJson.Serialize((await flow.NextAsync("h3"))["payload"]));
    }

    [Fact]
    public async Task Keys_multiple_values_nested_keys_and_undefined_deletes()
    {
        await using var flow = await StartAsync(OneFunction("""
            flow.set(['a', 'b'], [1, 2]);
            flow.set('obj.inner', 3);
            flow.set('b', undefined);
            msg.payload = [flow.keys().sort(), flow.get(['a', 'b']), flow.get('obj'), flow.get('obj.inner')];
            return msg;
            """));
        flow.Send("f", """{"payload":0}""");
        Assert.Equal("""[["a","obj"],[1,null],{"inner":3},3]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Callback_forms_and_store_names_work()
    {
        var settings = new JsObject { ["contextStorage"] = new JsObject { ["default"] = new JsObject { ["module"] = "memory" }, ["other"] = new JsObject { ["module"] = "memory" } } };
        await using var flow = await StartAsync(OneFunction("""
            flow.set('k', 'in other', 'other', function (err) {
              flow.get('k', 'other', function (err, v) {
                flow.get('k', function (err2, d) {
                  flow.keys('other', function (err3, keys) {
                    msg.payload = [err, v, d === undefined, keys];
                    node.send(msg);
                  });
                });
              });
            });
            return null;
            """), settings);
        flow.Send("f", """{"payload":0}""");
        Assert.Equal("""[null,"in other",true,["k"]]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Values_read_from_context_are_copies()
    {
        await using var flow = await StartAsync(OneFunction("""
            if (!context.get('list')) context.set('list', [1]);
            const list = context.get('list');
            list.push(2);
            msg.payload = context.get('list');
            return msg;
            """));
        flow.Send("f", """{"payload":0}""");
        Assert.Equal("[1]", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Env_get_reads_the_tab_env_and_reserved_names()
    {
        await using var flow = await StartAsync(OneFunction("msg.payload = [env.get('FOO'), env.get('NR_NODE_NAME'), env.get('NR_NODE_ID'), env.get('NOT_SET_ANYWHERE_123')]; return msg;"));
        flow.Send("f", """{"payload":0}""");
        Assert.Equal("""["bar","fn","f",null]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Red_util_evaluate_node_property_reads_typed_inputs()
    {
        await using var flow = await StartAsync(OneFunction("""
            flow.set('limit', 10);
            msg.payload = [
              RED.util.evaluateNodeProperty('topic', 'msg', node, msg),
              RED.util.evaluateNodeProperty('42', 'num', node, msg),
              RED.util.evaluateNodeProperty('{"a":1}', 'json', node, msg),
              RED.util.evaluateNodeProperty('limit', 'flow', node, msg),
              RED.util.evaluateNodeProperty('FOO', 'env', node, msg),
            ];
            return msg;
            """));
        flow.Send("f", """{"payload":0,"topic":"t1"}""");
        Assert.Equal("""["t1",42,{"a":1},10,"bar"]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Red_util_clone_message_and_message_properties()
    {
        await using var flow = await StartAsync(OneFunction("""
            const copy = RED.util.cloneMessage(msg);
            copy.payload.deep.value = 'changed';
            RED.util.setMessageProperty(msg, 'result.list[0]', 'first');
            msg.payload = [RED.util.getMessageProperty(msg, 'msg.payload.deep.value'), RED.util.getMessageProperty(copy, 'payload.deep.value'), msg.result];
            return msg;
            """));
        flow.Send("f", """{"payload":{"deep":{"value":"original"}}}""");
        Assert.Equal("""["original","changed",{"list":["first"]}]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Red_util_evaluates_jsonata_with_the_flow_context()
    {
        await using var flow = await StartAsync(OneFunction("""
            flow.set('factor', 3);
            const expr = RED.util.prepareJSONataExpression('payload * $flowContext("factor")', node);
            RED.util.evaluateJSONataExpression(expr, msg, (err, value) => { msg.viaCallback = value; });
            msg.payload = [
              RED.util.evaluateJSONataExpression(expr, msg),
              RED.util.evaluateNodeProperty('$uppercase(topic)', 'jsonata', node, msg),
            ];
            return msg;
            """));
        flow.Send("f", """{"payload":14,"topic":"abc"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("""[42,"ABC"]""", JsJson.Serialize(msg["payload"]));
        Assert.Equal(42.0, msg["viaCallback"]);
    }
}
