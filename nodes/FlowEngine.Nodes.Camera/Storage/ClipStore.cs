using System.Globalization;
using LiteDB;

namespace FlowEngine.Nodes.Camera.Storage;

/// <summary>One stored clip or snapshot in the index.</summary>
public sealed class StoredMedia
{
    /// <summary>Random id, also the file name; what the /camera endpoints take.</summary>
    [BsonId]
    public string Id { get; set; } = "";
    /// <summary>"clip" (MP4) or "snapshot" (JPEG).</summary>
    public string Kind { get; set; } = "";
    /// <summary>The camera name (the camera config node's name, which should match Frigate's camera name).</summary>
    public string Camera { get; set; } = "";
    /// <summary>Wall-clock time of the first frame (UTC).</summary>
    public DateTime Start { get; set; }
    /// <summary>Wall-clock time of the last frame (UTC); equals Start for snapshots.</summary>
    public DateTime End { get; set; }
    public string Path { get; set; } = "";
    public long Size { get; set; }
    /// <summary>"flowengine" (recorded here) or "frigate" (downloaded from Frigate).</summary>
    public string Source { get; set; } = "flowengine";
    public string? FrigateEventId { get; set; }
    /// <summary>Wall-clock time of the trigger that asked for it (UTC).</summary>
    public DateTime? Trigger { get; set; }
    public DateTime Created { get; set; }
}

/// <summary>
/// Clip and snapshot files on disk with their index in LiteDB, retention by age and total size per camera, and the
/// free-space guard that stops recording before the disk fills. Thread-safe (LiteDB is; opening is under a lock).
/// </summary>
internal sealed class ClipStore : IDisposable
{
    public const string DatabaseFileName = "camera.db";

    private readonly Lock _gate = new();
    private string? _root;
    private LiteDatabase? _database;
    private bool _disposed;

    /// <param name="root">The storage folder; null to take <c>userDir/camera</c> from the first node that uses it.</param>
    public ClipStore(string? root) => _root = root;

    /// <summary>The storage folder; null until known.</summary>
    public string? Root
    {
        get
        {
            lock (_gate) return _root;
        }
    }

    /// <summary>Fixes the root from the runtime's user directory when the host gave none.</summary>
    public void EnsureRoot(string userDirectory)
    {
        lock (_gate)
        {
            _root ??= System.IO.Path.Combine(userDirectory, "camera");
        }
    }

    private ILiteCollection<StoredMedia> Media
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_database is null)
                {
                    var root = _root ?? throw new InvalidOperationException("the clip store has no folder yet");
                    Directory.CreateDirectory(root);
                    _database = new LiteDatabase(new ConnectionString { Filename = System.IO.Path.Combine(root, DatabaseFileName), Connection = ConnectionType.Direct });
                    var media = _database.GetCollection<StoredMedia>("media");
                    media.EnsureIndex(m => m.Camera);
                    media.EnsureIndex(m => m.Start);
                }
                return _database.GetCollection<StoredMedia>("media");
            }
        }
    }

    /// <summary>A new file path for a clip or snapshot: root (or the camera's own folder)/camera/yyyy-MM-dd/id.ext.</summary>
    public (string Id, string Path) NewFile(string camera, string extension, DateTimeOffset time, string? folder = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var root = folder is { Length: > 0 } ? folder : Root ?? throw new InvalidOperationException("the clip store has no folder yet");
        var directory = System.IO.Path.Combine(root, SafeName(camera), time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        return (id, System.IO.Path.Combine(directory, id + "." + extension));
    }

    public void Add(StoredMedia media)
    {
        media.Size = new FileInfo(media.Path).Length;
        Media.Insert(media);
    }

    public StoredMedia? Find(string id) => Media.FindById(id);

    /// <summary>Newest first.</summary>
    public IReadOnlyList<StoredMedia> Query(string? camera, string? kind, DateTime? from, DateTime? to, int limit)
    {
        var query = Media.Query();
        if (!string.IsNullOrEmpty(camera)) query = query.Where(m => m.Camera == camera);
        if (!string.IsNullOrEmpty(kind)) query = query.Where(m => m.Kind == kind);
        if (from is { } f) query = query.Where(m => m.End >= f);
        if (to is { } t) query = query.Where(m => m.Start <= t);
        return query.OrderByDescending(m => m.Start).Limit(limit).ToList();
    }

    /// <summary>Clips of a camera that overlap [from, to], the one covering most of the span first.</summary>
    public IReadOnlyList<StoredMedia> ClipsOverlapping(string camera, DateTime from, DateTime to) =>
        Query(camera, "clip", from, to, 100)
            .OrderByDescending(m => (Min(m.End, to) - Max(m.Start, from)).Ticks)
            .ToList();

    /// <summary>
    /// Deletes a camera's media older than <paramref name="maxAge"/>, then the oldest until the camera's total is at
    /// most <paramref name="maxTotalBytes"/> (the newest is always kept). Returns how many were deleted. A limit of zero or less is off.
    /// </summary>
    public int ApplyRetention(string camera, TimeSpan maxAge, long maxTotalBytes, DateTimeOffset now)
    {
        var all = Media.Query().Where(m => m.Camera == camera).OrderBy(m => m.Start).ToList();
        var deleted = 0;
        var total = all.Sum(m => m.Size);
        for (var i = 0; i < all.Count; i++)
        {
            var media = all[i];
            var tooOld = maxAge > TimeSpan.Zero && media.End < (now - maxAge).UtcDateTime;
            // The newest file is what was just recorded: a size limit smaller than one clip must not delete it.
            var overSize = maxTotalBytes > 0 && total > maxTotalBytes && i < all.Count - 1;
            if (!tooOld && !overSize) continue;
            Delete(media);
            total -= media.Size;
            deleted++;
        }
        return deleted;
    }

    public long TotalBytes(string camera) => Media.Query().Where(m => m.Camera == camera).ToList().Sum(m => m.Size);

    public void Delete(StoredMedia media)
    {
        try
        {
            File.Delete(media.Path);
        }
        catch (IOException)
        {
            // Being served right now: the index entry goes, the file stays until the next start cleans nothing up;
            // better than a clip the index no longer shows but the disk still fills with.
            return;
        }
        Media.Delete(media.Id);
    }

    /// <summary>Why nothing may be recorded into <paramref name="folder"/> now (free space below the minimum), or null.</summary>
    public static string? StorageProblem(string folder, long minFreeBytes)
    {
        if (minFreeBytes <= 0) return null;
        try
        {
            Directory.CreateDirectory(folder);
            var free = new DriveInfo(System.IO.Path.GetFullPath(folder)).AvailableFreeSpace;
            if (free >= minFreeBytes) return null;
            return string.Create(CultureInfo.InvariantCulture,
                $"storage full: {free / 1048576.0:0} MB free for {folder}, below the minimum of {minFreeBytes / 1048576.0:0} MB; recording stopped");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return $"storage unavailable: {folder}: {e.Message}";
        }
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    internal static string SafeName(string camera)
    {
        var chars = camera.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray();
        return chars.Length == 0 ? "camera" : new string(chars);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _database?.Dispose();
            _database = null;
        }
    }
}
