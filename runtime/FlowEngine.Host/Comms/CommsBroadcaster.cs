using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Comms;

/// <summary>
/// The server side of the live comms contract: receives the runtime's observer events, turns them into Node-RED's
/// comms frames (§4.4) and pushes them to every connected editor in batches (every 50 ms, at most 50 items per
/// call). Each connection has a bounded queue (oldest dropped) and a debug rate limit (settings debugRateLimit,
/// default 250 per second); what is dropped is counted and reported as <c>debug/dropped {count}</c>. The runtime
/// never waits for a client: observer calls only enqueue, and a connection still busy sending is skipped.
/// </summary>
internal sealed partial class CommsBroadcaster : IRuntimeObserver, IAsyncDisposable
{
    public const int BatchInterval = 50;
    public const int BatchSize = 50;
    public const int QueueCapacity = 1000;
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    private readonly IHubContext<CommsHub> _hub;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly int _maxLength;
    private readonly int _debugRateLimit;
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object?> _retained = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public CommsBroadcaster(IHubContext<CommsHub> hub, int debugMaxLength, int debugRateLimit, TimeProvider clock, ILogger logger)
    {
        _hub = hub;
        _clock = clock;
        _logger = logger;
        _maxLength = debugMaxLength > 0 ? debugMaxLength : 1000;
        _debugRateLimit = debugRateLimit > 0 ? debugRateLimit : 250;
    }

    public int ConnectionCount => _connections.Count;

    public void Start() => _loop ??= RunAsync(_stopping.Token);

    public void Connect(string connectionId) => _connections[connectionId] = new Connection(_clock);

    public void Disconnect(string connectionId) => _connections.TryRemove(connectionId, out _);

