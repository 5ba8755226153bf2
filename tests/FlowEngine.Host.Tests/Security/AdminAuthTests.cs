using FlowEngine.Core.Runtime;
using System.Net;
using FlowEngine.Core.Values;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Host.Tests.Security;

/// <summary>adminAuth: tokens, permissions and roles, expiry and revoke, TOTP, lockout, the audit trail.</summary>
public sealed class AdminAuthTests
{
    private const string OneTab = """[{"id":"t1","type":"tab","label":"Flow 1"},{"id":"i1","type":"inject","z":"t1","props":[{"p":"payload"}],"payload":"","payloadType":"date","repeat":"","once":false,"x":100,"y":40,"wires":[]}]""";

    [Fact]
    public async Task Every_admin_route_refuses_anonymous_access_when_admin_auth_is_set()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        var routes = host.Server.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<AdminRouteMetadata>() is not null || e.Metadata.GetMetadata<EndpointPermission>() is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Path: e.RoutePattern.RawText!)))
            .Distinct()
            .ToList();
        Assert.Contains(routes, r => r.Path == "/flows" && r.Method == "POST");
        Assert.Contains(routes, r => r.Path.StartsWith("/comms", StringComparison.Ordinal));
        var checkedRoutes = 0;
        foreach (var (method, pattern) in routes)
        {
            if (pattern is "/auth/login" or "/auth/token") continue;
            var path = string.Join('/', pattern.TrimStart('/').Split('/').Select(s => s.StartsWith('{') ? "i1" : s));
            using var response = await host.SendAsync(new HttpMethod(method), path, token: null, method is "GET" or "DELETE" ? null : "{}");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} answered {(int)response.StatusCode} without a token");
            checkedRoutes++;
        }
        Assert.True(checkedRoutes > 20, $"only {checkedRoutes} routes walked");
    }

    [Fact]
    public async Task Login_answers_node_reds_credentials_prompts_and_a_bearer_token()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        var login = await host.GetObjectAsync("auth/login");
        Assert.Equal("credentials", login["type"]);
        var prompts = ((List<object?>)login["prompts"]!).Cast<JsObject>().Select(p => (string)p["id"]!).ToList();
        Assert.Equal(["username", "password", "totp"], prompts);

        using var response = await host.Client.PostAsync("auth/token", TestHost.Json(
            $$"""{"client_id":"node-red-admin","grant_type":"password","scope":"*","username":"alice","password":"{{AuthSettings.Password}}"}"""));
        var token = (JsObject)(await host.ReadJsonAsync(response))!;
        Assert.Equal(604800.0, token["expires_in"]);
        Assert.Equal("Bearer", token["token_type"]);
        Assert.True(File.Exists(Path.Combine(host.UserDir, ".sessions.json")));

        using var settings = await host.SendAsync(HttpMethod.Get, "settings", (string)token["access_token"]!);
        var user = (JsObject)((JsObject)(await host.ReadJsonAsync(settings))!)["user"]!;
        Assert.Equal("""{"username":"alice","permissions":"*"}""", JsJson.Serialize(user));
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("nobody", AuthSettings.Password)]
    public async Task Bad_credentials_are_refused_with_invalid_grant(string user, string password)
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        using var response = await host.Client.PostAsync("auth/token", TestHost.Json(
            $$"""{"client_id":"node-red-editor","grant_type":"password","scope":"","username":"{{user}}","password":"{{password}}"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("invalid_grant", ((JsObject)(await host.ReadJsonAsync(response))!)["error"]);
    }

    [Fact]
    public async Task A_read_user_asking_for_scope_star_is_refused()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        using var response = await host.Client.PostAsync("auth/token", TestHost.Json(
            $$"""{"client_id":"node-red-editor","grant_type":"password","scope":"*","username":"rita","password":"{{AuthSettings.Password}}"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Each_role_gets_exactly_its_rights()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        var admin = await host.LoginAsync("alice", AuthSettings.Password);
        var operatorToken = await host.LoginAsync("otto", AuthSettings.Password);
        var viewer = await host.LoginAsync("vera", AuthSettings.Password);

        async Task<HttpStatusCode> Status(HttpMethod method, string path, string token, string? body = null)
        {
            using var response = await host.SendAsync(method, path, token, body);
            return response.StatusCode;
        }

        foreach (var token in new[] { admin, operatorToken, viewer })
        {
            Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Get, "flows", token));
            Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Get, "settings", token));
        }
        // Deploy: admin only.
        Assert.Equal(HttpStatusCode.NoContent, await Status(HttpMethod.Post, "flows", admin, OneTab));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(HttpMethod.Post, "flows", operatorToken, OneTab));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(HttpMethod.Post, "flows", viewer, OneTab));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(HttpMethod.Delete, "flow/t1", operatorToken));
        // Inject: admin and operator.
        Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Post, "inject/i1", admin, "{}"));
        Assert.Equal(HttpStatusCode.OK, await Status(HttpMethod.Post, "inject/i1", operatorToken, "{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(HttpMethod.Post, "inject/i1", viewer, "{}"));
    }

    [Fact]
    public async Task Role_permissions_follow_node_reds_rules()
    {
        Assert.True(Permissions.Has(["read"], "flows.read"));
        Assert.False(Permissions.Has(["read"], "flows.write"));
        Assert.True(Permissions.Has(["*"], "flows.write"));
        Assert.True(Permissions.Has(["flows.read", "inject.write"], "inject.write"));
        Assert.False(Permissions.Has(["flows.write"], "flows.read"));
        Assert.True(Permissions.Has(Permissions.ForRole("operator")!, "alarms.write"));
        Assert.False(Permissions.Has(Permissions.ForRole("operator")!, "flows.write"));
        Assert.False(Permissions.Has(Permissions.ForRole("viewer")!, "inject.write"));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Default_permissions_let_anonymous_callers_read_but_not_write()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Settings(",\"default\":{\"permissions\":\"read\"}"));
        using var read = await host.SendAsync(HttpMethod.Get, "flows", token: null);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var write = await host.SendAsync(HttpMethod.Post, "flows", token: null, OneTab);
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
    }

    [Fact]
    public async Task A_revoked_token_stops_working()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        var token = await host.LoginAsync("alice", AuthSettings.Password);
        using var revoke = await host.SendAsync(HttpMethod.Post, "auth/revoke", token, $$"""{"token":"{{token}}"}""");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var after = await host.SendAsync(HttpMethod.Get, "flows", token);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_token_expires_after_session_expiry_time()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Settings(",\"sessionExpiryTime\":60"), clock: clock);
        var token = await host.LoginAsync("alice", AuthSettings.Password);
        using var before = await host.SendAsync(HttpMethod.Get, "flows", token);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        clock.Advance(TimeSpan.FromSeconds(61));

        using var after = await host.SendAsync(HttpMethod.Get, "flows", token);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_user_with_totp_needs_a_current_code()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        async Task<HttpStatusCode> Login(string? totp)
        {
            var body = new JsObject { ["grant_type"] = "password", ["username"] = "tom", ["password"] = AuthSettings.Password };
            if (totp is not null) body["totp"] = totp;
            using var response = await host.Client.PostAsync("auth/token", TestHost.Json(JsJson.Serialize(body)));
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await Login(null));
        var code = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(AuthSettings.TotpSecret)).ComputeTotp();
        var wrong = ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 500000) % 1000000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.Forbidden, await Login(wrong));
        Assert.Equal(HttpStatusCode.OK, await Login(code));
    }

    [Fact]
    public async Task Five_failed_logins_lock_the_user_even_with_the_right_password()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        host.Server.Admin.Auth!.FailureDelay = TimeSpan.Zero;
        for (var i = 0; i < 5; i++)
        {
            using var failed = await host.Client.PostAsync("auth/token", TestHost.Json("""{"grant_type":"password","username":"alice","password":"nope"}"""));
            Assert.Equal(HttpStatusCode.Forbidden, failed.StatusCode);
        }
        using var locked = await host.Client.PostAsync("auth/token", TestHost.Json($$"""{"grant_type":"password","username":"alice","password":"{{AuthSettings.Password}}"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, locked.StatusCode);
        // Other users are not affected.
        await host.LoginAsync("vera", AuthSettings.Password);
    }

    [Fact]
    public async Task Logins_and_deploys_appear_in_the_audit_trail_newest_first()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: AuthSettings.Json);
        using var failed = await host.Client.PostAsync("auth/token", TestHost.Json("""{"grant_type":"password","username":"alice","password":"nope"}"""));
        var token = await host.LoginAsync("alice", AuthSettings.Password);
        using var deploy = await host.SendAsync(HttpMethod.Post, "flows", token, OneTab);
        Assert.Equal(HttpStatusCode.NoContent, deploy.StatusCode);

        using var response = await host.SendAsync(HttpMethod.Get, "audit?page=1&pageSize=2", token);
        var page = (JsObject)(await host.ReadJsonAsync(response))!;
        Assert.Equal(3.0, page["total"]);
        var entries = ((List<object?>)page["entries"]!).Cast<JsObject>().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal("flows.deploy", entries[0]["action"]);
        Assert.Equal("alice", entries[0]["user"]);
        Assert.Equal("full", entries[0]["type"]);
        Assert.Contains("i1", (List<object?>)entries[0]["nodes"]!);
        Assert.Equal("auth.login", entries[1]["action"]);
        Assert.Equal("success", entries[1]["result"]);

        using var second = await host.SendAsync(HttpMethod.Get, "audit?page=2&pageSize=2", token);
        var last = ((List<object?>)((JsObject)(await host.ReadJsonAsync(second))!)["entries"]!).Cast<JsObject>().Single();
        Assert.Equal("failure", last["result"]);
        Assert.Equal("wrong password", last["reason"]);
    }
}
