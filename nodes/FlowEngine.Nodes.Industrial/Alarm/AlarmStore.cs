using System.Collections.Concurrent;
using System.Threading.Channels;
using FlowEngine.Nodes.Industrial.Common;
using FlowEngine.Nodes.Industrial.Storage;
using LiteDB;

namespace FlowEngine.Nodes.Industrial.Alarm;

/// <summary>A command addressed to one alarm (from the host's API).</summary>
internal sealed record AlarmCommand(string Action, string AlarmId, string User, string? Comment, TimeSpan? Duration);

/// <summary>A running alarm node, which applies commands on its own mailbox.</summary>
internal interface IAlarmCommandTarget
{
    Task<AlarmCommandResult> ExecuteAsync(AlarmCommand command, CancellationToken cancellationToken);
}

/// <summary>
/// The runtime-wide alarm store: active alarms in memory (for fast listing), their states and the history in LiteDB.
/// </summary>
/// <remarks>
/// Writes are queued and written in batches by one writer task (woken every <see cref="FlushThreshold"/> changes
/// and by the alarm nodes' one-second flush timer), and synchronously before every history query and when a node
/// closes. An alarm flood of thousands of changes a second must neither become thousands of single-document
/// transactions nor hold up alarm evaluation: the nodes' mailboxes never wait for the disk.
/// </remarks>
internal sealed class AlarmStore : IAlarmStore, IDisposable
{
    public const string HistoryCollection = "alarm_history";
    public const string StateCollection = "alarm_state";
    private const int FlushThreshold = 512;
    private const int TrimEvery = 1000;

    private readonly IndustrialDatabase _database;
    private readonly TimeProvider _clock;
    private readonly int _historyLimit;
    private readonly ConcurrentDictionary<string, AlarmSnapshot> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IAlarmCommandTarget> _targets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<PendingWrite> _pending = new();
    private readonly Listeners<AlarmEvent> _listeners = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _pendingCount;
    private int _writerStarted;
    private bool _loaded;
    private long _insertsSinceTrim;

    private readonly record struct PendingWrite(AlarmEvent? Event, AlarmSnapshot? Snapshot, string? DeleteId);

    public AlarmStore(IndustrialDatabase database, TimeProvider clock, int historyLimit)
    {
        _database = database;
        _clock = clock;
        _historyLimit = historyLimit;
        _database.Opened += Load;
    }

    /// <summary>How long an API command waits for the alarm node's mailbox.</summary>
    public static TimeSpan CommandTimeout { get; } = TimeSpan.FromSeconds(10);

    private void Load(LiteDatabase db)
    {
        // Memory is the truth once loaded (every change goes to both); only the first open reads the file.
        if (_loaded) return;
        _loaded = true;
        var history = db.GetCollection(HistoryCollection, BsonAutoId.Int64);
        history.EnsureIndex("tag");
        history.EnsureIndex("alarmId");
        foreach (var doc in db.GetCollection(StateCollection).FindAll())
        {
            var snapshot = SnapshotFromBson(doc);
            _active.TryAdd(snapshot.Id, snapshot);
        }
    }

    public IReadOnlyList<AlarmSnapshot> Active() =>
        _active.Values.OrderByDescending(a => a.Time).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();

    /// <summary>Snapshots of one node's alarms (to restore after a restart or a redeploy that changed the node).</summary>
    public IReadOnlyList<AlarmSnapshot> ActiveFor(string nodeId) => _active.Values.Where(a => a.NodeId == nodeId).ToList();

    public AlarmSnapshot? Get(string alarmId) => _active.TryGetValue(alarmId, out var snapshot) ? snapshot : null;

    public IDisposable Subscribe(Action<AlarmEvent> listener) => _listeners.Add(listener);

    public void Register(string nodeId, IAlarmCommandTarget target) => _targets[nodeId] = target;

    public void Unregister(string nodeId, IAlarmCommandTarget target) =>
        _targets.TryRemove(new KeyValuePair<string, IAlarmCommandTarget>(nodeId, target));

