using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Storage;

namespace FlowEngine.Nodes.Camera;

/// <summary>snapshot: one JPEG from a camera into msg.payload, optionally kept in clip storage and/or written to a file.</summary>
internal sealed class SnapshotNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("snapshot")
    {
        Category = "camera",
        Color = "#C7E9C0",
        Icon = "font-awesome/fa-camera",
        Inputs = 1,
        Outputs = 1,
        Set = "flowengine/camera",
        DefaultLabel = "snapshot",
        Help = """
            Takes one picture from a **camera** for each message: `msg.payload` becomes the JPEG (a Buffer).

            The camera's snapshot URL is used when it has one; otherwise ffmpeg decodes the first frame of the stream
            (about 1–2 s for RTSP). With **store** on, the JPEG is kept in clip storage (retention applies) and
            `msg.snapshot = {id, url, camera, time, size}` says where: `url` is `/camera/snapshots/<id>`. With a
            **filename** (or `msg.filename`), the JPEG is also written there (relative paths are in the user
            directory).

            An unreachable camera, a timeout (the camera's **timeout**) or an answer that is not a JPEG sends an error
            to catch nodes and shows it in the status; the ffmpeg that was started is always ended. Messages are
            handled one at a time, in order.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("camera", PropertyKind.ConfigReference) { ConfigType = "camera", Required = true, Label = "Camera" },
            new PropertyDeclaration("store", PropertyKind.Bool) { Default = false, Label = "Keep in clip storage" },
            new PropertyDeclaration("filename", PropertyKind.String) { Default = "", Label = "Also write to file" },
        ],
    };

    private readonly CameraServices _services;
    private readonly CameraNode _camera;
    private readonly bool _store;
    private readonly string _filename;
    private readonly CancellationTokenSource _closing = new();

    public SnapshotNode(NodeSetup setup, CameraServices services) : base(setup)
    {
        _services = services;
        _camera = setup.ConfigNode<CameraNode>("camera") ?? throw Config.Invalid("camera", "no camera selected");
        _store = Config.GetBool("store", false);
        _filename = Config.GetString("filename");
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _camera.Register(Id, SetStatus);
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token, _camera.Closing);
        byte[] jpeg;
        var time = Clock.GetUtcNow();
        SetStatus(new NodeStatus("blue", "ring", "taking snapshot"));
        try
        {
            jpeg = await _services.Media.SnapshotAsync(_camera.Source, _camera.Timeout, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or Protocol.CameraDataException or InvalidOperationException)
        {
            var reason = _camera.Source.Redact(e.Message);
            SetStatus(NodeStatus.Error(Short(reason)));
            throw new InvalidOperationException($"camera {_camera.CameraName}: {reason}");
        }
        msg["payload"] = jpeg;
        if (_store)
        {
            if (_camera.StorageProblem() is { } problem)
            {
                SetStatus(NodeStatus.Error("storage full"));
                throw new InvalidOperationException($"camera {_camera.CameraName}: {problem}");
            }
            var (id, path) = _services.Store.NewFile(_camera.CameraName, "jpg", time, _camera.StorageDir);
            await File.WriteAllBytesAsync(path, jpeg, linked.Token).ConfigureAwait(false);
            _services.Store.Add(new StoredMedia
            {
                Id = id, Kind = "snapshot", Camera = _camera.CameraName, Start = time.UtcDateTime, End = time.UtcDateTime,
                Path = path, Trigger = time.UtcDateTime, Created = time.UtcDateTime,
            });
            _camera.ApplyRetention();
            msg["snapshot"] = new JsObject
            {
                ["id"] = id,
                ["url"] = CameraServices.SnapshotUrl(id),
                ["camera"] = _camera.CameraName,
                ["time"] = CameraMessages.Iso(time),
                ["size"] = (double)jpeg.Length,
            };
        }
        var filename = msg.Get("filename") as string is { Length: > 0 } f ? f : _filename;
        if (filename.Length > 0)
        {
            var full = Path.IsPathRooted(filename) ? filename : Path.Combine(Services.Settings.UserDir, filename);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, jpeg, linked.Token).ConfigureAwait(false);
        }
        SetStatus(NodeStatus.Ok($"{jpeg.Length / 1024} kB at {time.ToLocalTime():HH:mm:ss}"));
        Send(msg);
    }

    internal static string Short(string text) => text.Length <= 80 ? text : text[..77] + "...";

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _camera.Deregister(Id);
        await _closing.CancelAsync().ConfigureAwait(false);
    }
}
