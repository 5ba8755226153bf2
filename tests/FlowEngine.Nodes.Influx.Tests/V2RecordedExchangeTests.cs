using FlowEngine.TestKit.Peers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Influx.Tests.Peers;
using FlowEngine.Nodes.Influx.Tests.Protocol;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Influx.Tests.InfluxFlows;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>
/// InfluxDB 2.x and 3.x do not run on this machine (not in Debian 12, not on npm), so the v2 API is checked against
/// exchanges recorded from InfluxDB's public API documentation (docs.influxdata.com "API quick start", "Write data",
/// "Annotated CSV"): a loopback HTTP server records each request the nodes send and answers with the documented
/// response. This checks our requests and our reading of the responses, not a real server's behaviour.
/// </summary>
public sealed class V2RecordedExchangeTests : IAsyncDisposable
{
    private readonly RecordedInfluxV2 _server = new();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private string V2Server(string version = "2.x") => $$"""
        {"id":"srv","type":"influx server","url":"{{_server.Url}}","version":"{{version}}","org":"ORG","bucket":"BUCKET","database":"DB","timeout":5,"credentials":{"token":"YOUR_API_TOKEN"} }
        """;

    [Fact]
    public async Task Write_sends_the_documented_request_with_token_org_bucket_and_line_protocol()
    {
        await using var flow = await TestFlow.StartAsync(Writer(V2Server(), properties: ""","measurement":"home","precision":"s","batchInterval":10"""), Options());
        flow.Send("out", """{"payload":[{"temp":72.0,"time":1640995200},{"room":"Kitchen"}]}""");
        flow.Send("out", """{"payload":[{"temp":71.5,"time":1640995200},{"room":"Living Room"}]}""");
        var request = await _server.NextAsync("/api/v2/write");
        Assert.Equal("POST", request.Method);
        Assert.Equal("?org=ORG&bucket=BUCKET&precision=ns", request.Query);
        Assert.Equal("Token YOUR_API_TOKEN", request.Authorization);
        Assert.StartsWith("text/plain", request.ContentType);
        Assert.Contains("charset=utf-8", request.ContentType);
        // The documentation's body, in nanoseconds (we always write explicit nanosecond timestamps).
        Assert.Equal("home,room=Kitchen temp=72 1640995200000000000\nhome,room=Living\\ Room temp=71.5 1640995200000000000", request.Body);
    }

    [Fact]
    public async Task Unsigned_integers_are_written_for_v2()
    {
        await using var flow = await TestFlow.StartAsync(Writer(V2Server(), properties: ""","measurement":"m","batchInterval":10"""), Options());
        flow.Send("out", """{"payload":{"u":"18446744073709551615u","i":"-1i","time":1}}""");
        var request = await _server.NextAsync("/api/v2/write");
        Assert.Equal("m u=18446744073709551615u,i=-1i 1000000", request.Body);
    }

