using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// The byte stream under an MQTT connection, made for many small packets. Reads come out of a 64 KB buffer that the
/// connection's own receive thread fills with one blocking receive, and the reader's continuation runs on that thread:
/// MQTTnet parses the packets, <see cref="DirectReceiveAdapter"/> runs them through the flows, and the publishes they
/// cause are sent when the buffer is used up (<see cref="SendBatch"/>). While data streams in densely, the thread
/// pauses a fraction of a millisecond before each receive to take many packets at once (<see cref="ReceivePacing"/>).
/// Writes from elsewhere are gathered while a send is on its way, so a burst of publishes leaves in a few sends instead
/// of one system call per packet; a lone packet is sent at once (one thread-pool hop, no timer).
/// </summary>
/// <remarks>
/// <para>
/// The socket is used only synchronously, and must be handed over connected synchronously: once a socket has done
/// any asynchronous operation, .NET drives it through its one epoll thread, which wakes a pool thread, which wakes
/// the reader — two thread wake-ups per read, and on small machines those cost more than the messages in the read
/// (side-by-side benchmark: 29 → 19 µs of CPU per message on mqtt in → 10 change → mqtt out).
/// </para>
/// <para>
/// A write returns once its bytes are queued, as a TCP send returns once the kernel has them; a send that fails
/// fails the next write and every read, which is how MQTTnet learns that the connection is gone. At most
/// <see cref="MaxQueuedBytes"/> wait to be sent before writers wait for the socket. Sends block only when the
/// kernel's send buffer is full, that is when the broker has stopped reading.
/// </para>
/// </remarks>
internal sealed class BatchingSocketStream : Stream, IValueTaskSource<int>
{
    public const int ReadBufferSize = 64 * 1024;
    public const int MaxQueuedBytes = 4 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _readBuffer = new byte[ReadBufferSize];
    private readonly ReceivePacing _pacing;
    private int _readStart;
    private int _readEnd;
    private bool _endOfStream;
    private Exception? _readFailure;

    // One read at a time waits for the receive thread (a stream allows no more): the reader asks, the thread receives.
    private readonly SemaphoreSlim _readWanted = new(0);
    private readonly CancellationTokenSource _closing = new();
    private ManualResetValueTaskSourceCore<int> _pendingRead;
    private Memory<byte> _pendingDestination;
    private bool _pendingFillOnly;
    private Thread? _receiveThread;
    private CancellationTokenRegistration _readCancellation;

    private readonly Lock _gate = new();
    private MemoryStream _queued = new();
    private MemoryStream _sending = new();
    private bool _flushScheduled;
    private Exception? _sendFailure;
    private TaskCompletionSource? _roomForWriters;
    private TaskCompletionSource? _allSent;
    private long _sendCalls;
    private long _receiveCalls;

    public BatchingSocketStream(Socket socket, TimeSpan receivePause = default)
    {
        _socket = socket;
        _pacing = new ReceivePacing(receivePause);
        // The reader's continuation runs on the receive thread: that is the point (see the remarks).
        _pendingRead.RunContinuationsAsynchronously = false;
    }

    /// <summary>How many sends the writes so far took (tests and benchmarks compare it with the packets written).</summary>
    public long SendCalls => Interlocked.Read(ref _sendCalls);

