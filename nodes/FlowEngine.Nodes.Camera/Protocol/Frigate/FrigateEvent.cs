using System.Globalization;
using System.Text.Json;

namespace FlowEngine.Nodes.Camera.Protocol.Frigate;

/// <summary>
/// One Frigate tracked-object event, as found in the "after" (or "before") object of an MQTT <c>frigate/events</c>
/// message and in the JSON of <c>GET /api/events</c>. Fields missing in an older or newer Frigate stay null; both
/// <c>sub_label</c> forms (a string up to 0.12, <c>[name, score]</c> from 0.13) are accepted.
/// </summary>
internal sealed record FrigateEvent
{
    public required string Id { get; init; }
    public required string Camera { get; init; }
    public string? Label { get; init; }
    public string? SubLabel { get; init; }
    public double? Score { get; init; }
    public double? TopScore { get; init; }
    /// <summary>Unix seconds.</summary>
    public required double StartTime { get; init; }
    /// <summary>Unix seconds; null while the object is still tracked.</summary>
    public double? EndTime { get; init; }
    /// <summary>current_zones from MQTT, zones from the HTTP API.</summary>
    public IReadOnlyList<string> Zones { get; init; } = [];
    public IReadOnlyList<string> EnteredZones { get; init; } = [];
    public bool HasClip { get; init; }
    public bool HasSnapshot { get; init; }
    public bool FalsePositive { get; init; }

    public bool InProgress => EndTime is null;

    /// <summary>Whether the event's span [start, end or still running) overlaps [from, to] (Unix seconds).</summary>
    public bool Overlaps(double from, double to) => StartTime <= to && (EndTime is null || EndTime.Value >= from);

    /// <summary>Reads an event object. Throws <see cref="FormatException"/> naming the field when a required one is missing or wrong.</summary>
    public static FrigateEvent FromJson(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"a Frigate event must be a JSON object, got {e.ValueKind}");
        var zones = Strings(e, "current_zones");
        var entered = Strings(e, "entered_zones");
        if (zones.Count == 0 && e.TryGetProperty("zones", out _)) zones = Strings(e, "zones");
        return new FrigateEvent
        {
            Id = RequiredString(e, "id"),
            Camera = RequiredString(e, "camera"),
            Label = OptionalString(e, "label"),
            SubLabel = SubLabelOf(e),
            Score = OptionalNumber(e, "score") ?? DataNumber(e, "score"),
            TopScore = OptionalNumber(e, "top_score") ?? DataNumber(e, "top_score"),
            StartTime = OptionalNumber(e, "start_time") ?? throw new FormatException("Frigate event has no start_time"),
            EndTime = OptionalNumber(e, "end_time"),
            Zones = zones,
            EnteredZones = entered.Count > 0 ? entered : zones,
            HasClip = OptionalBool(e, "has_clip"),
            HasSnapshot = OptionalBool(e, "has_snapshot"),
            FalsePositive = OptionalBool(e, "false_positive"),
        };
    }

    private static string RequiredString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s : throw new FormatException($"Frigate event has no \"{name}\"");

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? OptionalNumber(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    // The HTTP API keeps score and top_score inside "data" (0.13+).
    private static double? DataNumber(JsonElement e, string name) =>
        e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? OptionalNumber(data, name) : null;

    private static bool OptionalBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static List<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];

    private static string? SubLabelOf(JsonElement e)
    {
        if (!e.TryGetProperty("sub_label", out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Array when v.GetArrayLength() > 0 && v[0].ValueKind == JsonValueKind.String => v[0].GetString(),
            _ => null,
        };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Camera}/{Label} {Id} {StartTime:0.###}-{EndTime?.ToString("0.###", CultureInfo.InvariantCulture) ?? "running"}");
}

/// <summary>One MQTT message on <c>frigate/events</c>: {"type":"new|update|end","before":{...},"after":{...}}.</summary>
internal sealed record FrigateEventMessage(string Type, FrigateEvent After, FrigateEvent? Before)
{
    /// <summary>Parses the payload. Throws <see cref="FormatException"/> for anything that is not a Frigate event message.</summary>
    public static FrigateEventMessage Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new FormatException("Frigate event is not valid JSON: " + e.Message, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("Frigate event must be a JSON object");
            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new FormatException("Frigate event has no \"type\"");
            if (type is not ("new" or "update" or "end")) throw new FormatException($"Frigate event type \"{type}\" is not new, update or end");
            if (!root.TryGetProperty("after", out var after)) throw new FormatException("Frigate event has no \"after\"");
            var before = root.TryGetProperty("before", out var b) && b.ValueKind == JsonValueKind.Object && b.TryGetProperty("id", out _) ? FrigateEvent.FromJson(b) : null;
            return new FrigateEventMessage(type, FrigateEvent.FromJson(after), before);
        }
    }
}