    /// <summary>A state change: updates the active list, queues the history entry and the stored state, tells subscribers.</summary>
    public void Record(AlarmEvent alarmEvent, AlarmSnapshot snapshot)
    {
        Remember(snapshot);
        Queue(new PendingWrite(alarmEvent, snapshot, null));
        _listeners.Publish(alarmEvent);
    }

    /// <summary>A change kept without a history entry (a shelved alarm's condition went active).</summary>
    public void Update(AlarmSnapshot snapshot)
    {
        Remember(snapshot);
        Queue(new PendingWrite(null, snapshot, null));
    }

    /// <summary>Drops an alarm from the active list (its node or rule was removed). The history stays.</summary>
    public void Forget(string alarmId)
    {
        _active.TryRemove(alarmId, out _);
        Queue(new PendingWrite(null, null, alarmId));
    }

    private void Remember(AlarmSnapshot snapshot)
    {
        if (snapshot.State == AlarmStates.Normal) _active.TryRemove(snapshot.Id, out _);
        else _active[snapshot.Id] = snapshot;
    }

    private void Queue(PendingWrite write)
    {
        _pending.Enqueue(write);
        if (Interlocked.Increment(ref _pendingCount) >= FlushThreshold) RequestFlush();
    }

    /// <summary>Asks the writer task to write what is queued, without waiting for it.</summary>
    public void RequestFlush()
    {
        if (Volatile.Read(ref _pendingCount) == 0) return;
        if (Interlocked.Exchange(ref _writerStarted, 1) == 0) _ = Task.Run(WriteLoopAsync);
        _wake.Writer.TryWrite(true);
    }

