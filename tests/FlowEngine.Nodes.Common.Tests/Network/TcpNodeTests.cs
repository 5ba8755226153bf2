using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Network;

/// <summary>tcp in, tcp out and tcp request against real loopback sockets.</summary>
public sealed class TcpNodeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return client;
            }
            catch (SocketException) when (attempt < 100)
            {
                client.Dispose();
                await Task.Delay(20);
            }
        }
    }

    private static async Task<string> ReadTextAsync(NetworkStream stream, int length)
    {
        var buffer = new byte[length];
        var total = 0;
        using var timeout = new CancellationTokenSource(Wait);
        while (total < length) total += await stream.ReadAsync(buffer.AsMemory(total), timeout.Token);
        return Encoding.UTF8.GetString(buffer);
    }

    [Fact]
    public async Task Tcp_in_server_splits_utf8_text_on_the_newline_and_sends_the_rest_at_close()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp in","server":"server","port":"{{port}}","datamode":"stream","datatype":"utf8","newline":"\\n","topic":"tt" """, fakeClock: false);
        using (var client = await ConnectAsync(port))
        {
            await client.GetStream().WriteAsync("a\nb"u8.ToArray());
            await client.GetStream().WriteAsync("\nc"u8.ToArray());
            var first = await flow.NextAsync("h0");
            Assert.Equal("a", first["payload"]);
            Assert.Equal("tt", first["topic"]);
            Assert.Equal("127.0.0.1", first["ip"]);
            Assert.Equal("tcp", ((JsObject)first["_session"]!)["type"]);
            Assert.Equal("b", (await flow.NextAsync("h0"))["payload"]);
        }
        Assert.Equal("c", (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Tcp_in_trim_reattaches_the_delimiter()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp in","server":"server","port":"{{port}}","datamode":"stream","datatype":"utf8","newline":";","trim":true """, fakeClock: false);
        using var client = await ConnectAsync(port);
        await client.GetStream().WriteAsync("x;y;"u8.ToArray());
        Assert.Equal("x;", (await flow.NextAsync("h0"))["payload"]);
        Assert.Equal("y;", (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Tcp_in_single_mode_sends_everything_when_the_connection_closes()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp in","server":"server","port":"{{port}}","datamode":"single","datatype":"buffer" """, fakeClock: false);
        using (var client = await ConnectAsync(port))
        {
            await client.GetStream().WriteAsync(new byte[] { 1, 2 });
            await client.GetStream().WriteAsync(new byte[] { 3 });
            Assert.True(await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(100)));
        }
        Assert.Equal(new byte[] { 1, 2, 3 }, (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Tcp_in_base64_encodes_the_data()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp in","server":"server","port":"{{port}}","datamode":"single","datatype":"base64" """, fakeClock: false);
        using (var client = await ConnectAsync(port)) await client.GetStream().WriteAsync("hi"u8.ToArray());
        Assert.Equal("aGk=", (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Tcp_out_reply_answers_the_connection_the_message_came_from()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"in","type":"tcp in","z":"t1","x":1,"y":1,"server":"server","port":"{{port}}","datamode":"stream","datatype":"utf8","newline":"","wires":[["out"]]},
             {"id":"out","type":"tcp out","z":"t1","x":1,"y":1,"beserver":"reply","wires":[]}]
            """);
        using var first = await ConnectAsync(port);
        using var second = await ConnectAsync(port);
        await first.GetStream().WriteAsync("one"u8.ToArray());
        Assert.Equal("one", await ReadTextAsync(first.GetStream(), 3));
        await second.GetStream().WriteAsync("two!"u8.ToArray());
        Assert.Equal("two!", await ReadTextAsync(second.GetStream(), 4));
    }

    [Fact]
    public async Task Tcp_out_client_connects_and_writes_decoded_base64()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var flow = await StartAsync($$""" "type":"tcp out","beserver":"client","host":"127.0.0.1","port":"{{port}}","base64":true """, "[]", fakeClock: false);
        flow.Send("n", """{"payload":"aGVsbG8="}""");
        using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(Wait);
        Assert.Equal("hello", await ReadTextAsync(accepted.GetStream(), 5));
        await flow.StatusAsync("n", "connected");
    }

    [Fact]
    public async Task Tcp_out_client_to_a_missing_peer_reports_an_error_and_shows_disconnected()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp out","beserver":"client","host":"127.0.0.1","port":"{{port}}" """, "[]", fakeClock: false);
        flow.Send("n", """{"payload":"x"}""");
        var error = await flow.NextAsync("err");
        Assert.StartsWith($"tcp out: cannot connect to 127.0.0.1:{port}", (string)((JsObject)error["error"]!)["message"]!);
        await flow.StatusAsync("n", "disconnected");
    }

    [Fact]
    public async Task Tcp_out_server_writes_to_every_connected_client()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp out","beserver":"server","port":"{{port}}" """, "[]", fakeClock: false);
        using var a = await ConnectAsync(port);
        using var b = await ConnectAsync(port);
        await flow.StatusAsync("n", "2 connections");
        flow.Send("n", """{"payload":{"k":1}}""");
        Assert.Equal("""{"k":1}""", await ReadTextAsync(a.GetStream(), 7));
        Assert.Equal("""{"k":1}""", await ReadTextAsync(b.GetStream(), 7));
    }

    /// <summary>A server that answers each connection's first data with the reply text.</summary>
    private static (TcpListener Listener, Task Loop) ReplyServer(string reply)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var loop = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var buffer = new byte[1024];
                        try
                        {
                            if (await client.GetStream().ReadAsync(buffer) > 0)
                            {
                                await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(reply));
                                await Task.Delay(300);
                            }
                        }
                        catch (IOException)
                        {
                            // The node closed first.
                        }
                    }
                });
            }
        });
        return (listener, loop);
    }

    [Fact]
    public async Task Tcp_request_char_mode_returns_up_to_and_including_the_character()
    {
        var (listener, _) = ReplyServer("pong\nextra");
        using var stop = listener;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var flow = await StartAsync($$""" "type":"tcp request","server":"127.0.0.1","port":"{{port}}","out":"char","splitc":"\\n","ret":"string" """, fakeClock: false);
        flow.Send("n", """{"payload":"ping","topic":"keep"}""");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("pong\n", msg["payload"]);
        Assert.Equal("keep", msg["topic"]);
        listener.Stop();
    }

    [Fact]
    public async Task Tcp_request_count_mode_returns_that_many_bytes_using_msg_host_and_port()
    {
        var (listener, _) = ReplyServer("abcdef");
        using var stop = listener;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var flow = await StartAsync(""" "type":"tcp request","server":"","port":"","out":"count","splitc":"3","ret":"buffer" """, fakeClock: false);
        flow.Send("n", new JsObject { ["payload"] = "go", ["host"] = "127.0.0.1", ["port"] = (double)port });
        Assert.Equal("abc", Encoding.UTF8.GetString((byte[])(await flow.NextAsync("h0"))["payload"]!));
        listener.Stop();
    }

    [Fact]
    public async Task Tcp_request_time_mode_without_a_time_returns_everything_until_the_server_closes()
    {
        var (listener, _) = ReplyServer("all of it");
        using var stop = listener;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var flow = await StartAsync($$""" "type":"tcp request","server":"127.0.0.1","port":"{{port}}","out":"time","splitc":"0","ret":"string" """, fakeClock: false);
        flow.Send("n", """{"payload":"x"}""");
        Assert.Equal("all of it", (await flow.NextAsync("h0"))["payload"]);
        listener.Stop();
    }

    [Fact]
    public async Task Tcp_request_to_a_missing_server_errors_and_the_next_message_tries_again()
    {
        var port = LoopbackHttpServer.FreePort();
        await using var flow = await StartAsync($$""" "type":"tcp request","server":"127.0.0.1","port":"{{port}}","out":"count","splitc":"1","ret":"string" """, fakeClock: false);
        flow.Send("n", """{"payload":"x"}""");
        Assert.StartsWith($"tcp request to 127.0.0.1:{port} failed", (string)((JsObject)(await flow.NextAsync("err"))["error"]!)["message"]!);
        await flow.StatusAsync("n", "error");
        flow.Send("n", """{"payload":"x"}""");
        await flow.NextAsync("err");
    }

    [Fact]
    public async Task Tcp_in_client_receives_from_the_server_and_shows_disconnected_when_it_goes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var flow = await StartAsync($$""" "type":"tcp in","server":"client","host":"127.0.0.1","port":"{{port}}","datamode":"stream","datatype":"utf8" """, fakeClock: false);
        using (var accepted = await listener.AcceptTcpClientAsync().WaitAsync(Wait))
        {
            await accepted.GetStream().WriteAsync("from server"u8.ToArray());
            Assert.Equal("from server", (await flow.NextAsync("h0"))["payload"]);
        }
        await flow.StatusAsync("n", "disconnected");
    }

    [Fact]
    public async Task Tcp_in_without_a_port_is_refused()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var flow = await StartAsync(""" "type":"tcp in","server":"server","port":"" """);
        });
    }
}
