using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa.Protocol.Server;

internal enum MonitoringMode { Disabled = 0, Sampling = 1, Reporting = 2 }

/// <summary>
/// A monitored item (Part 4 §5.12): the values of one attribute that passed its data change filter, queued until the
/// subscription publishes them. Stored variables push their changes here as they happen (exception-based sampling);
/// computed ones (CurrentTime) are sampled by the subscription at the sampling interval.
/// </summary>
internal sealed class MonitoredItem
{
    // Part 4 §7.39.1 InfoBits: InfoType DataValue (0x400) with Overflow (0x80) set on the value after a discarded one.
    private const uint OverflowBits = 0x480;
    private readonly Lock _gate = new();
    private readonly Queue<DataValue> _queue = new();
    private DataValue? _last;

    public required uint Id { get; init; }
    public required ServerNode Node { get; init; }
    public required uint AttributeId { get; init; }
    public string? IndexRange { get; init; }
    public uint ClientHandle { get; set; }
    public MonitoringMode Mode { get; private set; }
    public double SamplingInterval { get; set; }
    public uint QueueSize { get; set; } = 1;
    public bool DiscardOldest { get; set; } = true;
    public DataChangeTrigger Trigger { get; set; } = DataChangeTrigger.StatusValue;
    public DeadbandType DeadbandType { get; set; }
    public double Deadband { get; set; }
    public TimestampsToReturn Timestamps { get; set; } = TimestampsToReturn.Both;
    public DateTime NextSample { get; set; }

    /// <summary>Computed variables are sampled; stored ones push. Other attributes than Value are reported once.</summary>
    public bool IsSampled => AttributeId == AttributeIds.Value && Node is ServerVariable { Getter: not null };

    public void SetMode(MonitoringMode mode)
    {
        lock (_gate)
        {
            Mode = mode;
            if (mode == MonitoringMode.Disabled)
            {
                _queue.Clear();
                _last = null;
            }
        }
    }

    /// <summary>A new value of the attribute: queued when it passes the filter (the first value always does).</summary>
    public void Offer(DataValue value)
    {
        if (!string.IsNullOrEmpty(IndexRange)) value = AddressSpace.ApplyIndexRange(value, IndexRange);
        lock (_gate)
        {
            if (Mode == MonitoringMode.Disabled || !Passes(value)) return;
            _last = value;
            if (_queue.Count < Math.Max(1, QueueSize))
            {
                _queue.Enqueue(value);
                return;
            }
            if (QueueSize <= 1)
            {
                _queue.Clear();
                _queue.Enqueue(value);
                return;
            }
            if (DiscardOldest)
            {
                _queue.Dequeue();
                var oldest = _queue.Dequeue();
                var rest = _queue.ToArray();
                _queue.Clear();
                _queue.Enqueue(oldest with { Status = new StatusCode(oldest.Status.Code | OverflowBits) });
                foreach (var item in rest) _queue.Enqueue(item);
                _queue.Enqueue(value);
            }
            else
            {
                var kept = _queue.ToArray();
                _queue.Clear();
                foreach (var item in kept[..^1]) _queue.Enqueue(item);
                _queue.Enqueue(value with { Status = new StatusCode(value.Status.Code | OverflowBits) });
            }
        }
    }

    private bool Passes(DataValue value)
    {
        if (_last is not { } last) return true;
        if (value.Status != last.Status) return true;
        if (Trigger == DataChangeTrigger.Status) return false;
        if (Trigger == DataChangeTrigger.StatusValueTimestamp && value.SourceTimestamp != last.SourceTimestamp) return true;
        if (DeadbandType == DeadbandType.Absolute && Numbers(last.Value) is { } before && Numbers(value.Value) is { } after && before.Length == after.Length)
        {
            for (var i = 0; i < before.Length; i++)
            {
                if (Math.Abs(after[i] - before[i]) > Deadband) return true;
            }
            return false;
        }
        return !value.Value.Equals(last.Value);
    }

