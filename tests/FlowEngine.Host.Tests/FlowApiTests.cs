using System.Net;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>The single-flow API: GET /flow/:id, POST /flow, PUT /flow/:id, DELETE /flow/:id (§4.1).</summary>
public sealed class FlowApiTests
{
    private const string Config = """
        [{"id":"t1","type":"tab","label":"Flow 1","disabled":false,"info":"notes","env":[{"name":"A","type":"str","value":"1"}]},
         {"id":"t2","type":"tab","label":"Flow 2"},
         {"id":"sf1","type":"subflow","name":"Sub","in":[],"out":[]},
         {"id":"sfn","type":"comment","z":"sf1","x":1,"y":1,"wires":[]},
         {"id":"g1","type":"group","z":"t1","nodes":["n1"],"x":0,"y":0,"w":100,"h":100},
         {"id":"n1","type":"comment","z":"t1","g":"g1","name":"one","x":10,"y":10,"wires":[]},
         {"id":"lo","type":"link out","z":"t1","links":[],"x":30,"y":10,"wires":[]},
         {"id":"cfg1","type":"test creds","z":"t1"},
         {"id":"gc","type":"test creds"},
         {"id":"n2","type":"comment","z":"t2","x":10,"y":10,"wires":[]}]
        """;

    [Fact]
    public async Task Get_flow_gives_the_tab_with_its_nodes_and_configs_in_node_reds_shape()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        var flow = await host.GetObjectAsync("flow/t1");
        Assert.Equal("t1", flow["id"]);
        Assert.Equal("Flow 1", flow["label"]);
        Assert.Equal(false, flow["disabled"]);
        Assert.Equal("notes", flow["info"]);
        Assert.IsType<List<object?>>(flow["env"]);
        var nodes = ((List<object?>)flow["nodes"]!).Cast<JsObject>().ToList();
        Assert.Equal(["g1", "n1", "lo"], nodes.Select(n => n["id"]));
        Assert.False(nodes.Single(n => (string?)n["id"] == "lo").ContainsKey("wires"));
        Assert.Equal(["cfg1"], ((List<object?>)flow["configs"]!).Cast<JsObject>().Select(n => n["id"]));
    }

    [Fact]
    public async Task Get_flow_global_gives_global_configs_and_subflows_with_their_nodes()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        var global = await host.GetObjectAsync("flow/global");
        Assert.Equal("global", global["id"]);
        Assert.Equal(["gc"], ((List<object?>)global["configs"]!).Cast<JsObject>().Select(n => n["id"]));
        var subflow = (JsObject)Assert.Single((List<object?>)global["subflows"]!)!;
        Assert.Equal("sf1", subflow["id"]);
        Assert.Equal(["sfn"], ((List<object?>)subflow["nodes"]!).Cast<JsObject>().Select(n => n["id"]));
        Assert.False(global.ContainsKey("nodes"));
    }

    [Fact]
    public async Task Get_flow_of_an_unknown_id_is_404_not_found()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        using var response = await host.GetAsync("flow/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", ((JsObject)(await host.ReadJsonAsync(response))!)["code"]);
        using var node = await host.GetAsync("flow/n1");
        Assert.Equal(HttpStatusCode.NotFound, node.StatusCode);
    }

    [Fact]
    public async Task Post_flow_adds_a_tab_with_a_new_id_and_sets_z_on_its_nodes()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        using var response = await host.PostJsonAsync("flow", """
            {"label":"Added","info":"new","nodes":[{"id":"a1","type":"comment","x":1,"y":2,"wires":[]}],"configs":[{"id":"ac","type":"test creds"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (string)((JsObject)(await host.ReadJsonAsync(response))!)["id"]!;
        Assert.Matches("^[0-9a-f]{16}$", id);

        var flow = await host.GetObjectAsync($"flow/{id}");
        Assert.Equal("Added", flow["label"]);
        Assert.Equal("new", flow["info"]);
        var node = (JsObject)Assert.Single((List<object?>)flow["nodes"]!)!;
        Assert.Equal(id, node["z"]);
        Assert.Equal(id, ((JsObject)Assert.Single((List<object?>)flow["configs"]!)!)["z"]);
        Assert.NotNull(host.Runtime.FindNode("a1"));
        Assert.NotNull(host.Runtime.FindNode("n1"));
    }

    [Fact]
    public async Task Post_flow_refuses_duplicate_ids_and_a_missing_nodes_property()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        var before = await host.RevisionAsync();
        using var duplicate = await host.PostJsonAsync("flow", """{"label":"X","nodes":[{"id":"n1","type":"comment","x":1,"y":2,"wires":[]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("duplicate id", (string)((JsObject)(await host.ReadJsonAsync(duplicate))!)["message"]!, StringComparison.Ordinal);
        using var missing = await host.PostJsonAsync("flow", """{"label":"X"}""");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(before, await host.RevisionAsync());
    }

    [Fact]
    public async Task Put_flow_replaces_the_tabs_nodes_and_keeps_other_tabs_running()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        var other = host.Runtime.FindNode("n2");
        using var response = await host.Client.PutAsync("flow/t1", TestHost.Json("""
            {"label":"Renamed","nodes":[{"id":"r1","type":"comment","x":5,"y":5,"wires":[]}]}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":"t1"}""", await response.Content.ReadAsStringAsync());

        var flow = await host.GetObjectAsync("flow/t1");
        Assert.Equal("Renamed", flow["label"]);
        Assert.Equal(["r1"], ((List<object?>)flow["nodes"]!).Cast<JsObject>().Select(n => n["id"]));
        Assert.Null(host.Runtime.FindNode("n1"));
        Assert.Same(other, host.Runtime.FindNode("n2"));
    }

    [Fact]
    public async Task Put_flow_of_an_unknown_tab_is_404()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        using var response = await host.Client.PutAsync("flow/nope", TestHost.Json("""{"label":"X","nodes":[]}"""));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Delete_flow_removes_the_tab_and_its_nodes_with_204_and_refuses_global()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        using var response = await host.Client.DeleteAsync("flow/t2");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(host.Runtime.FindNode("n2"));
        var ids = ((List<object?>)(await host.ReadJsonAsync(await host.GetAsync("flows")))!).Cast<JsObject>().Select(n => (string)n["id"]!).ToList();
        Assert.DoesNotContain("t2", ids);
        Assert.Contains("t1", ids);

        using var again = await host.Client.DeleteAsync("flow/t2");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var global = await host.Client.DeleteAsync("flow/global");
        Assert.Equal(HttpStatusCode.BadRequest, global.StatusCode);
    }

    [Fact]
    public async Task Put_flow_global_replaces_global_configs_and_subflows_and_keeps_the_tabs()
    {
        await using var host = await TestHost.StartAsync(flowFile: Config);
        using var response = await host.Client.PutAsync("flow/global", TestHost.Json("""
            {"configs":[{"id":"gc2","type":"test creds"}],
             "subflows":[{"id":"sf2","type":"subflow","name":"New","in":[],"out":[],"nodes":[{"id":"sf2n","type":"comment","z":"sf2","x":1,"y":1,"wires":[]}]}]}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var ids = ((List<object?>)(await host.ReadJsonAsync(await host.GetAsync("flows")))!).Cast<JsObject>().Select(n => (string)n["id"]!).ToList();
        Assert.Equal(["t1", "t2", "g1", "n1", "lo", "cfg1", "n2", "gc2", "sf2n", "sf2"], ids);
        var global = await host.GetObjectAsync("flow/global");
        Assert.Equal("New", ((JsObject)Assert.Single((List<object?>)global["subflows"]!)!)["name"]);
    }
}
