using LiteDB;

namespace FlowEngine.Nodes.Industrial.Storage;

/// <summary>
/// The industrial LiteDB file (alarm states, alarm history, asset table), opened on first use.
/// </summary>
/// <remarks>
/// Two lifetimes: when the host gives a path the file stays open until the host disposes the services; when the
/// path comes from the first node that uses it (userDir/industrial.db), the file closes again when the last node
/// releases it, so a runtime that stops leaves the file free for the next one (tests restart runtimes on one userDir).
/// Every access goes through one lock: LiteDB is thread-safe itself, but opening and closing are not.
/// </remarks>
internal sealed class IndustrialDatabase : IDisposable
{
    public const string FileName = "industrial.db";

    private readonly Lock _gate = new();
    private readonly bool _pinned;
    private string? _path;
    private LiteDatabase? _database;
    private int _users;
    private bool _disposed;

    public IndustrialDatabase(string? path)
    {
        _path = path;
        _pinned = path is not null;
    }

    public string? Path
    {
        get
        {
            lock (_gate) return _path;
        }
    }

    /// <summary>Called when opened (in the lock), so stores can load what they cache in memory.</summary>
    public event Action<LiteDatabase>? Opened;

    /// <summary>A node starts using the file. The first caller's user directory decides the path when the host gave none.</summary>
    public void Acquire(string userDirectory)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _path ??= System.IO.Path.Combine(userDirectory, FileName);
            _users++;
            EnsureOpen();
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            if (_users > 0) _users--;
            if (_users == 0 && !_pinned && _database is not null)
            {
                _database.Dispose();
                _database = null;
            }
        }
    }

    /// <summary>Runs an operation on the open database; opens it briefly when no node holds it. Null result when no path is known yet.</summary>
    public T? Use<T>(Func<LiteDatabase, T> operation, T? whenUnavailable = default)
    {
        lock (_gate)
        {
            if (_disposed || _path is null) return whenUnavailable;
            var temporary = _database is null && !_pinned;
            EnsureOpen();
            try
            {
                return operation(_database!);
            }
            finally
            {
                if (temporary && _users == 0)
                {
                    _database!.Dispose();
                    _database = null;
                }
            }
        }
    }

    private void EnsureOpen()
    {
        if (_database is not null || _path is null) return;
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
        if (directory is not null) Directory.CreateDirectory(directory);
        _database = new LiteDatabase(new ConnectionString { Filename = _path, Connection = ConnectionType.Direct });
        Opened?.Invoke(_database);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _database?.Dispose();
            _database = null;
        }
    }
}
