using FlowEngine.Core.Values;
using FlowEngine.Nodes.S7.Protocol;
using FlowEngine.Nodes.S7.Tests.Peers;

namespace FlowEngine.Nodes.S7.Tests;

/// <summary>s7 endpoint, s7 in, s7 out and s7 control against the real Snap7 peer.</summary>
public sealed class S7NodeTests(S7PeerFixture fixture) : IClassFixture<S7PeerFixture>
{
    private int Port => fixture.Peer.Port;

    private const string Db3Table = """
        [{"addr":"DB3,BYTE0","name":"byte"},{"addr":"DB3,INT4","name":"int"},{"addr":"DB3,REAL14","name":"real"},
         {"addr":"DB3,S26.10","name":"text"},{"addr":"DB3,X38.0","name":"bit"},{"addr":"IW2","name":"input"}]
        """;

    private static string In(string mode, string variable = "", bool diff = true) =>
        $$"""
        {"id":"in","type":"s7 in","z":"t1","endpoint":"plc","mode":"{{mode}}","variable":"{{variable}}","diff":{{(diff ? "true" : "false")}},"wires":[["h"]]},
        {"id":"h","type":"helper","z":"t1","wires":[]}
        """;

    [Fact]
    public async Task All_mode_sends_every_variable_in_one_object()
    {
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, Db3Table) + "," + In("all", diff: false));
        var message = await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        Assert.Equal("""{"byte":165,"int":-1234,"real":3.25,"text":"Hello","bit":true,"input":4660}""", JsJson.Serialize(message["payload"]));
        Assert.False(message.ContainsKey("errors"));
        // Without diff the next cycle sends again, though nothing changed.
        await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        Assert.True(await S7Flows.EventuallyAsync(() => S7Flows.Node<S7InNode>(flow, "in").Status.Text?.StartsWith("connected", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task Single_mode_with_diff_sends_a_constant_value_once()
    {
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, Db3Table) + "," + In("single", "int"));
        var message = await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        Assert.Equal(-1234.0, message["payload"]);
        Assert.Equal("int", message["topic"]);
        var endpoint = S7Flows.Node<S7EndpointNode>(flow, "plc");
        var cycles = endpoint.CyclesRun;
        Assert.True(await S7Flows.EventuallyAsync(() => endpoint.CyclesRun >= cycles + 3));
        Assert.Single(flow.Received("h"));
    }

    [Fact]
    public async Task Single_mode_with_diff_follows_a_changing_value()
    {
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, """[{"addr":"DB1,INT4","name":"counter"}]""") + "," + In("single", "counter"));
        var first = await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        var second = await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        Assert.NotEqual(first["payload"], second["payload"]);
        // The counter moves every 500 ms and the cycle is 100 ms: without diff there would be about five messages per change.
        Assert.True(flow.Received("h").Count <= 3);
    }

    [Fact]
    public async Task All_split_sends_one_message_per_variable_named_in_the_topic()
    {
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, Db3Table) + "," + In("all-split"));
        var messages = await flow.NextAsync("h", 6, TimeSpan.FromSeconds(15));
        var byTopic = messages.ToDictionary(m => (string)m["topic"]!, m => m["payload"]);
        Assert.Equal(165.0, byTopic["byte"]);
        Assert.Equal("Hello", byTopic["text"]);
        Assert.Equal(true, byTopic["bit"]);
        Assert.Equal(4660.0, byTopic["input"]);
    }

    [Fact]
    public async Task A_bad_address_is_reported_at_start_and_the_other_variables_are_still_read()
    {
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, """
            [{"addr":"DB3,INT4","name":"good"},{"addr":"DB3,FOO1","name":"bad"},{"addr":"DB99,INT0","name":"missing"}]
            """) + "," + In("all", diff: false));
        var message = await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        Assert.Equal("""{"good":-1234}""", JsJson.Serialize(message["payload"]));
        var errors = (JsObject)message["errors"]!;
        Assert.Contains("unknown type \"FOO\"", (string)errors["bad"]!, StringComparison.Ordinal);
        Assert.Equal("DB99,INT0: object does not exist", errors["missing"]);
        Assert.Contains(flow.Logs, l => l.Message.Contains("variable \"bad\"", StringComparison.Ordinal));
        var node = S7Flows.Node<S7InNode>(flow, "in");
        Assert.True(await S7Flows.EventuallyAsync(() => node.Status.Text?.StartsWith("error:", StringComparison.Ordinal) == true), node.Status.Text);
        Assert.Equal("red", node.Status.Fill);
    }

    [Fact]
    public async Task S7_out_writes_the_payload_and_audits_the_hmi_user()
    {
        var audit = new AuditRecorder();
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, """[{"addr":"DB2,INT100","name":"setpoint"}]""") + "," + """
            {"id":"out","type":"s7 out","z":"t1","endpoint":"plc","variable":"setpoint","wires":[]}
            """, audit);
        flow.Send("out", """{"payload":-321,"_client":{"user":"alice"}}""");
        Assert.True(await S7Flows.EventuallyAsync(() => !audit.Records.IsEmpty));
        var record = Assert.Single(audit.Records);
        Assert.Equal("s7.write", record.Action);
        Assert.Equal("alice", record.User);
        Assert.Equal("ok", record.Details!["result"]);
        Assert.Equal("DB2,INT100", record.Details["address"]);
        await using var check = new S7Client(new S7ConnectionOptions { Host = "127.0.0.1", Port = Port });
        var read = await check.ReadAsync([S7Address.Parse("DB2,INT100")], CancellationToken.None);
        Assert.Equal(-321.0, read[0].Value);
        Assert.Contains(flow.Logs, l => l.Message.StartsWith("audit: s7 write", StringComparison.Ordinal) && l.Message.Contains("for alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task S7_out_takes_an_address_from_msg_variable_and_a_refused_write_reaches_catch_nodes()
    {
        var audit = new AuditRecorder();
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, "[]") + "," + """
            {"id":"out","type":"s7 out","z":"t1","endpoint":"plc","variable":"","wires":[]},
            {"id":"c","type":"catch","z":"t1","scope":null,"uncaught":false,"wires":[["e"]]},
            {"id":"e","type":"helper","z":"t1","wires":[]}
            """, audit);
        flow.Send("out", """{"payload":7.5,"variable":"MR40"}""");
        flow.Send("out", """{"payload":1,"variable":"DB99,INT0"}""");
        flow.Send("out", """{"payload":70000,"variable":"DB2,INT110"}""");
        flow.Send("out", """{"payload":1,"variable":"DB2;INT0"}""");
        var errors = await flow.NextAsync("e", 3, TimeSpan.FromSeconds(15));
        var texts = errors.Select(e => (string)((JsObject)e["error"]!)["message"]!).ToList();
        Assert.Contains(texts, t => t.Contains("DB99,INT0: object does not exist", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("70000 is outside -32768..32767", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("neither a variable", StringComparison.Ordinal));
        Assert.True(await S7Flows.EventuallyAsync(() => audit.Records.Count >= 3));
        Assert.Contains(audit.Records, r => (string?)r.Details!["variable"] == "MR40" && (string?)r.Details["result"] == "ok");
        Assert.Contains(audit.Records, r => (string?)r.Details!["variable"] == "DB99,INT0" && (string?)r.Details["result"] == "DB99,INT0: object does not exist");
        await using var check = new S7Client(new S7ConnectionOptions { Host = "127.0.0.1", Port = Port });
        Assert.Equal(7.5, (await check.ReadAsync([S7Address.Parse("MR40")], CancellationToken.None))[0].Value);
    }

    [Fact]
    public async Task Control_trigger_reads_on_demand_when_the_cycle_time_is_zero_and_cycletime_starts_polling()
    {
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(Port, Db3Table, ""","cycletime":0""").Replace("\"cycletime\":100,", "", StringComparison.Ordinal)
            + "," + In("single", "int", diff: false) + "," + """
            {"id":"trigger","type":"s7 control","z":"t1","endpoint":"plc","function":"trigger","wires":[]},
            {"id":"cycle","type":"s7 control","z":"t1","endpoint":"plc","function":"cycletime","wires":[]}
            """);
        var endpoint = S7Flows.Node<S7EndpointNode>(flow, "plc");
        Assert.True(await S7Flows.EventuallyAsync(() => endpoint.State == S7State.Connected));
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(500)));
        flow.Send("trigger", """{"payload":true}""");
        Assert.Equal(-1234.0, (await flow.NextAsync("h", TimeSpan.FromSeconds(15)))["payload"]);
        flow.Send("cycle", """{"payload":100}""");
        await flow.NextAsync("h", 3, TimeSpan.FromSeconds(15));
        Assert.Equal(TimeSpan.FromMilliseconds(100), endpoint.CycleTime);
    }

    [Fact]
    public async Task A_plc_slower_than_the_cycle_skips_cycles_and_counts_them_in_the_status()
    {
        await using var relay = new DelayRelay(Port, TimeSpan.FromMilliseconds(250));
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(relay.Port, Db3Table) + "," + In("all", diff: false));
        await flow.NextAsync("h", 3, TimeSpan.FromSeconds(20));
        var endpoint = S7Flows.Node<S7EndpointNode>(flow, "plc");
        Assert.True(endpoint.SkippedCycles >= 2, $"skipped {endpoint.SkippedCycles}");
        var node = S7Flows.Node<S7InNode>(flow, "in");
        Assert.True(await S7Flows.EventuallyAsync(() => node.Status.Text?.Contains(" skipped", StringComparison.Ordinal) == true), node.Status.Text);
    }
}

