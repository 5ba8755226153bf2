using System.Net;
using System.Net.Sockets;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// The byte stream under an MQTT connection, made for many small packets: reads come out of a 64 KB buffer filled by
/// one receive, and writes are gathered while a send is on its way, so a burst of publishes leaves in a few sends
/// instead of one system call per packet. A lone packet is sent at once (one thread-pool hop, no timer).
/// </summary>
/// <remarks>
/// A write returns once its bytes are queued, as a TCP send returns once the kernel has them; a send that fails
/// fails the next write and every read, which is how MQTTnet learns that the connection is gone. At most
/// <see cref="MaxQueuedBytes"/> wait to be sent before writers wait for the socket.
/// </remarks>
internal sealed class BatchingSocketStream : Stream
{
    public const int ReadBufferSize = 64 * 1024;
    public const int MaxQueuedBytes = 4 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _readBuffer = new byte[ReadBufferSize];
    private int _readStart;
    private int _readEnd;

    private readonly Lock _gate = new();
    private MemoryStream _queued = new();
    private MemoryStream _sending = new();
    private bool _flushScheduled;
    private Exception? _sendFailure;
    private TaskCompletionSource? _roomForWriters;
    private TaskCompletionSource? _allSent;
    private long _sendCalls;

    public BatchingSocketStream(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>How many sends the writes so far took (tests and benchmarks compare it with the packets written).</summary>
    public long SendCalls => Interlocked.Read(ref _sendCalls);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_readStart == _readEnd)
        {
            // A large read goes straight to the socket; a small one fills the buffer with whatever has arrived.
            if (destination.Length >= ReadBufferSize) return await _socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            _readStart = 0;
            _readEnd = await _socket.ReceiveAsync(_readBuffer.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (_readEnd == 0) return 0;
        }
        var count = Math.Min(destination.Length, _readEnd - _readStart);
        _readBuffer.AsSpan(_readStart, count).CopyTo(destination.Span);
        _readStart += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        Task? wait = null;
        lock (_gate)
        {
            if (_sendFailure is { } failure) throw new IOException("The connection is closed: " + failure.Message, failure);
            _queued.Write(source.Span);
            if (!_flushScheduled)
            {
                _flushScheduled = true;
                ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.SendQueuedAsync(), this, preferLocal: false);
            }
            if (_queued.Length > MaxQueuedBytes)
            {
                _roomForWriters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _roomForWriters.Task;
            }
        }
        return wait is null ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Waits until every byte written so far has been handed to the socket.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_sendFailure is { } failure) return Task.FromException(new IOException("The connection is closed: " + failure.Message, failure));
            if (!_flushScheduled) return Task.CompletedTask;
            _allSent ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _allSent.Task.WaitAsync(cancellationToken);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    private async Task SendQueuedAsync()
    {
        while (true)
        {
            TaskCompletionSource? room;
            lock (_gate)
            {
                if (_queued.Length == 0)
                {
                    _flushScheduled = false;
                    var allSent = _allSent;
                    _allSent = null;
                    allSent?.TrySetResult();
                    return;
                }
                (_queued, _sending) = (_sending, _queued);
                room = _roomForWriters;
                _roomForWriters = null;
            }
            room?.TrySetResult();
            try
            {
                var bytes = _sending.GetBuffer().AsMemory(0, (int)_sending.Length);
                while (!bytes.IsEmpty)
                {
                    Interlocked.Increment(ref _sendCalls);
                    var sent = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
                    bytes = bytes[sent..];
                }
                _sending.SetLength(0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
            {
                Fail(ex);
                return;
            }
        }
    }

    private void Fail(Exception failure)
    {
        TaskCompletionSource? room, allSent;
        lock (_gate)
        {
            _sendFailure ??= failure;
            _flushScheduled = false;
            room = _roomForWriters;
            allSent = _allSent;
            _roomForWriters = _allSent = null;
        }
        var error = new IOException("The connection is closed: " + failure.Message, failure);
        room?.TrySetException(error);
        allSent?.TrySetException(error);
        // The reader learns it too: MQTTnet's receive loop then reports the connection lost.
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Fail(new ObjectDisposedException(nameof(BatchingSocketStream)));
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
