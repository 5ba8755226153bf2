using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;

namespace FlowEngine.Host.Tests;

/// <summary>/readyz: flows started and every connection in use up.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_names_a_broker_that_is_down_and_turns_ready_when_it_comes_up()
    {
        var port = FreePort();
        var flows = $$"""
            [{"id":"t1","type":"tab","label":"Flow 1"},
             {"id":"b1","type":"mqtt-broker","broker":"127.0.0.1","port":{{port}},"clientid":"","autoConnect":true,"protocolVersion":4,"keepalive":60,"cleansession":true},
             {"id":"m1","type":"mqtt in","z":"t1","topic":"a/#","qos":"0","datatype":"auto-detect","broker":"b1","wires":[[]]}]
            """;
        await using var host = await TestHost.StartAsync(flowFile: flows);
        var notReady = await WaitForAsync(host, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("mqtt-broker b1 (", notReady);
        Assert.Contains($"mqtt://127.0.0.1:{port})", notReady);
        using (var flowsOnly = await host.Client.GetAsync("/readyz?connections=false")) Assert.Equal(HttpStatusCode.OK, flowsOnly.StatusCode);

        var options = new MqttServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port).Build();
        using var broker = new MqttServerFactory().CreateMqttServer(options);
        await broker.StartAsync();
        try
        {
            Assert.Equal("ready", await WaitForAsync(host, HttpStatusCode.OK));
        }
        finally
        {
            await broker.StopAsync();
        }
    }

    private static async Task<string> WaitForAsync(TestHost host, HttpStatusCode expected)
    {
        string last = "";
        for (var i = 0; i < 300; i++)
        {
            using var response = await host.Client.GetAsync("/readyz");
            last = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == expected) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"/readyz never answered {(int)expected}; last: {last}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
