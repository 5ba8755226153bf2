using System.Threading.Channels;
using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx.Spool;

public sealed class SpoolingWriterOptions
{
    /// <summary>Most points sent in one HTTP write when the spool holds a backlog (InfluxDB advises 5,000–10,000).</summary>
    public int MaxPointsPerWrite { get; init; } = 5000;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>A snapshot of what the writer has done, for the node status.</summary>
public readonly record struct SpoolingWriterState(long Written, long Spooled, long DroppedOldest, long RefusedNew, long Rejected,
    bool Retrying, string? LastError, TimeSpan? NextRetry);

/// <summary>
/// Moves batches of line protocol from a node to InfluxDB through the durable <see cref="PointSpool"/>: an appender
/// task stores each batch as it comes (so nothing waits on the network), a sender task writes the oldest stored
/// batches and deletes them only after the server confirmed them. When the server cannot be reached the sender
/// retries with exponential back-off while the spool fills up to its bound; when it returns, the backlog is written
/// oldest first. A batch confirmed by the server but not yet deleted (crash, timeout whose write had in fact
/// succeeded) is sent again with the same explicit timestamps, which InfluxDB treats as an overwrite of the same
/// points: every point is stored exactly once.
/// </summary>
public sealed class SpoolingWriter : IAsyncDisposable
{
    private readonly InfluxClient _client;
    private readonly InfluxWriteTarget _target;
    private readonly PointSpool _spool;
    private readonly SpoolingWriterOptions _options;
    private readonly Channel<(int Count, string Lines)> _incoming = Channel.CreateUnbounded<(int, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopSending = new();
    private readonly Action _changed;
    private readonly Action<string> _error;
    private Task? _appender;
    private Task? _sender;
    private long _written;
    private long _droppedOldest;
    private long _refusedNew;
    private long _rejected;
    private volatile bool _retrying;
    private volatile string? _lastError;
    private TimeSpan? _nextRetry;

    /// <param name="changed">Called (from a background task) after each write, failure or spool overflow.</param>
    /// <param name="error">Called (from a background task) when points are lost: refused by the server or by the spool bound.</param>
    public SpoolingWriter(InfluxClient client, InfluxWriteTarget target, PointSpool spool, SpoolingWriterOptions options, Action changed, Action<string> error)
    {
        _client = client;
        _target = target;
        _spool = spool;
        _options = options;
        _changed = changed;
        _error = error;
    }

    public PointSpool Spool => _spool;

    public SpoolingWriterState State => new(Interlocked.Read(ref _written), _spool.Points, Interlocked.Read(ref _droppedOldest),
        Interlocked.Read(ref _refusedNew), Interlocked.Read(ref _rejected), _retrying, _lastError, _nextRetry);

    public void Start()
    {
        _appender = Task.Run(AppendLoopAsync);
        _sender = Task.Run(SendLoopAsync);
        if (_spool.Points > 0) _wake.Writer.TryWrite(true);
    }

    /// <summary>Hands a batch over; it is stored on disk by the appender shortly after. Never blocks.</summary>
    public void Enqueue(int count, string lines)
    {
        if (count <= 0) return;
        if (!_incoming.Writer.TryWrite((count, lines))) throw new InvalidOperationException("the writer is stopped");
    }

    private async Task AppendLoopAsync()
    {
        var reader = _incoming.Reader;
        var pending = new List<(int, string)>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            pending.Clear();
            while (pending.Count < 256 && reader.TryRead(out var batch)) pending.Add(batch);
            SpoolAppendResult result;
            try
            {
                result = _spool.Append(pending);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The spool file failed (disk full, I/O error): the points are lost, but the appender must live on,
                // or every later batch would be lost too without a word.
                var lost = pending.Sum(b => (long)b.Item1);
                Interlocked.Add(ref _refusedNew, lost);
                _error($"could not store {lost} points in the spool {_spool.Path}, which were dropped: {ex.Message}");
                _changed();
                continue;
            }
            if (result.DroppedOldest > 0)
            {
                Interlocked.Add(ref _droppedOldest, result.DroppedOldest);
                _error($"spool full ({_spool.MaxPoints} points): dropped the {result.DroppedOldest} oldest unwritten points");
            }
            if (result.RefusedNew > 0)
            {
                Interlocked.Add(ref _refusedNew, result.RefusedNew);
                _error($"spool full ({_spool.MaxPoints} points): refused {result.RefusedNew} new points");
            }
            _wake.Writer.TryWrite(true);
            if (result.DroppedOldest > 0 || result.RefusedNew > 0 || _retrying) _changed();
        }
    }

    private async Task SendLoopAsync()
    {
        var token = _stopSending.Token;
        var delay = _options.RetryDelay;
        var oneBatchAtATime = false;
        while (!token.IsCancellationRequested)
        {
            Exception failure;
            try
            {
                var batches = _spool.PeekOldest(_options.MaxPointsPerWrite);
                if (batches.Count == 0)
                {
                    await _wake.Reader.ReadAsync(token).ConfigureAwait(false);
                    continue;
                }
                if (oneBatchAtATime && batches.Count > 1) batches.RemoveRange(1, batches.Count - 1);
                var body = batches.Count == 1 ? batches[0].Lines : string.Join('\n', batches.Select(b => b.Lines));
                try
                {
                    await _client.WriteAsync(_target, body, token).ConfigureAwait(false);
                }
                catch (InfluxWriteException ex) when (!ex.IsRetryable)
                {
                    if (batches.Count > 1)
                    {
                        // Several batches went in one request: find the bad one by sending them one at a time, so
                        // the good ones are not thrown away with it.
                        oneBatchAtATime = true;
                        continue;
                    }
                    var count = _spool.Remove(batches);
                    Interlocked.Add(ref _rejected, count);
                    _lastError = ex.Message;
                    _error($"InfluxDB refused a batch of {count} points, which were dropped: {ex.Message}");
                    _changed();
                    continue;
                }
                Interlocked.Add(ref _written, _spool.Remove(batches));
                delay = _options.RetryDelay;
                oneBatchAtATime = false;
                var recovered = _retrying;
                _retrying = false;
                _nextRetry = null;
                if (recovered) _lastError = null;
                _changed();
                continue;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failure = ex;
            }

            // Unreachable, 5xx and the like, but also what is not an answer of the server at all (the client disposed
            // under us, the spool failing to delete a written batch): the batches stay and are sent again after the
            // delay; a batch written twice overwrites itself. Only the unexpected kind is logged: the status shows the rest.
            _retrying = true;
            _lastError = failure.Message;
            _nextRetry = delay;
            if (failure is not InfluxWriteException) _error($"writing the spool to InfluxDB failed, will retry: {failure.Message}");
            _changed();
            try
            {
                await Task.Delay(delay, _options.TimeProvider, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
        }
    }

    /// <summary>Stores everything handed over so far, then stops the sender (an unconfirmed write is sent again later).</summary>
    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        try
        {
            if (_appender is not null) await _appender.ConfigureAwait(false);
            await _stopSending.CancelAsync().ConfigureAwait(false);
            if (_sender is not null) await _sender.ConfigureAwait(false);
        }
        finally
        {
            // Always closed: a LiteDB file left open keeps its last batches in its log, where the next instance of
            // the node (a redeploy opens the same file) does not see them.
            _stopSending.Dispose();
            _spool.Dispose();
        }
    }
}
