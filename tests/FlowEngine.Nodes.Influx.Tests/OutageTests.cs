using FlowEngine.TestKit.Peers;
using FlowEngine.Core.Runtime;
using FlowEngine.Nodes.Influx.Tests.Peers;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Influx.Tests.InfluxFlows;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>
/// The database goes away and comes back: each test has its own influxd, because they stop it. Points are counted
/// and summed afterwards: a lost point lowers the count, a point written twice with a new timestamp raises it.
/// </summary>
public class OutageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static JsonMessage Point(int seq) => new("{\"payload\":{\"seq\":\"" + seq + "i\",\"v\":" + seq + "}}");

    private readonly record struct JsonMessage(string Json);

    private static string Retrying(string extra = "") => $$""","measurement":"s","batchSize":500,"batchInterval":50,"retryDelay":100,"retryMaxDelay":400{{extra}}""";

    [Fact]
    public async Task Hundred_thousand_points_with_influxd_stopped_midway_arrive_exactly_once_and_in_order()
    {
        const int total = 100_000;
        await using var peer = await InfluxPeer.StartAsync();
        await peer.CreateDatabaseAsync("plant");
        await using var flow = await TestFlow.StartAsync(Writer(Server(peer.Url, "plant"), properties: Retrying()), Options());
        var seq = 0;
        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                flow.Send("out", Point(seq++).Json);
                if (seq % 5000 == 0) await Task.Yield();
            }
        }

        await SendAsync(30_000);
        await peer.StopAsync();
        await SendAsync(40_000);
        // The node keeps accepting while the server is away; its status says it is spooling.
        var spooling = await Waiting.UntilAsync(() => flow.Statuses.Any(s => s.Status.Text?.StartsWith("spool", StringComparison.Ordinal) == true), Wait);
        Assert.True(spooling, "no spool status while influxd was down");
        await Task.Delay(1500);
        await peer.RestartAsync();
        await SendAsync(total - 70_000);

        var count = await peer.WaitForCountAsync("SELECT count(v) FROM s", "plant", total, Wait);
        Assert.Equal(total, count);
        var sum = (await peer.ScalarAsync("SELECT sum(seq) FROM s", "plant"))!.Value.GetInt64();
        Assert.Equal((long)total * (total - 1) / 2, sum);
        // Arrival order is time order: the receive timestamps grow with seq, so the first and last by time are 0 and total-1.
        Assert.Equal(0, (await peer.ScalarAsync("SELECT first(seq) FROM s", "plant"))!.Value.GetInt64());
        Assert.Equal(total - 1, (await peer.ScalarAsync("SELECT last(seq) FROM s", "plant"))!.Value.GetInt64());
    }

    [Fact]
    public async Task Spooled_points_survive_a_process_restart_and_are_written_when_influxd_returns()
    {
        await using var peer = await InfluxPeer.StartAsync();
        await peer.CreateDatabaseAsync("plant");
        await peer.StopAsync();
        var userDir = Directory.CreateTempSubdirectory("influx-spool-test-").FullName;
        try
        {
            var flowJson = Writer(Server(peer.Url, "plant"), properties: Retrying());
            await using (var first = await TestFlow.StartAsync(flowJson, Options(userDir)))
            {
                for (var i = 0; i < 1200; i++) first.Send("out", Point(i).Json);
                await first.SettleAsync();
            }
            Assert.True(File.Exists(Path.Combine(userDir, "influx-spool", "out.db")));

            await peer.RestartAsync();
            await using var second = await TestFlow.StartAsync(flowJson, Options(userDir));
            for (var i = 1200; i < 1500; i++) second.Send("out", Point(i).Json);
            Assert.Equal(1500, await peer.WaitForCountAsync("SELECT count(v) FROM s", "plant", 1500, Wait));
            Assert.Equal(1500L * 1499 / 2, (await peer.ScalarAsync("SELECT sum(seq) FROM s", "plant"))!.Value.GetInt64());
            Assert.Equal(1499, (await peer.ScalarAsync("SELECT last(seq) FROM s", "plant"))!.Value.GetInt64());
            Assert.Contains(second.Logs, l => l.Message.Contains("resuming 1200 spooled points", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }

    [Fact]
    public async Task Spooled_points_survive_a_redeploy_of_the_node()
    {
        await using var peer = await InfluxPeer.StartAsync();
        await peer.CreateDatabaseAsync("plant");
        await peer.StopAsync();
        var flowJson = Writer(Server(peer.Url, "plant"), properties: Retrying());
        await using var flow = await TestFlow.StartAsync(flowJson, Options());
        for (var i = 0; i < 700; i++) flow.Send("out", Point(i).Json);
        await flow.SettleAsync();
        // A changed property restarts the node: its spool must carry over in order.
        await flow.DeployAsync(Writer(Server(peer.Url, "plant"), properties: Retrying(""","name":"renamed" """)));
        for (var i = 700; i < 1000; i++) flow.Send("out", Point(i).Json);
        await peer.RestartAsync();
        await AssertEverySeqArrivedAsync(peer, flow, 1000);
    }

    [Fact]
    public async Task A_full_spool_with_drop_newest_keeps_the_oldest_points_and_says_so()
    {
        await using var peer = await InfluxPeer.StartAsync();
        await peer.CreateDatabaseAsync("plant");
        await peer.StopAsync();
        await using var flow = await TestFlow.StartAsync(
            Writer(Server(peer.Url, "plant"), properties: ""","measurement":"s","batchSize":10,"batchInterval":0,"retryDelay":100,"retryMaxDelay":200,"spoolMaxPoints":100,"spoolOverflow":"drop-newest" """),
            Options());
        for (var i = 0; i < 150; i++) flow.Send("out", Point(i).Json);
        Assert.True(await Waiting.UntilAsync(() => flow.Statuses.Any(s => s.Status.Text?.Contains("spool full", StringComparison.Ordinal) == true), Wait),
            "no spool-full status: " + string.Join(" | ", flow.Statuses.Select(s => s.Status.Text)));
        Assert.Contains(flow.Logs, l => l.Message.Contains("spool full (100 points): refused", StringComparison.Ordinal));
        Assert.Contains(flow.Statuses, s => s.Status.Text?.Contains("drop-newest", StringComparison.Ordinal) == true && s.Status.Text.Contains("/100", StringComparison.Ordinal));
        await peer.RestartAsync();
        Assert.Equal(100, await peer.WaitForCountAsync("SELECT count(v) FROM s", "plant", 100, Wait));
        Assert.Equal(99, (await peer.ScalarAsync("SELECT max(seq) FROM s", "plant"))!.Value.GetInt64());
    }

    [Fact]
    public async Task A_full_spool_with_drop_oldest_keeps_the_newest_points()
    {
        await using var peer = await InfluxPeer.StartAsync();
        await peer.CreateDatabaseAsync("plant");
        await peer.StopAsync();
        await using var flow = await TestFlow.StartAsync(
            Writer(Server(peer.Url, "plant"), properties: ""","measurement":"s","batchSize":10,"batchInterval":0,"retryDelay":100,"retryMaxDelay":200,"spoolMaxPoints":100,"spoolOverflow":"drop-oldest" """),
            Options());
        for (var i = 0; i < 150; i++) flow.Send("out", Point(i).Json);
        Assert.True(await Waiting.UntilAsync(() => flow.Logs.Any(l => l.Message.Contains("oldest unwritten points", StringComparison.Ordinal)), Wait));
        await flow.SettleAsync();
        await peer.RestartAsync();
        Assert.Equal(100, await peer.WaitForCountAsync("SELECT count(v) FROM s", "plant", 100, Wait));
        Assert.Equal(149, (await peer.ScalarAsync("SELECT max(seq) FROM s", "plant"))!.Value.GetInt64());
        Assert.Equal(50, (await peer.ScalarAsync("SELECT min(seq) FROM s", "plant"))!.Value.GetInt64());
    }

    /// <summary>
    /// Waits until seq 0..total-1 are all stored, each once. On failure the message names the missing seq ranges and
    /// what the node logged and showed, so a rare failure in CI can be understood from its output alone.
    /// </summary>
    private static async Task AssertEverySeqArrivedAsync(InfluxPeer peer, TestFlow flow, int total)
    {
        var count = await peer.WaitForCountAsync("SELECT count(v) FROM s", "plant", total, Wait);
        var sum = (await peer.ScalarAsync("SELECT sum(seq) FROM s", "plant"))?.GetInt64() ?? 0;
        if (count == total && sum == (long)total * (total - 1) / 2) return;
        var stored = (await peer.RowsAsync("SELECT seq FROM s", "plant")).Select(r => r["seq"].GetInt64()).ToList();
        var present = stored.ToHashSet();
        var missing = new List<string>();
        for (var i = 0; i < total; i++)
        {
            if (present.Contains(i)) continue;
            var start = i;
            while (i + 1 < total && !present.Contains(i + 1)) i++;
            missing.Add(start == i ? $"{start}" : $"{start}-{i}");
        }
        var duplicates = stored.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).Take(20);
        Assert.Fail($"""
            stored {count} points (sum {sum}), expected {total}
            missing seq: {string.Join(", ", missing)}
            stored twice: {string.Join(", ", duplicates)}
            log:
            {string.Join("\n", flow.Logs.Select(l => $"{l.Level} {l.Node?.Id}: {l.Message}"))}
            statuses:
            {string.Join("\n", flow.Statuses.Select(s => $"{s.Node.Id}: {s.Status.Text}"))}
            """);
    }
}
