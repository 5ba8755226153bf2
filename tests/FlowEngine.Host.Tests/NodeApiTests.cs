using System.Net;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>GET /nodes (Node-RED's node-set list), FlowEngine's declarations, inject and debug toggles.</summary>
public sealed class NodeApiTests
{
    private const string Flows = """
        [{"id":"t1","type":"tab","label":"T"},
         {"id":"i1","type":"test inject","z":"t1","x":1,"y":1,"wires":[["d1"]]},
         {"id":"d1","type":"test debug","z":"t1","x":2,"y":1,"wires":[]},
         {"id":"d2","type":"test debug","z":"t1","x":3,"y":1,"wires":[]},
         {"id":"c1","type":"comment","z":"t1","x":4,"y":1,"wires":[]}]
        """;

    [Fact]
    public async Task Get_nodes_as_json_lists_node_sets_in_node_reds_shape()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.GetAsync("nodes", accept: "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sets = ((List<object?>)(await host.ReadJsonAsync(response))!).Cast<JsObject>().ToList();
        var comment = sets.Single(s => (string?)s["id"] == "node-red/comment");
        Assert.Equal("comment", comment["name"]);
        Assert.Equal(new List<object?> { "comment" }, comment["types"]);
        Assert.Equal(true, comment["enabled"]);
        Assert.Equal(false, comment["local"]);
        Assert.Equal(false, comment["user"]);
        Assert.Equal("node-red", comment["module"]);
        Assert.IsType<string>(comment["version"]);
        Assert.Contains(sets, s => (string?)s["id"] == "flowengine-test/inject");
    }

    [Fact]
    public async Task Get_nodes_without_json_accept_gives_html_with_set_markers_and_escaped_help()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.GetAsync("nodes", accept: "text/html");
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<!-- --- [red-module:node-red/comment] --- -->", html, StringComparison.Ordinal);
        Assert.Contains("data-help-name=\"test inject\">Test inject <\\/script> node.</script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_nodes_declarations_describes_every_property_of_every_type()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.GetAsync("nodes/declarations");
        var declarations = ((List<object?>)(await host.ReadJsonAsync(response))!).Cast<JsObject>().ToList();
        var strict = declarations.Single(d => (string?)d["type"] == "test strict");
        Assert.Equal("test", strict["category"]);
        Assert.Equal("#C0DEED", strict["color"]);
        Assert.Equal("function.svg", strict["icon"]);
        Assert.Equal("strict", strict["paletteLabel"]);
        Assert.Equal(1.0, strict["inputs"]);
        Assert.Equal(1.0, strict["outputs"]);
        Assert.Equal("outputs", strict["outputsProperty"]);
        Assert.Equal("strict node", strict["defaultLabel"]);
        Assert.Equal(false, strict["hasButton"]);
        Assert.Equal("Requires a count.", strict["help"]);
        var properties = ((List<object?>)strict["properties"]!).Cast<JsObject>().ToList();
        Assert.Equal("""{"name":"count","kind":"number","default":3,"required":true,"label":"Count","help":"How many.","options":null,"typeProperty":null,"configType":null,"editor":null}""",
            JsJson.Serialize(properties[0]));
        Assert.Equal(new List<object?> { "a", "b", "bad" }, properties[1]["options"]);
        Assert.Equal("typedInput", properties[2]["kind"]);
        Assert.Equal("payloadType", properties[2]["typeProperty"]);
        Assert.Equal("configReference", properties[3]["kind"]);
        Assert.Equal("test server", properties[3]["configType"]);
        var creds = declarations.Single(d => (string?)d["type"] == "test creds");
        Assert.Equal("""[{"name":"user","type":"text","label":"User"},{"name":"password","type":"password","label":"Password"}]""", JsJson.Serialize(creds["credentials"]));
        Assert.Equal(true, declarations.Single(d => (string?)d["type"] == "test inject")["hasButton"]);

        using var viaQuery = await host.GetAsync("nodes?format=declarations");
        Assert.Equal(declarations.Count, ((List<object?>)(await host.ReadJsonAsync(viaQuery))!).Count);
    }

    [Fact]
    public async Task Get_nodes_of_a_module_and_of_a_set_and_404_for_unknown_ones()
    {
        await using var host = await TestHost.StartAsync();
        using var module = await host.GetAsync("nodes/flowengine-test", accept: "application/json");
        var info = (JsObject)(await host.ReadJsonAsync(module))!;
        Assert.Equal("flowengine-test", info["name"]);
        Assert.Contains(((List<object?>)info["nodes"]!).Cast<JsObject>(), s => (string?)s["id"] == "flowengine-test/debug");
        using var set = await host.GetAsync("nodes/flowengine-test/debug", accept: "application/json");
        Assert.Equal(new List<object?> { "test debug" }, ((JsObject)(await host.ReadJsonAsync(set))!)["types"]);
        using var unknown = await host.GetAsync("nodes/no-such-module", accept: "application/json");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Inject_triggers_the_node_with_200_and_passes_user_inject_props()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        using var plain = await host.Client.PostAsync("inject/i1", null);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        using var withProps = await host.PostJsonAsync("inject/i1", """{"__user_inject_props__":[{"p":"payload","v":"5","vt":"num"}]}""");
        Assert.Equal(HttpStatusCode.OK, withProps.StatusCode);

        var node = Assert.IsType<TestInjectNode>(host.Runtime.FindNode("i1"));
        Assert.Equal(2, node.Triggers.Count);
        Assert.Null(node.Triggers[0]);
        Assert.Equal("""{"__user_inject_props__":[{"p":"payload","v":"5","vt":"num"}]}""", JsJson.Serialize(node.Triggers[1]));
    }

    [Fact]
    public async Task Inject_of_an_unknown_node_is_404_and_of_a_node_that_cannot_be_triggered_is_400()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        using var unknown = await host.Client.PostAsync("inject/nope", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", ((JsObject)(await host.ReadJsonAsync(unknown))!)["code"]);
        using var comment = await host.Client.PostAsync("inject/c1", null);
        Assert.Equal(HttpStatusCode.BadRequest, comment.StatusCode);
    }

    [Fact]
    public async Task Debug_disable_answers_201_and_enable_answers_200()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        var node = Assert.IsType<TestDebugNode>(host.Runtime.FindNode("d1"));
        using var disable = await host.Client.PostAsync("debug/d1/disable", null);
        Assert.Equal(HttpStatusCode.Created, disable.StatusCode);
        Assert.False(node.Active);
        using var enable = await host.Client.PostAsync("debug/d1/enable", null);
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.True(node.Active);
    }

    [Fact]
    public async Task Debug_toggle_of_many_nodes_takes_a_nodes_array()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        using var disable = await host.PostJsonAsync("debug/disable", """{"nodes":["d1","d2","gone"]}""");
        Assert.Equal(HttpStatusCode.Created, disable.StatusCode);
        Assert.False(Assert.IsType<TestDebugNode>(host.Runtime.FindNode("d1")).Active);
        Assert.False(Assert.IsType<TestDebugNode>(host.Runtime.FindNode("d2")).Active);
        using var enable = await host.PostJsonAsync("debug/enable", """{"nodes":["d2"]}""");
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.True(Assert.IsType<TestDebugNode>(host.Runtime.FindNode("d2")).Active);
        using var noArray = await host.PostJsonAsync("debug/enable", """{"nodes":"d1"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noArray.StatusCode);
    }

    [Fact]
    public async Task Debug_toggle_of_an_unknown_node_or_state_is_404()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        using var unknown = await host.Client.PostAsync("debug/nope/enable", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var state = await host.Client.PostAsync("debug/d1/toggle", null);
        Assert.Equal(HttpStatusCode.NotFound, state.StatusCode);
    }
}