    /// <summary>How many receives the reads so far took (tests compare it with the segments the peer sent).</summary>
    public long ReceiveCalls => Volatile.Read(ref _receiveCalls);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_readStart < _readEnd) return ValueTask.FromResult(CopyBuffered(destination));
        if (_endOfStream || destination.IsEmpty) return ValueTask.FromResult(0);
        if (_readFailure is { } failure) return ValueTask.FromException<int>(new IOException("The connection is closed: " + failure.Message, failure));
        if (_closing.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException<int>(new OperationCanceledException("The connection is closed.", cancellationToken));
        }
        return WaitForReceive(destination, fillOnly: false, cancellationToken);
    }

    /// <summary>
    /// The received bytes no read has taken yet, for a reader that parses packets in place (<see cref="DirectReceiveAdapter"/>)
    /// and then <see cref="Consume"/>s them. Only the reader may look, between its reads: the receive thread refills the
    /// buffer only while a read waits.
    /// </summary>
    internal ReadOnlySpan<byte> Buffered => _readBuffer.AsSpan(_readStart, _readEnd - _readStart);

    /// <summary>Marks the first <paramref name="count"/> <see cref="Buffered"/> bytes as read.</summary>
    internal void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)(_readEnd - _readStart), nameof(count));
        _readStart += count;
    }

    /// <summary>
    /// Waits until bytes are buffered, without taking any; returns how many are. 0 at the end of the stream, after a
    /// failure or when cancelled: the next read then reports which, the way MQTTnet expects to learn it.
    /// </summary>
    internal ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        if (_readStart < _readEnd) return ValueTask.FromResult(_readEnd - _readStart);
        if (_endOfStream || _readFailure is not null || _closing.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromResult(0);
        }
        return WaitForReceive(default, fillOnly: true, cancellationToken);
    }

    private ValueTask<int> WaitForReceive(Memory<byte> destination, bool fillOnly, CancellationToken cancellationToken)
    {
        // Cancelling a read closes the connection: a blocking receive cannot be called off any other way, and MQTTnet
        // cancels its reads only when it is done with the connection.
        if (cancellationToken.CanBeCanceled)
        {
            _readCancellation = cancellationToken.UnsafeRegister(static s => ((BatchingSocketStream)s!).EndConnection(), this);
        }
        _pendingDestination = destination;
        _pendingFillOnly = fillOnly;
        _pendingRead.Reset();
        _receiveThread ??= StartReceiveThread();
        _readWanted.Release();
        return new ValueTask<int>(this, _pendingRead.Version);
    }

    private Thread StartReceiveThread()
    {
        var thread = new Thread(ReceiveLoop) { IsBackground = true, Name = "MQTT receive" };
        thread.Start();
        return thread;
    }

    private void ReceiveLoop()
    {
        var pause = 0;
        while (true)
        {
            try
            {
                _readWanted.Wait(_closing.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            int received;
            try
            {
                if (pause > 0) ReceivePacing.Pause(pause);
                var waitStart = Stopwatch.GetTimestamp();
                // Only the receive thread counts: no interlocked add on every receive.
                Volatile.Write(ref _receiveCalls, _receiveCalls + 1);
                received = _socket.Receive(_readBuffer, SocketFlags.None);
                pause = _pacing.AfterReceive(Stopwatch.GetTimestamp() - waitStart, received == _readBuffer.Length);
                if (_closing.IsCancellationRequested) throw new ObjectDisposedException(nameof(BatchingSocketStream));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _readFailure = ex;
                if (_pendingFillOnly) _pendingRead.SetResult(0);
                else _pendingRead.SetException(new IOException("The connection is closed: " + ex.Message, ex));
                return;
            }
            _readStart = 0;
            _readEnd = received;
            if (received == 0)
            {
                _endOfStream = true;
                _pendingRead.SetResult(0);
                return;
            }
            // The reader goes on from here, on this thread, until it waits for the next receive.
            _pendingRead.SetResult(_pendingFillOnly ? received : CopyBuffered(_pendingDestination));
        }
    }

    private int CopyBuffered(Memory<byte> destination)
    {
        var count = Math.Min(destination.Length, _readEnd - _readStart);
        _readBuffer.AsSpan(_readStart, count).CopyTo(destination.Span);
        _readStart += count;
        return count;
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        _pendingDestination = default;
        _readCancellation.Unregister();
        _readCancellation = default;
        return _pendingRead.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _pendingRead.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _pendingRead.OnCompleted(continuation, state, token, flags);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        Task? wait = null;
        var hold = false;
        lock (_gate)
        {
            if (_sendFailure is { } failure) throw new IOException("The connection is closed: " + failure.Message, failure);
            _queued.Write(source.Span);
            if (!_flushScheduled)
            {
                if (SendBatch.IsOpen)
                {
                    hold = true;
                }
                else
                {
                    _flushScheduled = true;
                    ThreadPool.UnsafeQueueUserWorkItem(static s => s.SendQueued(), this, preferLocal: false);
                }
            }
            if (_queued.Length > MaxQueuedBytes)
            {
                _roomForWriters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _roomForWriters.Task;
            }
        }
        if (hold) SendBatch.Hold(this);
        return wait is null ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Sends what a <see cref="SendBatch"/> held, on the calling thread (the batch's end is the moment to send, and a
    /// send the kernel takes at once needs no other thread), unless a send is already on its way and will take it.
    /// </summary>
    internal void SendHeld()
    {
        lock (_gate)
        {
            if (_flushScheduled || _queued.Length == 0 || _sendFailure is not null) return;
            _flushScheduled = true;
        }
        SendQueued();
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
            if (!_flushScheduled)
            {
                if (_queued.Length == 0) return Task.CompletedTask;
                // Bytes held for a send batch that has not ended yet: a flush does not wait for it.
                _flushScheduled = true;
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.SendQueued(), this, preferLocal: false);
            }
            _allSent ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _allSent.Task.WaitAsync(cancellationToken);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Sends until nothing is queued; writes that come in meanwhile are gathered for the next send.</summary>
    private void SendQueued()
    {
        while (true)
        {
            TaskCompletionSource? room;
            lock (_gate)
            {
                if (_queued.Length == 0 || _sendFailure is not null)
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
                var bytes = _sending.GetBuffer().AsSpan(0, (int)_sending.Length);
                while (!bytes.IsEmpty)
                {
                    Interlocked.Increment(ref _sendCalls);
                    bytes = bytes[_socket.Send(bytes, SocketFlags.None)..];
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

    /// <summary>Ends the connection: sends fail, a waiting read fails, the receive thread stops.</summary>
    private void EndConnection()
    {
        // Marked closing first: the shutdown below ends a blocking receive as if the peer had closed.
        try { _closing.Cancel(); } catch (ObjectDisposedException) { }
        Fail(new ObjectDisposedException(nameof(BatchingSocketStream)));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            EndConnection();
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
