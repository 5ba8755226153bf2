using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Client;

/// <summary>One item to monitor: the node (text form, "nsu=" allowed), sampling, queue and an optional deadband.</summary>
public sealed record MonitoredItemSpec(string NodeId, double SamplingInterval = -1, uint QueueSize = 1, DataChangeFilter? Filter = null, uint AttributeId = AttributeIds.Value);

public sealed record UaSubscriptionOptions(double PublishingInterval = 1000, uint KeepAliveCount = 10, uint LifetimeCount = 60, uint MaxNotificationsPerPublish = 0);

/// <summary>What a subscription reports to its owner. Calls come from the connection's tasks, one at a time per subscription.</summary>
public interface IUaSubscriptionHandler
{
    void OnDataChange(MonitoredItemSpec item, NodeId nodeId, DataValue value);

    /// <summary>An item the server refused (unknown node, filter not allowed...) or could not resolve.</summary>
    void OnItemError(MonitoredItemSpec item, StatusCode status, string text);

    /// <summary>Subscription state: created, re-created after a reconnect, keep-alive, lost notifications...</summary>
    void OnStatus(string text, bool healthy, StatusCode? status);
}

/// <summary>
/// A subscription with its monitored items (Part 4 §5.13, §5.12). It runs its own Publish loop with the
/// acknowledgements of what it received; keep-alives prove the link; a gap in sequence numbers is filled with
/// Republish. After a reconnect it is kept (session resumed), transferred (new session) or re-created — and the
/// status says which, and whether notifications could not be recovered.
/// </summary>
public sealed class UaSubscription : IAsyncDisposable
{
    // Several Publish requests wait at the server so a busy subscription is not bounded by one round trip each.
    private const int PublishRequestsInFlight = 3;
    private readonly UaConnection _connection;
    private readonly UaSubscriptionOptions _options;
    private readonly IReadOnlyList<MonitoredItemSpec> _items;
    private readonly IUaSubscriptionHandler _handler;
    private readonly Lock _gate = new();
    private readonly List<uint> _acknowledgements = [];
    private readonly SemaphoreSlim _deliver = new(1, 1);
    private NodeId[] _resolved = [];
    private readonly DataValue?[] _lastValues;
    private readonly SortedDictionary<uint, NotificationMessage> _held = [];
    private uint _sentUpTo;
    private int _gapAge;
    private CancellationTokenSource? _run;
    private uint _lastSequence;
    private SubscriptionCreated? _created;
    private bool _disposed;

    internal UaSubscription(UaConnection connection, UaSubscriptionOptions options, IReadOnlyList<MonitoredItemSpec> items, IUaSubscriptionHandler handler)
    {
        _connection = connection;
        _options = options;
        _items = items;
        _handler = handler;
        _lastValues = new DataValue?[items.Count];
    }

    public uint SubscriptionId => _created?.SubscriptionId ?? 0;
    public double RevisedPublishingInterval => _created?.RevisedPublishingInterval ?? _options.PublishingInterval;
    public long NotificationsReceived => Interlocked.Read(ref _notifications);
    private long _notifications;