    /// <summary>Replays the retained messages matching an MQTT-style pattern (+ one level, /# any suffix) to one connection.</summary>
    public void Subscribe(string connectionId, string pattern)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return;
        var regex = TopicPattern(pattern);
        foreach (var (topic, data) in _retained.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (regex.IsMatch(topic)) connection.Enqueue(Item(topic, data));
        }
    }

    /// <summary>Publishes one frame to every connection; retained frames are replayed to later subscribers.</summary>
    public void Publish(string topic, object? data, bool retain = false)
    {
        if (retain)
        {
            // An empty object clears a retained topic (a cleared node status), as Node-RED does.
            if (data is JsObject { Count: 0 }) _retained.TryRemove(topic, out _);
            else _retained[topic] = data;
        }
        if (_connections.IsEmpty) return;
        var item = Item(topic, data);
        foreach (var connection in _connections.Values) connection.Enqueue(item);
    }

    public void OnStatus(NodeStatusEvent e)
    {
        var data = new JsObject();
        if (!e.Status.IsClear)
        {
            if (e.Status.Text is not null) data["text"] = e.Status.Text;
            if (e.Status.Fill is not null) data["fill"] = e.Status.Fill;
            if (e.Status.Shape is not null) data["shape"] = e.Status.Shape;
        }
        Publish("status/" + e.Node.Id, data, retain: true);
    }

    public void OnDebug(DebugEvent e)
    {
        if (!e.ToSidebar) return;
        PublishDebug(() =>
        {
            var encoded = CommsValueEncoder.Encode(e.Value, _maxLength);
            var data = new JsObject { ["id"] = e.Node.Id };
            if (e.Node.FlowId is not null) data["z"] = e.Node.FlowId;
            if (e.Node.Alias is not null) data["_alias"] = e.Node.Alias;
            data["path"] = e.Node.Path;
            data["name"] = e.Node.Name;
            if (e.Topic is not null) data["topic"] = e.Topic;
            if (e.Property is not null) data["property"] = e.Property;
            data["msg"] = encoded.Msg;
            data["format"] = encoded.Format;
            return data;
        });
    }

    public void OnLog(NodeLogEvent e)
    {
        // Node-RED shows warnings (30) and errors (20) in the debug sidebar; info and below stay in the log.
        if (e.Level < LogLevel.Warning || e.Level == LogLevel.None || e.Node is not { } node) return;
        PublishDebug(() =>
        {
            var encoded = CommsValueEncoder.Encode(e.Message, _maxLength);
            var data = new JsObject
            {
                ["level"] = e.Level == LogLevel.Warning ? 30.0 : 20.0,
                ["id"] = node.Id,
                ["type"] = node.Type,
                ["msg"] = encoded.Msg,
            };
            if (node.FlowId is not null) data["z"] = node.FlowId;
            data["name"] = node.Name;
            data["path"] = node.Path;
            data["timestamp"] = JsValue.ToEpochMilliseconds(e.Timestamp);
            data["format"] = encoded.Format;
            return data;
        });
    }

    public void OnNotification(RuntimeNotification e) => Publish(e.Topic, e.Data, e.Retain);

    /// <summary>Takes a rate-limit slot on each connection first, and encodes only when one of them has room.</summary>
    private void PublishDebug(Func<JsObject> build)
    {
        if (_connections.IsEmpty) return;
        List<Connection>? accepting = null;
        foreach (var connection in _connections.Values)
        {
            if (connection.TryTakeDebugSlot(_debugRateLimit)) (accepting ??= []).Add(connection);
        }
        if (accepting is null) return;
        var item = Item("debug", build());
        foreach (var connection in accepting) connection.Enqueue(item);
    }

    private static JsonElement Item(string topic, object? data)
    {
        var frame = new JsObject { ["topic"] = topic, ["data"] = data };
        using var document = JsonDocument.Parse(JsJson.SerializeToUtf8(frame));
        return document.RootElement.Clone();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(BatchInterval), _clock);
        var nextHeartbeat = _clock.GetUtcNow() + HeartbeatInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _clock.GetUtcNow();
                if (now >= nextHeartbeat)
                {
                    nextHeartbeat = now + HeartbeatInterval;
                    Publish("hb", now.ToUnixTimeMilliseconds());
                }
                foreach (var (id, connection) in _connections) Flush(id, connection);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Flush(string id, Connection connection)
    {
        // A connection whose previous batch is still being written is slow: skip it, its queue drops oldest.
        if (connection.Sending is { IsCompleted: false }) return;
        var batch = connection.TakeBatch(BatchSize);
        if (batch is null) return;
        connection.Sending = SendAsync(id, batch);
    }

    private async Task SendAsync(string id, List<JsonElement> batch)
    {
        try
        {
            await _hub.Clients.Client(id).SendAsync("comms", batch, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or HubException)
        {
            LogSendFailed(_logger, id, ex.Message);
        }
    }

    internal static Regex TopicPattern(string pattern)
    {
        var escaped = Regex.Escape(pattern).Replace(@"\+", "[^/]+", StringComparison.Ordinal);
        if (escaped.EndsWith("/\\#", StringComparison.Ordinal)) escaped = escaped[..^3] + "(/.*)?";
        else if (escaped == "\\#") escaped = ".*";
        return new Regex("^" + escaped + "$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "comms: sending to {Connection} failed: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string connection, string reason);

    /// <summary>One editor connection: its queue, its debug rate window and what was dropped since the last batch.</summary>
    private sealed class Connection(TimeProvider clock)
    {
        private readonly Lock _gate = new();
        private readonly Queue<JsonElement> _queue = new();
        private long _windowStart = clock.GetTimestamp();
        private int _windowCount;
        private long _dropped;

        public Task? Sending { get; set; }

        public bool TryTakeDebugSlot(int limit)
        {
            lock (_gate)
            {
                var now = clock.GetTimestamp();
                if (clock.GetElapsedTime(_windowStart, now) >= TimeSpan.FromSeconds(1))
                {
                    _windowStart = now;
                    _windowCount = 0;
                }
                if (_windowCount >= limit)
                {
                    _dropped++;
                    return false;
                }
                _windowCount++;
                return true;
            }
        }

        public void Enqueue(JsonElement item)
        {
            lock (_gate)
            {
                if (_queue.Count >= QueueCapacity)
                {
                    _queue.Dequeue();
                    _dropped++;
                }
                _queue.Enqueue(item);
            }
        }

        public List<JsonElement>? TakeBatch(int size)
        {
            lock (_gate)
            {
                if (_queue.Count == 0 && _dropped == 0) return null;
                var batch = new List<JsonElement>(Math.Min(size, _queue.Count + 1));
                if (_dropped > 0)
                {
                    batch.Add(Item("debug/dropped", new JsObject { ["count"] = (double)_dropped }));
                    _dropped = 0;
                }
                while (batch.Count < size && _queue.TryDequeue(out var item)) batch.Add(item);
                return batch;
            }
        }
    }
}
