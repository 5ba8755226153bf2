using FlowEngine.TestKit.Peers;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Influx.Tests.Peers;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Influx.Tests.InfluxFlows;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>Queries through the nodes against a real influxd; data is written with plain HTTP first.</summary>
public class InfluxQueryNodeTests(InfluxPeerFixture fixture) : IClassFixture<InfluxPeerFixture>
{
    private InfluxPeer Peer => fixture.Peer;

    private async Task<string> DatabaseWithDataAsync()
    {
        var db = "q" + Guid.NewGuid().ToString("N")[..10];
        await Peer.CreateDatabaseAsync(db);
        using var http = new HttpClient();
        var body = "power,site=north kw=1.5,state=\"run\" 1700000000000000000\npower,site=south kw=2.5,state=\"stop\" 1700000001000000000\n";
        using var response = await http.PostAsync($"{Peer.Url}/write?db={db}", new StringContent(body));
        response.EnsureSuccessStatusCode();
        return db;
    }

    private static List<JsObject> Rows(JsObject msg) => ((List<object?>)msg.Get("payload")!).Cast<JsObject>().ToList();

    [Fact]
    public async Task A_query_returns_what_was_written_as_objects()
    {
        var db = await DatabaseWithDataAsync();
        await using var flow = await TestFlow.StartAsync(Reader(Server(Peer.Url, db), properties: ""","query":"SELECT * FROM power" """), Options());
        flow.Send("q", """{"payload":""}""");
        var rows = Rows(await flow.NextAsync("rows"));
        Assert.Equal(2, rows.Count);
        Assert.Equal(new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc), rows[0].Get("time"));
        Assert.Equal(1.5, rows[0].Get("kw"));
        Assert.Equal("north", rows[0].Get("site"));
        Assert.Equal("stop", rows[1].Get("state"));
    }

    [Fact]
    public async Task Values_written_by_influx_out_are_read_back_by_influx_query()
    {
        var db = "rt" + Guid.NewGuid().ToString("N")[..10];
        await Peer.CreateDatabaseAsync(db);
        var flowJson = $$"""
            [{"id":"tab","type":"tab"},
             {{Server(Peer.Url, db)}},
             {"id":"out","type":"influx out","z":"tab","server":"srv","measurement":"round trip","batchInterval":10},
             {"id":"q","type":"influx query","z":"tab","server":"srv","query":"SELECT * FROM \"round trip\" WHERE line = $line","precision":"ms","wires":[["rows"]]},
             {"id":"rows","type":"helper","z":"tab"}]
            """;
        await using var flow = await TestFlow.StartAsync(flowJson, Options());
        flow.Send("out", """{"payload":[{"v":7,"time":1700000000123,"text":"a, b=\"c\""},{"line":"L 1"}]}""");
        flow.Send("out", """{"payload":[{"v":8,"time":1700000000124},{"line":"L 2"}]}""");
        await Peer.WaitForCountAsync("SELECT count(v) FROM \"round trip\"", db, 2, TimeSpan.FromSeconds(30));
        flow.Send("q", """{"params":{"line":"L 1"}}""");
        var row = Assert.Single(Rows(await flow.NextAsync("rows")));
        Assert.Equal(1700000000123.0, row.Get("time"));
        Assert.Equal(7.0, row.Get("v"));
        Assert.Equal("a, b=\"c\"", row.Get("text"));
    }

    [Fact]
    public async Task Parameters_are_bound_not_pasted_so_an_injection_attempt_matches_nothing()
    {
        var db = await DatabaseWithDataAsync();
        await using var flow = await TestFlow.StartAsync(Reader(Server(Peer.Url, db), properties: ""","query":"SELECT kw FROM power WHERE site = $site" """), Options());
        flow.Send("q", """{"params":{"site":"north"}}""");
        Assert.Single(Rows(await flow.NextAsync("rows")));
        flow.Send("q", """{"params":{"site":"x' OR site = 'south"}}""");
        Assert.Empty(Rows(await flow.NextAsync("rows")));
        flow.Send("q", """{"params":{"kw":2}, "query":"SELECT kw FROM power WHERE kw > $kw"}""");
        Assert.Equal(2.5, Assert.Single(Rows(await flow.NextAsync("rows"))).Get("kw"));
    }

    [Fact]
    public async Task Several_statements_give_an_array_per_statement_and_raw_output_gives_the_server_json()
    {
        var db = await DatabaseWithDataAsync();
        await using var flow = await TestFlow.StartAsync(Reader(Server(Peer.Url, db), properties: ""","rawOutput":false"""), Options());
        flow.Send("q", """{"query":"SELECT kw FROM power; SELECT count(kw) FROM power"}""");
        var payload = (List<object?>)(await flow.NextAsync("rows")).Get("payload")!;
        Assert.Equal(2, payload.Count);
        Assert.Equal(2.0, ((JsObject)((List<object?>)payload[1]!)[0]!).Get("count"));

        await using var raw = await TestFlow.StartAsync(Reader(Server(Peer.Url, db), properties: ""","rawOutput":true,"query":"SELECT kw FROM power" """), Options());
        raw.Send("q", "{}");
        var json = (JsObject)(await raw.NextAsync("rows")).Get("payload")!;
        Assert.True(json.ContainsKey("results"));
    }

    [Fact]
    public async Task Node_red_influxdb_in_runs_msg_query_with_its_precision()
    {
        var db = await DatabaseWithDataAsync();
        var server = $$"""{"id":"srv","type":"influxdb","hostname":"127.0.0.1","port":{{Peer.HttpPort}},"protocol":"http","database":"{{db}}","influxdbVersion":"1.x","timeout":10}""";
        await using var flow = await TestFlow.StartAsync(Reader(server, "influxdb in", ""","query":"","rawOutput":false,"precision":"s","retentionPolicy":"","org":"organisation" """, "influxdb"), Options());
        flow.Send("q", """{"query":"SELECT kw FROM power WHERE site = 'south'"}""");
        var row = Assert.Single(Rows(await flow.NextAsync("rows")));
        Assert.Equal(1700000001.0, row.Get("time"));
    }

    [Fact]
    public async Task A_query_error_goes_to_catch_with_the_server_message()
    {
        var db = await DatabaseWithDataAsync();
        await using var flow = await TestFlow.StartAsync(Reader(Server(Peer.Url, db), properties: ""","query":"SELEKT nonsense" """), Options());
        flow.Send("q", """{"topic":"bad"}""");
        var error = await flow.NextAsync("errors");
        Assert.Equal("bad", error.Get("topic"));
        Assert.Contains("error parsing query", ((JsObject)error.Get("error")!).Get("message") as string);
    }

    [Fact]
    public async Task An_unreachable_server_is_an_error_not_a_hang()
    {
        await using var flow = await TestFlow.StartAsync(Reader(Server($"http://127.0.0.1:{InfluxPeer.FreePort()}", "x"), properties: ""","query":"SELECT 1" """), Options());
        flow.Send("q", "{}");
        var error = await flow.NextAsync("errors", TimeSpan.FromSeconds(20));
        Assert.Contains("cannot reach", ((JsObject)error.Get("error")!).Get("message") as string);
    }
}
