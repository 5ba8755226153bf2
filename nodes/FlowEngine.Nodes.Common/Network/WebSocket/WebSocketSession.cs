using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>A whole message received on a session: the bytes and whether the peer sent it as text.</summary>
internal readonly record struct WebSocketIncoming(byte[] Data, bool IsText);

/// <summary>How a session ended, for the log and the status.</summary>
internal readonly record struct WebSocketEnd(WebSocketCloseStatus? Status, string Reason);

/// <summary>
/// One open WebSocket (either side) with an outbox: any thread may queue messages, one loop sends them in order
/// (a WebSocket allows a single send at a time), another reads whole messages. Closing goes through the outbox so
/// the close frame follows the messages already queued, then waits for the peer's close frame (RFC 6455 §7.1.2) and
/// aborts the socket if that does not come in time. No FlowEngine types: the nodes translate messages.
/// </summary>
internal sealed class WebSocketSession
{
    /// <summary>How long a close handshake may take before the socket is aborted.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly System.Net.WebSockets.WebSocket _socket;
    private readonly int _maxMessageBytes;
    private readonly int _outboxCapacity;
    private readonly Channel<Outgoing> _outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();
    private int _queued;
    private int _closeRequested;

    /// <param name="id">The session id the nodes put in msg._session.id.</param>
    /// <param name="maxMessageBytes">A bigger incoming message closes the session with 1009 (message too big).</param>
    /// <param name="outboxCapacity">
    /// Messages allowed to wait for a peer that does not read; beyond that the session is closed (1008) instead of
    /// holding unbounded memory or silently dropping data.
    /// </param>
    public WebSocketSession(string id, System.Net.WebSockets.WebSocket socket, int maxMessageBytes, int outboxCapacity)
    {
        Id = id;
        _socket = socket;
        _maxMessageBytes = maxMessageBytes;
        _outboxCapacity = outboxCapacity;
    }

    public string Id { get; }

    public string? SubProtocol => _socket.SubProtocol;

    public bool IsOpen => _socket.State == WebSocketState.Open && Volatile.Read(ref _closeRequested) == 0;

    /// <summary>Queues a message. False when the session is closing or its outbox is full (it is then being closed).</summary>
    public bool TrySend(ReadOnlyMemory<byte> data, bool isText)
    {
        if (!IsOpen) return false;
        if (Interlocked.Increment(ref _queued) > _outboxCapacity)
        {
            Interlocked.Decrement(ref _queued);
            RequestClose(WebSocketCloseStatus.PolicyViolation, $"more than {_outboxCapacity} messages waiting to be sent");
            return false;
        }
        if (_outbox.Writer.TryWrite(new Outgoing(data, isText, null, null))) return true;
        Interlocked.Decrement(ref _queued);
        return false;
    }

    /// <summary>Starts the close handshake after the queued messages. Only the first request counts.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0) return;
        _outbox.Writer.TryWrite(new Outgoing(default, false, status, Truncate(reason)));
        _outbox.Writer.TryComplete();
        // The peer gets CloseTimeout to answer with its own close frame; after that the receive loop is cut off.
        _abort.CancelAfter(CloseTimeout);
    }

    /// <summary>
    /// Runs the session until it is closed by either side, fails, or <paramref name="stopping"/> fires (then it
    /// closes with 1001 going away). <paramref name="onMessage"/> sees each whole message in order.
    /// </summary>
    public async Task<WebSocketEnd> RunAsync(Func<WebSocketIncoming, ValueTask> onMessage, CancellationToken stopping)
    {
        using var onStopping = stopping.Register(() => RequestClose(WebSocketCloseCodes.GoingAway, "server stopping"));
        var sender = SendLoopAsync();
        WebSocketEnd end;
        try
        {
            end = await ReceiveLoopAsync(onMessage).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            end = new WebSocketEnd(null, _abort.IsCancellationRequested ? "close handshake timed out" : ex.Message);
        }
        // Answer a close frame from the peer (or give up on the outbox when the connection broke).
        RequestClose(end.Status ?? WebSocketCloseStatus.NormalClosure, "");
        try
        {
            await sender.WaitAsync(CloseTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _socket.Abort();
        }
        _socket.Dispose();
        _abort.Dispose();
        return end;
    }

    private async Task<WebSocketEnd> ReceiveLoopAsync(Func<WebSocketIncoming, ValueTask> onMessage)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(chunk.AsMemory(), _abort.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return new WebSocketEnd(_socket.CloseStatus, _socket.CloseStatusDescription ?? "");
                }
                if (message.WrittenCount + result.Count > _maxMessageBytes)
                {
                    RequestClose(WebSocketCloseStatus.MessageTooBig, $"message larger than {_maxMessageBytes} bytes");
                    // Keep reading (and discarding) until the peer answers the close.
                    message.Clear();
                    continue;
                }
                chunk.AsSpan(0, result.Count).CopyTo(message.GetSpan(result.Count));
                message.Advance(result.Count);
                if (!result.EndOfMessage) continue;
                var data = message.WrittenSpan.ToArray();
                message.Clear();
                await onMessage(new WebSocketIncoming(data, result.MessageType == WebSocketMessageType.Text)).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var item in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (item.CloseStatus is { } status)
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(status, item.CloseReason, _abort.Token).ConfigureAwait(false);
                    }
                    return;
                }
                Interlocked.Decrement(ref _queued);
                if (_socket.State != WebSocketState.Open) continue;
                await _socket.SendAsync(item.Data, item.IsText ? WebSocketMessageType.Text : WebSocketMessageType.Binary, endOfMessage: true, _abort.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection broke while sending: the receive loop sees it too and ends the session.
            _socket.Abort();
        }
    }

    /// <summary>A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: control frame payload of 125 bytes).</summary>
    private static string Truncate(string reason)
    {
        while (System.Text.Encoding.UTF8.GetByteCount(reason) > 123) reason = reason[..^1];
        return reason;
    }

    private readonly record struct Outgoing(ReadOnlyMemory<byte> Data, bool IsText, WebSocketCloseStatus? CloseStatus, string? CloseReason);
}
