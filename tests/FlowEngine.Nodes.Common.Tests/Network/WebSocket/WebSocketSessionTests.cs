using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using FlowEngine.Nodes.Common.Network;

namespace FlowEngine.Nodes.Common.Tests.Network.WebSocket;

/// <summary>WebSocketSession over a real loopback TCP connection, framed by .NET's WebSocket on both ends.</summary>
public sealed class WebSocketSessionTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private TcpClient? _serverTcp;
    private TcpClient? _clientTcp;
    private System.Net.WebSockets.WebSocket _server = null!;
    private System.Net.WebSockets.WebSocket _client = null!;

    public async Task InitializeAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _clientTcp = new TcpClient();
        var connect = _clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        _serverTcp = await listener.AcceptTcpClientAsync();
        await connect;
        _server = System.Net.WebSockets.WebSocket.CreateFromStream(_serverTcp.GetStream(), new WebSocketCreationOptions { IsServer = true });
        _client = System.Net.WebSockets.WebSocket.CreateFromStream(_clientTcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        _server.Dispose();
        _clientTcp?.Dispose();
        _serverTcp?.Dispose();
        return Task.CompletedTask;
    }

    private static async Task<(byte[] Data, WebSocketMessageType Type)> ReceiveAsync(System.Net.WebSockets.WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[256 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) return ([], WebSocketMessageType.Close);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return (message.ToArray(), result.MessageType);
        }
    }

    [Fact]
    public async Task Whole_messages_arrive_in_order_even_when_the_peer_fragments_them()
    {
        var session = new WebSocketSession("s", _server, 1024, 100);
        var received = Channel.CreateUnbounded<WebSocketIncoming>();
        using var stop = new CancellationTokenSource();
        var run = session.RunAsync(m => { received.Writer.TryWrite(m); return ValueTask.CompletedTask; }, stop.Token);

        await _client.SendAsync("hel"u8.ToArray(), WebSocketMessageType.Text, false, default);
        await _client.SendAsync("lo"u8.ToArray(), WebSocketMessageType.Text, true, default);
        await _client.SendAsync(new byte[] { 7, 8 }, WebSocketMessageType.Binary, true, default);

        using var timeout = new CancellationTokenSource(Patience);
        var first = await received.Reader.ReadAsync(timeout.Token);
        Assert.True(first.IsText);
        Assert.Equal("hello", Encoding.UTF8.GetString(first.Data));
        var second = await received.Reader.ReadAsync(timeout.Token);
        Assert.False(second.IsText);
        Assert.Equal(new byte[] { 7, 8 }, second.Data);

        await _client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        var end = await run.WaitAsync(Patience);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, end.Status);
    }

    [Fact]
    public async Task Queued_messages_go_out_before_the_close_frame_and_the_close_waits_for_the_peer()
    {
        var session = new WebSocketSession("s", _server, 1024, 100);
        var run = session.RunAsync(_ => ValueTask.CompletedTask, CancellationToken.None);
        Assert.True(session.TrySend("a"u8.ToArray(), true));
        Assert.True(session.TrySend(new byte[] { 1 }, false));
        session.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "redeployed");
        Assert.False(session.TrySend("late"u8.ToArray(), true));

        Assert.Equal("a", Encoding.UTF8.GetString((await ReceiveAsync(_client)).Data));
        Assert.Equal(WebSocketMessageType.Binary, (await ReceiveAsync(_client)).Type);
        Assert.Equal(WebSocketMessageType.Close, (await ReceiveAsync(_client)).Type);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, _client.CloseStatus);
        Assert.Equal("redeployed", _client.CloseStatusDescription);
        Assert.False(run.IsCompleted);

        // The client answers the close: the handshake completes and the session ends.
        await _client.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "", default);
        var end = await run.WaitAsync(Patience);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, end.Status);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_the_session_with_1009()
    {
        var delivered = 0;
        var session = new WebSocketSession("s", _server, 16, 100);
        var run = session.RunAsync(_ => { delivered++; return ValueTask.CompletedTask; }, CancellationToken.None);
        await _client.SendAsync(new byte[64], WebSocketMessageType.Binary, true, default);

        Assert.Equal(WebSocketMessageType.Close, (await ReceiveAsync(_client)).Type);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, _client.CloseStatus);
        await _client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", default);
        await run.WaitAsync(Patience);
        Assert.Equal(0, delivered);
    }

    [Fact]
    public async Task A_peer_that_never_reads_is_disconnected_with_1008_once_its_outbox_is_full()
    {
        var session = new WebSocketSession("s", _server, 1024, 4);
        var run = session.RunAsync(_ => ValueTask.CompletedTask, CancellationToken.None);
        var chunk = new byte[256 * 1024];
        var refused = false;
        // TCP buffers take some megabytes; after that the send loop blocks and the outbox fills up.
        for (var i = 0; i < 2000 && !refused; i++)
        {
            refused = !session.TrySend(chunk, false);
            if (i % 4 == 3) await Task.Delay(1);
        }
        Assert.True(refused);
        Assert.False(session.IsOpen);

        // Everything queued before the refusal is still delivered, then the close frame with 1008.
        while ((await ReceiveAsync(_client)).Type != WebSocketMessageType.Close)
        {
        }
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, _client.CloseStatus);
        await _client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", default);
        await run.WaitAsync(Patience);
    }

    [Fact]
    public async Task Stopping_the_server_closes_with_1001_going_away()
    {
        var session = new WebSocketSession("s", _server, 1024, 100);
        using var stopping = new CancellationTokenSource();
        var run = session.RunAsync(_ => ValueTask.CompletedTask, stopping.Token);
        await stopping.CancelAsync();
        Assert.Equal(WebSocketMessageType.Close, (await ReceiveAsync(_client)).Type);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, _client.CloseStatus);
        await _client.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "", default);
        await run.WaitAsync(Patience);
    }
}