    private async Task WriteLoopAsync()
    {
        while (await _wake.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_wake.Reader.TryRead(out _)) { }
            try
            {
                Flush();
                LastWriteError = null;
            }
            catch (Exception ex) when (ex is LiteException or IOException or UnauthorizedAccessException)
            {
                // The file is unavailable (disk full, locked): this batch is lost but alarm evaluation goes on. The
                // alarm nodes show the error in their status; a node close or history query throws it to its caller.
                LastWriteError = ex.Message;
            }
        }
    }

    public void Dispose() => _wake.Writer.TryComplete();

    /// <summary>The error of the writer task's last failed write; null after a good one.</summary>
    public string? LastWriteError { get; private set; }

    /// <summary>Writes what is queued, on the calling thread. Safe from any thread.</summary>
    public void Flush()
    {
        if (Volatile.Read(ref _pendingCount) == 0) return;
        _database.Use(db =>
        {
            var batch = new List<PendingWrite>();
            while (_pending.TryDequeue(out var write))
            {
                Interlocked.Decrement(ref _pendingCount);
                batch.Add(write);
            }
            if (batch.Count == 0) return 0;
            var history = db.GetCollection(HistoryCollection, BsonAutoId.Int64);
            var states = db.GetCollection(StateCollection);
            var events = new List<BsonDocument>();
            // Only the newest state of each alarm in the batch needs writing (an alarm that chattered is written once).
            var latest = new Dictionary<string, AlarmSnapshot?>(StringComparer.Ordinal);
            foreach (var write in batch)
            {
                if (write.Event is { } e) events.Add(EventToBson(e));
                if (write.Snapshot is { } s) latest[s.Id] = s;
                if (write.DeleteId is { } id) latest[id] = null;
            }
            db.BeginTrans();
            try
            {
                foreach (var (id, snapshot) in latest)
                {
                    if (snapshot is null || snapshot.State == AlarmStates.Normal) states.Delete(id);
                    else states.Upsert(SnapshotToBson(snapshot));
                }
                if (events.Count > 0) history.InsertBulk(events);
                db.Commit();
            }
            catch
            {
                db.Rollback();
                throw;
            }
            _insertsSinceTrim += events.Count;
            if (_insertsSinceTrim >= TrimEvery)
            {
                _insertsSinceTrim = 0;
                Trim(history);
            }
            return batch.Count;
        });
    }

    /// <summary>Keeps the newest <c>historyLimit</c> entries so the file cannot grow without bound.</summary>
    private void Trim(ILiteCollection<BsonDocument> history)
    {
        var newest = history.Max("_id");
        if (newest.IsInt64 && newest.AsInt64 > _historyLimit)
        {
            history.DeleteMany(Query.LTE("_id", newest.AsInt64 - _historyLimit));
        }
    }

    public AlarmHistoryPage History(AlarmHistoryQuery query)
    {
        var page = Math.Max(1, query.Page);
        var pageSize = Math.Clamp(query.PageSize, 1, AlarmHistoryQuery.MaxPageSize);
        Flush();
        var result = _database.Use(db =>
        {
            var history = db.GetCollection(HistoryCollection, BsonAutoId.Int64);
            ILiteQueryable<BsonDocument> Filtered()
            {
                var q = history.Query();
                if (query.Tag is { } tag) q = q.Where(Query.EQ("tag", tag));
                if (query.AlarmId is { } alarmId) q = q.Where(Query.EQ("alarmId", alarmId));
                if (query.NodeId is { } nodeId) q = q.Where(Query.EQ("nodeId", nodeId));
                if (query.From is { } from) q = q.Where(Query.GTE("time", from.ToUniversalTime().Ticks));
                if (query.To is { } to) q = q.Where(Query.LT("time", to.ToUniversalTime().Ticks));
                return q;
            }
            var total = Filtered().LongCount();
            var items = Filtered().OrderByDescending("_id").Skip((page - 1) * pageSize).Limit(pageSize).ToList()
                .Select(EventFromBson).ToList();
            return new AlarmHistoryPage(page, pageSize, total, items);
        });
        return result ?? new AlarmHistoryPage(page, pageSize, 0, []);
    }

    public Task<AlarmCommandResult> AcknowledgeAsync(string alarmId, string user, string? comment = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new AlarmCommand("ack", alarmId, user, comment, null), cancellationToken);

    public Task<AlarmCommandResult> ShelveAsync(string alarmId, TimeSpan duration, string user, string? comment = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new AlarmCommand("shelve", alarmId, user, comment, duration), cancellationToken);

    public Task<AlarmCommandResult> UnshelveAsync(string alarmId, string user, string? comment = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new AlarmCommand("unshelve", alarmId, user, comment, null), cancellationToken);

    private async Task<AlarmCommandResult> ExecuteAsync(AlarmCommand command, CancellationToken cancellationToken)
    {
        // The node id is the part of the alarm id before the first ':' (node ids never contain one), so an alarm
        // in NORM, which is not in the active list, can still be shelved ahead of time.
        var nodeId = _active.TryGetValue(command.AlarmId, out var snapshot) ? snapshot.NodeId
            : command.AlarmId.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 ? command.AlarmId[..colon] : null;
        if (nodeId is null) return new AlarmCommandResult(AlarmCommandStatus.NotFound, $"no alarm \"{command.AlarmId}\"");
        if (!_targets.TryGetValue(nodeId, out var target))
        {
            return snapshot is null
                ? new AlarmCommandResult(AlarmCommandStatus.NotFound, $"no alarm \"{command.AlarmId}\"")
                : new AlarmCommandResult(AlarmCommandStatus.NotRunning, $"the alarm node {nodeId} is not running", snapshot);
        }
        try
        {
            return await target.ExecuteAsync(command, cancellationToken).WaitAsync(CommandTimeout, _clock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new AlarmCommandResult(AlarmCommandStatus.NotRunning, $"the alarm node {nodeId} did not answer in time", snapshot);
        }
    }

    private static BsonValue Bson(double? value) => value is { } v ? new BsonValue(v) : BsonValue.Null;
    private static BsonValue Bson(string? value) => value is not null ? new BsonValue(value) : BsonValue.Null;
    private static BsonValue Bson(DateTime? value) => value is { } v ? new BsonValue(v.ToUniversalTime().Ticks) : BsonValue.Null;
    private static double? Double(BsonValue value) => value.IsNull ? null : value.AsDouble;
    private static string? String(BsonValue value) => value.IsNull ? null : value.AsString;
    private static DateTime? Time(BsonValue value) => value.IsNull ? null : new DateTime(value.AsInt64, DateTimeKind.Utc);

    // Times are stored as UTC ticks: LiteDB turns stored dates into local time on read unless told otherwise.
    private static BsonDocument EventToBson(AlarmEvent e) => new()
    {
        ["alarmId"] = e.AlarmId,
        ["nodeId"] = e.NodeId,
        ["tag"] = e.Tag,
        ["condition"] = e.Condition,
        ["state"] = e.State,
        ["previousState"] = e.PreviousState,
        ["active"] = e.Active,
        ["value"] = Bson(e.Value),
        ["limit"] = Bson(e.Limit),
        ["severity"] = e.Severity,
        ["priority"] = e.Priority,
        ["message"] = Bson(e.Message),
        ["time"] = e.Time.ToUniversalTime().Ticks,
        ["user"] = Bson(e.User),
        ["comment"] = Bson(e.Comment),
        ["shelvedUntil"] = Bson(e.ShelvedUntil),
        ["reason"] = e.Reason,
    };

    private static AlarmEvent EventFromBson(BsonDocument doc) => new()
    {
        Sequence = doc["_id"].AsInt64,
        AlarmId = doc["alarmId"].AsString,
        NodeId = doc["nodeId"].AsString,
        Tag = doc["tag"].AsString,
        Condition = doc["condition"].AsString,
        State = doc["state"].AsString,
        PreviousState = doc["previousState"].AsString,
        Active = doc["active"].AsBoolean,
        Value = Double(doc["value"]),
        Limit = Double(doc["limit"]),
        Severity = doc["severity"].AsInt32,
        Priority = doc["priority"].AsString,
        Message = String(doc["message"]),
        Time = new DateTime(doc["time"].AsInt64, DateTimeKind.Utc),
        User = String(doc["user"]),
        Comment = String(doc["comment"]),
        ShelvedUntil = Time(doc["shelvedUntil"]),
        Reason = doc["reason"].AsString,
    };

    private static BsonDocument SnapshotToBson(AlarmSnapshot s) => new()
    {
        ["_id"] = s.Id,
        ["nodeId"] = s.NodeId,
        ["tag"] = s.Tag,
        ["condition"] = s.Condition,
        ["state"] = s.State,
        ["active"] = s.Active,
        ["value"] = Bson(s.Value),
        ["limit"] = Bson(s.Limit),
        ["severity"] = s.Severity,
        ["priority"] = s.Priority,
        ["message"] = Bson(s.Message),
        ["time"] = s.Time.ToUniversalTime().Ticks,
        ["activeSince"] = Bson(s.ActiveSince),
        ["ackedBy"] = Bson(s.AckedBy),
        ["ackedAt"] = Bson(s.AckedAt),
        ["comment"] = Bson(s.Comment),
        ["shelvedUntil"] = Bson(s.ShelvedUntil),
        ["shelvedBy"] = Bson(s.ShelvedBy),
    };

    private static AlarmSnapshot SnapshotFromBson(BsonDocument doc) => new()
    {
        Id = doc["_id"].AsString,
        NodeId = doc["nodeId"].AsString,
        Tag = doc["tag"].AsString,
        Condition = doc["condition"].AsString,
        State = doc["state"].AsString,
        Active = doc["active"].AsBoolean,
        Value = Double(doc["value"]),
        Limit = Double(doc["limit"]),
        Severity = doc["severity"].AsInt32,
        Priority = doc["priority"].AsString,
        Message = String(doc["message"]),
        Time = new DateTime(doc["time"].AsInt64, DateTimeKind.Utc),
        ActiveSince = Time(doc["activeSince"]),
        AckedBy = String(doc["ackedBy"]),
        AckedAt = Time(doc["ackedAt"]),
        Comment = String(doc["comment"]),
        ShelvedUntil = Time(doc["shelvedUntil"]),
        ShelvedBy = String(doc["shelvedBy"]),
    };
}
