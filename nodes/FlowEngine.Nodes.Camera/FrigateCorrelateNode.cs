using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Protocol.Frigate;
using FlowEngine.Nodes.Camera.Storage;

namespace FlowEngine.Nodes.Camera;

/// <summary>
/// frigate-correlate: finds the Frigate events (and their clips) that overlap a window around an incoming event, waits
/// for events still running to end, and falls back to clips recorded by FlowEngine's own clip node.
/// </summary>
internal sealed class FrigateCorrelateNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("frigate-correlate")
    {
        Category = "camera",
        Color = "#C7E9C0",
        Icon = "font-awesome/fa-link",
        Inputs = 1,
        Outputs = 1,
        Set = "flowengine/camera",
        DefaultLabel = "frigate correlate",
        Help = """
            For an incoming event (a PLC event, an alarm, an anomaly) finds the Frigate events that overlap a window
            around it and attaches their ids, clip and snapshot URLs.

            **Time**: `msg.time`, `msg.timestamp` or `msg.payload.time` (Unix ms or ISO 8601); otherwise arrival.
            **Cameras**: `msg.camera` (a name, a comma list or an array), else `msg.asset.camera` (what an enrich
            node adds from the asset table), else **cameras**.
            **url**: Frigate's address, e.g. `http://frigate:5000` (or the authenticated port 8971 with **user** and
            **password** credentials: the node logs in with `POST /api/login` and sends the token).

            ### What happens
            1. The window is [time − **preSeconds**, time + **postSeconds**]. If its end is still in the future the
               node waits for it, so events that start just after the trigger count.
            2. `GET /api/events?camera=…&after=…&before=…` lists the camera's events; those whose span (start to end,
               or still running) overlaps the window, with a label in **labels** (empty: any) and a score of at least
               **minScore**, match. False positives never do.
            3. Matched events still running are polled (`GET /api/events/<id>`, every **pollSeconds**) until they
               end, for at most **waitSeconds** after the message arrived.
            4. With **download** on, the clip of each matched event that has one (at most 5) is downloaded into
               clip storage (kept for **maxAgeHours**, at most **maxTotalMB** per camera; nothing is downloaded when
               the disk has less than **minFreeMB** free) and served from `/camera/clips/<id>`.
            5. No Frigate event: the newest clip recorded by a FlowEngine **clip** node for that camera that overlaps
               the window is used instead.

            ### Output
            `msg.correlation = {rule, reason, trigger, window: {start, end}, cameras, events: [...], clip, waitedSeconds}`
            where **rule** says which rule matched:
            * `frigate-overlap`: Frigate events overlapped the window and had ended;
            * `frigate-late-end`: at least one was still running and the node waited for it to end;
            * `frigate-in-progress`: one was still running when **waitSeconds** ran out (`in_progress: true`);
            * `flowengine-clip`: no Frigate event; `clip` is a clip recorded by FlowEngine (`source: "flowengine"`);
            * `none`: nothing covers the time.

            Each event: `{id, camera, label, sub_label, score, top_score, zones, start_time, end_time, start, end,
            in_progress, has_clip, has_snapshot, clipUrl, snapshotUrl, thumbnailUrl}` (media URLs point at Frigate,
            only when Frigate has the media) plus `stored: {id, url}` when downloaded. `clip` is the best clip to
            show: `{id, url, source, camera, start, end, eventId?}` (FlowEngine URLs) or, without download, Frigate's
            URL of the best event's clip. When Frigate cannot be reached or answers garbage, the fallback still runs,
            `msg.correlation.frigateError` says why, and a warning is logged.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("url", PropertyKind.String) { Required = true, Default = "http://127.0.0.1:5000", Label = "Frigate URL",
                Validate = v => v is string s && Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? null : "expected an http(s) URL" },
            new PropertyDeclaration("cameras", PropertyKind.String) { Default = "", Label = "Cameras", Help = "used when the message names none" },
            new PropertyDeclaration("preSeconds", PropertyKind.Number) { Default = 30, Label = "Before (s)", Validate = v => CameraNode.Range(v, 0, 86400) },
            new PropertyDeclaration("postSeconds", PropertyKind.Number) { Default = 30, Label = "After (s)", Validate = v => CameraNode.Range(v, 0, 86400) },
            new PropertyDeclaration("waitSeconds", PropertyKind.Number) { Default = 120, Label = "Wait for running events (s)", Validate = v => CameraNode.Range(v, 0, 86400) },
            new PropertyDeclaration("pollSeconds", PropertyKind.Number) { Default = 2, Label = "Poll every (s)", Validate = v => CameraNode.Range(v, 0.1, 600) },
            new PropertyDeclaration("labels", PropertyKind.String) { Default = "", Label = "Labels" },
            new PropertyDeclaration("minScore", PropertyKind.Number) { Default = 0, Label = "Minimum score", Validate = v => CameraNode.Range(v, 0, 1) },
            new PropertyDeclaration("maxEventHours", PropertyKind.Number) { Default = 2, Label = "Longest event (h)", Help = "how far before the window to look for events that started earlier", Validate = v => CameraNode.Range(v, 0.01, 720) },
            new PropertyDeclaration("download", PropertyKind.Bool) { Default = false, Label = "Download clips" },
            new PropertyDeclaration("storageDir", PropertyKind.String) { Default = "", Label = "Storage folder", Help = "empty: userDir/camera" },
            new PropertyDeclaration("maxAgeHours", PropertyKind.Number) { Default = 168, Label = "Keep (hours)", Validate = v => CameraNode.Range(v, 0, 100000) },
            new PropertyDeclaration("maxTotalMB", PropertyKind.Number) { Default = 2048, Label = "Keep at most (MB)", Validate = v => CameraNode.Range(v, 0, 100_000_000) },
            new PropertyDeclaration("minFreeMB", PropertyKind.Number) { Default = 500, Label = "Minimum free disk (MB)", Validate = v => CameraNode.Range(v, 0, 100_000_000) },
        ],
        Credentials = [new CredentialDeclaration("user", false, "User"), new CredentialDeclaration("password", true, "Password")],
    };

    private const int MaxDownloads = 5;

    private readonly CameraServices _services;
    private readonly FrigateClient _frigate;
    private readonly IReadOnlyList<string> _cameras;
    private readonly TimeSpan _pre;
    private readonly TimeSpan _post;
    private readonly TimeSpan _wait;
    private readonly TimeSpan _poll;
    private readonly TimeSpan _maxEvent;
    private readonly HashSet<string> _labels;
    private readonly double _minScore;
    private readonly bool _download;
    private readonly string _storageDir;
    private readonly TimeSpan _maxAge;
    private readonly long _maxTotalBytes;
    private readonly long _minFreeBytes;
    private readonly CancellationTokenSource _closing = new();
    private int _pending;

    public FrigateCorrelateNode(NodeSetup setup, CameraServices services) : base(setup)
    {
        _services = services;
        var url = Config.GetString("url", "http://127.0.0.1:5000");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw Config.Invalid("url", $"\"{url}\" is not an http(s) URL");
        }
        _frigate = new FrigateClient(services.Http, baseUrl, Credentials.Get("user") as string, Credentials.Get("password") as string);
        _cameras = FrigateEventsNode.List(Config.GetString("cameras")).ToList();
        _pre = TimeSpan.FromSeconds(Config.GetNumber("preSeconds", 30));
        _post = TimeSpan.FromSeconds(Config.GetNumber("postSeconds", 30));
        _wait = TimeSpan.FromSeconds(Config.GetNumber("waitSeconds", 120));
        _poll = TimeSpan.FromSeconds(Math.Max(0.1, Config.GetNumber("pollSeconds", 2)));
        _maxEvent = TimeSpan.FromHours(Config.GetNumber("maxEventHours", 2));
        _labels = FrigateEventsNode.List(Config.GetString("labels"));
        _minScore = Config.GetNumber("minScore", 0);
        _download = Config.GetBool("download", false);
        _storageDir = Config.GetString("storageDir");
        _maxAge = TimeSpan.FromHours(Config.GetNumber("maxAgeHours", 168));
        _maxTotalBytes = (long)(Config.GetNumber("maxTotalMB", 2048) * 1048576);
        _minFreeBytes = (long)(Config.GetNumber("minFreeMB", 500) * 1048576);
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _services.Store.EnsureRoot(Services.Settings.UserDir);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var arrived = Clock.GetUtcNow();
        var trigger = CameraMessages.TriggerTime(msg, arrived);
        var cameras = CameraMessages.Cameras(msg);
        if (cameras.Count == 0) cameras = _cameras;
        if (cameras.Count == 0) throw new InvalidOperationException("no camera: set msg.camera, msg.asset.camera (enrich) or the node's cameras");
        var completion = input.Defer();
        Interlocked.Increment(ref _pending);
        SetStatus(new NodeStatus("blue", "ring", $"correlating ({Volatile.Read(ref _pending)})"));
        _ = Task.Run(async () =>
        {
            try
            {
                var correlation = await CorrelateAsync(trigger, arrived, cameras, _closing.Token).ConfigureAwait(false);
                Post(() =>
                {
                    msg["correlation"] = correlation;
                    var rule = (string)correlation["rule"]!;
                    SetStatus(rule == "none" ? NodeStatus.Warning("no clip for " + CameraMessages.Iso(trigger)) : NodeStatus.Ok(rule));
                    Send(msg);
                    completion.Done();
                    return ValueTask.CompletedTask;
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var reason = _closing.IsCancellationRequested ? "stopped by redeploy" : e.Message;
                Post(() =>
                {
                    SetStatus(NodeStatus.Error(SnapshotNode.Short(reason)));
                    completion.Fail(new InvalidOperationException("frigate-correlate: " + reason, e));
                    return ValueTask.CompletedTask;
                });
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        });
        return ValueTask.CompletedTask;
    }

    private async Task<JsObject> CorrelateAsync(DateTimeOffset trigger, DateTimeOffset arrived, IReadOnlyList<string> cameras, CancellationToken token)
    {
        var from = trigger - _pre;
        var to = trigger + _post;
        var deadline = arrived + _wait;
        // Events that start shortly after the trigger belong to it: wait for the window to close (bounded by the wait).
        var untilWindowEnd = Min(to, deadline) - Clock.GetUtcNow();
        if (untilWindowEnd > TimeSpan.Zero) await Task.Delay(untilWindowEnd, Clock, token).ConfigureAwait(false);

        var matched = new List<FrigateEvent>();
        string? frigateError = null;
        var waited = false;
        try
        {
            foreach (var camera in cameras)
            {
                var listed = await _frigate.EventsAsync(camera, CameraMessages.UnixSeconds(from - _maxEvent), CameraMessages.UnixSeconds(to), 100, token).ConfigureAwait(false);
                matched.AddRange(listed.Where(e => Matches(e, from, to)));
            }
            while (matched.Any(e => e.InProgress) && Clock.GetUtcNow() < deadline)
            {
                waited = true;
                var pause = Min(Clock.GetUtcNow() + _poll, deadline) - Clock.GetUtcNow();
                if (pause > TimeSpan.Zero) await Task.Delay(pause, Clock, token).ConfigureAwait(false);
                for (var i = 0; i < matched.Count; i++)
                {
                    if (!matched[i].InProgress) continue;
                    // An event Frigate deleted meanwhile (retention, manual) keeps what we last knew of it.
                    if (await _frigate.EventAsync(matched[i].Id, token).ConfigureAwait(false) is { } fresh) matched[i] = fresh;
                }
            }
        }
        catch (FrigateApiException e)
        {
            frigateError = e.Message;
            matched.Clear();
            Warn("Frigate: " + e.Message);
        }

        var correlation = new JsObject
        {
            ["trigger"] = CameraMessages.Iso(trigger),
            ["window"] = new JsObject { ["start"] = CameraMessages.Iso(from), ["end"] = CameraMessages.Iso(to) },
            ["cameras"] = cameras.Cast<object?>().ToList(),
        };
        var events = new List<object?>();
        JsObject? clip = null;
        // Best first: the event that covers most of the window, then the higher score.
        matched = matched.OrderByDescending(e => Coverage(e, from, to, Clock.GetUtcNow())).ThenByDescending(e => e.TopScore ?? e.Score ?? 0).ToList();
        var downloads = 0;
        foreach (var e in matched)
        {
            var item = FrigateEventsNode.ToPayload(null, e);
            if (e.HasClip) item["clipUrl"] = _frigate.ClipUrl(e.Id);
            if (e.HasSnapshot) item["snapshotUrl"] = _frigate.SnapshotUrl(e.Id);
            item["thumbnailUrl"] = _frigate.ThumbnailUrl(e.Id);
            if (_download && e.HasClip && !e.InProgress && downloads < MaxDownloads)
            {
                downloads++;
                try
                {
                    var stored = await DownloadAsync(e, token).ConfigureAwait(false);
                    item["stored"] = new JsObject { ["id"] = stored.Id, ["url"] = CameraServices.ClipUrl(stored.Id) };
                    clip ??= ClipJson(stored);
                }
                catch (Exception ex) when (ex is FrigateApiException or IOException or InvalidOperationException)
                {
                    item["downloadError"] = ex.Message;
                    Warn($"Frigate clip of event {e.Id} not stored: {ex.Message}");
                }
            }
            events.Add(item);
        }
        correlation["events"] = events;
        if (matched.Count > 0)
        {
            var running = matched.Any(e => e.InProgress);
            correlation["rule"] = running ? "frigate-in-progress" : waited ? "frigate-late-end" : "frigate-overlap";
            correlation["reason"] = running
                ? $"{matched.Count} Frigate event(s) overlap the window; still running after waiting {_wait.TotalSeconds:0} s"
                : waited ? $"{matched.Count} Frigate event(s) overlap the window; waited for the running one(s) to end"
                : $"{matched.Count} Frigate event(s) overlap the window";
            if (clip is null && matched.FirstOrDefault(e => e.HasClip) is { } best)
            {
                clip = new JsObject { ["url"] = _frigate.ClipUrl(best.Id), ["source"] = "frigate", ["camera"] = best.Camera, ["eventId"] = best.Id };
            }
        }
        else
        {
            var fallback = cameras.SelectMany(c => _services.Store.ClipsOverlapping(c, from.UtcDateTime, to.UtcDateTime))
                .Where(m => m.Source == "flowengine").FirstOrDefault();
            if (fallback is not null)
            {
                clip = ClipJson(fallback);
                correlation["rule"] = "flowengine-clip";
                correlation["reason"] = (frigateError is null ? "no Frigate event overlaps the window" : "Frigate unavailable")
                    + "; using a clip recorded by FlowEngine";
            }
            else
            {
                correlation["rule"] = "none";
                correlation["reason"] = (frigateError is null ? "no Frigate event overlaps the window" : "Frigate unavailable")
                    + " and no FlowEngine clip covers it";
            }
        }
        correlation["clip"] = clip;
        correlation["waitedSeconds"] = waited ? Math.Round((Clock.GetUtcNow() - arrived).TotalSeconds, 1) : 0d;
        if (frigateError is not null) correlation["frigateError"] = frigateError;
        return correlation;
    }

    private bool Matches(FrigateEvent e, DateTimeOffset from, DateTimeOffset to) =>
        !e.FalsePositive
        && e.Overlaps(CameraMessages.UnixSeconds(from), CameraMessages.UnixSeconds(to))
        && (_labels.Count == 0 || e.Label is not null && _labels.Contains(e.Label))
        && (_minScore <= 0 || (e.TopScore ?? e.Score ?? 0) >= _minScore);

    private static double Coverage(FrigateEvent e, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        var start = Math.Max(e.StartTime, CameraMessages.UnixSeconds(from));
        var end = Math.Min(e.EndTime ?? CameraMessages.UnixSeconds(now), CameraMessages.UnixSeconds(to));
        return end - start;
    }

    private async Task<StoredMedia> DownloadAsync(FrigateEvent e, CancellationToken token)
    {
        var folder = _storageDir.Length > 0 ? _storageDir : _services.Store.Root!;
        if (ClipStore.StorageProblem(folder, _minFreeBytes) is { } problem) throw new InvalidOperationException(problem);
        var start = CameraMessages.FromUnixSeconds(e.StartTime);
        var (id, path) = _services.Store.NewFile(e.Camera, "mp4", start, _storageDir);
        try
        {
            await using (var file = File.Create(path))
            {
                await _frigate.DownloadClipAsync(e.Id, file, token).ConfigureAwait(false);
            }
            var head = new byte[8];
            await using (var check = File.OpenRead(path))
            {
                _ = await check.ReadAtLeastAsync(head, 8, throwOnEndOfStream: false, token).ConfigureAwait(false);
            }
            // An MP4 starts with a box whose type is "ftyp" at offset 4; anything else is not a clip.
            if (head[4] != (byte)'f' || head[5] != (byte)'t' || head[6] != (byte)'y' || head[7] != (byte)'p')
            {
                throw new InvalidOperationException($"Frigate's clip of event {e.Id} is not an MP4");
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        var media = new StoredMedia
        {
            Id = id, Kind = "clip", Camera = e.Camera, Start = start.UtcDateTime,
            End = (e.EndTime is { } end ? CameraMessages.FromUnixSeconds(end) : start).UtcDateTime,
            Path = path, Source = "frigate", FrigateEventId = e.Id, Created = DateTime.UtcNow,
        };
        _services.Store.Add(media);
        _services.Store.ApplyRetention(e.Camera, _maxAge, _maxTotalBytes, DateTimeOffset.UtcNow);
        return media;
    }

    private static JsObject ClipJson(StoredMedia media)
    {
        var json = new JsObject
        {
            ["id"] = media.Id,
            ["url"] = CameraServices.ClipUrl(media.Id),
            ["source"] = media.Source,
            ["camera"] = media.Camera,
            ["start"] = JsJson.FormatIsoDate(media.Start),
            ["end"] = JsJson.FormatIsoDate(media.End),
        };
        if (media.FrigateEventId is not null) json["eventId"] = media.FrigateEventId;
        return json;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken) =>
        await _closing.CancelAsync().ConfigureAwait(false);
}
