using System.Collections.Concurrent;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Storage;
using LiteDB;

namespace FlowEngine.Nodes.Industrial.Enrich;

/// <summary>The LiteDB-backed asset table: every record in memory, each change written through.</summary>
internal sealed class AssetStore : IAssetTable
{
    public const string Collection = "assets";

    private readonly IndustrialDatabase _database;
    private readonly ConcurrentDictionary<string, AssetRecord> _records = new(StringComparer.Ordinal);
    private bool _loaded;
    private long _version;

    public AssetStore(IndustrialDatabase database)
    {
        _database = database;
        _database.Opened += Load;
    }

    public long Version => Interlocked.Read(ref _version);

    /// <summary>Records in memory (for status lines; no sorting, no database access).</summary>
    internal int Count => _records.Count;

    private void Load(LiteDatabase db)
    {
        if (_loaded) return;
        _loaded = true;
        foreach (var doc in db.GetCollection(Collection).FindAll())
        {
            if (JsJson.Parse(doc["json"].AsString) is JsObject json && AssetRecord.FromJson(json, out _) is { } record)
            {
                _records[record.Tag] = record;
            }
        }
        Interlocked.Increment(ref _version);
    }

    /// <summary>Loads the table when nobody opened the database yet (a host that only reads).</summary>
    private void EnsureLoaded() => _database.Use(_ => 0);

    public IReadOnlyList<AssetRecord> List()
    {
        EnsureLoaded();
        return _records.Values.OrderBy(r => r.Tag, StringComparer.Ordinal).ToList();
    }

    public AssetRecord? Get(string tag)
    {
        if (!_loaded) EnsureLoaded();
        return _records.TryGetValue(tag, out var record) ? record : null;
    }

    public void Upsert(AssetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Write(db => db.GetCollection(Collection).Upsert(ToBson(record)));
        _records[record.Tag] = record;
        Interlocked.Increment(ref _version);
    }

    public bool Delete(string tag)
    {
        Write(db => db.GetCollection(Collection).Delete(tag));
        var removed = _records.TryRemove(tag, out _);
        Interlocked.Increment(ref _version);
        return removed;
    }

    public void ReplaceAll(IEnumerable<AssetRecord> records)
    {
        var list = records.ToList();
        Write(db =>
        {
            var collection = db.GetCollection(Collection);
            db.BeginTrans();
            try
            {
                collection.DeleteAll();
                collection.InsertBulk(list.DistinctBy(r => r.Tag).Select(ToBson));
                db.Commit();
            }
            catch
            {
                db.Rollback();
                throw;
            }
            return true;
        });
        _records.Clear();
        foreach (var record in list) _records[record.Tag] = record;
        Interlocked.Increment(ref _version);
    }

    private void Write(Func<LiteDatabase, bool> operation)
    {
        if (!_database.Use(db => operation(db) || true, whenUnavailable: false))
        {
            throw new InvalidOperationException("The asset table has no database: give IndustrialServices a database path, or start a flow with an enrich node first.");
        }
    }

    private static BsonDocument ToBson(AssetRecord record) => new()
    {
        ["_id"] = record.Tag,
        ["json"] = JsJson.Serialize(record.ToJson()),
    };
}