    [Fact]
    public async Task A_503_is_retried_with_back_off_and_the_same_body_is_sent_again()
    {
        _server.FailWrites(2, HttpStatusCode.ServiceUnavailable);
        await using var flow = await TestFlow.StartAsync(Writer(V2Server(), properties: ""","measurement":"m","batchInterval":10,"retryDelay":50,"retryMaxDelay":100"""), Options());
        flow.Send("out", """{"payload":1}""");
        var first = await _server.NextAsync("/api/v2/write");
        var second = await _server.NextAsync("/api/v2/write");
        var third = await _server.NextAsync("/api/v2/write");
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Body, third.Body);
        Assert.Equal(3, _server.Requests.Count(r => r.Path == "/api/v2/write"));
        await Task.Delay(300);
        Assert.Equal(3, _server.Requests.Count(r => r.Path == "/api/v2/write"));
    }

    [Fact]
    public async Task Flux_query_is_posted_as_json_and_the_documented_annotated_csv_becomes_rows()
    {
        _server.QueryResponse = FluxCsvTests.DocumentationExample;
        await using var flow = await TestFlow.StartAsync(Reader(V2Server(), properties: ""","query":"from(bucket: \"BUCKET\") |> range(start: -1h) |> filter(fn: (r) => r._measurement == params.m)" """), Options());
        flow.Send("q", """{"params":{"m":"home"}}""");
        var msg = await flow.NextAsync("rows");
        var request = await _server.NextAsync("/api/v2/query");
        Assert.Equal("?org=ORG", request.Query);
        Assert.Equal("Token YOUR_API_TOKEN", request.Authorization);
        Assert.StartsWith("application/json", request.ContentType);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("from(bucket: \"BUCKET\") |> range(start: -1h) |> filter(fn: (r) => r._measurement == params.m)", body.RootElement.GetProperty("query").GetString());
        Assert.Equal("flux", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("home", body.RootElement.GetProperty("params").GetProperty("m").GetString());
        var rows = ((List<object?>)msg.Get("payload")!).Cast<JsObject>().ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(59.25, rows[1].Get("_value"));
        Assert.Equal("B", rows[1].Get("host"));
    }

    [Fact]
    public async Task Flux_query_error_body_goes_to_catch()
    {
        _server.QueryStatus = HttpStatusCode.BadRequest;
        _server.QueryResponse = """{"code":"invalid","message":"compilation failed: error at @1:1-1:5: undefined identifier frum"}""";
        await using var flow = await TestFlow.StartAsync(Reader(V2Server(), properties: ""","query":"frum()" """), Options());
        flow.Send("q", "{}");
        var error = await flow.NextAsync("errors");
        Assert.Contains("undefined identifier frum", ((JsObject)error.Get("error")!).Get("message") as string);
    }

    [Fact]
    public async Task Node_red_2_0_config_writes_to_its_org_and_bucket_with_precision_v18_flux_v20()
    {
        var server = $$"""{"id":"srv","type":"influxdb","influxdbVersion":"2.0","url":"{{_server.Url}}","rejectUnauthorized":true,"timeout":10,"credentials":{"token":"T0K"} }""";
        await using var flow = await TestFlow.StartAsync(
            Writer(server, "influxdb out", ""","measurement":"m","precisionV18FluxV20":"s","org":"my-org","bucket":"my bucket","batchInterval":10""", "influxdb"), Options());
        flow.Send("out", """{"payload":{"v":1,"time":10}}""");
        var request = await _server.NextAsync("/api/v2/write");
        Assert.Equal("?org=my-org&bucket=my%20bucket&precision=ns", request.Query);
        Assert.Equal("Token T0K", request.Authorization);
        Assert.Equal("m v=1 10000000000", request.Body);
    }

    [Fact]
    public async Task Node_red_1_8_flux_config_uses_user_password_token_and_database_slash_retention_policy_bucket()
    {
        var server = $$"""{"id":"srv","type":"influxdb","influxdbVersion":"1.8-flux","url":"{{_server.Url}}","timeout":10,"credentials":{"username":"u","password":"p"} }""";
        await using var flow = await TestFlow.StartAsync(
            Writer(server, "influxdb out", ""","measurement":"m","database":"plant","retentionPolicyV18Flux":"autogen","batchInterval":10""", "influxdb"), Options());
        flow.Send("out", """{"payload":1}""");
        var request = await _server.NextAsync("/api/v2/write");
        Assert.Equal("?bucket=plant%2Fautogen&precision=ns", request.Query);
        Assert.Equal("Token u:p", request.Authorization);
    }

    [Fact]
    public async Task Version_3_writes_to_the_database_as_bucket_and_queries_influxql_through_v1_query()
    {
        _server.QueryResponse = """{"results":[{"statement_id":0,"series":[{"name":"home","columns":["time","temp"],"values":[["2022-01-01T00:00:00Z",72]]}]}]}""";
        var flowJson = $$"""
            [{"id":"tab","type":"tab"},
             {{V2Server("3.x")}},
             {"id":"out","type":"influx out","z":"tab","server":"srv","measurement":"home","batchInterval":10},
             {"id":"q","type":"influx query","z":"tab","server":"srv","query":"SELECT temp FROM home","wires":[["rows"]]},
             {"id":"rows","type":"helper","z":"tab"}]
            """;
        await using var flow = await TestFlow.StartAsync(flowJson, Options());
        flow.Send("out", """{"payload":{"temp":72,"time":1}}""");
        var write = await _server.NextAsync("/api/v2/write");
        Assert.Equal("?bucket=DB&precision=ns", write.Query);
        flow.Send("q", "{}");
        var row = (JsObject)((List<object?>)(await flow.NextAsync("rows")).Get("payload")!)[0]!;
        Assert.Equal(72.0, row.Get("temp"));
        var query = await _server.NextAsync("/query");
        Assert.Equal("Token YOUR_API_TOKEN", query.Authorization);
        Assert.Contains("db=DB", query.Body);
    }
}

/// <summary>A loopback HTTP server that answers as InfluxDB 2.x's documentation says and records every request.</summary>
internal sealed class RecordedInfluxV2 : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, System.Threading.Channels.Channel<RecordedRequest>> _byPath = new();
    private readonly Task _loop;
    private int _failWrites;
    private HttpStatusCode _failStatus;

    public RecordedInfluxV2()
    {
        var port = InfluxPeer.FreePort();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public string QueryResponse { get; set; } = "";
    public HttpStatusCode QueryStatus { get; set; } = HttpStatusCode.OK;

    public void FailWrites(int count, HttpStatusCode status)
    {
        _failStatus = status;
        _failWrites = count;
    }

    private System.Threading.Channels.Channel<RecordedRequest> Inbox(string path) =>
        _byPath.GetOrAdd(path, _ => System.Threading.Channels.Channel.CreateUnbounded<RecordedRequest>());

    public async Task<RecordedRequest> NextAsync(string path)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await Inbox(path).Reader.ReadAsync(cts.Token);
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var request = new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Url.Query,
                context.Request.Headers["Authorization"], context.Request.ContentType, body);
            Requests.Enqueue(request);
            var response = context.Response;
            if (request.Path == "/api/v2/write")
            {
                if (Interlocked.Decrement(ref _failWrites) >= 0)
                {
                    response.StatusCode = (int)_failStatus;
                    await WriteAsync(response, """{"code":"unavailable","message":"service unavailable"}""", "application/json");
                }
                else
                {
                    response.StatusCode = 204;
                    response.Close();
                }
            }
            else if (request.Path is "/api/v2/query" or "/query")
            {
                response.StatusCode = (int)QueryStatus;
                await WriteAsync(response, QueryResponse, QueryStatus == HttpStatusCode.OK && request.Path == "/api/v2/query" ? "text/csv; charset=utf-8" : "application/json");
            }
            else
            {
                response.StatusCode = 404;
                response.Close();
            }
            Inbox(request.Path).Writer.TryWrite(request);
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, string text, string contentType)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
    }
}

internal sealed record RecordedRequest(string Method, string Path, string Query, string? Authorization, string? ContentType, string Body);
