using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Network;

public sealed class HttpRequestNodeTests
{
    private static Task<TestFlow> Request(string properties, bool fakeClock = false) =>
        StartAsync($$""" "type":"http request",{{properties}} """, fakeClock: fakeClock);

    [Fact]
    public async Task Get_returns_text_status_lower_case_headers_and_response_url()
    {
        await using var server = LoopbackHttpServer.Text("hello", 201);
        await using var flow = await Request($$""" "method":"GET","url":"{{server.Url}}/a?b=1","ret":"txt" """);
        flow.Send("n", """{"payload":"ignored"}""");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("hello", msg["payload"]);
        Assert.Equal(201.0, msg["statusCode"]);
        var headers = Assert.IsType<JsObject>(msg["headers"]);
        Assert.Equal("text/plain", headers["content-type"]);
        Assert.True(headers.ContainsKey("x-node-red-request-node"));
        Assert.Equal($"{server.Url}/a?b=1", msg["responseUrl"]);
        var seen = Assert.Single(server.Requests);
        Assert.Equal("GET", seen.Method);
        Assert.Empty(seen.Body);
    }

    [Fact]
    public async Task Ret_obj_parses_json_and_ret_bin_gives_a_buffer()
    {
        await using var server = LoopbackHttpServer.Text("""{"a":[1,2]}""", contentType: "application/json");
        await using var flow = await TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"o","type":"http request","z":"t1","x":1,"y":1,"method":"GET","url":"{{server.Url}}","ret":"obj","wires":[["h0"]]},
             {"id":"b","type":"http request","z":"t1","x":1,"y":1,"method":"GET","url":"{{server.Url}}","ret":"bin","wires":[["h1"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h1","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """);
        flow.Send("o", "{}");
        flow.Send("b", "{}");
        Assert.Equal("""{"a":[1,2]}""", ToJson((await flow.NextAsync("h0"))["payload"]));
        Assert.Equal("""{"a":[1,2]}""", Encoding.UTF8.GetString(Assert.IsType<byte[]>((await flow.NextAsync("h1"))["payload"])));
    }

    [Fact]
    public async Task Ret_obj_with_a_body_that_is_not_json_keeps_the_text_and_warns()
    {
        await using var server = LoopbackHttpServer.Text("not json");
        await using var flow = await Request($$""" "method":"GET","url":"{{server.Url}}","ret":"obj" """);
        flow.Send("n", "{}");
        Assert.Equal("not json", (await flow.NextAsync("h0"))["payload"]);
        Assert.Equal("JSON parse error", (await flow.LogAsync(LogLevel.Warning)).Message);
    }

    [Fact]
    public async Task Post_sends_an_object_payload_as_json()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request($$""" "method":"POST","url":"{{server.Url}}/p" """);
        flow.Send("n", """{"payload":{"x":1,"y":"z"}}""");
        await flow.NextAsync("h0");
        var seen = Assert.Single(server.Requests);
        Assert.Equal("POST", seen.Method);
        Assert.Equal("""{"x":1,"y":"z"}""", seen.BodyText);
        Assert.StartsWith("application/json", seen.Headers["Content-Type"]);
    }

    [Fact]
    public async Task Post_with_a_form_content_type_urlencodes_an_object_payload()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request($$""" "method":"POST","url":"{{server.Url}}" """);
        flow.Send("n", """{"payload":{"a":"1 2","b":"&"},"headers":{"content-type":"application/x-www-form-urlencoded"}}""");
        await flow.NextAsync("h0");
        Assert.Equal("a=1%202&b=%26", Assert.Single(server.Requests).BodyText);
    }

    [Fact]
    public async Task Url_mustache_tags_are_filled_from_the_message()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request(""" "method":"GET","url":"URL/items/{{{topic}}}?q={{payload.q}}" """.Replace("URL", server.Url, StringComparison.Ordinal));
        flow.Send("n", """{"topic":"42","payload":{"q":"x"}}""");
        await flow.NextAsync("h0");
        Assert.Equal("/items/42?q=x", Assert.Single(server.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Empty_url_uses_msg_url_and_method_use_takes_msg_method()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request(""" "method":"use","url":"" """);
        flow.Send("n", new JsObject { ["url"] = server.Url + "/m", ["method"] = "put", ["payload"] = "body" });
        await flow.NextAsync("h0");
        var seen = Assert.Single(server.Requests);
        Assert.Equal("PUT", seen.Method);
        Assert.Equal("/m", seen.PathAndQuery);
        Assert.Equal("body", seen.BodyText);
    }

    [Fact]
    public async Task No_url_reports_an_error_without_sending()
    {
        await using var flow = await Request(""" "method":"GET","url":"" """);
        flow.Send("n", """{"payload":1}""");
        var error = await flow.NextAsync("err");
        Assert.Equal("No url specified", ((JsObject)error["error"]!)["message"]);
        Assert.True(await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Header_list_entries_and_msg_headers_are_sent()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request($$"""
            "method":"GET","url":"{{server.Url}}",
            "headers":[{"keyType":"other","keyValue":"X-Fixed","valueType":"other","valueValue":"v1"},
                       {"keyType":"msg","keyValue":"hname","valueType":"msg","valueValue":"payload.v"},
                       {"keyType":"Accept","keyValue":"","valueType":"application/json","valueValue":""}]
            """);
        flow.Send("n", """{"hname":"X-From-Msg","payload":{"v":"v2"},"headers":{"X-Old":"o","x-node-red-request-node":"zz"}}""");
        await flow.NextAsync("h0");
        var seen = Assert.Single(server.Requests);
        Assert.Equal("v1", seen.Headers["X-Fixed"]);
        Assert.Equal("v2", seen.Headers["X-From-Msg"]);
        Assert.Equal("application/json", seen.Headers["Accept"]);
        Assert.Equal("o", seen.Headers["X-Old"]);
        Assert.False(seen.Headers.ContainsKey("x-node-red-request-node"));
    }

    [Fact]
    public async Task Basic_and_bearer_auth_use_the_credentials()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"b","type":"http request","z":"t1","x":1,"y":1,"method":"GET","url":"{{server.Url}}/basic","authType":"basic","credentials":{"user":"ann","password":"pw"},"wires":[["h0"]]},
             {"id":"t","type":"http request","z":"t1","x":1,"y":1,"method":"GET","url":"{{server.Url}}/bearer","authType":"bearer","credentials":{"password":"tok"},"wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """);
        flow.Send("b", "{}");
        await flow.NextAsync("h0");
        flow.Send("t", "{}");
        await flow.NextAsync("h0");
        var seen = server.Requests.ToDictionary(r => r.PathAndQuery);
        Assert.Equal("Basic " + Convert.ToBase64String("ann:pw"u8.ToArray()), seen["/basic"].Headers["Authorization"]);
        Assert.Equal("Bearer tok", seen["/bearer"].Headers["Authorization"]);
    }

    [Fact]
    public async Task Paytoqs_query_appends_an_object_payload_to_a_get()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request($$""" "method":"GET","url":"{{server.Url}}/s?x=0","paytoqs":"query" """);
        flow.Send("n", """{"payload":{"a":"b c","n":[1,2]}}""");
        await flow.NextAsync("h0");
        Assert.Equal("/s?x=0&a=b%20c&n=1&n=2", Assert.Single(server.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Redirects_are_followed_and_listed_unless_switched_off()
    {
        await using var server = new LoopbackHttpServer(async context =>
        {
            if (context.Request.Url!.AbsolutePath == "/old")
            {
                context.Response.StatusCode = 302;
                context.Response.RedirectLocation = "/new";
                context.Response.Close();
                return;
            }
            var bytes = "arrived"u8.ToArray();
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        });
        await using var flow = await Request($$""" "method":"GET","url":"{{server.Url}}/old" """);
        flow.Send("n", "{}");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("arrived", msg["payload"]);
        Assert.Equal($"{server.Url}/new", msg["responseUrl"]);
        var redirect = Assert.IsType<JsObject>(Assert.Single(Assert.IsType<List<object?>>(msg["redirectList"])));
        Assert.Equal($"{server.Url}/new", redirect["location"]);

        flow.Send("n", """{"followRedirects":false}""");
        var stopped = await flow.NextAsync("h0");
        Assert.Equal(302.0, stopped["statusCode"]);
    }

    [Fact]
    public async Task Cookies_are_sent_and_response_cookies_parsed()
    {
        await using var server = new LoopbackHttpServer(context =>
        {
            context.Response.AppendHeader("Set-Cookie", "sid=abc; Path=/; HttpOnly");
            context.Response.Close();
            return Task.CompletedTask;
        });
        await using var flow = await Request($$""" "method":"GET","url":"{{server.Url}}" """);
        flow.Send("n", """{"cookies":{"a":"1","b":{"value":"2"}}}""");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("a=1; b=2", Assert.Single(server.Requests).Headers["Cookie"]);
        Assert.Equal("""{"sid":{"value":"abc","Path":"/","HttpOnly":true}}""", ToJson(msg["responseCookies"]));
    }

    [Fact]
    public async Task A_refused_connection_goes_to_catch_and_is_sent_with_the_error_text()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await Request($$""" "method":"GET","url":"http://127.0.0.1:{{port}}/x" """);
        flow.Send("n", """{"payload":"p"}""");
        var caught = await flow.NextAsync("err");
        Assert.StartsWith("RequestError:", (string)((JsObject)caught["error"]!)["message"]!);
        var sent = await flow.NextAsync("h0");
        Assert.EndsWith($" : http://127.0.0.1:{port}/x", (string)sent["payload"]!);
        Assert.Equal("ECONNREFUSED", sent["statusCode"]);
        await flow.StatusAsync("n", "ECONNREFUSED");
    }

    [Fact]
    public async Task Senderr_sends_errors_only_to_catch()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await Request($$""" "method":"GET","url":"http://127.0.0.1:{{port}}/x","senderr":true """);
        flow.Send("n", "{}");
        await flow.NextAsync("err");
        Assert.True(await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Request_timeout_from_msg_fails_a_request_the_server_never_answers()
    {
        var release = new TaskCompletionSource();
        await using var server = new LoopbackHttpServer(async context =>
        {
            await release.Task;
            context.Response.Close();
        });
        await using var flow = await Request($$""" "method":"GET","url":"{{server.Url}}" """, fakeClock: true);
        flow.Send("n", """{"requestTimeout":500}""");
        await flow.StatusAsync("n", "requesting");
        for (var i = 0; i < 200 && server.Requests.IsEmpty; i++) await Task.Delay(5);
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(600));
        var caught = await flow.NextAsync("err");
        Assert.Equal("RequestError: Timeout awaiting 'request' for 500ms", ((JsObject)caught["error"]!)["message"]);
        release.SetResult();
    }

    [Fact]
    public async Task Url_without_a_scheme_gets_http()
    {
        await using var server = LoopbackHttpServer.Text("ok");
        await using var flow = await Request($$""" "method":"GET","url":"127.0.0.1:{{server.Port}}/plain" """);
        flow.Send("n", "{}");
        Assert.Equal("ok", (await flow.NextAsync("h0"))["payload"]);
    }
}
