using System.Net;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>GET/POST /flows as Node-RED answers them (§1.1, §3, §4.1), and what reaches the disk.</summary>
public sealed class FlowsApiTests
{
    internal const string EmptyRevision = "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";

    internal const string TwoNodes = """
        [{"id":"t1","type":"tab","label":"Flow 1"},
         {"id":"a","type":"test strict","z":"t1","name":"A","count":1,"x":10,"y":10,"wires":[["b"]]},
         {"id":"b","type":"test strict","z":"t1","name":"B","count":2,"x":20,"y":10,"wires":[]}]
        """;

    [Fact]
    public async Task Get_flows_v1_is_the_plain_array_and_v2_wraps_it_with_the_rev()
    {
        await using var host = await TestHost.StartAsync();
        using var v1 = await host.GetAsync("flows");
        Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
        Assert.Equal("application/json; charset=utf-8", v1.Content.Headers.ContentType!.ToString());
        Assert.Equal("[]", await v1.Content.ReadAsStringAsync());

        var v2 = await host.GetObjectAsync("flows", "v2");
        Assert.Equal(new List<object?>(), v2["flows"]);
        Assert.Equal(EmptyRevision, v2["rev"]);
    }

    [Fact]
    public async Task Post_flows_v1_answers_204_and_the_flows_run()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", TwoNodes);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.NotNull(host.Runtime.FindNode("a"));
        var flows = Assert.IsType<List<object?>>(await host.ReadJsonAsync(await host.GetAsync("flows")));
        Assert.Equal(["t1", "a", "b"], flows.Cast<JsObject>().Select(n => n["id"]));
    }

    [Fact]
    public async Task Post_flows_v2_answers_the_new_rev_which_get_flows_then_reports()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", $$"""{"flows":{{TwoNodes}}}""", "v2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rev = (string)((JsObject)(await host.ReadJsonAsync(response))!)["rev"]!;
        Assert.Matches("^[0-9a-f]{64}$", rev);
        Assert.NotEqual(EmptyRevision, rev);
        Assert.Equal(rev, await host.RevisionAsync());
    }

    [Fact]
    public async Task Post_flows_v2_with_the_current_rev_is_accepted()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", $$"""{"flows":{{TwoNodes}},"rev":"{{EmptyRevision}}"}""", "v2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_flows_v2_with_a_stale_rev_is_refused_with_409_version_mismatch_and_nothing_changes()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var current = await host.RevisionAsync();
        using var response = await host.PostJsonAsync("flows", $$"""{"flows":[],"rev":"{{EmptyRevision}}"}""", "v2");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = (JsObject)(await host.ReadJsonAsync(response))!;
        Assert.Equal("version_mismatch", error["code"]);
        Assert.IsType<string>(error["message"]);
        Assert.Equal(current, await host.RevisionAsync());
        Assert.NotNull(host.Runtime.FindNode("a"));
    }

    [Fact]
    public async Task Another_api_version_is_refused_with_400_invalid_api_version()
    {
        await using var host = await TestHost.StartAsync();
        using var get = await host.GetAsync("flows", "v3");
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Equal("invalid_api_version", ((JsObject)(await host.ReadJsonAsync(get))!)["code"]);
        using var post = await host.PostJsonAsync("flows", "[]", "v9");
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal("invalid_api_version", ((JsObject)(await host.ReadJsonAsync(post))!)["code"]);
    }

    [Fact]
    public async Task Invalid_flows_are_refused_with_400_and_every_problem_while_running_flows_stay_unchanged()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var before = await host.RevisionAsync();
        var running = host.Runtime.FindNode("a");
        var fileBefore = await File.ReadAllTextAsync(host.FlowFile);

        using var response = await host.PostJsonAsync("flows", """
            [{"id":"t1","type":"tab","label":"Flow 1"},
             {"id":"a","type":"test strict","z":"t1","name":"A","x":10,"y":10,"wires":[]},
             {"id":"c","type":"test strict","z":"t1","name":"C","count":1,"mode":"bad","x":10,"y":10,"wires":[]}]
            """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (JsObject)(await host.ReadJsonAsync(response))!;
        Assert.Equal("invalid_flows", error["code"]);
        var problems = ((List<object?>)error["problems"]!).Cast<JsObject>().ToList();
        var missing = Assert.Single(problems, p => (string?)p["id"] == "a");
        Assert.Equal("A", missing["name"]);
        Assert.Equal("test strict", missing["type"]);
        Assert.Equal("count", missing["property"]);
        Assert.Equal("a value is required", missing["reason"]);
        Assert.Equal(before, await host.RevisionAsync());
        Assert.Same(running, host.Runtime.FindNode("a"));
        Assert.Null(host.Runtime.FindNode("c"));
        Assert.Equal(fileBefore, await File.ReadAllTextAsync(host.FlowFile));
    }

    [Fact]
    public async Task Constructor_refusals_are_reported_with_node_id_and_property()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", """
            [{"id":"c","type":"test strict","z":"t1","name":"C","count":1,"mode":"bad","x":10,"y":10,"wires":[]}]
            """);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (JsObject)Assert.Single((List<object?>)((JsObject)(await host.ReadJsonAsync(response))!)["problems"]!)!;
        Assert.Equal("c", problem["id"]);
        Assert.Equal("mode", problem["property"]);
        Assert.Equal("mode bad is refused by the constructor", problem["reason"]);
    }

    [Fact]
    public async Task Malformed_json_is_refused_with_400_and_the_line_and_column_of_the_error()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", "[\n  {\"id\": }\n]");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (JsObject)(await host.ReadJsonAsync(response))!;
        Assert.Equal("invalid_json", error["code"]);
        Assert.Equal(2.0, error["line"]);
        Assert.Equal(10.0, error["column"]);
        Assert.Contains("line 2, column 10", (string)error["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_an_array_is_refused_for_v1()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", """{"flows":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_flows", ((JsObject)(await host.ReadJsonAsync(response))!)["code"]);
    }

    [Fact]
    public async Task A_body_over_apiMaxLength_is_refused_with_413()
    {
        await using var host = await TestHost.StartAsync(args: ["-D", "apiMaxLength=1kb"]);
        var big = "[" + string.Join(",", Enumerable.Repeat("""{"id":"x","type":"comment"}""", 100)) + "]";
        using var response = await host.PostJsonAsync("flows", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", ((JsObject)(await host.ReadJsonAsync(response))!)["code"]);

        // Without a Content-Length (chunked), the limit holds while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "flows") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        Assert.Equal(EmptyRevision, await host.RevisionAsync());
    }

    [Fact]
    public async Task Nodes_deployment_restarts_only_the_changed_node()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var a = host.Runtime.FindNode("a");
        var b = host.Runtime.FindNode("b");

        await host.DeployAsync(TwoNodes.Replace("\"name\":\"B\"", "\"name\":\"B2\"", StringComparison.Ordinal), "nodes");

        Assert.Same(a, host.Runtime.FindNode("a"));
        Assert.NotSame(b, host.Runtime.FindNode("b"));
        var last = (JsObject)(await host.GetObjectAsync("flows/status"))["lastDeploy"]!;
        Assert.Equal("nodes", last["type"]);
        Assert.Equal(1.0, last["started"]);
        Assert.Equal(1.0, last["stopped"]);
    }

    [Fact]
    public async Task Flows_deployment_also_restarts_the_wired_neighbours()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var a = host.Runtime.FindNode("a");

        await host.DeployAsync(TwoNodes.Replace("\"name\":\"B\"", "\"name\":\"B2\"", StringComparison.Ordinal), "flows");

        Assert.NotSame(a, host.Runtime.FindNode("a"));
        Assert.Equal("flows", ((JsObject)(await host.GetObjectAsync("flows/status"))["lastDeploy"]!)["type"]);
    }

    [Fact]
    public async Task Full_deployment_is_the_default_and_restarts_everything()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var a = host.Runtime.FindNode("a");
        await host.DeployAsync(TwoNodes);
        Assert.NotSame(a, host.Runtime.FindNode("a"));
        Assert.Equal("full", ((JsObject)(await host.GetObjectAsync("flows/status"))["lastDeploy"]!)["type"]);
    }

    [Fact]
    public async Task Reload_deployment_ignores_the_body_and_restarts_from_the_flow_file()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var a = host.Runtime.FindNode("a");
        using var response = await host.PostJsonAsync("flows", "not even json", "v2", "reload");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await host.RevisionAsync(), ((JsObject)(await host.ReadJsonAsync(response))!)["rev"]);
        Assert.NotSame(a, host.Runtime.FindNode("a"));
    }

    [Fact]
    public async Task An_unknown_deployment_type_is_refused()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", "[]", deploymentType: "partial");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_deployment_type", ((JsObject)(await host.ReadJsonAsync(response))!)["code"]);
    }

    [Fact]
    public async Task Deployed_flows_are_written_pretty_and_the_previous_file_is_kept_as_backup()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync(TwoNodes);
        var first = await File.ReadAllTextAsync(host.FlowFile);
        Assert.StartsWith("[\n    {\n        \"id\": \"t1\",", first.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(host.UserDir, ".flows.json.backup")));

        await host.DeployAsync("""[{"id":"t2","type":"tab","label":"Other"}]""");

        Assert.Equal(first, await File.ReadAllTextAsync(Path.Combine(host.UserDir, ".flows.json.backup")));
        Assert.Contains("\"t2\"", await File.ReadAllTextAsync(host.FlowFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_posted_with_v2_are_stored_encrypted_and_shown_without_the_password()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows", """
            {"flows":[{"id":"k1","type":"test creds","credentials":{"user":"bob","password":"s3cret"}}]}
            """, "v2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var shown = await host.GetObjectAsync("credentials/test-creds/k1");
        Assert.Equal("""{"user":"bob","has_password":true}""", JsJson.Serialize(shown));
        Assert.Equal("{}", JsJson.Serialize(await host.GetObjectAsync("credentials/test-creds/nope")));
        var stored = await File.ReadAllTextAsync(Path.Combine(host.UserDir, "flows_cred.json"));
        Assert.DoesNotContain("s3cret", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", await File.ReadAllTextAsync(host.FlowFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flows_status_reports_state_revision_and_missing_types()
    {
        await using var host = await TestHost.StartAsync();
        await host.DeployAsync("""[{"id":"u1","type":"no such type","x":1,"y":1,"z":"t1","wires":[]},{"id":"t1","type":"tab"}]""");
        var status = await host.GetObjectAsync("flows/status");
        Assert.Equal("start", status["state"]);
        Assert.Equal(true, status["started"]);
        Assert.Equal(await host.RevisionAsync(), status["revision"]);
        Assert.Equal(new List<object?> { "no such type" }, status["missingTypes"]);
        Assert.Null(status["loadError"]);
        Assert.Equal("start", (await host.GetObjectAsync("flows/state"))["state"]);
    }

    [Fact]
    public async Task Flows_state_can_stop_and_start_the_flows_when_runtimeState_is_enabled()
    {
        await using var host = await TestHost.StartAsync(settings: """{"runtimeState":{"enabled":true}}""");
        await host.DeployAsync(TwoNodes);

        using var stop = await host.PostJsonAsync("flows/state", """{"state":"stop"}""");
        Assert.Equal("""{"state":"stop"}""", await stop.Content.ReadAsStringAsync());
        Assert.Null(host.Runtime.FindNode("a"));
        Assert.Equal(3, ((List<object?>)(await host.ReadJsonAsync(await host.GetAsync("flows")))!).Count);
        using var notReady = await host.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);

        using var start = await host.PostJsonAsync("flows/state", """{"state":"start"}""");
        Assert.Equal("""{"state":"start"}""", await start.Content.ReadAsStringAsync());
        Assert.NotNull(host.Runtime.FindNode("a"));

        using var invalid = await host.PostJsonAsync("flows/state", """{"state":"pause"}""");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("invalid_run_state", ((JsObject)(await host.ReadJsonAsync(invalid))!)["code"]);
    }

    [Fact]
    public async Task Flows_state_cannot_be_posted_unless_runtimeState_is_enabled()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.PostJsonAsync("flows/state", """{"state":"stop"}""");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