    private static double[]? Numbers(Variant value)
    {
        static double? Number(object? v) => v switch
        {
            sbyte or byte or short or ushort or int or uint or long or ulong or float or double => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        if (!value.IsArray) return Number(value.Value) is { } single ? [single] : null;
        if (value.Value is not object?[] items) return null;
        var numbers = new double[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (Number(items[i]) is not { } n) return null;
            numbers[i] = n;
        }
        return numbers;
    }

    public bool HasData
    {
        get
        {
            lock (_gate) return Mode == MonitoringMode.Reporting && _queue.Count > 0;
        }
    }

    public int Drain(List<(uint ClientHandle, DataValue Value, TimestampsToReturn Timestamps)> into, int max)
    {
        lock (_gate)
        {
            if (Mode != MonitoringMode.Reporting) return 0;
            var taken = 0;
            while (_queue.Count > 0 && taken < max)
            {
                into.Add((ClientHandle, _queue.Dequeue(), Timestamps));
                taken++;
            }
            return taken;
        }
    }
}

/// <summary>
/// A subscription (Part 4 §5.13) in a session: its publishing cycle, keep-alive and lifetime counters, sequence
/// numbers and the retransmission queue Republish reads from. All state is guarded by the session's lock.
/// </summary>
internal sealed class ServerSubscription(uint id, ServerSession session)
{
    private const int RetransmissionQueueSize = 64;
    private uint _nextSequence = 1;
    private readonly SortedDictionary<uint, byte[]> _sent = [];
    private bool _messageSent;

    public uint Id { get; } = id;
    public ServerSession Session { get; set; } = session;
    public double PublishingInterval { get; set; }
    public uint LifetimeCount { get; set; }
    public uint MaxKeepAliveCount { get; set; }
    public uint MaxNotificationsPerPublish { get; set; }
    public bool PublishingEnabled { get; set; } = true;
    public byte Priority { get; set; }
    public Dictionary<uint, MonitoredItem> Items { get; } = [];
    /// <summary>The items of computed variables, sampled by <see cref="Cycle"/>; kept apart so the timer does not walk every item.</summary>
    private readonly List<MonitoredItem> _sampled = [];

    public void Add(MonitoredItem item)
    {
        Items[item.Id] = item;
        if (item.IsSampled) _sampled.Add(item);
    }

    public bool Remove(uint id, out MonitoredItem item)
    {
        if (!Items.Remove(id, out item!)) return false;
        if (item.IsSampled) _sampled.Remove(item);
        return true;
    }

    public void Clear()
    {
        Items.Clear();
        _sampled.Clear();
    }
    public DateTime NextCycle { get; set; }
    public uint KeepAliveCounter { get; set; }
    public uint LifetimeCounter { get; set; }
    /// <summary>Something (data, a keep-alive or a status change) is due and waits for a Publish request.</summary>
    public bool Late { get; set; }
    public uint? StatusChange { get; set; }
    public bool Expired { get; set; }

    public IEnumerable<uint> Available => _sent.Keys;

    public bool Acknowledge(uint sequence) => _sent.Remove(sequence);

    public byte[]? Retransmit(uint sequence) => _sent.GetValueOrDefault(sequence);

    private bool HasNotifications => StatusChange is not null || (PublishingEnabled && Items.Values.Any(i => i.HasData));

    /// <summary>One step of the publishing timer (Part 4 §5.13.1.2 state table, simplified to what a client sees).</summary>
    public void Cycle(DateTime now, List<PublishOutput> outputs)
    {
        foreach (var item in _sampled)
        {
            if (item.Mode == MonitoringMode.Disabled || now < item.NextSample) continue;
            item.Offer(((ServerVariable)item.Node).Value);
            item.NextSample = now.AddMilliseconds(Math.Max(item.SamplingInterval, 50));
        }
        if (now < NextCycle) return;
        var next = NextCycle.AddMilliseconds(PublishingInterval);
        NextCycle = next < now ? now.AddMilliseconds(PublishingInterval) : next;
        LifetimeCounter++;
        if (LifetimeCounter > LifetimeCount)
        {
            // Part 4 §5.13.1.1: no Publish request for the whole lifetime; the client is gone.
            StatusChange = StatusCodes.BadTimeout;
            TrySend(now, outputs);
            Expired = true;
            return;
        }
        if (HasNotifications)
        {
            if (!TrySend(now, outputs)) Late = true;
            return;
        }
        KeepAliveCounter++;
        if (!_messageSent || KeepAliveCounter >= MaxKeepAliveCount)
        {
            if (!TrySend(now, outputs)) Late = true;
        }
    }

