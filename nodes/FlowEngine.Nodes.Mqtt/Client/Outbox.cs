namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// The messages a connection still has to publish, in send order. While connected they wait in memory for the sender.
/// While disconnected, QoS 0 messages wait in memory up to <see cref="MemoryLimit"/> (then the oldest are dropped and
/// counted) and QoS 1 and 2 messages go to the disk spool, so a long outage cannot exhaust memory and a restart loses
/// none of them. Every message carries a sequence number; the next one to send is the lowest of memory and disk.
/// </summary>
/// <remarks>
/// A message leaves the outbox only when the sender has confirmed it (<see cref="Remove"/>): one that was in flight
/// when the connection dropped is simply still the head, and is sent again, in its place, on reconnect.
/// All members are thread-safe (one lock; the sender, the connection loop and the nodes' mailboxes all call in).
/// </remarks>
internal sealed class Outbox : IDisposable
{
    private const int DiskReadAhead = 256;

    private readonly Lock _gate = new();
    private readonly LinkedList<OutgoingMessage> _memory = new();
    private readonly Queue<OutgoingMessage> _diskHead = new();
    private readonly string? _spoolPath;
    private readonly string _owner;
    private MessageSpool? _spool;
    private long _diskCount;
    private long _lastDiskRead;
    private long _nextSequence = 1;
    private bool _offline = true;
    private int _memoryQos0;

    public Outbox(int memoryLimit, string? spoolPath, string owner)
    {
        MemoryLimit = Math.Max(1, memoryLimit);
        _spoolPath = spoolPath;
        _owner = owner;
        // A spool left by an earlier run (or by the node this one replaces) is picked up at once, so its messages are
        // sent first on connect and new ones are numbered after them.
        if (spoolPath is not null && File.Exists(spoolPath))
        {
            _spool = MessageSpool.Open(spoolPath, owner);
            _diskCount = _spool.Count();
            _nextSequence = _spool.MaxSequence() + 1;
        }
    }

    /// <summary>Most QoS 0 messages kept in memory while disconnected (settings: mqttBufferSize).</summary>
    public int MemoryLimit { get; }

    /// <summary>QoS 0 messages dropped because the buffer was full, since the last <see cref="TakeDropped"/>.</summary>
    public long Dropped { get; private set; }

    /// <summary>Total dropped since start.</summary>
    public long DroppedTotal { get; private set; }

    /// <summary>Last spool failure (disk full, locked file); QoS 1/2 messages then stay in memory.</summary>
    public string? SpoolError { get; private set; }

    public event Action? Changed;

    public int Count
    {
        get
        {
            lock (_gate) return _memory.Count + (int)_diskCount;
        }
    }

    public bool IsOffline
    {
        get
        {
            lock (_gate) return _offline;
        }
    }

    public void Enqueue(OutgoingMessage message)
    {
        List<OutgoingMessage>? completed = null;
        lock (_gate)
        {
            message.Sequence = _nextSequence++;
            if (_offline && message.Qos > 0 && TrySpool([message]))
            {
                completed = [message];
            }
            else
            {
                _memory.AddLast(message);
                if (message.Qos == 0) _memoryQos0++;
                if (_offline) completed = EnforceLimit();
            }
        }
        CompleteAll(completed);
        Changed?.Invoke();
    }

    /// <summary>The next message to send, without removing it.</summary>
    public OutgoingMessage? Peek()
    {
        lock (_gate)
        {
            if (_diskHead.Count == 0 && _diskCount > 0 && _spool is not null)
            {
                try
                {
                    foreach (var m in _spool.ReadAfter(_lastDiskRead, DiskReadAhead))
                    {
                        _diskHead.Enqueue(m);
                        _lastDiskRead = m.Sequence;
                    }
                }
                catch (LiteDB.LiteException ex)
                {
                    SpoolError = ex.Message;
                }
            }
            var fromMemory = _memory.First?.Value;
            var fromDisk = _diskHead.Count > 0 ? _diskHead.Peek() : null;
            if (fromDisk is null) return fromMemory;
            if (fromMemory is null) return fromDisk;
            return fromDisk.Sequence < fromMemory.Sequence ? fromDisk : fromMemory;
        }
    }

