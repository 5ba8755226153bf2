using LiteDB;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// QoS 1 and 2 messages waiting on disk for the broker, in one LiteDB file (mqtt-spool.db in the user directory),
/// one collection per broker connection, keyed by send sequence so reading back in key order is the send order.
/// </summary>
/// <remarks>
/// LiteDB opens a file exclusively, and several broker config nodes of one runtime share the file, so each path has one
/// open database shared by reference count. That table is the only static state in this assembly: it stands for a
/// process-wide fact (one open handle per file), not for anything a runtime owns.
/// </remarks>
internal sealed class MessageSpool : IDisposable
{
    private static readonly Dictionary<string, (LiteDatabase Database, int Users)> OpenFiles = new(StringComparer.Ordinal);
    private static readonly Lock OpenFilesGate = new();

    private readonly string _path;
    private readonly ILiteCollection<BsonDocument> _collection;
    private bool _disposed;

    private MessageSpool(string path, LiteDatabase database, string collection)
    {
        _path = path;
        _collection = database.GetCollection(collection);
    }

    public static MessageSpool Open(string path, string owner)
    {
        path = Path.GetFullPath(path);
        LiteDatabase database;
        lock (OpenFilesGate)
        {
            if (OpenFiles.TryGetValue(path, out var entry))
            {
                database = entry.Database;
                OpenFiles[path] = (database, entry.Users + 1);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
                OpenFiles[path] = (database, 1);
            }
        }
        return new MessageSpool(path, database, CollectionName(owner));
    }

    /// <summary>LiteDB collection names allow letters, digits and '_' only; node ids may hold '.' and '-'.</summary>
    private static string CollectionName(string owner)
    {
        var chars = owner.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        return "spool_" + new string(chars);
    }

    public long Count() => _collection.LongCount();

    public long MaxSequence()
    {
        var last = _collection.Query().OrderByDescending("_id").Limit(1).FirstOrDefault();
        return last is null ? 0 : last["_id"].AsInt64;
    }

    public void Add(IReadOnlyList<OutgoingMessage> messages)
    {
        if (messages.Count == 0) return;
        _collection.InsertBulk(messages.Select(ToDocument));
    }

    /// <summary>The next messages in send order after <paramref name="afterSequence"/>.</summary>
    public List<OutgoingMessage> ReadAfter(long afterSequence, int limit) =>
        _collection.Find(Query.GT("_id", afterSequence), limit: limit).Select(FromDocument).ToList();

    public void Remove(long sequence) => _collection.Delete(sequence);

    public void RemoveUpTo(long sequence) => _collection.DeleteMany(Query.LTE("_id", sequence));

    private static BsonDocument ToDocument(OutgoingMessage m)
    {
        var doc = new BsonDocument
        {
            ["_id"] = m.Sequence,
            ["topic"] = m.Topic,
            ["payload"] = m.Payload,
            ["qos"] = m.Qos,
            ["retain"] = m.Retain,
            ["utf8"] = m.PayloadIsUtf8,
        };
        if (m.ResponseTopic is not null) doc["responseTopic"] = m.ResponseTopic;
        if (m.CorrelationData is not null) doc["correlationData"] = m.CorrelationData;
        if (m.ContentType is not null) doc["contentType"] = m.ContentType;
        if (m.MessageExpiryInterval is { } expiry) doc["expiry"] = (long)expiry;
        if (m.UserProperties is { Count: > 0 } props)
        {
            doc["userProperties"] = new BsonArray(props.Select(p => new BsonArray(new BsonValue(p.Key), new BsonValue(p.Value))));
        }
        return doc;
    }

    private static OutgoingMessage FromDocument(BsonDocument doc) => new()
    {
        Sequence = doc["_id"].AsInt64,
        Topic = doc["topic"].AsString,
        Payload = doc["payload"].AsBinary,
        Qos = doc["qos"].AsInt32,
        Retain = doc["retain"].AsBoolean,
        PayloadIsUtf8 = doc.TryGetValue("utf8", out var utf8) && utf8.AsBoolean,
        ResponseTopic = doc.TryGetValue("responseTopic", out var rt) ? rt.AsString : null,
        CorrelationData = doc.TryGetValue("correlationData", out var cd) ? cd.AsBinary : null,
        ContentType = doc.TryGetValue("contentType", out var ct) ? ct.AsString : null,
        MessageExpiryInterval = doc.TryGetValue("expiry", out var ex) ? (uint)ex.AsInt64 : null,
        UserProperties = doc.TryGetValue("userProperties", out var up)
            ? up.AsArray.Select(p => new KeyValuePair<string, string>(p.AsArray[0].AsString, p.AsArray[1].AsString)).ToList()
            : null,
        FromSpool = true,
    };

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (OpenFilesGate)
        {
            if (!OpenFiles.TryGetValue(_path, out var entry)) return;
            if (entry.Users > 1)
            {
                OpenFiles[_path] = (entry.Database, entry.Users - 1);
                return;
            }
            OpenFiles.Remove(_path);
            entry.Database.Dispose();
        }
    }
}