    /// <summary>Answers the oldest waiting Publish request with data (or a keep-alive when there is none).</summary>
    public bool TrySend(DateTime now, List<PublishOutput> outputs)
    {
        if (!Session.TryTakePublish(out var publish)) return false;
        var notifications = new List<(uint ClientHandle, DataValue Value, TimestampsToReturn Timestamps)>();
        var max = MaxNotificationsPerPublish == 0 ? 5000 : (int)Math.Min(MaxNotificationsPerPublish, 5000);
        if (PublishingEnabled)
        {
            foreach (var item in Items.Values)
            {
                if (notifications.Count >= max) break;
                item.Drain(notifications, max - notifications.Count);
            }
        }
        var status = StatusChange;
        StatusChange = null;
        var keepAlive = notifications.Count == 0 && status is null;
        var sequence = keepAlive ? _nextSequence : _nextSequence++;
        if (_nextSequence == 0) _nextSequence = 1;
        var message = EncodeNotificationMessage(sequence, now, notifications, status);
        if (!keepAlive)
        {
            _sent[sequence] = message;
            while (_sent.Count > RetransmissionQueueSize) _sent.Remove(_sent.Keys.First());
        }
        var more = PublishingEnabled && Items.Values.Any(i => i.HasData);
        Late = more;
        KeepAliveCounter = 0;
        LifetimeCounter = 0;
        _messageSent = true;
        outputs.Add(new PublishOutput(publish, EncodePublishResponse(publish, message, more)));
        return true;
    }

    private byte[] EncodePublishResponse(PendingPublish publish, byte[] message, bool more)
    {
        var w = new UaBinaryWriter(message.Length + 128);
        w.WriteNodeId(new NodeId(0, ServiceIds.PublishResponse));
        ResponseHeader.Write(w, publish.RequestHandle, StatusCodes.Good, DateTime.UtcNow);
        w.WriteUInt32(Id);
        w.WriteArray(_sent.Keys.ToList(), w.WriteUInt32);
        w.WriteBoolean(more);
        w.WriteRaw(message);
        w.WriteArray(publish.AcknowledgeResults, w.WriteUInt32);
        w.WriteInt32(0); // diagnostic infos
        return w.ToArray();
    }

    private static byte[] EncodeNotificationMessage(uint sequence, DateTime now, List<(uint ClientHandle, DataValue Value, TimestampsToReturn Timestamps)> notifications, uint? status)
    {
        var w = new UaBinaryWriter(64 + notifications.Count * 24);
        w.WriteUInt32(sequence);
        w.WriteDateTime(now);
        var count = (notifications.Count > 0 ? 1 : 0) + (status is null ? 0 : 1);
        w.WriteInt32(count);
        if (notifications.Count > 0)
        {
            var body = new UaBinaryWriter(notifications.Count * 24);
            body.WriteInt32(notifications.Count);
            foreach (var (handle, value, timestamps) in notifications)
            {
                body.WriteUInt32(handle);
                body.WriteDataValue(Stamped(value, timestamps));
            }
            body.WriteInt32(0); // diagnostic infos
            w.WriteExtensionObject(new ExtensionObject(new NodeId(0, ServiceIds.DataChangeNotification), ExtensionObject.BinaryBody, body.ToArray()));
        }
        if (status is { } code)
        {
            var body = new UaBinaryWriter();
            body.WriteUInt32(code);
            body.WriteByte(0); // diagnostic info
            w.WriteExtensionObject(new ExtensionObject(new NodeId(0, ServiceIds.StatusChangeNotification), ExtensionObject.BinaryBody, body.ToArray()));
        }
        return w.ToArray();
    }

    public static DataValue Stamped(DataValue value, TimestampsToReturn timestamps) => timestamps switch
    {
        TimestampsToReturn.Source => value with { ServerTimestamp = null, ServerPicoseconds = 0 },
        TimestampsToReturn.Server => value with { SourceTimestamp = null, SourcePicoseconds = 0 },
        TimestampsToReturn.Neither => value with { SourceTimestamp = null, ServerTimestamp = null, SourcePicoseconds = 0, ServerPicoseconds = 0 },
        _ => value,
    };

    /// <summary>The current value of every item again (TransferSubscriptions with sendInitialValues, mode re-enabled).</summary>
    public void ResendCurrentValues(AddressSpace addressSpace)
    {
        foreach (var item in Items.Values) Resend(addressSpace, item);
    }

    public static void Resend(AddressSpace addressSpace, MonitoredItem item)
    {
        if (item.Mode == MonitoringMode.Disabled) return;
        var value = item.AttributeId == AttributeIds.Value && item.Node is ServerVariable variable
            ? variable.Value
            : addressSpace.ReadAttribute(item.Node, item.AttributeId, null);
        var mode = item.Mode;
        item.SetMode(MonitoringMode.Disabled);
        item.SetMode(mode);
        item.Offer(value);
    }
}

internal sealed record PendingPublish(ServerChannel Channel, uint RequestId, uint RequestHandle, DateTime Deadline, uint[] AcknowledgeResults);

internal sealed record PublishOutput(PendingPublish Request, byte[] Response);
