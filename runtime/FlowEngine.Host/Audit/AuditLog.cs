using FlowEngine.Core.Values;
using FlowEngine.Core.Runtime;
using LiteDB;

namespace FlowEngine.Host.Audit;

/// <summary>One page of the trail, newest first.</summary>
internal sealed record AuditPage(long Total, IReadOnlyList<JsObject> Entries);

/// <summary>
/// The trail in LiteDB (<c>&lt;userDir&gt;/audit.db</c>, collection "audit"). Append-only by construction: this
/// class inserts and reads, it has no update or delete. Shared connection mode, so `flowengine user add` can add
/// an entry while the server runs.
/// </summary>
internal sealed class LiteDbAuditLog : IAuditLog, IDisposable
{
    private const string Collection = "audit";
    private readonly LiteDatabase _database;
    private readonly TimeProvider _clock;

    public LiteDbAuditLog(string path, TimeProvider clock)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Shared });
        _clock = clock;
    }

    public static string PathIn(string userDir) => Path.Combine(userDir, "audit.db");

    public void Record(string action, string? user, JsObject? details = null)
    {
        var document = new BsonDocument
        {
            ["timestamp"] = _clock.GetUtcNow().UtcDateTime,
            ["action"] = action,
            ["user"] = user is null ? BsonValue.Null : new BsonValue(user),
            ["details"] = details is null ? BsonValue.Null : new BsonValue(JsJson.Serialize(details)),
        };
        _database.GetCollection(Collection, BsonAutoId.Int64).Insert(document);
    }

    /// <summary>Page 1 is the newest entries.</summary>
    public AuditPage Read(int page, int pageSize)
    {
        var collection = _database.GetCollection(Collection, BsonAutoId.Int64);
        var total = collection.LongCount();
        var entries = collection.Query().OrderByDescending("_id").Skip((page - 1) * pageSize).Limit(pageSize).ToList()
            .Select(ToJs).ToList();
        return new AuditPage(total, entries);
    }

    private static JsObject ToJs(BsonDocument document)
    {
        var entry = new JsObject
        {
            ["id"] = (double)document["_id"].AsInt64,
            ["timestamp"] = JsJson.FormatIsoDate(DateTime.SpecifyKind(document["timestamp"].AsDateTime.ToUniversalTime(), DateTimeKind.Utc)),
            ["action"] = document["action"].AsString,
            ["user"] = document["user"].IsNull ? null : document["user"].AsString,
        };
        if (document["details"].IsString && JsJson.Parse(document["details"].AsString) is JsObject details)
        {
            foreach (var (key, value) in details) entry.TryAdd(key, value);
        }
        return entry;
    }

    public void Dispose() => _database.Dispose();
}
