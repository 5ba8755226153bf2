using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Tests.Peers;

namespace FlowEngine.Nodes.Modbus.Tests;

/// <summary>A device that disappears and returns: statuses, the circuit breaker, and recovery, on the fake clock.</summary>
public sealed class ModbusDeviceNodeTests
{
    [Fact]
    public async Task A_server_that_disappears_trips_the_breaker_and_polls_resume_when_it_returns()
    {
        await using var peer = await ModbusPeer.StartAsync();
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(peer.Port, ""","reconnectDelay":100,"breakerThreshold":2,"breakerDelay":5000""") + "," + """
            {"id":"r","type":"modbus-read","z":"t1","device":"dev","interval":1000,"jitter":0,"tags":[{"name":"v","area":"holding","address":7}],"wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        var node = ModbusFlows.Node<ModbusReadNode>(flow, "r");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.Equal(7.0, ((JsObject)(await flow.NextAsync("h"))["payload"]!)["v"]);

        await peer.StopAsync();
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.True(await ModbusFlows.EventuallyAsync(() => node.Status.Text == "not connected"), node.Status.Text);
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.True(await ModbusFlows.EventuallyAsync(() => node.Status.Fill == "yellow"), node.Status.Text);
        Assert.Equal("device down, retry in 5 s", node.Status.Text);
        Assert.Contains(flow.Logs, l => l.Message.Contains("backing off 5 s", StringComparison.Ordinal));

        // While the breaker is open, polls do not touch the network and keep saying so.
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.True(await ModbusFlows.EventuallyAsync(() => node.Status.Text == "device down, retry in 4 s"), node.Status.Text);
        Assert.True(await flow.NothingArrivesAsync("h"));

        await peer.RestartAsync();
        JsObject? back = null;
        for (var i = 0; i < 10 && back is null; i++)
        {
            await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
            if (!await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(300))) back = await flow.NextAsync("h");
        }
        Assert.NotNull(back);
        Assert.Equal(7.0, ((JsObject)back["payload"]!)["v"]);
        Assert.True(await ModbusFlows.EventuallyAsync(() => node.Status.Fill == "green"), node.Status.Text);
        Assert.Equal(2, ModbusFlows.Node<ModbusDeviceNode>(flow, "dev").Client!.Connects);
    }

    [Fact]
    public async Task A_device_that_never_answers_times_out_on_the_fake_clock_and_the_getter_reports_it_to_catch()
    {
        await using var peer = await ModbusPeer.StartAsync();
        // Unit 9 gets no reply from the peer: only the request timeout can end the read.
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(peer.Port, ""","timeout":2000""") + "," + """
            {"id":"g","type":"modbus-getter","z":"t1","device":"dev","area":"holding","address":1,"wires":[["h"]]},
            {"id":"c","type":"catch","z":"t1","scope":null,"uncaught":false,"wires":[["e"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]},
            {"id":"e","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("g", """{"payload":{"unitId":9},"tag":"x"}""");
        var error = await ModbusFlows.NextAdvancingAsync(flow, "e", TimeSpan.FromMilliseconds(500));
        Assert.Equal("x", error["tag"]);
        Assert.Contains("no response from 127.0.0.1:" + peer.Port + " unit 9 within 2000 ms", error.Text("error.message"), StringComparison.Ordinal);
        Assert.Equal("timeout", ModbusFlows.Node<ModbusGetterNode>(flow, "g").Status.Text);
        Assert.Empty(flow.Received("h"));
    }

    [Fact]
    public async Task A_device_nobody_listens_on_reports_not_connected_and_backs_off()
    {
        var port = ModbusPeer.FreePort();
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(port, ""","breakerThreshold":1,"breakerDelay":10000""") + "," + """
            {"id":"g","type":"modbus-getter","z":"t1","device":"dev","area":"coil","address":0,"wires":[["h"]]},
            {"id":"c","type":"catch","z":"t1","scope":null,"uncaught":false,"wires":[["e"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]},
            {"id":"e","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("g", """{"payload":1}""");
        Assert.Contains("connecting to 127.0.0.1:" + port + " failed", (await flow.NextAsync("e")).Text("error.message"), StringComparison.Ordinal);
        flow.Send("g", """{"payload":2}""");
        Assert.Contains("is down; backing off, next try in 10 s", (await flow.NextAsync("e")).Text("error.message"), StringComparison.Ordinal);
        Assert.Equal("device down, retry in 10 s", ModbusFlows.Node<ModbusGetterNode>(flow, "g").Status.Text);
    }
}
