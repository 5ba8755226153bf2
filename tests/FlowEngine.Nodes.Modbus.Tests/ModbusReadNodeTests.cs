using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Tests.Peers;

namespace FlowEngine.Nodes.Modbus.Tests;

/// <summary>modbus-read against the npm peer (holding[i] = i, input[i] = 1000 + i, coil[i] = i even, discrete[i] = i % 3 == 0).</summary>
public sealed class ModbusReadNodeTests(ModbusPeerFixture fixture) : IClassFixture<ModbusPeerFixture>
{
    private ModbusPeer Peer => fixture.Peer;

    private static string Read(string tags, string extra = "") =>
        $$"""
        {"id":"r","type":"modbus-read","z":"t1","device":"dev","interval":1000,"jitter":0,"tags":{{tags}}{{extra}},"wires":[["h"]]},
        {"id":"h","type":"helper","z":"t1","wires":[]}
        """;

    [Fact]
    public async Task Contiguous_tags_are_merged_into_one_request_and_decoded_by_type()
    {
        Peer.ClearRequests();
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + Read("""
            [{"name":"a","area":"holding","address":0,"type":"uint16"},
             {"name":"b","area":"holding","address":1,"type":"int16"},
             {"name":"c","area":"holding","address":2,"type":"uint32"},
             {"name":"swapped","area":"holding","address":2,"type":"int32","order":"CDAB"},
             {"name":"far","area":"holding","address":10,"type":"uint16","scale":0.5,"offset":1}]
            """, ""","topic":"plc1" """));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));

        var msg = await flow.NextAsync("h");
        Assert.Equal("plc1", msg["topic"]);
        Assert.Equal("""{"a":0,"b":1,"c":131075,"swapped":196610,"far":6}""", JsJson.Serialize(msg["payload"]));
        Assert.Equal(2.0, ((JsObject)msg["modbus"]!)["requests"]);
        Assert.True(await ModbusFlows.EventuallyAsync(() => Peer.Requests.Count >= 2));
        await Task.Delay(100);
        Assert.Equal(["REQ unit=1 fc=3 addr=0 qty=4", "REQ unit=1 fc=3 addr=10 qty=1"], Peer.Requests.Order());
    }

    [Fact]
    public async Task A_gap_up_to_max_gap_is_read_through_in_the_same_request()
    {
        Peer.ClearRequests();
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + Read("""
            [{"name":"x","area":"input","address":20},{"name":"y","area":"input","address":24}]
            """, ""","maxGap":3"""));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var msg = await flow.NextAsync("h");
        Assert.Equal("""{"x":1020,"y":1024}""", JsJson.Serialize(msg["payload"]));
        Assert.True(await ModbusFlows.EventuallyAsync(() => Peer.Requests.Count >= 1));
        await Task.Delay(100);
        Assert.Equal(["REQ unit=1 fc=4 addr=20 qty=5"], Peer.Requests);
    }

    [Fact]
    public async Task Output_per_tag_sends_one_message_per_tag_with_the_tag_name_as_topic()
    {
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + Read("""
            [{"name":"running","area":"coil","address":4},
             {"name":"alarm","area":"discrete","address":4},
             {"name":"flow","area":"input","address":7,"scale":0.1},
             {"name":"bit1","area":"holding","address":2,"type":"bool","bit":1}]
            """, ""","output":"tag" """));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var messages = await flow.NextAsync("h", 4);
        var byTopic = messages.ToDictionary(m => (string)m["topic"]!, m => m["payload"]);
        Assert.Equal(true, byTopic["running"]);
        Assert.Equal(false, byTopic["alarm"]);
        Assert.Equal(100.7, (double)byTopic["flow"]!, 9);
        Assert.Equal(true, byTopic["bit1"]);
        var coil = messages.Single(m => (string)m["topic"]! == "running");
        Assert.Equal($$"""{"device":"127.0.0.1:{{Peer.Port}}","unitId":1,"area":"coil","address":4,"type":"bool"}""", JsJson.Serialize(coil["modbus"]));
    }

    [Fact]
    public async Task Polls_repeat_every_interval_on_the_fake_clock()
    {
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + Read("""[{"name":"v","area":"holding","address":3}]"""));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await flow.NextAsync("h");
        for (var i = 0; i < 3; i++)
        {
            await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
            Assert.Equal(3.0, ((JsObject)(await flow.NextAsync("h"))["payload"]!)["v"]);
        }
        Assert.Equal(4, ModbusFlows.Node<ModbusReadNode>(flow, "r").Statistics.Polls);
    }

    [Fact]
    public async Task A_poll_still_running_when_the_next_is_due_is_skipped_and_counted()
    {
        // holding 850 answers after 500 ms: the next tick, 1 s later on the fake clock, comes while it still runs.
        // The response timeout runs on the same fake clock: longer than the interval, so only the poll is late.
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port, ""","timeout":5000""") + "," + Read("""[{"name":"slow","area":"holding","address":850}]"""));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        var first = await flow.NextAsync("h");
        Assert.Equal(850.0, ((JsObject)first["payload"]!)["slow"]);
        var node = ModbusFlows.Node<ModbusReadNode>(flow, "r");
        Assert.Equal(1, node.Statistics.Skipped);
        Assert.Equal(1, node.Statistics.Polls);
        Assert.True(await ModbusFlows.EventuallyAsync(() => node.Status.Text == "1 tags · 1 skipped"), node.Status.Text);
        Assert.Equal(1.0, ((JsObject)first["modbus"]!)["skipped"]);
    }

    [Fact]
    public async Task Default_jitter_spreads_the_first_polls_of_many_nodes_over_the_interval()
    {
        var nodes = string.Join(",", Enumerable.Range(0, 20).Select(i =>
            $$"""{"id":"r{{i}}","type":"modbus-read","z":"t1","device":"dev","interval":1000,"tags":[{"name":"v","area":"holding","address":0}],"wires":[]}"""));
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + nodes);
        var phases = Enumerable.Range(0, 20).Select(i => ModbusFlows.Node<ModbusReadNode>(flow, $"r{i}").Phases[0]).ToList();
        Assert.All(phases, p => Assert.InRange(p, TimeSpan.Zero, TimeSpan.FromMilliseconds(999)));
        Assert.True(phases.Distinct().Count() >= 15, string.Join(",", phases));
        Assert.True(phases.Max() - phases.Min() > TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task Tags_with_their_own_interval_are_polled_on_their_own_schedule()
    {
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + Read("""
            [{"name":"fast","area":"holding","address":1,"interval":500},{"name":"slow","area":"holding","address":2}]
            """));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        await flow.NextAsync("h", 2);
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(500));
        var fastOnly = await flow.NextAsync("h");
        Assert.Equal("""{"fast":1}""", JsJson.Serialize(fastOnly["payload"]));
        Assert.True(await flow.NothingArrivesAsync("h"));
        Assert.Equal(2, ModbusFlows.Node<ModbusReadNode>(flow, "r").Plan.Count);
    }

    [Fact]
    public async Task A_read_refused_by_the_device_shows_in_the_status_and_the_log_once()
    {
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + Read("""
            [{"name":"ok","area":"holding","address":5},{"name":"bad","area":"holding","address":5000}]
            """));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var msg = await flow.NextAsync("h");
        Assert.Equal("""{"ok":5}""", JsJson.Serialize(msg["payload"]));
        Assert.Contains("Illegal Data Address", (string)((JsObject)msg["errors"]!)["bad"]!, StringComparison.Ordinal);
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        await flow.NextAsync("h");
        var node = ModbusFlows.Node<ModbusReadNode>(flow, "r");
        Assert.Equal("1/2 tags · refused: Illegal Data Address", node.Status.Text);
        Assert.Single(flow.Logs, l => l.Message.Contains("Illegal Data Address", StringComparison.Ordinal));
    }
}
