using System.Net;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>Start-up behaviour, GET /settings, health probes and the admin root.</summary>
public sealed class ServerTests
{
    [Fact]
    public async Task A_flow_file_that_is_not_json_starts_no_flows_and_is_left_unchanged()
    {
        const string broken = "[{\"id\":\"t1\",\"type\":\"tab\" oops";
        await using var host = await TestHost.StartAsync(flowFile: broken);
        Assert.Equal("[]", await (await host.GetAsync("flows")).Content.ReadAsStringAsync());
        var status = await host.GetObjectAsync("flows/status");
        Assert.Contains("not valid JSON", (string)status["loadError"]!, StringComparison.Ordinal);
        Assert.Equal(broken, await File.ReadAllTextAsync(host.FlowFile));
        Assert.Contains(host.Logs, l => l.StartsWith("[error]", StringComparison.Ordinal) && l.Contains("not valid JSON", StringComparison.Ordinal));
        using var health = await host.Client.GetAsync("/healthz");
        Assert.Equal("ok", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Saved_flows_that_fail_validation_stay_visible_and_deployable_but_do_not_run()
    {
        const string saved = """[{"id":"s1","type":"test strict","z":"t1","x":1,"y":1,"wires":[]},{"id":"t1","type":"tab"}]""";
        await using var host = await TestHost.StartAsync(flowFile: saved);
        Assert.Null(host.Runtime.FindNode("s1"));
        var v2 = await host.GetObjectAsync("flows", "v2");
        Assert.Equal(2, ((List<object?>)v2["flows"]!).Count);
        Assert.Equal("stop", (await host.GetObjectAsync("flows/state"))["state"]);
        using var notReady = await host.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);

        // A deploy against the shown rev fixes it.
        using var fix = await host.PostJsonAsync("flows", $$"""{"flows":{{saved.Replace("\"x\":1", "\"count\":1,\"x\":1", StringComparison.Ordinal)}},"rev":"{{v2["rev"]}}"}""", "v2");
        Assert.Equal(HttpStatusCode.OK, fix.StatusCode);
        Assert.NotNull(host.Runtime.FindNode("s1"));
        Assert.Equal("start", (await host.GetObjectAsync("flows/state"))["state"]);
    }

    [Fact]
    public async Task Safe_mode_loads_the_flows_without_starting_them_until_the_next_deploy()
    {
        await using var host = await TestHost.StartAsync(flowFile: FlowsApiTests.TwoNodes, args: ["--safe"]);
        Assert.Null(host.Runtime.FindNode("a"));
        Assert.Equal("safe", (await host.GetObjectAsync("flows/state"))["state"]);
        var flows = (List<object?>)(await host.ReadJsonAsync(await host.GetAsync("flows")))!;
        Assert.Equal(3, flows.Count);

        await host.DeployAsync(JsJson.Serialize(flows), "nodes");

        Assert.NotNull(host.Runtime.FindNode("a"));
        Assert.Equal("start", (await host.GetObjectAsync("flows/state"))["state"]);
        Assert.Equal("full", ((JsObject)(await host.GetObjectAsync("flows/status"))["lastDeploy"]!)["type"]);
    }

    [Fact]
    public async Task Seed_copies_the_flow_file_only_when_there_is_none()
    {
        var seed = Path.Combine(Path.GetTempPath(), $"flowengine-seed-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(seed, FlowsApiTests.TwoNodes);
        try
        {
            await using (var host = await TestHost.StartAsync(args: ["--seed", seed]))
            {
                Assert.NotNull(host.Runtime.FindNode("a"));
            }
            await using (var kept = await TestHost.StartAsync(flowFile: "[]", args: ["--seed", seed]))
            {
                Assert.Null(kept.Runtime.FindNode("a"));
            }
        }
        finally
        {
            File.Delete(seed);
        }
    }

    [Fact]
    public async Task Readyz_answers_200_once_the_flows_run_and_healthz_answers_ok()
    {
        await using var host = await TestHost.StartAsync();
        using var ready = await host.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var health = await host.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_settings_has_node_reds_shape()
    {
        await using var host = await TestHost.StartAsync(settings: """{"credentialSecret":"abc","editorTheme":{"page":{"title":"Plant"}},"functionTimeout":3}""");
        var settings = await host.GetObjectAsync("settings");
        Assert.Equal("/", settings["httpNodeRoot"]);
        Assert.Equal(Hosting.HostInfo.Version, settings["version"]);
        Assert.Equal("""{"default":"memory","stores":["memory","file"]}""", JsJson.Serialize(settings["context"]));
        Assert.Equal("user", settings["flowEncryptionType"]);
        Assert.Equal(true, settings["flowFilePretty"]);
        Assert.Equal(3.0, settings["functionTimeout"]);
        Assert.Equal("""{"enabled":false,"ui":false}""", JsJson.Serialize(settings["runtimeState"]));
        var theme = (JsObject)settings["editorTheme"]!;
        Assert.Equal("Plant", ((JsObject)theme["page"]!)["title"]);
        Assert.Equal(false, ((JsObject)theme["projects"]!)["enabled"]);
        Assert.Equal("{}", await (await host.GetAsync("auth/login")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_admin_api_lives_under_httpAdminRoot_and_probes_stay_at_the_root()
    {
        await using var host = await TestHost.StartAsync(args: ["-D", "httpAdminRoot=/admin"]);
        Assert.EndsWith("/admin/", host.Client.BaseAddress!.AbsolutePath, StringComparison.Ordinal);
        using var flows = await host.Client.GetAsync("/admin/flows");
        Assert.Equal(HttpStatusCode.OK, flows.StatusCode);
        using var rootFlows = await host.Client.GetAsync("/flows");
        Assert.Equal(HttpStatusCode.NotFound, rootFlows.StatusCode);
        Assert.Equal("not_found", ((JsObject)(await host.ReadJsonAsync(rootFlows))!)["code"]);
        using var health = await host.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task The_banner_names_version_settings_user_dir_flows_file_and_url()
    {
        await using var host = await TestHost.StartAsync();
        var logs = host.Logs.ToList();
        Assert.Contains(logs, l => l.Contains("Welcome to FlowEngine", StringComparison.Ordinal));
        Assert.Contains($"[info] FlowEngine version: v{Hosting.HostInfo.Version}", logs);
        Assert.Contains("[info] Settings file  : none (defaults)", logs);
        Assert.Contains($"[info] User directory : {host.UserDir}", logs);
        Assert.Contains($"[info] Flows file     : {host.FlowFile}", logs);
        Assert.Contains($"[info] Server now running at http://127.0.0.1:{host.Server.Port}/", logs);
        Assert.Contains("[info] Started flows", logs);
        Assert.DoesNotContain(logs, l => l.Contains("NO AUTHENTICATION", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_paths_answer_404_in_node_reds_error_shape()
    {
        await using var host = await TestHost.StartAsync();
        using var response = await host.Client.GetAsync("/no/such/thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"code":"not_found","message":"Cannot GET /no/such/thing"}""", await response.Content.ReadAsStringAsync());
        using var post = await host.Client.PostAsync("/no/such/thing", new StringContent("{}"));
        Assert.Equal("""{"code":"not_found","message":"Cannot POST /no/such/thing"}""", await post.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_browser_navigation_to_any_editor_path_gets_the_editor_page_and_the_fallback_does_not_take_it()
    {
        // The editor routes in the browser (/#flow/x, reloads of deep links): a navigation without a dot in its last
        // segment gets the page; the catch-all 404 must stay behind it.
        await using var host = await TestHost.StartAsync();
        foreach (var path in new[] { "/", "/some/deep/link", "/red" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("text/html");
            using var response = await host.Client.SendAsync(request);
            // 200 with the page, or 503 with a page saying how to build the editor when it is not built.
            Assert.NotEqual(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
