using System.Net;
using System.Text.Json;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Host.Tests.Comms;

/// <summary>The live comms contract: a real SignalR client on &lt;httpAdminRoot&gt;comms.</summary>
public sealed class CommsHubTests
{
    internal const string InjectToDebug = """
        [{"id":"t1","type":"tab","label":"Flow 1"},
         {"id":"i1","type":"inject","z":"t1","props":[{"p":"payload"},{"p":"topic","vt":"str"}],"payload":"hello","payloadType":"str","topic":"greeting","repeat":"","once":false,"x":100,"y":40,"wires":[["d1"]]},
         {"id":"d1","type":"debug","z":"t1","name":"shown","active":true,"tosidebar":true,"tostatus":true,"complete":"payload","targetType":"msg","statusVal":"payload","statusType":"auto","x":300,"y":40,"wires":[]}]
        """;

    [Fact]
    public async Task A_client_receives_debug_output_in_node_reds_shape()
    {
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug);
        await using var client = await CommsClient.ConnectAsync(host);

        using var inject = await host.PostJsonAsync("inject/i1", "{}");
        var debug = await client.NextAsync("debug");

        Assert.Equal("d1", debug.GetProperty("id").GetString());
        Assert.Equal("t1", debug.GetProperty("z").GetString());
        Assert.Equal("shown", debug.GetProperty("name").GetString());
        Assert.Equal("greeting", debug.GetProperty("topic").GetString());
        Assert.Equal("payload", debug.GetProperty("property").GetString());
        Assert.Equal("hello", debug.GetProperty("msg").GetString());
        Assert.Equal("string[5]", debug.GetProperty("format").GetString());
    }

    [Fact]
    public async Task A_client_receives_node_status_and_subscribe_replays_the_retained_status()
    {
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug);
        await using var first = await CommsClient.ConnectAsync(host);
        using var inject = await host.PostJsonAsync("inject/i1", "{}");

        var status = await first.NextAsync("status/d1");
        Assert.Equal("hello", status.GetProperty("text").GetString());

        // A later editor learns the current status by subscribing, as Node-RED replays retained messages.
        await using var second = await CommsClient.ConnectAsync(host);
        await second.Connection.InvokeAsync("Subscribe", "status/#");
        var replayed = await second.NextAsync("status/d1");
        Assert.Equal("hello", replayed.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_deploy_is_announced_with_its_revision()
    {
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug);
        await using var client = await CommsClient.ConnectAsync(host);

        await host.DeployAsync(InjectToDebug.Replace("\"hello\"", "\"bye\"", StringComparison.Ordinal), "nodes");

        var deploy = await client.NextAsync("notification/runtime-deploy");
        Assert.Equal(host.Runtime.Revision, deploy.GetProperty("revision").GetString());
        var by = await client.NextAsync("notification/deploy-by");
        Assert.Equal("nodes", by.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, by.GetProperty("user").ValueKind);
    }

    [Fact]
    public async Task Debug_beyond_the_rate_limit_is_dropped_and_counted()
    {
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug, settings: """{"debugRateLimit":3}""");
        await using var client = await CommsClient.ConnectAsync(host);

        for (var i = 0; i < 10; i++)
        {
            using var inject = await host.PostJsonAsync("inject/i1", "{}");
        }
        var items = await client.CollectAsync(TimeSpan.FromMilliseconds(800));

        var debug = items.Count(i => i.GetProperty("topic").GetString() == "debug");
        var dropped = items.Where(i => i.GetProperty("topic").GetString() == "debug/dropped")
            .Sum(i => i.GetProperty("data").GetProperty("count").GetInt32());
        Assert.Equal(10, debug + dropped);
        Assert.InRange(debug, 3, 6); // 3 per second; the 10 requests may straddle a second boundary
        Assert.True(dropped >= 4);
    }

    [Fact]
    public async Task With_admin_auth_the_hub_refuses_a_client_without_a_token_and_accepts_one_with()
    {
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug, settings: AuthSettings.Json);

        await using var anonymous = CommsClient.Build(host, token: null);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        await using var bogus = CommsClient.Build(host, token: "not-a-token");
        await Assert.ThrowsAsync<HttpRequestException>(() => bogus.StartAsync());

        var token = await host.LoginAsync("vera", AuthSettings.Password);
        await using var client = await CommsClient.ConnectAsync(host, token);
        using var inject = await host.SendAsync(HttpMethod.Post, "inject/i1", token, "{}");
        Assert.Equal(HttpStatusCode.Unauthorized, inject.StatusCode); // a viewer cannot inject
        var admin = await host.LoginAsync("alice", AuthSettings.Password);
        using var injected = await host.SendAsync(HttpMethod.Post, "inject/i1", admin, "{}");
        Assert.Equal(HttpStatusCode.OK, injected.StatusCode);
        var debug = await client.NextAsync("debug");
        Assert.Equal("hello", debug.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task A_live_connection_is_closed_when_its_token_is_revoked()
    {
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug, settings: AuthSettings.Json);
        var token = await host.LoginAsync("vera", AuthSettings.Password);
        await using var client = await CommsClient.ConnectAsync(host, token);
        var closed = new TaskCompletionSource();
        client.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };

        using var revoke = await host.SendAsync(HttpMethod.Post, "auth/revoke", token, $$"""{"token":"{{token}}"}""");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HubConnectionState.Disconnected, client.Connection.State);
    }

    [Fact]
    public async Task A_live_connection_is_closed_when_its_token_expires()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync(flowFile: InjectToDebug, settings: AuthSettings.Settings(",\"sessionExpiryTime\":60"), clock: clock);
        var token = await host.LoginAsync("vera", AuthSettings.Password);
        await using var client = await CommsClient.ConnectAsync(host, token);
        var closed = new TaskCompletionSource();
        client.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };

        clock.Advance(TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);

        clock.Advance(TimeSpan.FromSeconds(31));
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
