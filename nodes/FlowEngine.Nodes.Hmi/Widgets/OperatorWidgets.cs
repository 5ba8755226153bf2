using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;

namespace FlowEngine.Nodes.Hmi.Widgets;

/// <summary>hmi-notification: a toast, or a confirm dialog whose answer leaves the node.</summary>
internal sealed class NotificationWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-notification")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-bell",
        PaletteLabel = "notification",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "notification",
        Help = """
            Shows `msg.payload` (text) to every open page, with `msg.topic` as its title. It needs no group.

            * **mode** `toast`: a banner at the top for **timeout** seconds (default 5; 0 = until closed). Nothing
              leaves the node.
            * **mode** `confirm`: a dialog with **okLabel** and **cancelLabel** buttons on every page (and on pages
              that open while it is pending). The first person with `hmi.write` to answer closes it everywhere; the
              answer leaves the node as `msg.payload` `"ok"` or `"cancel"`, with the original `msg.topic` and
              `msg._client = {user, permissions}`, and is recorded in the audit trail. A new message replaces a
              pending dialog.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "toast", Options = ["toast", "confirm"], Label = "Mode" },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = 5.0, Label = "Toast seconds (0 = until closed)" },
            new PropertyDeclaration("okLabel", PropertyKind.String) { Default = "OK", Label = "OK button" },
            new PropertyDeclaration("cancelLabel", PropertyKind.String) { Default = "Cancel", Label = "Cancel button" },
        ],
    };

    private readonly bool _confirm;
    private readonly double _timeout;
    private string? _pendingTopic;
    private string? _pendingDialog;

    public NotificationWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _confirm = Config.GetString("mode", "toast") switch
        {
            "" or "toast" => false,
            "confirm" => true,
            var other => throw Config.Invalid("mode", $"expected toast or confirm, got \"{other}\""),
        };
        _timeout = Config.GetNumber("timeout", 5);
        if (_timeout < 0) throw Config.Invalid("timeout", "expected 0 or more seconds");
    }

    public override bool AcceptsActions => _confirm;

    protected override JsObject Options() => new()
    {
        ["mode"] = _confirm ? "confirm" : "toast",
        ["timeout"] = _timeout,
        ["okLabel"] = Config.GetString("okLabel", "OK") is { Length: > 0 } ok ? ok : "OK",
        ["cancelLabel"] = Config.GetString("cancelLabel", "Cancel") is { Length: > 0 } cancel ? cancel : "Cancel",
    };

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        SetState(new JsObject { ["open"] = false });
        return base.OnStartAsync(cancellationToken);
    }

    protected override void Receive(JsObject message)
    {
        var payload = message.Get("payload");
        var text = payload is JsObject or List<object?> ? JsJson.Serialize(payload) : JsValue.ToJsString(payload);
        var title = message.Get("topic") as string ?? "";
        if (!_confirm)
        {
            Hmi.Notify(new JsObject { ["id"] = Id, ["title"] = title, ["text"] = text, ["timeout"] = _timeout });
            SetStatus(NodeStatus.Ok(Short(text)));
            return;
        }
        _pendingTopic = title;
        _pendingDialog = Guid.NewGuid().ToString("N");
        SetState(new JsObject { ["open"] = true, ["dialog"] = _pendingDialog, ["title"] = title, ["text"] = text });
        SetStatus(NodeStatus.Info("waiting: " + Short(text)));
    }

    public override object? ValidateAction(object? value)
    {
        if (!_confirm) throw new HmiValueException("a toast takes no answer");
        if (value is not JsObject { } answer || answer.Get("answer") is not ("ok" or "cancel") || answer.Get("dialog") is not string)
        {
            throw new HmiValueException("expected {dialog, answer: \"ok\" or \"cancel\"}");
        }
        return answer;
    }

    protected override void OnAction(object? value, HmiClient client)
    {
        var answer = (JsObject)value!;
        // A second person answering the same dialog, or an answer to one already replaced, is ignored: one answer per dialog.
        if (_pendingDialog is null || (string)answer.Get("dialog")! != _pendingDialog) return;
        _pendingDialog = null;
        SetState(new JsObject { ["open"] = false });
        SendAction(answer.Get("answer"), client, _pendingTopic, "hmi.confirm");
        SetStatus(NodeStatus.Ok($"{client.User ?? "someone"}: {answer.Get("answer")}"));
    }
}

/// <summary>hmi-camera: the latest snapshot and the stored clips of a camera.</summary>
internal sealed class CameraWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-camera")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-video-camera",
        PaletteLabel = "camera",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "camera",
        Help = """
            The latest picture of a camera and a list of its stored clips, fed from the camera nodes.

            * `msg.payload` a Buffer holding a JPEG or PNG (a camera snapshot): shown as the picture (at most 2 MB).
            * `msg.payload` a string URL (`http(s)://...` or a path on this server such as a clip endpoint): a video
              (ending .mp4, .webm, .m3u8, or with `msg.clip` true) is added to the top of the clip list; anything else
              is shown as the picture.
            * `msg.payload` `{snapshot, clips}`: both at once (`clips` an array of URLs or `{url, label}`).

            **maxClips** (default 10) clips are listed, newest first. Anything else is an error for catch nodes.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("maxClips", PropertyKind.Number) { Default = 10.0, Label = "Clips listed" }),
    };

    public const int MaxImageBytes = 2 * 1024 * 1024;

    private readonly int _maxClips;
    private string? _image;
    private readonly List<JsObject> _clips = [];

    public CameraWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        var maxClips = Config.GetNumber("maxClips", 10);
        if (maxClips < 0 || maxClips > 200 || maxClips != Math.Floor(maxClips)) throw Config.Invalid("maxClips", "expected a whole number from 0 to 200");
        _maxClips = (int)maxClips;
    }

    protected override void Receive(JsObject message)
    {
        var payload = message.Get("payload");
        switch (payload)
        {
            case byte[] bytes:
                _image = ImageUrl(bytes);
                break;
            case string url:
                if (message.Get("clip") is true || IsVideo(url)) AddClip(Url(url), message.Get("topic") as string);
                else _image = Url(url);
                break;
            case JsObject both:
                if (both.Get("snapshot") is { } snapshot) _image = snapshot is byte[] b ? ImageUrl(b) : Url(snapshot as string ?? throw new HmiValueException("snapshot must be a Buffer or a URL"));
                if (both.Get("clips") is List<object?> clips)
                {
                    foreach (var clip in Enumerable.Reverse(clips))
                    {
                        if (clip is string clipUrl) AddClip(Url(clipUrl), null);
                        else if (clip is JsObject { } described && described.Get("url") is string describedUrl) AddClip(Url(describedUrl), described.Get("label") as string);
                        else throw new HmiValueException("each clip must be a URL or {url, label}");
                    }
                }
                break;
            default:
                throw new HmiValueException($"{Type} expects msg.payload to be a JPEG/PNG Buffer, a URL or {{snapshot, clips}}, got {JsValue.TypeName(payload)}");
        }
        SetState(new JsObject { ["image"] = _image, ["clips"] = _clips.Select(c => (object?)JsValue.DeepClone(c)).ToList() });
        SetStatus(NodeStatus.Ok($"{(_image is null ? "no picture" : "picture")}, {_clips.Count} clips"));
    }

    private void AddClip(string url, string? label)
    {
        _clips.RemoveAll(c => (string?)c.Get("url") == url);
        _clips.Insert(0, new JsObject { ["url"] = url, ["label"] = label ?? Path.GetFileName(new Uri(new Uri("http://x/"), url).AbsolutePath), ["time"] = JsJson.FormatIsoDate(Clock.GetUtcNow().UtcDateTime) });
        if (_clips.Count > _maxClips) _clips.RemoveRange(_maxClips, _clips.Count - _maxClips);
    }

    private static bool IsVideo(string url)
    {
        var path = url.Split('?', '#')[0];
        return path.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".webm", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Only web addresses and paths on this server: a javascript: or data: URL from a message must not reach the page.</summary>
    private static string Url(string url)
    {
        if (url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)) return url;
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)) return url;
        throw new HmiValueException($"camera URLs must be http(s):// or a path starting with /, got {WidgetDeclarations.Describe(url)}");
    }

    private static string ImageUrl(byte[] bytes)
    {
        if (bytes.Length > MaxImageBytes) throw new HmiValueException($"the picture is {bytes.Length} bytes; at most {MaxImageBytes} are shown");
        var mime = bytes is [0xFF, 0xD8, 0xFF, ..] ? "image/jpeg"
            : bytes is [0x89, 0x50, 0x4E, 0x47, ..] ? "image/png"
            : throw new HmiValueException("the Buffer is neither a JPEG nor a PNG picture");
        return $"data:{mime};base64,{Convert.ToBase64String(bytes)}";
    }
}

