using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FlowEngine.Core.Runtime;
using FlowEngine.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.OpcUa.Tests.ServerFlows;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>
/// GET opcua/browse (the editor's tag picker) against our own opcua-server in the same flow: an opcua server out
/// publishes Line1/Oven/..., the opcua-endpoint "ep" points at it, and the endpoint browses through ep's session.
/// </summary>
public sealed class BrowseEndpointTests : IAsyncLifetime
{
    private readonly string _userDir = Directory.CreateTempSubdirectory("flowengine-opcua-browse-").FullName;
    private readonly int _port = FreePort();
    private TestFlow _flow = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        // "down" points at a port nothing listens on, with short timeouts so the failure comes quickly.
        var downPort = FreePort();
        _flow = await StartAsync(Server(_port) + "," + ServerNodes() + "," +
            OpcUaFlows.Endpoint(Url(_port)) + "," +
            $$"""{"id":"down","type":"opcua-endpoint","endpoint":"opc.tcp://127.0.0.1:{{downPort}}/UA/Test","connectTimeout":500,"requestTimeout":1000}""", _userDir);
        await PublishAsync(_flow, ("Line1/Oven/Temperature", "21.5"), ("Line1/Oven/Door", "true"), ("Line1/Press/Count", "7"), ("Line1/Oven/Recipe", "\"bread\""));
        _app = await StartWebAsync("/");
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _flow.DisposeAsync();
        try
        {
            Directory.Delete(_userDir, recursive: true);
        }
        catch (IOException)
        {
            // A certificate file still held by the closing server: the temp folder is cleaned up later.
        }
    }

    private async Task<WebApplication> StartWebAsync(string? adminRoot)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        OpcUaNodes.MapEndpoints(app, _flow.Runtime, adminRoot);
        await app.StartAsync();
        return app;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string query, HttpClient? http = null)
    {
        using var response = await (http ?? _http).GetAsync("/opcua/browse" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static JsonElement Child(JsonElement body, string displayName) =>
        body.GetProperty("children").EnumerateArray().Single(c => c.GetProperty("displayName").GetString() == displayName);

    [Fact]
    public async Task Objects_Line1_Oven_expand_to_variables_with_type_value_and_status()
    {
        var (status, objects) = await GetAsync("?endpoint=ep");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("i=85", objects.GetProperty("nodeId").GetString());
        Assert.False(objects.GetProperty("truncated").GetBoolean());
        var server = Child(objects, "Server");
        Assert.Equal("i=2253", server.GetProperty("nodeId").GetString());
        Assert.Equal("Object", server.GetProperty("nodeClass").GetString());
        Assert.True(server.GetProperty("hasChildren").GetBoolean());
        var line1 = Child(objects, "Line1");
        Assert.Equal("ns=1;s=Line1", line1.GetProperty("nodeId").GetString());
        Assert.Equal("1:Line1", line1.GetProperty("browseName").GetString());
        Assert.True(line1.GetProperty("hasChildren").GetBoolean());

        var (_, line) = await GetAsync("?endpoint=ep&nodeId=" + Uri.EscapeDataString("ns=1;s=Line1"));
        Assert.Equal(["Oven", "Press"], line.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("displayName").GetString()!).Order().ToArray());
        var oven = Child(line, "Oven");
        Assert.True(oven.GetProperty("hasChildren").GetBoolean());

        var (_, variables) = await GetAsync("?endpoint=ep&nodeId=" + Uri.EscapeDataString(oven.GetProperty("nodeId").GetString()!));
        var temperature = Child(variables, "Temperature");
        Assert.Equal("ns=1;s=Line1/Oven/Temperature", temperature.GetProperty("nodeId").GetString());
        Assert.Equal("Variable", temperature.GetProperty("nodeClass").GetString());
        Assert.Equal("Double", temperature.GetProperty("dataType").GetString());
        Assert.Equal(21.5, temperature.GetProperty("value").GetDouble());
        Assert.Equal("Good", temperature.GetProperty("statusCode").GetString());
        Assert.True(temperature.GetProperty("writable").GetBoolean());
        Assert.False(temperature.GetProperty("hasChildren").GetBoolean());
        Assert.Equal(JsonValueKind.String, temperature.GetProperty("sourceTimestamp").ValueKind);
        var door = Child(variables, "Door");
        Assert.Equal("Boolean", door.GetProperty("dataType").GetString());
        Assert.True(door.GetProperty("value").GetBoolean());
        Assert.Equal("bread", Child(variables, "Recipe").GetProperty("value").GetString());

        // The value is read now, not remembered from the first browse.
        await PublishAsync(_flow, ("Line1/Oven/Temperature", "22.25"));
        var (_, again) = await GetAsync("?endpoint=ep&nodeId=" + Uri.EscapeDataString("nsu=urn:flowengine:test;s=Line1/Oven"));
        Assert.Equal(22.25, Child(again, "Temperature").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Server_variables_of_namespace_0_carry_their_data_type_names()
    {
        var (status, serverStatus) = await GetAsync("?endpoint=ep&nodeId=i=2256");
        Assert.Equal(HttpStatusCode.OK, status);
        var state = Child(serverStatus, "State");
        Assert.Equal("ServerState", state.GetProperty("dataType").GetString());
        Assert.Equal(0, state.GetProperty("value").GetDouble());
        Assert.Equal("UtcTime", Child(serverStatus, "CurrentTime").GetProperty("dataType").GetString());
        var buildInfo = Child(serverStatus, "BuildInfo");
        Assert.Equal("BuildInfo", buildInfo.GetProperty("dataType").GetString());
        Assert.True(buildInfo.GetProperty("structure").GetBoolean());
        Assert.Equal(JsonValueKind.Null, buildInfo.GetProperty("value").ValueKind);
        Assert.True(buildInfo.GetProperty("hasChildren").GetBoolean());
        var (_, server) = await GetAsync("?endpoint=ep&nodeId=i=2253");
        Assert.Equal("String[]", Child(server, "NamespaceArray").GetProperty("dataType").GetString());
        Assert.Contains("urn:flowengine:test", Child(server, "NamespaceArray").GetProperty("value").EnumerateArray().Select(v => v.GetString()));
    }

    [Theory]
    [InlineData("", HttpStatusCode.BadRequest, "invalid_request", "endpoint")]
    [InlineData("?endpoint=nope", HttpStatusCode.NotFound, "not_deployed", "deploy the endpoint first")]
    [InlineData("?endpoint=out", HttpStatusCode.BadRequest, "invalid_request", "not an opcua-endpoint")]
    [InlineData("?endpoint=ep&nodeId=ns%3Dx%3Bs%3DA", HttpStatusCode.BadRequest, "bad_node_id", "nodeId")]
    [InlineData("?endpoint=ep&nodeId=ns%3D1%3Bs%3DLine9%2FNothing", HttpStatusCode.NotFound, "bad_node_id", "BadNodeIdUnknown")]
    [InlineData("?endpoint=ep&nodeId=nsu%3Durn%3Anobody%3Bs%3DA", HttpStatusCode.NotFound, "bad_node_id", "urn:nobody")]
    public async Task Bad_requests_get_a_clear_json_error(string query, HttpStatusCode expected, string code, string text)
    {
        var (status, body) = await GetAsync(query);
        Assert.Equal(expected, status);
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Contains(text, body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_endpoint_whose_server_is_down_answers_503_within_its_timeouts()
    {
        var watch = Stopwatch.StartNew();
        var (status, body) = await GetAsync("?endpoint=down");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not_connected", body.GetProperty("code").GetString());
        Assert.Contains("127.0.0.1", body.GetProperty("message").GetString());
        // Bounded by the endpoint's connect + request timeouts (1.5 s), not by the HTTP client: generous for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), watch.Elapsed.ToString());
    }

    [Fact]
    public async Task A_stopped_server_answers_503_and_browsing_works_again_after_it_is_back()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("?endpoint=ep")).Status);
        // Redeploy without the opcua-server: ep's session breaks and cannot reconnect.
        await _flow.DeployAsync($$"""
            [{"id":"t1","type":"tab","label":"OPC UA server"},
             {{OpcUaFlows.Endpoint(Url(_port), ""","connectTimeout":500,"requestTimeout":1000""")}}]
            """);
        var (status, body) = await GetAsync("?endpoint=ep");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not_connected", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_endpoint_needs_flows_read_and_follows_the_admin_root()
    {
        var browse = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Single();
        Assert.Equal("/opcua/browse", browse.RoutePattern.RawText);
        Assert.Equal("flows.read", browse.Metadata.GetMetadata<EndpointPermission>()?.Permission);

        await using var admin = await StartWebAsync("/admin/");
        using var http = new HttpClient { BaseAddress = new Uri(admin.Urls.First()) };
        using var response = await http.GetAsync("/admin/opcua/browse?endpoint=ep");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/opcua/browse?endpoint=ep")).StatusCode);
        await admin.StopAsync();

        await using var off = await StartWebAsync(null);
        Assert.Empty(off.Services.GetRequiredService<EndpointDataSource>().Endpoints);
        await off.StopAsync();
    }
}
