using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Tests.Peers;
using static FlowEngine.Nodes.OpcUa.Tests.OpcUaFlows;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>opcua subscribe against the node-opcua peer: data changes, deadbands, item errors, server restart.</summary>
public sealed class SubscribeNodeTests(OpcUaPeerFixture fixture) : IClassFixture<OpcUaPeerFixture>
{
    private OpcUaPeer Peer => fixture.Peer;

    private static string Subscribe(string items, string extra = "") =>
        $$"""{"id":"s","type":"opcua subscribe","z":"t1","endpoint":"ep","items":{{items}},"samplingInterval":100,"publishingInterval":200{{extra}},"wires":[["h"]]}""";

    [Fact]
    public async Task Each_change_is_one_message_with_source_and_server_timestamps_and_status()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + Subscribe("""["ns=1;s=Counter"]""") + "," + """
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        var messages = await flow.NextAsync("h", 3, TimeSpan.FromSeconds(30));
        Assert.All(messages, m =>
        {
            Assert.Equal("ns=1;s=Counter", m["topic"]);
            Assert.Equal("Good", m["statusCode"]);
            Assert.Equal("Int32", m["dataType"]);
            Assert.IsType<DateTime>(m["sourceTimestamp"]);
            Assert.IsType<DateTime>(m["serverTimestamp"]);
        });
        var values = messages.Select(m => (double)m["payload"]!).ToList();
        Assert.True(values[1] > values[0] && values[2] > values[1], string.Join(",", values));
        Assert.Contains("subscribed", StatusText(flow, "s"));
    }

    [Fact]
    public async Task Absolute_deadband_drops_changes_smaller_than_the_deadband()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + Subscribe("""[{"nodeId":"ns=1;s=Level","deadbandType":"absolute","deadband":5}]""") + "," + """
            {"id":"h","type":"helper","z":"t1","wires":[]},
            {"id":"w","type":"opcua write","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Level","wires":[["hw"]]},
            {"id":"hw","type":"helper","z":"t1","wires":[]}
            """);
        await WriteAsync(flow, 100);
        await WaitForValueAsync(flow, 100);
        await WriteAsync(flow, 103); // within 5 of 100: not reported
        await Task.Delay(800);
        await WriteAsync(flow, 110); // 10 away from the last reported value
        var next = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal(110.0, next["payload"]);
    }

    [Fact]
    public async Task Percent_deadband_uses_the_eu_range_of_an_analog_item()
    {
        // EURange 0..200: 10 % is 20 units.
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + Subscribe("""[{"nodeId":"ns=1;s=Level","deadbandType":"percent","deadband":10}]""") + "," + """
            {"id":"h","type":"helper","z":"t1","wires":[]},
            {"id":"w","type":"opcua write","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Level","wires":[["hw"]]},
            {"id":"hw","type":"helper","z":"t1","wires":[]}
            """);
        await WriteAsync(flow, 50);
        await WaitForValueAsync(flow, 50);
        await WriteAsync(flow, 65); // 7.5 %: not reported
        await Task.Delay(800);
        await WriteAsync(flow, 80); // 15 % away from 50
        var next = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal(80.0, next["payload"]);
    }

    [Fact]
    public async Task Percent_deadband_on_a_variable_without_range_is_an_item_error()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + Subscribe("""[{"nodeId":"ns=1;s=Setpoint","deadbandType":"percent","deadband":10},"ns=1;s=Running"]""") + "," + """
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(30));
        Assert.Equal("ns=1;s=Setpoint", caught["topic"]);
        Assert.StartsWith("Bad", (string)caught["statusCode"]!);
        var running = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal("ns=1;s=Running", running["topic"]);
    }

    private static async Task WriteAsync(FlowEngine.TestKit.TestFlow flow, double value)
    {
        flow.Send("w", new JsObject { ["payload"] = value });
        Assert.Equal("Good", (await flow.NextAsync("hw", TimeSpan.FromSeconds(20)))["statusCode"]);
    }

    private static async Task WaitForValueAsync(FlowEngine.TestKit.TestFlow flow, double value)
    {
        while (true)
        {
            var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
            if (msg["payload"] is double d && d == value) return;
        }
    }
}

/// <summary>The server is killed and started again while a subscription runs (its own peer: the others must not see it).</summary>
public sealed class ReconnectTests
{
    [Fact]
    public async Task Subscription_is_re_created_after_the_server_restarts_and_the_status_says_so()
    {
        await using var peer = await OpcUaPeer.StartAsync();
        await using var flow = await StartAsync(Endpoint(peer.EndpointUrl, ""","sessionTimeout":10000""") + "," + """
            {"id":"s","type":"opcua subscribe","z":"t1","endpoint":"ep","items":["ns=1;s=Counter"],"samplingInterval":100,"publishingInterval":200,"keepAliveCount":5,"wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        await flow.NextAsync("h", 2, TimeSpan.FromSeconds(30));
        await peer.StopAsync();
        Assert.True(await EventuallyAsync(() => StatusText(flow, "s").Contains("connection lost", StringComparison.Ordinal) || StatusText(flow, "s").Contains("keep-alive", StringComparison.Ordinal), 30000), StatusText(flow, "s"));
        await peer.RestartAsync();
        // The restarted server counts from 0 again: the first value after the restart is small.
        Assert.True(await EventuallyAsync(() => StatusText(flow, "s").Contains("re-created", StringComparison.Ordinal), 60000), StatusText(flow, "s"));
        while (flow.Received("h").Count > 0 && await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(1)) is false)
        {
            var msg = await flow.NextAsync("h");
            if (msg["payload"] is double d && d < 10) break;
        }
        var after = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal("Good", after["statusCode"]);
        Assert.Contains(flow.Logs, l => l.Message.Contains("re-created", StringComparison.Ordinal));
    }
}
