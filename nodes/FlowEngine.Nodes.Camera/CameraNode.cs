using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Camera.Protocol;
using FlowEngine.Nodes.Camera.Storage;

namespace FlowEngine.Nodes.Camera;

/// <summary>
/// camera: one camera (RTSP, HTTP, MJPEG or a file), its credentials, its optional rolling buffer and the storage and
/// retention of its clips. Snapshot and clip nodes that name it share the buffer. Every ffmpeg it or its users start
/// is ended when it closes (redeploy, shutdown).
/// </summary>
internal sealed class CameraNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("camera")
    {
        Category = "config",
        Color = "#C7E9C0",
        Icon = "font-awesome/fa-video-camera",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Set = "flowengine/camera",
        DefaultLabel = "camera",
        Help = """
            A camera that snapshot and clip nodes read from, read with ffmpeg (which must be installed and on PATH).

            **name**: the camera's name in clip storage, messages and `/camera/clips?camera=`. Give it the same name
            as the camera in Frigate so frigate-correlate can fall back to clips recorded here.
            **source**: `rtsp` (an IP camera stream), `http` (anything ffmpeg reads over HTTP: HLS, MPEG-TS, MP4),
            `mjpeg` (multipart JPEG over HTTP) or `file` (a local video, looped in real time).
            **url**: the stream URL without credentials. **user** and **password** are credentials (kept in
            `flows_cred.json`, never in the flow file, never shown in statuses or messages); they are given to the
            camera as URL user info (RTSP Basic or Digest, HTTP Basic).
            **snapshotUrl**: optional HTTP URL that answers one JPEG (most IP cameras have one): snapshots then skip
            decoding the stream.
            **transport**: RTSP over `tcp` (interleaved, the default: works through NAT and firewalls) or `udp`.
            **timeout**: seconds a snapshot may take, and the socket timeout for a silent camera.

            ### Rolling buffer
            With **buffer** on, one ffmpeg records the stream continuously into **segmentSeconds**-long MPEG-TS
            segments (cut at keyframes) and keeps the last **bufferSeconds**, so a clip can start before its trigger.
            The stream is copied as it comes (no re-encoding) unless **transcode** is on (needed for MJPEG cameras:
            re-encodes to H.264). A camera that is unreachable, sends garbage or stalls for **stallSeconds** gets its
            ffmpeg ended and restarted after 1 s, doubling to 30 s; snapshot and clip nodes show the reason.

            ### Storage and retention
            Clips and snapshots go to **storageDir** (empty: `camera` in the user directory) under
            `<camera>/<date>/<id>.mp4|jpg`, indexed in `camera.db`, served by `GET /camera/clips/<id>` and
            `GET /camera/snapshots/<id>`. After each new file, this camera's files older than **maxAgeHours** are
            deleted, then the oldest until the camera's total is below **maxTotalMB** (0 turns a limit off). When the
            disk holding the folder has less than **minFreeMB** free, nothing is recorded (the buffer stops, clip
            nodes send an error to catch nodes and show "storage full") until space comes back.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Required = true, Label = "Name", Validate = v => v is string { Length: > 0 } ? null : "a camera needs a name" },
            new PropertyDeclaration("source", PropertyKind.Select) { Default = "rtsp", Options = ["rtsp", "http", "mjpeg", "file"], Label = "Source" },
            new PropertyDeclaration("url", PropertyKind.String) { Required = true, Label = "Stream URL", Help = "without credentials: rtsp://host:554/stream" },
            new PropertyDeclaration("snapshotUrl", PropertyKind.String) { Default = "", Label = "Snapshot URL", Help = "optional; answers one JPEG" },
            new PropertyDeclaration("transport", PropertyKind.Select) { Default = "tcp", Options = ["tcp", "udp"], Label = "RTSP transport" },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = 15, Label = "Timeout (s)", Validate = v => Range(v, 1, 600) },
            new PropertyDeclaration("buffer", PropertyKind.Bool) { Default = false, Label = "Rolling buffer" },
            new PropertyDeclaration("bufferSeconds", PropertyKind.Number) { Default = 30, Label = "Buffer (s)", Validate = v => Range(v, 2, 3600) },
            new PropertyDeclaration("segmentSeconds", PropertyKind.Number) { Default = 1, Label = "Segment (s)", Validate = v => Range(v, 0.5, 60) },
            new PropertyDeclaration("stallSeconds", PropertyKind.Number) { Default = 15, Label = "Stall timeout (s)", Validate = v => Range(v, 2, 600) },
            new PropertyDeclaration("transcode", PropertyKind.Bool) { Default = false, Label = "Re-encode to H.264" },
            new PropertyDeclaration("storageDir", PropertyKind.String) { Default = "", Label = "Storage folder", Help = "empty: userDir/camera" },
            new PropertyDeclaration("maxAgeHours", PropertyKind.Number) { Default = 168, Label = "Keep (hours)", Validate = v => Range(v, 0, 100000) },
            new PropertyDeclaration("maxTotalMB", PropertyKind.Number) { Default = 2048, Label = "Keep at most (MB)", Validate = v => Range(v, 0, 100_000_000) },
            new PropertyDeclaration("minFreeMB", PropertyKind.Number) { Default = 500, Label = "Minimum free disk (MB)", Validate = v => Range(v, 0, 100_000_000) },
        ],
        Credentials = [new CredentialDeclaration("user", false, "User"), new CredentialDeclaration("password", true, "Password")],
    };

    private readonly CameraServices _services;
    private readonly SegmentBufferOptions? _bufferOptions;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Action<NodeStatus>> _users = new(StringComparer.Ordinal);
    private SegmentBuffer? _buffer;
    private NodeStatus _bufferStatus = NodeStatus.Clear;

    public CameraNode(NodeSetup setup, CameraServices services) : base(setup)
    {
        _services = services;
        CameraName = Config.GetString("name");
        if (CameraName.Length == 0) throw Config.Invalid("name", "a camera needs a name");
        var url = Config.GetString("url");
        if (url.Length == 0) throw Config.Invalid("url", "a camera needs a stream URL");
        CameraSourceKind kind;
        try
        {
            kind = CameraSource.ParseKind(Config.GetString("source", "rtsp"));
        }
        catch (ArgumentException e)
        {
            throw Config.Invalid("source", e.Message);
        }
        if (kind != CameraSourceKind.File && !Uri.TryCreate(url, UriKind.Absolute, out _)) throw Config.Invalid("url", $"\"{url}\" is not an absolute URL");
        var snapshotUrl = Config.GetString("snapshotUrl");
        if (snapshotUrl.Length > 0 && !(Uri.TryCreate(snapshotUrl, UriKind.Absolute, out var snap) && snap.Scheme is "http" or "https"))
        {
            throw Config.Invalid("snapshotUrl", $"\"{snapshotUrl}\" is not an http(s) URL");
        }
        Timeout = TimeSpan.FromSeconds(Positive("timeout", 15));
        Source = new CameraSource(kind, url, Credentials.Get("user") as string, Credentials.Get("password") as string, Config.GetString("transport", "tcp") == "udp")
        {
            IoTimeout = Timeout,
            SnapshotUrl = snapshotUrl.Length > 0 ? snapshotUrl : null,
        };
        Transcode = Config.GetBool("transcode", false);
        if (Config.GetBool("buffer", false))
        {
            _bufferOptions = new SegmentBufferOptions
            {
                Keep = TimeSpan.FromSeconds(Positive("bufferSeconds", 30)),
                SegmentLength = TimeSpan.FromSeconds(Positive("segmentSeconds", 1)),
                StallTimeout = TimeSpan.FromSeconds(Positive("stallSeconds", 15)),
                Transcode = Transcode,
            };
        }
        StorageDir = Config.GetString("storageDir");
        MaxAge = TimeSpan.FromHours(Config.GetNumber("maxAgeHours", 168));
        MaxTotalBytes = (long)(Config.GetNumber("maxTotalMB", 2048) * 1048576);
        MinFreeBytes = (long)(Config.GetNumber("minFreeMB", 500) * 1048576);
    }

    public string CameraName { get; }
    public CameraSource Source { get; }
    public TimeSpan Timeout { get; }
    public bool Transcode { get; }
    public string StorageDir { get; }
    public TimeSpan MaxAge { get; }
    public long MaxTotalBytes { get; }
    public long MinFreeBytes { get; }

    /// <summary>The rolling buffer, when configured and started.</summary>
    public SegmentBuffer? Buffer => _buffer;
    public SegmentBufferOptions? BufferOptions => _bufferOptions;

    /// <summary>Cancelled when this camera closes: every ffmpeg its users run is linked to it.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>The folder this camera's files go to.</summary>
    public string StorageFolder => StorageDir.Length > 0 ? StorageDir : _services.Store.Root!;

    /// <summary>Why nothing may be recorded now, or null.</summary>
    public string? StorageProblem() => ClipStore.StorageProblem(StorageFolder, MinFreeBytes);

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _services.Store.EnsureRoot(base.Services.Settings.UserDir);
        if (_bufferOptions is not null)
        {
            var directory = Path.Combine(StorageFolder, "buffer", ClipStore.SafeName(CameraName) + "-" + ClipStore.SafeName(Id));
            _buffer = new SegmentBuffer(_services.Runner, Source, directory, _bufferOptions, StorageProblem, OnBufferState);
            _buffer.Start();
        }
        return ValueTask.CompletedTask;
    }

    private void OnBufferState(BufferState state, string text)
    {
        var status = state switch
        {
            BufferState.Recording => NodeStatus.Ok(text),
            BufferState.Starting => new NodeStatus("yellow", "ring", text),
            BufferState.Retrying => NodeStatus.Error(text),
            BufferState.StorageFull => NodeStatus.Error(text),
            _ => NodeStatus.Clear,
        };
        if (state is BufferState.Retrying or BufferState.StorageFull) Warn($"camera {CameraName}: {text}");
        Action<NodeStatus>[] users;
        lock (_gate)
        {
            _bufferStatus = status;
            users = _users.Values.ToArray();
        }
        foreach (var user in users) user(status);
    }

    /// <summary>A snapshot or clip node starts showing this camera's buffer state.</summary>
    public void Register(string userId, Action<NodeStatus> onStatus)
    {
        NodeStatus current;
        lock (_gate)
        {
            _users[userId] = onStatus;
            current = _bufferStatus;
        }
        if (!current.IsClear) onStatus(current);
    }

    public void Deregister(string userId)
    {
        lock (_gate) _users.Remove(userId);
    }

    /// <summary>Applies this camera's retention after a new file; returns how many files were deleted.</summary>
    public int ApplyRetention() => _services.Store.ApplyRetention(CameraName, MaxAge, MaxTotalBytes, DateTimeOffset.UtcNow);

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        if (_buffer is not null) await _buffer.DisposeAsync().ConfigureAwait(false);
        _buffer = null;
    }

    private double Positive(string property, double fallback)
    {
        var value = Config.GetNumber(property, fallback);
        if (!(value > 0)) throw Config.Invalid(property, string.Create(CultureInfo.InvariantCulture, $"expected a positive number, got {value}"));
        return value;
    }

    internal static string? Range(object? value, double min, double max)
    {
        double? number = value switch
        {
            double d => d,
            string s when s.Length == 0 => null,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            null => null,
            _ => double.NaN,
        };
        if (number is null) return null;
        return number >= min && number <= max ? null : string.Create(CultureInfo.InvariantCulture, $"expected a number from {min} to {max}");
    }
}