    /// <summary>Brings the subscription up on a session: keep it (resumed), transfer it, or create it anew.</summary>
    internal async Task StartAsync(UaSession session, SessionChange change, CancellationToken stopping)
    {
        if (_disposed) return;
        CancellationTokenSource run;
        lock (_gate)
        {
            _run?.Cancel();
            _run = run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        }
        try
        {
            if (_created is not null && change == SessionChange.Resumed)
            {
                _handler.OnStatus("reconnected: subscription kept", true, null);
            }
            else if (_created is not null && change == SessionChange.Replaced && await TryTransferAsync(session, run.Token).ConfigureAwait(false))
            {
                _handler.OnStatus("reconnected: subscription transferred to the new session", true, new StatusCode(StatusCodes.GoodSubscriptionTransferred));
            }
            else
            {
                var recreated = _created is not null;
                await CreateAsync(session, run.Token).ConfigureAwait(false);
                // Creating monitored items delivers each item's current value first, so the latest state after
                // the outage arrives even though changes while the server was away are gone with it.
                _handler.OnStatus(recreated ? "reconnected: subscription re-created (server had lost it); current values re-sent" : "subscribed", true, null);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (UaStatusException ex)
        {
            _handler.OnStatus("subscription failed: " + ex.Message, false, ex.Status);
            return;
        }
        for (var i = 0; i < PublishRequestsInFlight; i++) _ = Task.Run(() => PublishLoopAsync(session, run.Token), CancellationToken.None);
    }

    private async Task<bool> TryTransferAsync(UaSession session, CancellationToken cancellationToken)
    {
        try
        {
            var results = await session.TransferSubscriptionsAsync([SubscriptionId], true, cancellationToken).ConfigureAwait(false);
            return results.Length == 1 && results[0].IsGood;
        }
        catch (UaStatusException)
        {
            return false;
        }
    }

    private async Task CreateAsync(UaSession session, CancellationToken cancellationToken)
    {
        var created = await session.CreateSubscriptionAsync(new SubscriptionParameters(_options.PublishingInterval, _options.LifetimeCount, _options.KeepAliveCount, _options.MaxNotificationsPerPublish), cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _created = created;
            _lastSequence = 0;
            _sentUpTo = 0;
            _gapAge = 0;
            _held.Clear();
            _acknowledgements.Clear();
        }
        var resolved = new NodeId[_items.Count];
        var requests = new List<MonitoredItemRequest>();
        for (var i = 0; i < _items.Count; i++)
        {
            try
            {
                resolved[i] = session.ResolveNodeId(_items[i].NodeId);
            }
            catch (Exception ex) when (ex is FormatException or UaStatusException)
            {
                resolved[i] = NodeId.Null;
                _handler.OnItemError(_items[i], new StatusCode(StatusCodes.BadNodeIdInvalid), ex.Message);
                continue;
            }
            var spec = _items[i];
            requests.Add(new MonitoredItemRequest(new ReadValueId(resolved[i], spec.AttributeId), (uint)(i + 1), spec.SamplingInterval, spec.QueueSize, true, spec.Filter));
        }
        _resolved = resolved;
        // Keep each CreateMonitoredItems request well under the server's message limits.
        const int batch = 1000;
        for (var start = 0; start < requests.Count; start += batch)
        {
            var part = requests.Skip(start).Take(batch).ToList();
            var results = await session.CreateMonitoredItemsAsync(created.SubscriptionId, part, TimestampsToReturn.Both, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < results.Length; i++)
            {
                if (results[i].Status.IsBad)
                {
                    var spec = _items[(int)part[i].ClientHandle - 1];
                    _handler.OnItemError(spec, results[i].Status, $"{spec.NodeId}: {results[i].Status.Name}");
                }
            }
        }
    }

    private async Task PublishLoopAsync(UaSession session, CancellationToken cancellationToken)
    {
        var keepAlive = TimeSpan.FromMilliseconds(RevisedPublishingInterval * Math.Max(_created?.RevisedMaxKeepAliveCount ?? _options.KeepAliveCount, 1));
        // A Publish waits at the server until there is data or a keep-alive is due; give it that long plus margin.
        var timeout = keepAlive * 2 + _connection.Options.RequestTimeout;
        while (!cancellationToken.IsCancellationRequested)
        {
            List<(uint, uint)> acks;
            lock (_gate)
            {
                acks = _acknowledgements.Select(s => (SubscriptionId, s)).ToList();
                _acknowledgements.Clear();
            }
            PublishResult result;
            try
            {
                result = await session.PublishAsync(acks, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (UaStatusException ex)
            {
                // Unsent acknowledgements go back so the server can drop those messages on the next Publish.
                lock (_gate) _acknowledgements.AddRange(acks.Select(a => a.Item2));
                if (cancellationToken.IsCancellationRequested) return;
                switch (ex.Status.Code)
                {
                    case StatusCodes.BadTooManyPublishRequests:
                        await Task.Delay(RevisedPublishingIntervalSpan, _connection.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    case StatusCodes.BadTimeout:
                        _handler.OnStatus("keep-alive missed: no publish response in " + timeout.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " s", false, ex.Status);
                        await _connection.ReportBrokenAsync(session).ConfigureAwait(false);
                        return;
                    case StatusCodes.BadNoSubscription or StatusCodes.BadSessionIdInvalid or StatusCodes.BadSessionClosed or StatusCodes.BadSubscriptionIdInvalid:
                        _handler.OnStatus("the server dropped the subscription: " + ex.Status.Name, false, ex.Status);
                        await _connection.ReportBrokenAsync(session).ConfigureAwait(false);
                        return;
                    default:
                        // Channel closed or broken: the connection notices and restarts this loop after reconnecting.
                        return;
                }
            }
            if (result.SubscriptionId != SubscriptionId && result.SubscriptionId != 0) continue;
            await HandleAsync(session, result, cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan RevisedPublishingIntervalSpan => TimeSpan.FromMilliseconds(Math.Max(RevisedPublishingInterval, 10));

    /// <summary>
    /// Delivers notification messages strictly in sequence order. With several Publish requests in flight a later
    /// message can be handled before an earlier one: it is held until the gap fills. A gap still open after
    /// more responses than there are requests in flight is a real loss: it is asked for with Republish, and what
    /// the server no longer has is reported.
    /// </summary>
    private async Task HandleAsync(UaSession session, PublishResult result, CancellationToken cancellationToken)
    {
        await _deliver.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var message = result.Message;
            if (message.IsKeepAlive)
            {
                // A keep-alive carries the number the next data message will get: everything before it was sent.
                if (_lastSequence == 0 && _held.Count == 0) _lastSequence = message.SequenceNumber - 1;
                else _sentUpTo = Math.Max(_sentUpTo, message.SequenceNumber - 1);
            }
            else if (message.SequenceNumber <= _lastSequence || _held.ContainsKey(message.SequenceNumber))
            {
                lock (_gate) _acknowledgements.Add(message.SequenceNumber);
                return; // already delivered (Republish, or sent again after a reconnect)
            }
            else
            {
                // The first message of a subscription starts the count, whatever number the server began with.
                if (_lastSequence == 0 && _held.Count == 0 && _sentUpTo == 0) _lastSequence = message.SequenceNumber - 1;
                _held[message.SequenceNumber] = message;
                _sentUpTo = Math.Max(_sentUpTo, message.SequenceNumber);
            }
            foreach (var available in result.AvailableSequenceNumbers) _sentUpTo = Math.Max(_sentUpTo, available);
            DrainInOrder();
            if (_sentUpTo > _lastSequence)
            {
                if (++_gapAge > PublishRequestsInFlight) await RecoverGapAsync(session, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _gapAge = 0;
            }
            if (message.StatusChange is { } status && status.IsBad)
            {
                // Part 4 §7.23: BadTimeout here means the subscription expired on the server.
                _handler.OnStatus("the server ended the subscription: " + status.Name, false, status);
                await _connection.ReportBrokenAsync(session).ConfigureAwait(false);
            }
        }
        finally
        {
            _deliver.Release();
        }
    }

    private void DrainInOrder()
    {
        while (_held.Remove(_lastSequence + 1, out var next))
        {
            Deliver(next);
            _lastSequence = next.SequenceNumber;
            lock (_gate) _acknowledgements.Add(next.SequenceNumber);
        }
    }

    private async Task RecoverGapAsync(UaSession session, CancellationToken cancellationToken)
    {
        var recovered = 0;
        var lost = 0;
        while (_sentUpTo > _lastSequence)
        {
            var sequence = _lastSequence + 1;
            if (!_held.ContainsKey(sequence))
            {
                try
                {
                    var republished = await session.RepublishAsync(SubscriptionId, sequence, cancellationToken).ConfigureAwait(false);
                    _held[sequence] = republished with { SequenceNumber = sequence };
                    recovered++;
                }
                catch (UaStatusException ex) when (ex.Status.Code is StatusCodes.BadMessageNotAvailable or StatusCodes.BadSequenceNumberUnknown)
                {
                    lost++;
                    _lastSequence = sequence;
                    continue;
                }
            }
            DrainInOrder();
        }
        _gapAge = 0;
        if (lost > 0) _handler.OnStatus($"{lost} notification message(s) could not be recovered (BadMessageNotAvailable)", false, new StatusCode(StatusCodes.BadMessageNotAvailable));
        else if (recovered > 0) _handler.OnStatus($"recovered {recovered} notification message(s) with Republish", true, null);
    }

    private void Deliver(NotificationMessage message)
    {
        var resolved = _resolved;
        foreach (var change in message.DataChanges)
        {
            var index = (int)change.ClientHandle - 1;
            if (index < 0 || index >= _items.Count) continue;
            // A server may send a notification again after the session moved to a new channel (or Republish may
            // return one that also arrived): the very same value, status and timestamps is not a new change.
            if (_lastValues[index] is { } last && last.Equals(change.Value)) continue;
            _lastValues[index] = change.Value;
            Interlocked.Increment(ref _notifications);
            _handler.OnDataChange(_items[index], resolved.Length > index ? resolved[index] : NodeId.Null, change.Value);
        }
    }

    internal void SessionLost()
    {
        lock (_gate) _run?.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        SessionLost();
        await _connection.RemoveAsync(this).ConfigureAwait(false);
    }
}
