using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.TypedInputs;

/// <summary>An invalid typed value: a number that is not one, bad JSON, a bad regular expression or JSONata.</summary>
public sealed class TypedValueException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A Node-RED typed input (value + type, e.g. payload/payloadType) prepared once per deploy and evaluated per
/// message: msg, flow, global, str, num, bool, json, bin, date, env, re, jsonata (§2.11).
/// </summary>
public sealed class TypedValue
{
    private readonly object? _constant;
    private readonly PropertyPath? _path;
    private readonly string? _contextStore;
    private readonly string _contextKey = "";
    private readonly ICompiledExpression? _expression;

    private TypedValue(string type, string raw, object? constant, PropertyPath? path, string? store, string key, ICompiledExpression? expression)
    {
        Type = type;
        Raw = raw;
        _constant = constant;
        _path = path;
        _contextStore = store;
        _contextKey = key;
        _expression = expression;
    }

    public string Type { get; }
    public string Raw { get; }

    /// <summary>True when the value does not depend on the message, context, env or time.</summary>
    public bool IsConstant => Type is "str" or "num" or "bool" or "json" or "bin" or "re";

    /// <summary>Prepares a typed input. Throws <see cref="TypedValueException"/> when the value cannot be used.</summary>
    public static TypedValue Create(string? type, object? value, IExpressionEngine? expressions)
    {
        type = string.IsNullOrEmpty(type) ? "str" : type;
        var raw = value switch { null => "", string s => s, _ => JsValue.ToJsString(value) };
        switch (type)
        {
            case "msg":
                if (raw.Length == 0) throw new TypedValueException("a message property is required");
                try { return new TypedValue(type, raw, null, PropertyPath.Parse(raw), null, "", null); }
                catch (PropertyPathException ex) { throw new TypedValueException(ex.Message, ex); }
            case "flow" or "global":
                var (store, key) = Context.ContextManager.ParseKey(raw);
                if (key.Length == 0) throw new TypedValueException($"a {type} context key is required");
                return new TypedValue(type, raw, null, null, store, key, null);
            case "jsonata":
                if (expressions is null) throw new TypedValueException("JSONata is not available in this runtime");
                return new TypedValue(type, raw, null, null, null, "", expressions.Compile(raw));
            case "env" or "date" or "node" or "cred" or "conf-type" or "conf-types":
                return new TypedValue(type, raw, value, null, null, "", null);
            default:
                return new TypedValue(type, raw, EvaluateStatic(type, value), null, null, "", null);
        }
    }

    /// <summary>Evaluates the types that need no message: str, num, bool, json, bin, re, date.</summary>
    public static object? EvaluateStatic(string type, object? value)
    {
        var raw = value switch { null => "", string s => s, _ => JsValue.ToJsString(value) };
        switch (type)
        {
            case "str":
                return raw;
            case "num":
                if (value is double d) return d;
                var n = JsValue.StringToNumber(raw);
                if (double.IsNaN(n) && raw.Trim() != "NaN") throw new TypedValueException($"\"{raw}\" is not a number");
                return n;
            case "bool":
                return value is bool b ? b : raw.Equals("true", StringComparison.OrdinalIgnoreCase);
            case "json":
                if (value is not string) return JsValue.DeepClone(value);
                try { return JsJson.Parse(raw); }
                catch (JsJsonException ex) { throw new TypedValueException($"invalid JSON: {ex.Message}", ex); }
            case "bin":
                return ToBuffer(raw);
            case "re":
                try { return new Regex(raw, RegexOptions.None, TimeSpan.FromSeconds(1)); }
                catch (ArgumentException ex) { throw new TypedValueException($"invalid regular expression: {ex.Message}", ex); }
            case "date":
                return EvaluateDate(raw, DateTime.UtcNow);
            default:
                throw new TypedValueException($"unknown value type \"{type}\"");
        }
    }

    private static byte[] ToBuffer(string raw)
    {
        if (raw.Length == 0) return [];
        object? parsed;
        try { parsed = JsJson.Parse(raw); }
        catch (JsJsonException ex) { throw new TypedValueException($"invalid buffer: {ex.Message}", ex); }
        return parsed switch
        {
            List<object?> bytes => bytes.Select(b => (byte)((int)JsValue.ToNumber(b) & 0xFF)).ToArray(),
            string s => Encoding.UTF8.GetBytes(s),
            _ => throw new TypedValueException("a buffer must be a JSON array of bytes or a string"),
        };
    }

    /// <summary>Evaluates for one message in the context of a node.</summary>
    public object? Evaluate(FlowNode node, JsObject message)
    {
        switch (Type)
        {
            case "msg":
                return _path!.GetValue(message);
            case "flow":
                return node.FlowContext.Get(ResolveNestedKey(message), _contextStore);
            case "global":
                return node.GlobalContext.Get(ResolveNestedKey(message), _contextStore);
            case "env":
                return node.Setup.Environment.EvaluateEnvString(Raw);
            case "date":
                return EvaluateDate(Raw, node.Services.TimeProvider.GetUtcNow().UtcDateTime);
            case "jsonata":
                return _expression!.Evaluate(message, ScopeFor(node));
            case "json":
            case "bin":
                // A fresh copy each time: the receiver may change it, and the next message must see the original.
                return JsValue.DeepClone(_constant);
            case "node":
                return node.Setup.RuntimeId;
            default:
                return _constant;
        }
    }

