using System.Globalization;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Nodes;

/// <summary>
/// Read access to a node's JSON configuration with Node-RED's leniency: numbers are often stored as strings
/// ("5"), booleans as "true"/"false". Every failure names the node and the property.
/// </summary>
public sealed class NodeConfig(JsObject raw)
{
    public JsObject Raw { get; } = raw;

    public string Id => Raw.Get("id") as string ?? "";
    public string Type => Raw.Get("type") as string ?? "";
    public string Name => Raw.Get("name") as string ?? "";
    public string? FlowId => Raw.Get("z") as string;
    public string? GroupId => Raw.Get("g") as string;

    public bool Has(string property) => Raw.ContainsKey(property);

    public object? Get(string property) => Raw.Get(property);

    public string GetString(string property, string defaultValue = "") => Raw.Get(property) switch
    {
        null => defaultValue,
        string s => s,
        object other => JsValue.ToJsString(other),
    };

    public string? GetStringOrNull(string property) => Raw.Get(property) switch
    {
        null => null,
        string s => s,
        object other => JsValue.ToJsString(other),
    };

    /// <summary>A number stored as a number or a numeric string; empty or missing gives the default.</summary>
    public double GetNumber(string property, double defaultValue)
    {
        var value = Raw.Get(property);
        switch (value)
        {
            case null:
                return defaultValue;
            case double d:
                return d;
            case bool b:
                return b ? 1 : 0;
            case string s when string.IsNullOrWhiteSpace(s):
                return defaultValue;
            case string s:
                var parsed = JsValue.StringToNumber(s);
                if (double.IsNaN(parsed))
                {
                    throw Invalid(property, $"expected a number, got \"{s}\"");
                }
                return parsed;
            default:
                throw Invalid(property, $"expected a number, got {JsValue.TypeName(value)}");
        }
    }

    public double? GetNumberOrNull(string property)
    {
        var value = Raw.Get(property);
        if (value is null || value is string s && string.IsNullOrWhiteSpace(s)) return null;
        return GetNumber(property, 0);
    }

    public int GetInt(string property, int defaultValue) => (int)GetNumber(property, defaultValue);

    /// <summary>A boolean stored as true/false or "true"/"false" (Node-RED stores several flags as strings).</summary>
    public bool GetBool(string property, bool defaultValue) => Raw.Get(property) switch
    {
        null => defaultValue,
        bool b => b,
        string s when s.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
        string s when s.Equals("false", StringComparison.OrdinalIgnoreCase) || s.Length == 0 => false,
        double d => d != 0,
        _ => defaultValue,
    };

    public List<object?> GetList(string property) => Raw.Get(property) as List<object?> ?? [];

    public JsObject? GetObject(string property) => Raw.Get(property) as JsObject;

    /// <summary>A string list from an array of strings (ids in scope lists, link targets).</summary>
    public IReadOnlyList<string> GetStringList(string property) =>
        Raw.Get(property) is List<object?> list ? list.OfType<string>().ToList() : [];

    public NodeConfigException Invalid(string? property, string reason) =>
        new(Id, Name, Type, property, reason);

    /// <summary>Seconds or milliseconds as a TimeSpan from a number property with a unit word.</summary>
    public static TimeSpan ToTimeSpan(double value, string unit) => unit switch
    {
        "milliseconds" or "ms" or "millisecond" => TimeSpan.FromMilliseconds(value),
        "seconds" or "s" or "second" or "secs" => TimeSpan.FromSeconds(value),
        "minutes" or "min" or "minute" or "mins" => TimeSpan.FromMinutes(value),
        "hours" or "hr" or "hour" or "hrs" => TimeSpan.FromHours(value),
        "days" or "day" => TimeSpan.FromDays(value),
        _ => throw new ArgumentException($"unknown time unit \"{unit}\"", nameof(unit)),
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Type} {Id}");
}
