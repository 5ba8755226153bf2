using FlowEngine.TestKit.Peers;
using System.Text.Json;
using FlowEngine.Nodes.Influx.Tests.Peers;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Influx.Tests.InfluxFlows;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>Writes through the nodes into a real influxd and reads back with plain HTTP queries.</summary>
public class InfluxOutNodeTests(InfluxPeerFixture fixture) : IClassFixture<InfluxPeerFixture>
{
    private InfluxPeer Peer => fixture.Peer;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private async Task<string> NewDatabaseAsync()
    {
        var name = "db" + Guid.NewGuid().ToString("N")[..10];
        await Peer.CreateDatabaseAsync(name);
        return name;
    }

    private const string FastBatch = ""","batchSize":1000,"batchInterval":20""";

    [Fact]
    public async Task Names_with_spaces_commas_equals_quotes_and_unicode_round_trip_exactly()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: FastBatch), Options());
        var measurement = "cell temp,°C=x";
        flow.Send("out", $$"""
            {"measurement":{{Json(measurement)}},"payload":[
              {"field key,1=a":1.5,"text":{{Json("say \"hi\", C:\\dir\\ ✓ ünïcødé 温度")}}},
              {"tag key=x":"line 1, zone=α β","plain":"ok"}]}
            """);
        var count = await Peer.WaitForCountAsync($"SELECT count(\"field key,1=a\") FROM \"{measurement}\"", db, 1, Wait);
        Assert.Equal(1, count);
        var rows = await Peer.RowsAsync($"SELECT * FROM \"{measurement}\"", db);
        var row = Assert.Single(rows);
        Assert.Equal(1.5, row["field key,1=a"].GetDouble());
        Assert.Equal("say \"hi\", C:\\dir\\ ✓ ünïcødé 温度", row["text"].GetString());
        Assert.Equal("line 1, zone=α β", row["tag key=x"].GetString());
        Assert.Equal("ok", row["plain"].GetString());
    }

    [Fact]
    public async Task Every_field_type_is_stored_with_its_type()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: FastBatch + ""","measurement":"types" """), Options());
        flow.Send("out", """{"payload":{"f":-1.25e-7,"big":1e300,"i":"-9223372036854775807i","s":"text","b":true,"whole":3}}""");
        Assert.Equal(1, await Peer.WaitForCountAsync("SELECT count(f) FROM types", db, 1, Wait));
        using var keys = await Peer.QueryAsync("SHOW FIELD KEYS FROM types", db);
        var types = keys.RootElement.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values").EnumerateArray()
            .ToDictionary(v => v[0].GetString()!, v => v[1].GetString()!);
        Assert.Equal("float", types["f"]);
        Assert.Equal("float", types["big"]);
        Assert.Equal("float", types["whole"]);
        Assert.Equal("integer", types["i"]);
        Assert.Equal("string", types["s"]);
        Assert.Equal("boolean", types["b"]);
        var row = Assert.Single(await Peer.RowsAsync("SELECT * FROM types", db));
        Assert.Equal(-1.25e-7, row["f"].GetDouble());
        Assert.Equal(1e300, row["big"].GetDouble());
        Assert.Equal(-9223372036854775807L, row["i"].GetInt64());
        Assert.True(row["b"].GetBoolean());
    }

    [Fact]
    public async Task Explicit_timestamps_are_read_in_the_node_precision()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: FastBatch + ""","measurement":"ts","precision":"s" """), Options());
        flow.Send("out", """{"payload":{"v":1,"time":1700000000}}""");
        Assert.Equal(1, await Peer.WaitForCountAsync("SELECT count(v) FROM ts", db, 1, Wait));
        var row = Assert.Single(await Peer.RowsAsync("SELECT * FROM ts", db));
        Assert.Equal("2023-11-14T22:13:20Z", row["time"].GetString());
    }

    [Fact]
    public async Task A_batch_is_held_until_the_count_is_reached()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: ""","measurement":"b","batchSize":10,"batchInterval":600000"""), Options());
        for (var i = 0; i < 9; i++) flow.Send("out", $$"""{"payload":{{i}}}""");
        await Task.Delay(1000);
        Assert.Null(await Peer.ScalarAsync("SELECT count(value) FROM b", db));
        flow.Send("out", """{"payload":9}""");
        Assert.Equal(10, await Peer.WaitForCountAsync("SELECT count(value) FROM b", db, 10, Wait));
    }

    [Fact]
    public async Task A_partial_batch_is_written_when_the_interval_ends()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: ""","measurement":"t","batchSize":1000,"batchInterval":300"""), Options());
        for (var i = 0; i < 3; i++) flow.Send("out", $$"""{"payload":{{i}}}""");
        Assert.Equal(3, await Peer.WaitForCountAsync("SELECT count(value) FROM t", db, 3, Wait));
    }

    [Fact]
    public async Task Node_red_influxdb_out_and_batch_nodes_write_their_payload_shapes()
    {
        var db = await NewDatabaseAsync();
        var server = $$"""{"id":"srv","type":"influxdb","hostname":"127.0.0.1","port":"{{Peer.HttpPort}}","protocol":"http","database":"{{db}}","name":"","usetls":false,"tls":"","influxdbVersion":"1.x","url":"http://localhost:8086","rejectUnauthorized":true,"timeout":10}""";
        var flowJson = $$"""
            [{"id":"tab","type":"tab"},
             {{server}},
             {"id":"out","type":"influxdb out","z":"tab","influxdb":"srv","name":"","measurement":"nr","precision":"","retentionPolicy":"","database":"database","precisionV18FluxV20":"ms","retentionPolicyV18Flux":"","org":"organisation","bucket":"bucket","batchInterval":20},
             {"id":"batch","type":"influxdb batch","z":"tab","influxdb":"srv","precision":"ms","retentionPolicy":"","name":"","database":"database","precisionV18FluxV20":"ms","retentionPolicyV18Flux":"","org":"organisation","bucket":"bucket","batchInterval":20}]
            """;
        await using var flow = await TestFlow.StartAsync(flowJson, Options());
        flow.Send("out", """{"payload":[[{"v":1,"n":"5i"},{"site":"a"}],[{"v":2,"n":"6i"},{"site":"b"}]]}""");
        flow.Send("out", """{"measurement":"other","payload":42}""");
        flow.Send("batch", """{"payload":[{"measurement":"nrb","fields":{"x":1},"tags":{"k":"v"},"timestamp":1700000000000},{"measurement":"nrb","fields":{"x":2},"tags":{"k":"w"},"timestamp":1700000000001}]}""");
        Assert.Equal(2, await Peer.WaitForCountAsync("SELECT count(v) FROM nr", db, 2, Wait));
        Assert.Equal(1, await Peer.WaitForCountAsync("SELECT count(value) FROM other", db, 1, Wait));
        Assert.Equal(2, await Peer.WaitForCountAsync("SELECT count(x) FROM nrb", db, 2, Wait));
        var rows = await Peer.RowsAsync("SELECT * FROM nr", db);
        Assert.Equal(new[] { "a", "b" }, rows.Select(r => r["site"].GetString()!).Order().ToArray());
        Assert.Equal(11, rows.Sum(r => r["n"].GetInt64()));
        var batchRows = await Peer.RowsAsync("SELECT * FROM nrb", db);
        Assert.Equal("2023-11-14T22:13:20Z", batchRows[0]["time"].GetString());
        Assert.Equal("2023-11-14T22:13:20.001Z", batchRows[1]["time"].GetString());
    }

    [Fact]
    public async Task A_bad_payload_goes_to_catch_with_the_message_and_nothing_is_written()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: FastBatch + ""","measurement":"bad" """), Options());
        flow.Send("out", """{"payload":{"v":{"nested":true}},"topic":"t1"}""");
        var error = await flow.NextAsync("errors");
        Assert.Equal("t1", error.Get("topic"));
        Assert.Contains("field \"v\"", ((FlowEngine.Core.Values.JsObject)error.Get("error")!).Get("message") as string);
        Assert.Contains(flow.Statuses, s => s.Status.Fill == "red");
    }

    [Fact]
    public async Task A_field_type_conflict_is_reported_and_does_not_block_later_points()
    {
        var db = await NewDatabaseAsync();
        await using var flow = await TestFlow.StartAsync(Writer(Server(Peer.Url, db), properties: ""","measurement":"conflict","batchSize":1,"batchInterval":0"""), Options());
        flow.Send("out", """{"payload":{"v":1}}""");
        Assert.Equal(1, await Peer.WaitForCountAsync("SELECT count(v) FROM conflict", db, 1, Wait));
        flow.Send("out", """{"payload":{"v":"text"}}""");
        flow.Send("out", """{"payload":{"v":3}}""");
        Assert.Equal(2, await Peer.WaitForCountAsync("SELECT count(v) FROM conflict", db, 2, Wait));
        var deadline = DateTime.UtcNow + Wait;
        while (!flow.Logs.Any(l => l.Message.Contains("refused", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Contains(flow.Logs, l => l.Message.Contains("field type conflict", StringComparison.Ordinal));
    }
}