/// <summary>hmi-alarm-list: the active alarms of the alarm nodes, with acknowledge and shelve.</summary>
internal sealed class AlarmListWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-alarm-list")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-exclamation-triangle",
        PaletteLabel = "alarm list",
        Inputs = 1,
        Outputs = 1,
        DefaultLabel = "alarm list",
        Help = """
            The active alarms of every `alarm` node (ISA-18.2 states UNACK, ACKED, RTNUN, SHLVD, DSUPR), updated the
            moment one changes. People sort the list (time, priority, tag, state) and filter it by text and by
            state on the page.

            * **Acknowledge**: needs `alarms.write` (operator, admin). **Shelve**: needs `alarms.write` and a reason;
              the duration is picked on the page (capped by the alarm node's maximum shelve time). Both are refused by
              the server for anyone else, are recorded in the audit trail (`hmi.alarm.acknowledge`,
              `hmi.alarm.shelve`) with the user, change the alarm on every page, and leave this node as
              `msg.payload = {action, alarm}` with `msg._client = {user, permissions}`.
            * **tags** (optional): only alarms whose tag starts with this text.
            * Any incoming message refreshes the list.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("tags", PropertyKind.String) { Default = "", Label = "Only tags starting with" }),
    };

    private readonly string _tagPrefix;
    private IDisposable? _subscription;
    private int _refreshQueued;

    public AlarmListWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _tagPrefix = Config.GetString("tags", "");
    }

    protected override JsObject Options() => new() { ["available"] = Hmi.Alarms is not null };

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        Refresh();
        if (Hmi.Alarms is { } alarms)
        {
            // Alarm events arrive on the alarm node's thread: only queue a refresh here, and coalesce a burst into one.
            _subscription = alarms.Subscribe(_ =>
            {
                if (Interlocked.Exchange(ref _refreshQueued, 1) == 0)
                {
                    Post(() =>
                    {
                        Volatile.Write(ref _refreshQueued, 0);
                        Refresh();
                        return ValueTask.CompletedTask;
                    });
                }
            });
        }
        else
        {
            SetStatus(NodeStatus.Warning("no alarm store"));
        }
        return base.OnStartAsync(cancellationToken);
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return base.OnCloseAsync(removed, cancellationToken);
    }

    protected override void Receive(JsObject message) => Refresh();

    private void Refresh()
    {
        var alarms = Hmi.Alarms?.Active().Where(a => a.Tag.StartsWith(_tagPrefix, StringComparison.Ordinal)).ToList() ?? [];
        SetState(alarms.Select(a => (object?)a.ToJson()).ToList());
        var unacknowledged = alarms.Count(a => a.State is AlarmStates.Unacknowledged or AlarmStates.ReturnedUnacknowledged);
        if (Hmi.Alarms is not null) SetStatus(unacknowledged > 0 ? NodeStatus.Warning($"{alarms.Count} active, {unacknowledged} unacknowledged") : NodeStatus.Ok($"{alarms.Count} active"));
    }

    /// <summary>Whether the alarm is one this list shows (a page must not act on alarms outside its list).</summary>
    public bool Shows(AlarmSnapshot alarm) => alarm.Tag.StartsWith(_tagPrefix, StringComparison.Ordinal);

    /// <summary>After the store applied an operator command: the message out of the node, audited with the user.</summary>
    public void Commanded(string action, AlarmSnapshot alarm, HmiClient client, string? reason) => Post(() =>
    {
        var payload = new JsObject { ["action"] = action, ["alarm"] = alarm.ToJson() };
        if (reason is not null) payload["reason"] = reason;
        var message = new JsObject
        {
            ["_msgid"] = Guid.NewGuid().ToString("N")[..16],
            ["topic"] = alarm.Tag,
            ["payload"] = payload,
            ["_client"] = client.ToJson(),
        };
        Send(message);
        return ValueTask.CompletedTask;
    });

    /// <summary>Audits an operator command on an alarm (done by the endpoint, whether or not a list node is running).</summary>
    public static void Audit(IAuditLog? audit, string action, AlarmSnapshot alarm, HmiClient client, string? reason, double? minutes)
    {
        var details = new JsObject { ["alarm"] = alarm.Id, ["tag"] = alarm.Tag, ["condition"] = alarm.Condition, ["state"] = alarm.State };
        if (reason is not null) details["reason"] = reason;
        if (minutes is { } m) details["minutes"] = m;
        audit?.Record("hmi.alarm." + action, client.User, details);
    }
}
