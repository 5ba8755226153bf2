using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Protocol;
using FlowEngine.Nodes.Camera.Storage;

namespace FlowEngine.Nodes.Camera;

/// <summary>clip: records a clip around each trigger into clip storage, starting before it when the camera has a rolling buffer.</summary>
internal sealed class ClipNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("clip")
    {
        Category = "camera",
        Color = "#C7E9C0",
        Icon = "font-awesome/fa-film",
        Inputs = 1,
        Outputs = 1,
        Set = "flowengine/camera",
        DefaultLabel = "clip",
        Help = """
            Records an MP4 clip from a **camera** for each message and keeps it in clip storage.

            The trigger time is `msg.time`, `msg.timestamp` or `msg.payload.time` (an alarm event's time): Unix
            milliseconds or ISO 8601; otherwise the time the message arrives. The clip covers **preSeconds** before
            and **postSeconds** after it (`msg.preSeconds` and `msg.postSeconds` override).

            * With the camera's **rolling buffer** on, the clip is joined from buffered segments without re-encoding,
              so it really starts before the trigger (up to the camera's **bufferSeconds**). Its edges fall on
              segment boundaries: it starts at or before trigger − preSeconds and ends at or after trigger +
              postSeconds, each by at most one segment.
            * Without a buffer, ffmpeg records **postSeconds** from now: there is no pre-trigger video
              (`msg.clip.preSeconds` is 0 and `msg.clip.note` says so).

            The message goes on when the clip is stored (after postSeconds, plus a segment), with
            `msg.clip = {id, url, camera, start, end, duration, trigger, preSeconds, postSeconds, size, source}`:
            times ISO 8601, `url` `/camera/clips/<id>` (range requests work, so a browser can seek). Several
            triggers may be recording at once. Failures (camera down, buffer empty, storage full) go to catch nodes
            with the reason; after storage of a new clip, the camera's retention runs.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("camera", PropertyKind.ConfigReference) { ConfigType = "camera", Required = true, Label = "Camera" },
            new PropertyDeclaration("preSeconds", PropertyKind.Number) { Default = 5, Label = "Before trigger (s)", Validate = v => CameraNode.Range(v, 0, 3600) },
            new PropertyDeclaration("postSeconds", PropertyKind.Number) { Default = 10, Label = "After trigger (s)", Validate = v => CameraNode.Range(v, 0.5, 3600) },
        ],
    };

    private readonly CameraServices _services;
    private readonly CameraNode _camera;
    private readonly double _pre;
    private readonly double _post;
    private readonly CancellationTokenSource _closing = new();
    private int _recording;

    public ClipNode(NodeSetup setup, CameraServices services) : base(setup)
    {
        _services = services;
        _camera = setup.ConfigNode<CameraNode>("camera") ?? throw Config.Invalid("camera", "no camera selected");
        _pre = Config.GetNumber("preSeconds", 5);
        _post = Config.GetNumber("postSeconds", 10);
        if (_pre < 0) throw Config.Invalid("preSeconds", "must not be negative");
        if (!(_post > 0)) throw Config.Invalid("postSeconds", "must be more than 0");
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _camera.Register(Id, SetStatus);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var now = Clock.GetUtcNow();
        var trigger = CameraMessages.TriggerTime(msg, now);
        var pre = CameraMessages.PositiveNumber(msg.Get("preSeconds")) ?? _pre;
        var post = CameraMessages.PositiveNumber(msg.Get("postSeconds")) ?? _post;
        if (_camera.StorageProblem() is { } problem)
        {
            SetStatus(NodeStatus.Error("storage full"));
            throw new InvalidOperationException($"camera {_camera.CameraName}: {problem}");
        }
        var completion = input.Defer();
        Interlocked.Increment(ref _recording);
        SetStatus(new NodeStatus("blue", "ring", string.Create(CultureInfo.InvariantCulture, $"recording ({Volatile.Read(ref _recording)})")));
        _ = Task.Run(async () =>
        {
            try
            {
                var clip = await RecordAsync(trigger, pre, post).ConfigureAwait(false);
                Post(() =>
                {
                    msg["clip"] = clip;
                    SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"stored {(double)clip["duration"]!:0.#} s at {trigger.ToLocalTime():HH:mm:ss}")));
                    Send(msg);
                    completion.Done();
                    return ValueTask.CompletedTask;
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var reason = _closing.IsCancellationRequested || _camera.Closing.IsCancellationRequested ? "stopped by redeploy" : _camera.Source.Redact(e.Message);
                Post(() =>
                {
                    SetStatus(NodeStatus.Error(SnapshotNode.Short(reason)));
                    completion.Fail(new InvalidOperationException($"camera {_camera.CameraName}: clip failed: {reason}"));
                    return ValueTask.CompletedTask;
                });
            }
            finally
            {
                Interlocked.Decrement(ref _recording);
            }
        });
        return ValueTask.CompletedTask;
    }

    private async Task<JsObject> RecordAsync(DateTimeOffset trigger, double pre, double post)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token, _camera.Closing);
        var token = linked.Token;
        var from = trigger - TimeSpan.FromSeconds(pre);
        var to = trigger + TimeSpan.FromSeconds(post);
        var (id, path) = _services.Store.NewFile(_camera.CameraName, "mp4", trigger, _camera.StorageDir);
        DateTimeOffset start, end;
        string? note = null;
        var actualPre = pre;
        if (_camera.Buffer is { } buffer && _camera.BufferOptions is { } options)
        {
            // Wait until a finished segment reaches past the window's end (the segment after it has begun).
            var waitLimit = to + options.SegmentLength * 2 + options.StallTimeout;
            IReadOnlyList<BufferSegment> segments;
            while (true)
            {
                segments = buffer.SegmentsBetween(from, to);
                if (segments.Count > 0 && segments[^1].End >= to) break;
                if (DateTimeOffset.UtcNow > waitLimit)
                {
                    if (segments.Count == 0)
                    {
                        throw new CameraDataException($"no buffered video between {CameraMessages.Iso(from)} and {CameraMessages.Iso(to)}"
                            + (buffer.LastError is { } error ? $" (buffer: {error})" : ""));
                    }
                    note = "the camera stopped sending before the end of the window; the clip is shorter";
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), token).ConfigureAwait(false);
            }
            start = segments[0].Start;
            end = segments[^1].End;
            if (start > from)
            {
                actualPre = Math.Max(0, (trigger - start).TotalSeconds);
                note ??= string.Create(CultureInfo.InvariantCulture, $"the buffer held only {actualPre:0.#} s before the trigger");
            }
            var timeout = TimeSpan.FromSeconds(30 + segments.Count);
            await _services.Media.ConcatAsync(segments, path, timeout, token).ConfigureAwait(false);
        }
        else
        {
            actualPre = 0;
            if (pre > 0) note = "the camera has no rolling buffer: the clip starts when the trigger arrived";
            start = DateTimeOffset.UtcNow;
            await _services.Media.RecordAsync(_camera.Source, TimeSpan.FromSeconds(post), _camera.Transcode, path,
                TimeSpan.FromSeconds(post) + _camera.Timeout + TimeSpan.FromSeconds(10), token).ConfigureAwait(false);
            end = DateTimeOffset.UtcNow;
        }
        var media = new StoredMedia
        {
            Id = id, Kind = "clip", Camera = _camera.CameraName, Start = start.UtcDateTime, End = end.UtcDateTime, Path = path,
            Source = "flowengine", Trigger = trigger.UtcDateTime, Created = DateTime.UtcNow,
        };
        _services.Store.Add(media);
        _camera.ApplyRetention();
        var clip = new JsObject
        {
            ["id"] = id,
            ["url"] = CameraServices.ClipUrl(id),
            ["camera"] = _camera.CameraName,
            ["start"] = CameraMessages.Iso(start),
            ["end"] = CameraMessages.Iso(end),
            ["duration"] = Math.Round((end - start).TotalSeconds, 3),
            ["trigger"] = CameraMessages.Iso(trigger),
            ["preSeconds"] = Math.Round(actualPre, 3),
            ["postSeconds"] = post,
            ["size"] = (double)media.Size,
            ["source"] = "flowengine",
        };
        if (note is not null) clip["note"] = note;
        return clip;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _camera.Deregister(Id);
        await _closing.CancelAsync().ConfigureAwait(false);
    }
}