    /// <summary>The JSONata scope a node provides: its flow and global context and its env chain.</summary>
    public static ExpressionScope ScopeFor(FlowNode node) =>
        node.ExpressionScope ??= new(node.FlowContext, node.Setup.Environment.Get, node.GlobalContext);

    /// <summary>"[msg.x]" inside a context key is resolved from the message first (Node-RED).</summary>
    private string ResolveNestedKey(JsObject message)
    {
        if (!_contextKey.Contains("[msg.", StringComparison.Ordinal)) return _contextKey;
        var sb = new StringBuilder();
        var i = 0;
        while (i < _contextKey.Length)
        {
            var start = _contextKey.IndexOf("[msg.", i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(_contextKey, i, _contextKey.Length - i);
                break;
            }
            var end = _contextKey.IndexOf(']', start);
            if (end < 0)
            {
                sb.Append(_contextKey, i, _contextKey.Length - i);
                break;
            }
            sb.Append(_contextKey, i, start - i);
            var value = PropertyPath.Parse(_contextKey[(start + 1)..end]).GetValue(message);
            sb.Append(value is double ? $"[{JsValue.ToJsString(value)}]" : $"[\"{JsValue.ToJsString(value)}\"]");
            i = end + 1;
        }
        return sb.ToString();
    }

    /// <summary>Node-RED's date type: "" → epoch ms, "iso" → ISO string, "object" → Date, else a moment.js format.</summary>
    public static object EvaluateDate(string format, DateTime now) => format switch
    {
        "" => Math.Floor(JsValue.ToEpochMilliseconds(now)),
        "iso" => JsJson.FormatIsoDate(now),
        "object" => now,
        _ => MomentFormat.Format(now, format),
    };

    public override string ToString() => $"{Type}:{Raw}";
}

/// <summary>The common moment.js format tokens, for inject's date-with-format and $moment().</summary>
public static class MomentFormat
{
    private static readonly string[] Tokens =
        ["YYYY", "YY", "MMMM", "MMM", "MM", "M", "DDDD", "DD", "D", "dddd", "ddd", "HH", "H", "hh", "h", "mm", "m", "ss", "s", "SSS", "A", "a", "ZZ", "Z", "X", "x", "Do"];

    public static string Format(DateTime utc, string format)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < format.Length)
        {
            if (format[i] == '[')
            {
                var end = format.IndexOf(']', i);
                if (end > i)
                {
                    sb.Append(format, i + 1, end - i - 1);
                    i = end + 1;
                    continue;
                }
            }
            var token = Tokens.FirstOrDefault(t => string.CompareOrdinal(format, i, t, 0, t.Length) == 0);
            if (token is null)
            {
                sb.Append(format[i]);
                i++;
                continue;
            }
            sb.Append(token switch
            {
                "YYYY" => utc.Year.ToString("0000", CultureInfo.InvariantCulture),
                "YY" => (utc.Year % 100).ToString("00", CultureInfo.InvariantCulture),
                "MMMM" => utc.ToString("MMMM", CultureInfo.InvariantCulture),
                "MMM" => utc.ToString("MMM", CultureInfo.InvariantCulture),
                "MM" => utc.Month.ToString("00", CultureInfo.InvariantCulture),
                "M" => utc.Month.ToString(CultureInfo.InvariantCulture),
                "DDDD" => utc.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                "DD" => utc.Day.ToString("00", CultureInfo.InvariantCulture),
                "D" => utc.Day.ToString(CultureInfo.InvariantCulture),
                "Do" => utc.Day + Ordinal(utc.Day),
                "dddd" => utc.ToString("dddd", CultureInfo.InvariantCulture),
                "ddd" => utc.ToString("ddd", CultureInfo.InvariantCulture),
                "HH" => utc.Hour.ToString("00", CultureInfo.InvariantCulture),
                "H" => utc.Hour.ToString(CultureInfo.InvariantCulture),
                "hh" => ((utc.Hour + 11) % 12 + 1).ToString("00", CultureInfo.InvariantCulture),
                "h" => ((utc.Hour + 11) % 12 + 1).ToString(CultureInfo.InvariantCulture),
                "mm" => utc.Minute.ToString("00", CultureInfo.InvariantCulture),
                "m" => utc.Minute.ToString(CultureInfo.InvariantCulture),
                "ss" => utc.Second.ToString("00", CultureInfo.InvariantCulture),
                "s" => utc.Second.ToString(CultureInfo.InvariantCulture),
                "SSS" => utc.Millisecond.ToString("000", CultureInfo.InvariantCulture),
                "A" => utc.Hour < 12 ? "AM" : "PM",
                "a" => utc.Hour < 12 ? "am" : "pm",
                "ZZ" => "+0000",
                "Z" => "+00:00",
                "X" => ((long)(utc - DateTime.UnixEpoch).TotalSeconds).ToString(CultureInfo.InvariantCulture),
                "x" => ((long)(utc - DateTime.UnixEpoch).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                _ => token,
            });
            i += token.Length;
        }
        return sb.ToString();
    }

    private static string Ordinal(int day) => (day % 100) is 11 or 12 or 13 ? "th" : (day % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
}
