using System.Globalization;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Protocol.Frigate;
using FlowEngine.Nodes.Mqtt;

namespace FlowEngine.Nodes.Camera;

/// <summary>frigate-events: Frigate's MQTT event messages (frigate/events), parsed, filtered and flattened.</summary>
internal sealed class FrigateEventsNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("frigate-events")
    {
        Category = "camera",
        Color = "#C7E9C0",
        Icon = "font-awesome/fa-eye",
        Inputs = 1,
        Outputs = 1,
        Set = "flowengine/camera",
        DefaultLabel = "frigate events",
        Help = """
            Turns Frigate's MQTT event messages into flat, filtered messages. With a **broker** (an mqtt-broker config
            node connected to Frigate's broker) it subscribes to **topic** (`frigate/events`; the prefix is Frigate's
            `mqtt.topic_prefix`) itself, on that broker's shared connection, and shows the connection in its status.
            Without one, wire an **mqtt in** node subscribed to that topic into it; the payload may be a string, a
            Buffer or parsed JSON. Messages on its input are handled in both cases.

            Frigate sends `{"type":"new|update|end","before":{…},"after":{…}}` per change of a tracked object. The
            `after` object is read; fields that an older or newer Frigate lacks are null, and both `sub_label` forms
            (a string, or `[name, score]` from 0.13) are accepted.

            ### Filters (empty: all)
            **cameras**, **labels**, **zones**: comma-separated names; a zone matches the event's current or entered
            zones. **minScore**: the event's `top_score` (or `score`) must reach it (0–1). **types**: which of
            `new`, `update`, `end` pass. False positives never pass.

            ### Output
            `msg.payload = {type, id, camera, label, sub_label, score, top_score, zones, entered_zones, start_time,
            end_time, start, end, has_clip, has_snapshot, in_progress}` (`start_time`/`end_time` Unix seconds as
            Frigate writes them, `start`/`end` ISO 8601), `msg.topic = "frigate/<camera>/<label>"`,
            `msg.camera`, `msg.time` (start, Unix ms), `msg.frigate` the whole Frigate message.

            A payload that is not valid JSON or not a Frigate event goes to catch nodes with the reason.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("broker", PropertyKind.ConfigReference) { ConfigType = "mqtt-broker", Label = "Broker (empty: wire an mqtt in node)" },
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "frigate/events", Label = "Topic" },
            new PropertyDeclaration("cameras", PropertyKind.String) { Default = "", Label = "Cameras" },
            new PropertyDeclaration("labels", PropertyKind.String) { Default = "", Label = "Labels", Help = "e.g. person,car" },
            new PropertyDeclaration("zones", PropertyKind.String) { Default = "", Label = "Zones" },
            new PropertyDeclaration("minScore", PropertyKind.Number) { Default = 0, Label = "Minimum score", Validate = v => CameraNode.Range(v, 0, 1) },
            new PropertyDeclaration("types", PropertyKind.String) { Default = "new,update,end", Label = "Types" },
        ],
    };

    private readonly HashSet<string> _cameras;
    private readonly HashSet<string> _labels;
    private readonly HashSet<string> _zones;
    private readonly HashSet<string> _types;
    private readonly double _minScore;
    private readonly MqttBrokerReference? _broker;
    private readonly string _topic;
    private MqttBrokerSubscription? _subscription;
    private long _passed;
    private long _filtered;

    public FrigateEventsNode(NodeSetup setup) : base(setup)
    {
        _cameras = List(Config.GetString("cameras"));
        _labels = List(Config.GetString("labels"));
        _zones = List(Config.GetString("zones"));
        _types = List(Config.GetString("types", "new,update,end"));
        foreach (var type in _types)
        {
            if (type is not ("new" or "update" or "end")) throw Config.Invalid("types", $"\"{type}\" is not new, update or end");
        }
        _minScore = Config.GetNumber("minScore", 0);
        _broker = MqttBrokerReference.From(setup, "broker");
        _topic = Config.GetString("topic", "frigate/events").Trim();
        if (_broker is not null && _topic.Length == 0) throw Config.Invalid("topic", "a topic is required with a broker");
    }

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_broker is null) return;
        // QoS 1: Frigate publishes its events at QoS 0 or 1; asking for 1 keeps an end event through a short outage.
        _subscription = await _broker.SubscribeAsync(this, _topic, 1, (topic, payload) => Post(() =>
        {
            var msg = new JsObject { ["topic"] = topic, ["payload"] = payload };
            try
            {
                Handle(msg);
            }
            catch (FormatException e)
            {
                ReportError(e.Message, msg);
            }
            return ValueTask.CompletedTask;
        }), cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_subscription is { } subscription) await subscription.DisposeAsync().ConfigureAwait(false);
        _subscription = null;
    }

    internal static HashSet<string> List(string text) =>
        new(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        Handle(input.Message);
        return ValueTask.CompletedTask;
    }

    private void Handle(JsObject msg)
    {
        var bytes = msg.Get("payload") switch
        {
            byte[] b => b,
            string s => Encoding.UTF8.GetBytes(s),
            JsObject o => Encoding.UTF8.GetBytes(JsJson.Serialize(o)),
            var other => throw new FormatException($"Frigate event payload must be JSON text, a Buffer or an object, got {JsValue.TypeName(other)}"),
        };
        FrigateEventMessage parsed;
        try
        {
            parsed = FrigateEventMessage.Parse(bytes);
        }
        catch (FormatException e)
        {
            SetStatus(NodeStatus.Error("bad event"));
            throw new FormatException($"{e.Message} (topic {msg.Get("topic") as string ?? "?"})", e);
        }
        var e2 = parsed.After;
        if (!Passes(parsed.Type, e2))
        {
            _filtered++;
            return;
        }
        _passed++;
        var raw = JsJson.Parse(Encoding.UTF8.GetString(bytes));
        msg["frigate"] = raw;
        msg["payload"] = ToPayload(parsed.Type, e2);
        msg["topic"] = $"frigate/{e2.Camera}/{e2.Label}";
        msg["camera"] = e2.Camera;
        msg["time"] = Math.Round(e2.StartTime * 1000);
        SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"{parsed.Type} {e2.Camera}/{e2.Label} ({_passed} passed, {_filtered} filtered)")));
        Send(msg);
    }

    private bool Passes(string type, FrigateEvent e)
    {
        if (e.FalsePositive) return false;
        if (_types.Count > 0 && !_types.Contains(type)) return false;
        if (_cameras.Count > 0 && !_cameras.Contains(e.Camera)) return false;
        if (_labels.Count > 0 && (e.Label is null || !_labels.Contains(e.Label))) return false;
        if (_zones.Count > 0 && !e.Zones.Concat(e.EnteredZones).Any(_zones.Contains)) return false;
        if (_minScore > 0 && (e.TopScore ?? e.Score ?? 0) < _minScore) return false;
        return true;
    }

    internal static JsObject ToPayload(string? type, FrigateEvent e)
    {
        var payload = new JsObject();
        if (type is not null) payload["type"] = type;
        payload["id"] = e.Id;
        payload["camera"] = e.Camera;
        payload["label"] = e.Label;
        payload["sub_label"] = e.SubLabel;
        payload["score"] = e.Score;
        payload["top_score"] = e.TopScore;
        payload["zones"] = e.Zones.Cast<object?>().ToList();
        payload["entered_zones"] = e.EnteredZones.Cast<object?>().ToList();
        payload["start_time"] = e.StartTime;
        payload["end_time"] = e.EndTime;
        payload["start"] = CameraMessages.Iso(CameraMessages.FromUnixSeconds(e.StartTime));
        payload["end"] = e.EndTime is { } end ? CameraMessages.Iso(CameraMessages.FromUnixSeconds(end)) : null;
        payload["has_clip"] = e.HasClip;
        payload["has_snapshot"] = e.HasSnapshot;
        payload["in_progress"] = e.InProgress;
        return payload;
    }
}
