using FlowEngine.Core.Values;
using LiteDB;

namespace FlowEngine.Core.Context;

/// <summary>
/// The persistent store: every value in memory for synchronous reads, changed scopes written to LiteDB behind,
/// every <see cref="FlushInterval"/> and at shutdown. Registered for Node-RED's "localfilesystem" module name too,
/// so settings written for Node-RED keep working.
/// </summary>
public sealed class LiteDbContextStore : MemoryContextStore
{
    private readonly string _databasePath;
    private readonly TimeProvider _clock;
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private LiteDatabase? _database;
    private ITimer? _flushTimer;

    public LiteDbContextStore(string name, string databasePath, TimeSpan flushInterval, TimeProvider clock) : base(name)
    {
        _databasePath = databasePath;
        FlushInterval = flushInterval;
        _clock = clock;
    }

    /// <summary>
    /// How long a change may wait before it is on disk. Node-RED's file store waits 30 s; our default (1 s, set by
    /// the context manager) loses far less on a power cut at the cost of small, infrequent writes.
    /// </summary>
    public TimeSpan FlushInterval { get; }

    public override bool IsPersistent => true;

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_databasePath))!);
        _database = new LiteDatabase(new ConnectionString { Filename = _databasePath, Connection = ConnectionType.Shared });
        var collection = _database.GetCollection("context");
        lock (Gate)
        {
            foreach (var doc in collection.FindAll())
            {
                var scope = doc["_id"].AsString;
                var values = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (JsJson.Parse(doc["json"].AsString) is JsObject obj)
                {
                    foreach (var (key, value) in obj) values[key] = value;
                }
                LoadScope(scope, values);
            }
        }
        _flushTimer = _clock.CreateTimer(_ => _ = FlushSafeAsync(), null, FlushInterval, FlushInterval);
        return ValueTask.CompletedTask;
    }

    protected override void MarkDirty(string scope) => _dirty.Add(scope);

    private async Task FlushSafeAsync()
    {
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (LiteException)
        {
            // The next flush tries again; the values stay in memory and dirty.
        }
        catch (IOException)
        {
        }
    }

    public override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_database is null) return;
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<(string Scope, Dictionary<string, object?>? Values)> pending;
            lock (Gate)
            {
                if (_dirty.Count == 0) return;
                pending = _dirty.Select(scope => (scope, SnapshotScope(scope))).ToList();
                _dirty.Clear();
            }
            var collection = _database.GetCollection("context");
            _database.BeginTrans();
            try
            {
                foreach (var (scope, values) in pending)
                {
                    if (values is null || values.Count == 0)
                    {
                        collection.Delete(scope);
                        continue;
                    }
                    var obj = new JsObject(values.Count);
                    foreach (var (key, value) in values) obj[key] = value;
                    collection.Upsert(new BsonDocument { ["_id"] = scope, ["json"] = JsJson.Serialize(obj) });
                }
                _database.Commit();
            }
            catch
            {
                _database.Rollback();
                lock (Gate) foreach (var (scope, _) in pending) _dirty.Add(scope);
                throw;
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_flushTimer is not null) await _flushTimer.DisposeAsync().ConfigureAwait(false);
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        _database?.Dispose();
        _database = null;
        _flushGate.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
