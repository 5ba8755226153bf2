using System.Globalization;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Camera;

/// <summary>Reading trigger times and camera names from incoming messages, the same way in every camera node.</summary>
internal static class CameraMessages
{
    /// <summary>
    /// The time a message is about: <c>msg.time</c>, <c>msg.timestamp</c>, then <c>msg.payload.time</c> (alarm events
    /// carry it there). Numbers are Unix milliseconds (values below 10^11 are taken as seconds, as Frigate writes
    /// them); strings are ISO 8601. None of them: <paramref name="now"/>.
    /// </summary>
    public static DateTimeOffset TriggerTime(JsObject msg, DateTimeOffset now)
    {
        foreach (var candidate in new[] { msg.Get("time"), msg.Get("timestamp"), (msg.Get("payload") as JsObject)?.Get("time") })
        {
            if (ParseTime(candidate) is { } time) return time;
        }
        return now;
    }

    public static DateTimeOffset? ParseTime(object? value) => value switch
    {
        double d when double.IsFinite(d) && d > 0 => d < 1e11
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(d * 1000))
            : DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(d)),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>Camera names from <c>msg.camera</c>, else <c>msg.asset.camera</c> (set by an enrich node); a string or a list.</summary>
    public static IReadOnlyList<string> Cameras(JsObject msg)
    {
        var names = Names(msg.Get("camera"));
        if (names.Count == 0) names = Names(msg.Get("cameras"));
        if (names.Count == 0 && msg.Get("asset") is JsObject asset) names = Names(asset.Get("camera"));
        return names;
    }

    private static List<string> Names(object? value) => value switch
    {
        string s when s.Length > 0 => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        List<object?> list => list.OfType<string>().Where(s => s.Length > 0).ToList(),
        _ => [],
    };

    public static string Iso(DateTimeOffset time) => JsJson.FormatIsoDate(time.UtcDateTime);

    public static double UnixSeconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    public static DateTimeOffset FromUnixSeconds(double seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));

    public static double? PositiveNumber(object? value) => value switch
    {
        double d when double.IsFinite(d) && d >= 0 => d,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 => d,
        _ => null,
    };
}
