using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Network;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Network;

public sealed class HttpInResponseTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>http in "n" → helper h0 → http response "r".</summary>
    private static Task<(TestFlow Flow, HttpNodeRouteTable Routes)> EndpointAsync(string inProperties, string responseProperties = "") =>
        StartWithRoutesAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","type":"http in","z":"t1","x":1,"y":1,{{inProperties}},"wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[["r"]]},
             {"id":"r","type":"http response","z":"t1","x":1,"y":1{{responseProperties}},"wires":[]}]
            """);

    private static HttpNodeRequest Request(string method, string path, string? contentType = null, string body = "", string query = "") => new()
    {
        Method = method,
        Path = path,
        OriginalUrl = path + query,
        Query = HttpQueryString.Parse(query),
        ContentType = contentType,
        Body = Encoding.UTF8.GetBytes(body),
        Headers = new JsObject { ["host"] = "localhost" },
    };

    private static async Task<HttpNodeResponse> DispatchAsync(HttpNodeRouteTable routes, HttpNodeRequest request) =>
        await routes.DispatchAsync(request, Wait, TimeProvider.System) ?? throw new InvalidOperationException("no route matched");

    [Fact]
    public async Task Get_sends_the_query_as_payload_and_route_params_in_msg_req()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/users/:id","method":"get" """);
        await using var running = flow;
        var response = await DispatchAsync(routes, Request("GET", "/users/42", query: "?a=1&b=x&b=y"));
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"a":"1","b":["x","y"]}""", ToJson(msg["payload"]));
        var req = Assert.IsType<JsObject>(msg["req"]);
        Assert.Equal("""{"id":"42"}""", ToJson(req["params"]));
        Assert.Equal("GET", req["method"]);
        Assert.Equal("/users/42?a=1&b=x&b=y", req["originalUrl"]);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("""{"a":"1","b":["x","y"]}""", Encoding.UTF8.GetString(response.Body));
    }

    [Fact]
    public async Task Post_with_a_json_body_gives_the_parsed_object()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/data","method":"post" """);
        await using var running = flow;
        await DispatchAsync(routes, Request("POST", "/data", "application/json; charset=utf-8", """{"n":1.5,"list":[true,null]}"""));
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"n":1.5,"list":[true,null]}""", ToJson(msg["payload"]));
        Assert.Equal("""{"n":1.5,"list":[true,null]}""", ToJson(((JsObject)msg["req"]!)["body"]));
    }

    [Fact]
    public async Task Post_with_an_urlencoded_form_gives_an_object_with_repeated_keys_as_arrays()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/form","method":"post" """);
        await using var running = flow;
        await DispatchAsync(routes, Request("POST", "/form", "application/x-www-form-urlencoded", "name=J%C3%BCrgen+M&tag=a&tag=b"));
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"name":"Jürgen M","tag":["a","b"]}""", ToJson(msg["payload"]));
    }

    [Theory]
    [InlineData("text/plain", "string")]
    [InlineData("application/xml", "string")]
    [InlineData("application/octet-stream", "buffer")]
    [InlineData("image/png", "buffer")]
    [InlineData(null, "string")]
    public async Task Post_body_type_follows_the_content_type(string? contentType, string expectedType)
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/raw","method":"post" """);
        await using var running = flow;
        await DispatchAsync(routes, Request("POST", "/raw", contentType, "hello"));
        var msg = await flow.NextAsync("h0");
        Assert.Equal(expectedType, JsValue.TypeName(msg["payload"]));
        var text = msg["payload"] as string ?? Encoding.UTF8.GetString((byte[])msg["payload"]!);
        Assert.Equal("hello", text);
    }

    [Fact]
    public async Task Skip_body_parsing_gives_the_raw_json_bytes()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/raw","method":"post","skipBodyParsing":true """);
        await using var running = flow;
        await DispatchAsync(routes, Request("POST", "/raw", "application/json", """{"a":1}"""));
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(Assert.IsType<byte[]>(msg["payload"])));
    }

    [Fact]
    public async Task Invalid_json_is_answered_400_without_a_message()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/data","method":"post" """);
        await using var running = flow;
        var response = await DispatchAsync(routes, Request("POST", "/data", "application/json", "{bad"));
        Assert.Equal(400, response.StatusCode);
        Assert.True(await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Upload_puts_files_in_msg_req_files_and_fields_in_payload()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/up","method":"post","upload":true """);
        await using var running = flow;
        var request = new HttpNodeRequest
        {
            Method = "POST",
            Path = "/up",
            ContentType = "multipart/form-data; boundary=x",
            FormFields = new JsObject { ["title"] = "report" },
            Files = [new HttpNodeFile("doc", "a.txt", "text/plain", "abc"u8.ToArray())],
        };
        await DispatchAsync(routes, request);
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"title":"report"}""", ToJson(msg["payload"]));
        var file = Assert.IsType<JsObject>(Assert.Single(Assert.IsType<List<object?>>(((JsObject)msg["req"]!)["files"])));
        Assert.Equal("doc", file["fieldname"]);
        Assert.Equal("a.txt", file["originalname"]);
        Assert.Equal("text/plain", file["mimetype"]);
        Assert.Equal(3.0, file["size"]);
        Assert.Equal("abc", Encoding.UTF8.GetString((byte[])file["buffer"]!));
    }

    [Fact]
    public async Task A_route_answers_only_its_method()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/only-post","method":"post" """);
        await using var running = flow;
        Assert.Null(await routes.DispatchAsync(Request("GET", "/only-post"), Wait, TimeProvider.System));
        Assert.NotNull(routes.Match("POST", "/only-post", out _));
    }

    [Fact]
    public async Task Redeploying_without_the_node_removes_its_route()
    {
        var (flow, routes) = await EndpointAsync(""" "url":"/gone","method":"get" """);
        await using var running = flow;
        Assert.Equal(1, routes.Count);
        await flow.DeployAsync("""[{"id":"t1","type":"tab","label":"T"}]""");
        Assert.Equal(0, routes.Count);
    }

    [Fact]
    public async Task A_request_nobody_answers_gets_504_after_the_timeout()
    {
        var routes = new HttpNodeRouteTable();
        await using var flow = await TestFlow.StartAsync("""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","type":"http in","z":"t1","x":1,"y":1,"url":"/slow","method":"get","wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """, new TestFlowOptions { FakeClock = true, HostServices = new TestHostServices(routes) });
        var pending = routes.DispatchAsync(Request("GET", "/slow"), TimeSpan.FromSeconds(120), flow.Clock!);
        await flow.NextAsync("h0");
        Assert.False(pending.IsCompleted);
        await flow.AdvanceAsync(TimeSpan.FromSeconds(121));
        var response = await pending.WaitAsync(Wait);
        Assert.Equal(504, response!.StatusCode);
    }

    [Fact]
    public async Task Response_status_comes_from_the_node_then_msg_statusCode()
    {
        await using var flow = await StartAsync(""" "type":"http response","statusCode":"" """, "[]",
            """,{"id":"r2","type":"http response","z":"t1","x":1,"y":1,"statusCode":"201","wires":[]}""");
        var first = new HttpNodeResponse();
        flow.Send("n", new JsObject { ["payload"] = "x", ["statusCode"] = 404.0, ["res"] = first });
        Assert.Equal(404, (await first.Completion.WaitAsync(Wait)).StatusCode);
        var second = new HttpNodeResponse();
        flow.Send("r2", new JsObject { ["payload"] = "x", ["statusCode"] = 404.0, ["res"] = second });
        Assert.Equal(201, (await second.Completion.WaitAsync(Wait)).StatusCode);
    }

    [Fact]
    public async Task Response_headers_merge_msg_headers_under_the_node_headers()
    {
        await using var flow = await StartAsync(""" "type":"http response","headers":{"x-a":"node","X-Node":"1"} """, "[]");
        var res = new HttpNodeResponse();
        flow.Send("n", new JsObject
        {
            ["payload"] = "x",
            ["headers"] = new JsObject { ["X-A"] = "msg", ["x-msg"] = 2.0, ["x-node-red-request-node"] = "abc" },
            ["res"] = res,
        });
        var response = await res.Completion.WaitAsync(Wait);
        var headers = new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("node", headers["x-a"]);
        Assert.Equal("1", headers["x-node"]);
        Assert.Equal("2", headers["x-msg"]);
        Assert.False(headers.ContainsKey("x-node-red-request-node"));
        Assert.Equal("1", headers["content-length"]);
    }

    [Theory]
    [InlineData("""{"a":[1,"b"]}""", """{"a":[1,"b"]}""", "application/json; charset=utf-8")]
    [InlineData("[1,2]", "[1,2]", "application/json; charset=utf-8")]
    [InlineData("true", "true", "application/json; charset=utf-8")]
    [InlineData("null", "null", "application/json; charset=utf-8")]
    [InlineData("12.5", "12.5", "text/html; charset=utf-8")]
    [InlineData("\"<b>hi</b>\"", "<b>hi</b>", "text/html; charset=utf-8")]
    public async Task Response_body_is_json_for_objects_and_text_otherwise(string payloadJson, string body, string contentType)
    {
        await using var flow = await StartAsync(""" "type":"http response" """, "[]");
        var res = new HttpNodeResponse();
        var msg = new JsObject { ["payload"] = JsJson.Parse(payloadJson), ["res"] = res };
        flow.Send("n", msg);
        var response = await res.Completion.WaitAsync(Wait);
        Assert.Equal(body, Encoding.UTF8.GetString(response.Body));
        Assert.Equal(contentType, response.Headers["Content-Type"]);
    }

    [Fact]
    public async Task Response_buffer_payload_is_sent_as_bytes()
    {
        await using var flow = await StartAsync(""" "type":"http response" """, "[]");
        var res = new HttpNodeResponse();
        flow.Send("n", new JsObject { ["payload"] = new byte[] { 0, 255, 7 }, ["res"] = res, ["headers"] = new JsObject { ["content-type"] = "image/png" } });
        var response = await res.Completion.WaitAsync(Wait);
        Assert.Equal(new byte[] { 0, 255, 7 }, response.Body);
        Assert.Equal("image/png", new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase)["Content-Type"]);
    }

    [Fact]
    public async Task Response_cookies_are_set_with_options_and_cleared_with_null()
    {
        await using var flow = await StartAsync(""" "type":"http response" """, "[]");
        var res = new HttpNodeResponse();
        flow.Send("n", new JsObject
        {
            ["payload"] = "",
            ["cookies"] = JsJson.Parse("""{"simple":"a b","opts":{"value":"v","maxAge":60000,"httpOnly":true,"path":"/x"},"gone":null}"""),
            ["res"] = res,
        });
        var response = await res.Completion.WaitAsync(Wait);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var headers = response.Cookies.Select(c => c.ToHeaderValue(now)).ToList();
        Assert.Equal(
        [
            "simple=a%20b; Path=/",
            "opts=v; Path=/x; Max-Age=60; Expires=Thu, 01 Jan 2026 00:01:00 GMT; HttpOnly",
            "gone=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ], headers);
    }

    [Fact]
    public async Task Response_without_msg_res_only_warns()
    {
        await using var flow = await StartAsync(""" "type":"http response" """, "[]");
        flow.Send("n", """{"payload":"x"}""");
        var log = await flow.LogAsync(LogLevel.Warning);
        Assert.Equal("No response object", log.Message);
    }

    [Fact]
    public async Task Http_in_without_a_url_is_refused_at_deploy()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var flow = await StartAsync(""" "type":"http in","url":"","method":"get" """);
        });
    }

    [Fact]
    public async Task Clones_of_the_message_share_req_and_res()
    {
        var (flow, routes) = await StartWithRoutesAsync("""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","type":"http in","z":"t1","x":1,"y":1,"url":"/both","method":"get","wires":[["h0","h1"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h1","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """);
        await using var running = flow;
        var pending = routes.DispatchAsync(Request("GET", "/both"), TimeSpan.FromSeconds(30), TimeProvider.System);
        var a = await flow.NextAsync("h0");
        var b = await flow.NextAsync("h1");
        Assert.Same(a["res"], b["res"]);
        Assert.Same(a["req"], b["req"]);
        ((HttpNodeResponse)a["res"]!).TryComplete(200, new Dictionary<string, string>(), [], []);
        Assert.Equal(200, (await pending)!.StatusCode);
    }
}
