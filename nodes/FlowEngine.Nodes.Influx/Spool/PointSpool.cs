using LiteDB;

namespace FlowEngine.Nodes.Influx.Spool;

/// <summary>What the spool does when a new batch would take it past its bound.</summary>
public enum SpoolOverflow
{
    /// <summary>Delete the oldest batches to make room: the newest data is kept (a historian usually wants recent values).</summary>
    DropOldest,
    /// <summary>Refuse the new batch: the oldest data is kept and the new points are reported as lost.</summary>
    DropNewest,
}

/// <summary>One stored batch: line protocol lines joined by '\n', in arrival order (ids only grow).</summary>
public sealed record SpooledBatch(long Id, int Count, string Lines);

/// <summary>Result of an append: how many points were stored and how many were dropped to respect the bound.</summary>
public readonly record struct SpoolAppendResult(int Stored, long DroppedOldest, int RefusedNew);

/// <summary>
/// A durable FIFO of line-protocol batches in one LiteDB file. Every point goes through it (write-ahead), so the
/// order of writes is the order of arrival, and points still unwritten survive a redeploy, a crash and a restart.
/// Bounded by a number of points. Thread-safe: one appender and one sender use it at the same time.
/// </summary>
public sealed class PointSpool : IDisposable
{
    private const string CollectionName = "batches";
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _batches;
    private readonly Lock _gate = new();
    private long _points;
    private int _documents;

    public PointSpool(string path, long maxPoints, SpoolOverflow overflow)
    {
        if (maxPoints < 1) throw new ArgumentOutOfRangeException(nameof(maxPoints), "the spool must hold at least one point");
        Path = path;
        MaxPoints = maxPoints;
        Overflow = overflow;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        // Direct: one process owns the file (the node); Shared mode reopens the file per call and is far slower.
        _database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        _batches = _database.GetCollection(CollectionName, BsonAutoId.Int64);
        foreach (var doc in _batches.Query().Select(BsonExpression.Create("{ c: $.c }")).ToEnumerable())
        {
            _points += doc["c"].AsInt32;
            _documents++;
        }
    }

    public string Path { get; }
    public long MaxPoints { get; }
    public SpoolOverflow Overflow { get; }

    public long Points { get { lock (_gate) return _points; } }
    public int Batches { get { lock (_gate) return _documents; } }

    /// <summary>Appends batches in order, applying the bound. Each batch is (point count, lines).</summary>
    public SpoolAppendResult Append(IReadOnlyList<(int Count, string Lines)> batches)
    {
        lock (_gate)
        {
            var stored = 0;
            var refused = 0;
            long droppedOldest = 0;
            var accepted = new List<BsonDocument>(batches.Count);
            long pending = 0;
            foreach (var (count, lines) in batches)
            {
                if (count > MaxPoints || Overflow == SpoolOverflow.DropNewest && _points + pending + count > MaxPoints)
                {
                    refused += count;
                    continue;
                }
                accepted.Add(new BsonDocument { ["c"] = count, ["l"] = lines });
                pending += count;
                stored += count;
            }
            if (Overflow == SpoolOverflow.DropOldest)
            {
                while (_points + pending > MaxPoints && _documents > 0)
                {
                    var oldest = _batches.Find(Query.All("_id", Query.Ascending), 0, 1).FirstOrDefault();
                    if (oldest is null) break;
                    _batches.Delete(oldest["_id"]);
                    _points -= oldest["c"].AsInt32;
                    _documents--;
                    droppedOldest += oldest["c"].AsInt32;
                }
                // Batches of this same call that still do not fit: keep the newest of them.
                while (_points + pending > MaxPoints && accepted.Count > 0)
                {
                    var count = accepted[0]["c"].AsInt32;
                    accepted.RemoveAt(0);
                    pending -= count;
                    stored -= count;
                    droppedOldest += count;
                }
            }
            if (accepted.Count > 0)
            {
                _batches.InsertBulk(accepted);
                _points += pending;
                _documents += accepted.Count;
            }
            return new SpoolAppendResult(stored, droppedOldest, refused);
        }
    }

    /// <summary>The oldest batches, up to about <paramref name="maxPoints"/> points (always at least one batch).</summary>
    public List<SpooledBatch> PeekOldest(int maxPoints)
    {
        lock (_gate)
        {
            var result = new List<SpooledBatch>();
            var total = 0;
            // Query.All on _id walks the primary key index in order: no scan or sort of the whole spool.
            foreach (var doc in _batches.Find(Query.All("_id", Query.Ascending), 0, 1000))
            {
                var count = doc["c"].AsInt32;
                if (result.Count > 0 && total + count > maxPoints) break;
                result.Add(new SpooledBatch(doc["_id"].AsInt64, count, doc["l"].AsString));
                total += count;
            }
            return result;
        }
    }

    /// <summary>Removes written batches; those already dropped by the bound are skipped. Returns the points removed.</summary>
    public long Remove(IEnumerable<SpooledBatch> batches)
    {
        lock (_gate)
        {
            long removed = 0;
            var documents = 0;
            // One transaction for the whole write: one commit (and one flush to disk) instead of one per batch.
            _database.BeginTrans();
            try
            {
                foreach (var batch in batches)
                {
                    if (!_batches.Delete(batch.Id)) continue;
                    documents++;
                    removed += batch.Count;
                }
                _database.Commit();
            }
            catch
            {
                _database.Rollback();
                throw;
            }
            _points -= removed;
            _documents -= documents;
            return removed;
        }
    }

    public void Dispose()
    {
        lock (_gate) _database.Dispose();
    }
}
