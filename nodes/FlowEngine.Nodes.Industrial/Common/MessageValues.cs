using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Common;

/// <summary>A message that cannot be processed (a value that is not a number...). Goes to catch nodes; state is unchanged.</summary>
internal sealed class IndustrialInputException(string message) : Exception(message);

/// <summary>Reading tags, numbers, booleans and times from messages the same way in every industrial node.</summary>
internal static class MessageValues
{
    /// <summary>
    /// A measurement as a number: numbers, numeric strings ("12.5", as MQTT payloads often are) and booleans (1/0).
    /// NaN, infinities, empty strings, null, objects and arrays are not numbers.
    /// </summary>
    public static bool TryNumber(object? value, out double number)
    {
        switch (value)
        {
            case double d when double.IsFinite(d):
                number = d;
                return true;
            case string s when !string.IsNullOrWhiteSpace(s):
                number = JsValue.StringToNumber(s);
                if (double.IsFinite(number)) return true;
                number = double.NaN;
                return false;
            case bool b:
                number = b ? 1 : 0;
                return true;
            default:
                number = double.NaN;
                return false;
        }
    }

    /// <summary>A discrete (boolean) value: true/false, numbers (non-zero is true), "true"/"false", "on"/"off", "1"/"0".</summary>
    public static bool TryBoolean(object? value, out bool result)
    {
        switch (value)
        {
            case bool b:
                result = b;
                return true;
            case double d when !double.IsNaN(d):
                result = d != 0;
                return true;
            case string s:
                switch (s.Trim().ToLowerInvariant())
                {
                    case "true" or "on" or "1" or "yes":
                        result = true;
                        return true;
                    case "false" or "off" or "0" or "no":
                        result = false;
                        return true;
                }
                break;
        }
        result = false;
        return false;
    }

    public static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"string \"{(s.Length > 40 ? s[..40] + "…" : s)}\"",
        double d => $"number {JsValue.FormatNumber(d)}",
        _ => JsValue.TypeName(value),
    };

    public static IndustrialInputException NotANumber(PropertyPath property, string tag, object? value) =>
        new($"msg.{property.Text} is not a number (got {Describe(value)}) for tag \"{tag}\"");

    /// <summary>The tag of a message: the tag property as a string; "" when it is missing (a single-tag flow).</summary>
    public static string TagOf(PropertyPath tagProperty, JsObject message) => tagProperty.GetValue(message) switch
    {
        null => "",
        string s => s,
        object other => JsValue.ToJsString(other),
    };

    /// <summary>
    /// A timestamp from a message: a Date, epoch milliseconds (number or numeric string) or an ISO 8601 string.
    /// </summary>
    public static bool TryTime(object? value, out long ticks)
    {
        switch (value)
        {
            case DateTime dt:
                ticks = dt.ToUniversalTime().Ticks;
                return true;
            case double ms when double.IsFinite(ms):
                ticks = DateTime.UnixEpoch.Ticks + (long)(ms * TimeSpan.TicksPerMillisecond);
                return true;
            case string s when double.IsFinite(JsValue.StringToNumber(s)) && !string.IsNullOrWhiteSpace(s):
                ticks = DateTime.UnixEpoch.Ticks + (long)(JsValue.StringToNumber(s) * TimeSpan.TicksPerMillisecond);
                return true;
            case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed):
                ticks = parsed.UtcTicks;
                return true;
            default:
                ticks = 0;
                return false;
        }
    }

    /// <summary>A message property path from configuration, refused at deploy when it does not parse.</summary>
    public static PropertyPath Path(NodeConfig config, string property, string defaultValue)
    {
        var text = config.GetString(property, defaultValue);
        if (string.IsNullOrWhiteSpace(text)) text = defaultValue;
        if (text.StartsWith("msg.", StringComparison.Ordinal)) text = text[4..];
        return PropertyPath.TryParse(text, out var path) && path is not null
            ? path
            : throw config.Invalid(property, $"\"{text}\" is not a valid message property");
    }

    /// <summary>An optional message property path: null when the configuration leaves it empty.</summary>
    public static PropertyPath? OptionalPath(NodeConfig config, string property)
    {
        var text = config.GetString(property, "");
        if (string.IsNullOrWhiteSpace(text)) return null;
        return Path(config, property, text);
    }

    /// <summary>A non-negative number of seconds from configuration.</summary>
    public static double Seconds(NodeConfig config, string property, double defaultValue)
    {
        var value = config.GetNumber(property, defaultValue);
        if (value < 0 || !double.IsFinite(value)) throw config.Invalid(property, $"expected a number of seconds of zero or more, got {JsValue.FormatNumber(value)}");
        return value;
    }

    public static long SecondsToTicks(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);

    public static string FormatCount(long count) => count.ToString("N0", CultureInfo.InvariantCulture);
}
