using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Network;

/// <summary>udp in and udp out over loopback.</summary>
public sealed class UdpNodeTests
{
    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task Udp_in_receives_a_datagram_as_utf8_with_the_sender()
    {
        var port = FreeUdpPort();
        await using var flow = await StartAsync($$""" "type":"udp in","port":"{{port}}","ipv":"udp4","multicast":"false","datatype":"utf8" """, fakeClock: false);
        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var senderPort = ((IPEndPoint)sender.Client.LocalEndPoint!).Port;
        JsObject? msg = null;
        for (var attempt = 0; attempt < 50 && msg is null; attempt++)
        {
            await sender.SendAsync("hey"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
            if (!await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(50))) msg = await flow.NextAsync("h0");
        }
        Assert.NotNull(msg);
        Assert.Equal("hey", msg["payload"]);
        Assert.Equal("127.0.0.1", msg["ip"]);
        Assert.Equal((double)senderPort, msg["port"]);
        Assert.Equal($"127.0.0.1:{senderPort}", msg["fromip"]);
    }

    [Fact]
    public async Task Udp_out_sends_to_the_configured_address_and_udp_in_buffer_receives_it()
    {
        var port = FreeUdpPort();
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        await using var flow = await StartAsync($$""" "type":"udp out","addr":"127.0.0.1","port":"{{port}}","ipv":"udp4","multicast":"false","base64":false """, "[]", fakeClock: false);
        flow.Send("n", """{"payload":{"a":1}}""");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var datagram = await receiver.ReceiveAsync(timeout.Token);
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(datagram.Buffer));
    }

    [Fact]
    public async Task Udp_out_uses_msg_ip_and_port_when_blank_and_decodes_base64()
    {
        var port = FreeUdpPort();
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        await using var flow = await StartAsync(""" "type":"udp out","addr":"","port":"","ipv":"udp4","base64":true """, "[]", fakeClock: false);
        flow.Send("n", new JsObject { ["payload"] = "AAEC", ["ip"] = "127.0.0.1", ["port"] = (double)port });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(new byte[] { 0, 1, 2 }, (await receiver.ReceiveAsync(timeout.Token)).Buffer);
    }

    [Fact]
    public async Task Udp_out_without_an_address_reports_an_error()
    {
        await using var flow = await StartAsync(""" "type":"udp out","addr":"","port":"" """, "[]", fakeClock: false);
        flow.Send("n", """{"payload":"x"}""");
        Assert.Equal("udp: ip address or port not set", ((JsObject)(await flow.NextAsync("err"))["error"]!)["message"]);
    }

    [Fact]
    public async Task Udp_in_on_a_port_in_use_shows_an_error_status()
    {
        using var holder = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var port = ((IPEndPoint)holder.Client.LocalEndPoint!).Port;
        await using var flow = await StartAsync($$""" "type":"udp in","port":"{{port}}","datatype":"buffer" """, fakeClock: false);
        await flow.StatusAsync("n", "error");
    }
}