/// <summary>The PLC disappears while polling: its own peer, killed and restarted.</summary>
public sealed class S7ReconnectTests
{
    [Fact]
    public async Task A_plc_that_disappears_shows_disconnected_and_polling_recovers_when_it_returns()
    {
        await using var peer = await S7Peer.StartAsync();
        await using var flow = await S7Flows.StartAsync(S7Flows.Endpoint(peer.Port, """[{"addr":"DB3,INT4","name":"int"}]""", ""","reconnectDelay":100,"reconnectMaxDelay":400""") + "," + """
            {"id":"in","type":"s7 in","z":"t1","endpoint":"plc","mode":"single","variable":"int","diff":false,"wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        var node = S7Flows.Node<S7InNode>(flow, "in");
        Assert.True(await S7Flows.EventuallyAsync(() => node.Status.Text?.StartsWith("connected", StringComparison.Ordinal) == true), node.Status.Text);

        await peer.StopAsync();
        Assert.True(await S7Flows.EventuallyAsync(() => node.Status.Text?.StartsWith("disconnected", StringComparison.Ordinal) == true), node.Status.Text);
        Assert.Equal("red", node.Status.Fill);
        var endpoint = S7Flows.Node<S7EndpointNode>(flow, "plc");
        Assert.Equal(S7State.Disconnected, endpoint.State);

        await peer.LaunchAsync();
        Assert.True(await S7Flows.EventuallyAsync(() => node.Status.Text?.StartsWith("connected", StringComparison.Ordinal) == true), node.Status.Text);
        var before = flow.Received("h").Count;
        Assert.True(await S7Flows.EventuallyAsync(() => flow.Received("h").Count > before + 2));
        Assert.Equal(-1234.0, flow.Received("h")[^1]["payload"]);
        Assert.Contains(flow.Logs, l => l.Message.Contains("connected again", StringComparison.Ordinal));
    }
}