    /// <summary>Removes a message the sender has finished with (published, or refused for good).</summary>
    public void Remove(OutgoingMessage message)
    {
        lock (_gate)
        {
            if (!message.FromSpool && RemoveFromMemory(message))
            {
                // removed from memory
            }
            else if (_spool is not null)
            {
                // Either read back from disk, or spilled to disk while it was in flight.
                if (_diskHead.Count > 0 && _diskHead.Peek().Sequence == message.Sequence) _diskHead.Dequeue();
                try
                {
                    _spool.Remove(message.Sequence);
                    _diskCount = Math.Max(0, _diskCount - 1);
                }
                catch (LiteDB.LiteException ex)
                {
                    SpoolError = ex.Message;
                }
            }
        }
        Changed?.Invoke();
    }

    private bool RemoveFromMemory(OutgoingMessage message)
    {
        var node = _memory.First;
        if (node is null) return false;
        if (!ReferenceEquals(node.Value, message))
        {
            node = _memory.Find(message);
            if (node is null) return false;
        }
        _memory.Remove(node);
        if (message.Qos == 0) _memoryQos0--;
        return true;
    }

    /// <summary>The connection is up: new messages wait in memory for the sender again.</summary>
    public void GoOnline()
    {
        lock (_gate) _offline = false;
        Changed?.Invoke();
    }

    /// <summary>
    /// The connection is down (or closing): QoS 1/2 messages in memory move to the spool in order, and the QoS 0
    /// bound applies from now on.
    /// </summary>
    public void GoOffline()
    {
        List<OutgoingMessage>? completed;
        lock (_gate)
        {
            _offline = true;
            var persistent = _memory.Where(m => m.Qos > 0).ToList();
            if (persistent.Count > 0 && TrySpool(persistent))
            {
                foreach (var m in persistent) RemoveFromMemory(m);
                completed = persistent;
            }
            else
            {
                completed = null;
            }
            var dropped = EnforceLimit();
            if (dropped is not null) (completed ??= []).AddRange(dropped);
        }
        CompleteAll(completed);
        Changed?.Invoke();
    }

    /// <summary>Reads and resets the count of messages dropped since the last call.</summary>
    public long TakeDropped()
    {
        lock (_gate)
        {
            var dropped = Dropped;
            Dropped = 0;
            return dropped;
        }
    }

    /// <summary>QoS 0 messages still in memory (lost when the node closes; QoS 1/2 are on disk by then).</summary>
    public int MemoryCount
    {
        get
        {
            lock (_gate) return _memory.Count;
        }
    }

    private bool TrySpool(List<OutgoingMessage> messages)
    {
        if (_spoolPath is null) return false;
        try
        {
            _spool ??= MessageSpool.Open(_spoolPath, _owner);
            _spool.Add(messages);
            _diskCount += messages.Count;
            SpoolError = null;
            return true;
        }
        catch (Exception ex) when (ex is LiteDB.LiteException or IOException or UnauthorizedAccessException)
        {
            SpoolError = ex.Message;
            return false;
        }
    }

    private List<OutgoingMessage>? EnforceLimit()
    {
        List<OutgoingMessage>? dropped = null;
        while (_memoryQos0 > MemoryLimit)
        {
            var node = _memory.First;
            while (node is not null && node.Value.Qos != 0) node = node.Next;
            if (node is null) break;
            _memory.Remove(node);
            _memoryQos0--;
            Dropped++;
            DroppedTotal++;
            (dropped ??= []).Add(node.Value);
        }
        return dropped;
    }

    private static void CompleteAll(List<OutgoingMessage>? messages)
    {
        if (messages is null) return;
        foreach (var m in messages) m.Complete(null);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _spool?.Dispose();
            _spool = null;
        }
    }
}
