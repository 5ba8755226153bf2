using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>http in and http response through the real server: routing under httpNodeRoot, auth, bodies, concurrency.</summary>
public sealed class HttpNodeTests
{
    private static string Flow(string nodes) => $$"""[{"id":"t1","type":"tab","label":"T"},{{nodes}}]""";

    private const string Hello = """
        {"id":"in","type":"http in","z":"t1","x":1,"y":1,"url":"/hello/:id","method":"get","wires":[["tpl"]]},
        {"id":"tpl","type":"template","z":"t1","x":1,"y":1,"field":"payload","fieldType":"msg","format":"text","syntax":"mustache","template":"Hello {{req.params.id}} {{payload.x}}","output":"str","wires":[["out"]]},
        {"id":"out","type":"http response","z":"t1","x":1,"y":1,"statusCode":"","headers":{},"wires":[]}
        """;

    private const string Echo = """
        {"id":"in","type":"http in","z":"t1","x":1,"y":1,"url":"/echo","method":"post","wires":[["out"]]},
        {"id":"out","type":"http response","z":"t1","x":1,"y":1,"statusCode":"","headers":{},"wires":[]}
        """;

    private static HttpClient Client(TestHost host) => new() { BaseAddress = host.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Get_route_params_and_query_reach_the_flow_and_the_answer_comes_back()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Hello));
        using var client = Client(host);
        using var response = await client.GetAsync("hello/7?x=y");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Hello 7 y", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Post_json_is_parsed_and_an_object_payload_answers_json()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Echo));
        using var client = Client(host);
        using var response = await client.PostAsync("echo", new StringContent("""{"a":[1,"b"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"a":[1,"b"]}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Fifty_concurrent_clients_each_get_their_own_answer()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Hello));
        using var client = Client(host);
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await client.GetAsync($"hello/{i}?x=c{i}");
            return (i, (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
        foreach (var (i, status, body) in answers)
        {
            Assert.Equal(200, status);
            Assert.Equal($"Hello {i} c{i}", body);
        }
    }

    [Fact]
    public async Task Routes_live_under_httpNodeRoot_and_other_paths_fall_through()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Hello), settings: """{"httpNodeRoot":"/api"}""");
        using var client = Client(host);
        using var routed = await client.GetAsync("api/hello/1");
        Assert.Equal("Hello 1 ", await routed.Content.ReadAsStringAsync());
        // Outside the root the request is the admin side's (its fallback or the editor), never the flow's.
        using var outside = await client.GetAsync("hello/1");
        Assert.DoesNotContain("Hello 1", await outside.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HttpNodeAuth_requires_basic_credentials_checked_against_the_bcrypt_hash()
    {
        var hash = BCrypt.Net.BCrypt.HashPassword("secret", 4);
        await using var host = await TestHost.StartAsync(flowFile: Flow(Hello), settings: JsJson.Serialize(new JsObject { ["httpNodeAuth"] = new JsObject { ["user"] = "ann", ["pass"] = hash } }));
        using var client = Client(host);
        using var anonymous = await client.GetAsync("hello/1");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "hello/1");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("ann:nope"u8.ToArray()));
        using var refused = await client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "hello/1");
        right.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("ann:secret"u8.ToArray()));
        using var allowed = await client.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Multipart_uploads_arrive_in_msg_req_files()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow("""
            {"id":"in","type":"http in","z":"t1","x":1,"y":1,"url":"/up","method":"post","upload":true,"wires":[["tpl"]]},
            {"id":"tpl","type":"template","z":"t1","x":1,"y":1,"field":"payload","fieldType":"msg","format":"text","syntax":"mustache","template":"{{payload.title}} {{req.files.0.fieldname}} {{req.files.0.originalname}} {{req.files.0.size}}","output":"str","wires":[["out"]]},
            {"id":"out","type":"http response","z":"t1","x":1,"y":1,"statusCode":"","headers":{},"wires":[]}
            """));
        using var client = Client(host);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("report"), "title" },
            { new ByteArrayContent("12345"u8.ToArray()), "doc", "a.bin" },
        };
        using var response = await client.PostAsync("up", form);
        Assert.Equal("report doc a.bin 5", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Status_code_headers_and_cookies_of_the_response_node_are_sent()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow("""
            {"id":"in","type":"http in","z":"t1","x":1,"y":1,"url":"/c","method":"get","wires":[["ch"]]},
            {"id":"ch","type":"change","z":"t1","x":1,"y":1,"rules":[{"t":"set","p":"cookies","pt":"msg","to":"{\"session\":{\"value\":\"abc\",\"httpOnly\":true},\"old\":null}","tot":"json"},{"t":"set","p":"payload","pt":"msg","to":"made","tot":"str"}],"wires":[["out"]]},
            {"id":"out","type":"http response","z":"t1","x":1,"y":1,"statusCode":"201","headers":{"x-flow":"yes"},"wires":[]}
            """));
        using var client = Client(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, "c");
        request.Headers.Add("Cookie", "incoming=1");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("made", await response.Content.ReadAsStringAsync());
        Assert.Equal("yes", response.Headers.GetValues("x-flow").Single());
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        Assert.Contains("session=abc; Path=/; HttpOnly", cookies);
        Assert.Contains("old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", cookies);
    }

    [Fact]
    public async Task A_request_no_response_node_answers_gets_504_after_httpNodeTimeout()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow("""
            {"id":"in","type":"http in","z":"t1","x":1,"y":1,"url":"/void","method":"get","wires":[]}
            """), settings: """{"httpNodeTimeout":200}""");
        using var client = Client(host);
        using var response = await client.GetAsync("void");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    [Fact]
    public async Task A_deploy_without_the_http_in_node_removes_its_route()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Hello));
        using var client = Client(host);
        using (var before = await client.GetAsync("hello/1")) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        await host.DeployAsync(Flow("""{"id":"c1","type":"comment","z":"t1","x":1,"y":1,"name":"empty","wires":[]}"""));
        using var after = await client.GetAsync("hello/1");
        Assert.DoesNotContain("Hello 1", await after.Content.ReadAsStringAsync());
    }
}
