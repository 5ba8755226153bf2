using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace FlowEngine.Core.Values;

/// <summary>
/// A parsed message property expression such as <c>payload.a["b c"][0]</c> or <c>data[msg.key]</c>
/// (Node-RED's RED.util.normalisePropertyExpression). Parsed paths are cached: the same few expressions
/// are used for every message.
/// </summary>
public sealed class PropertyPath
{
    private static readonly ConcurrentDictionary<string, PropertyPath> Cache = new(StringComparer.Ordinal);

    private readonly Segment[] _segments;

    private PropertyPath(string text, Segment[] segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public int Length => _segments.Length;

    /// <summary>True when a segment refers to another message property (<c>a[msg.b]</c>).</summary>
    public bool HasNestedReferences => _segments.Any(s => s.Nested is not null);

    private readonly record struct Segment(string? Key, int? Index, PropertyPath? Nested);

    /// <summary>Parses an expression; a leading "msg." is accepted and dropped. Throws <see cref="PropertyPathException"/> (code INVALID_EXPR).</summary>
    public static PropertyPath Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (Cache.TryGetValue(expression, out var cached))
        {
            return cached;
        }
        var path = new PropertyPath(expression, ParseSegments(expression));
        if (Cache.Count < 10_000)
        {
            Cache.TryAdd(expression, path);
        }
        return path;
    }

    public static bool TryParse(string expression, out PropertyPath? path)
    {
        try
        {
            path = Parse(expression);
            return true;
        }
        catch (PropertyPathException)
        {
            path = null;
            return false;
        }
    }

    private static Segment[] ParseSegments(string expr)
    {
        var text = expr.StartsWith("msg.", StringComparison.Ordinal) ? expr[4..] : expr;
        if (text.Length == 0)
        {
            throw Invalid(expr, 0);
        }
        var segments = new List<Segment>();
        var i = 0;
        var expectIdentifier = true;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '.')
            {
                if (expectIdentifier) throw Invalid(expr, i);
                expectIdentifier = true;
                i++;
                continue;
            }
            if (c == '[')
            {
                if (segments.Count == 0 && expectIdentifier && i == 0) throw Invalid(expr, i);
                i++;
                if (i >= text.Length) throw Invalid(expr, i);
                var q = text[i];
                if (q is '"' or '\'')
                {
                    var sb = new StringBuilder();
                    i++;
                    while (i < text.Length && text[i] != q)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }
                        sb.Append(text[i]);
                        i++;
                    }
                    if (i >= text.Length) throw Invalid(expr, i);
                    i++; // closing quote
                    if (i >= text.Length || text[i] != ']') throw Invalid(expr, i);
                    i++;
                    segments.Add(new Segment(sb.ToString(), null, null));
                }
                else if (char.IsAsciiDigit(q) || q == '-')
                {
                    var start = i;
                    if (q == '-') i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                    if (i >= text.Length || text[i] != ']') throw Invalid(expr, i);
                    var index = int.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture);
                    i++;
                    segments.Add(new Segment(null, index, null));
                }
                else
                {
                    // nested message reference: find the matching bracket
                    var depth = 1;
                    var start = i;
                    while (i < text.Length && depth > 0)
                    {
                        if (text[i] == '[') depth++;
                        else if (text[i] == ']') depth--;
                        if (depth > 0) i++;
                    }
                    if (i >= text.Length) throw Invalid(expr, i);
                    var inner = text[start..i].Trim();
                    if (!inner.StartsWith("msg.", StringComparison.Ordinal)) throw Invalid(expr, start);
                    segments.Add(new Segment(null, null, Parse(inner)));
                    i++;
                }
                expectIdentifier = false;
                continue;
            }
            if (!expectIdentifier)
            {
                throw Invalid(expr, i);
            }
            var identifierStart = i;
            while (i < text.Length && text[i] != '.' && text[i] != '[')
            {
                if (char.IsWhiteSpace(text[i]) || text[i] is ']' or '"' or '\'') throw Invalid(expr, i);
                i++;
            }
            segments.Add(new Segment(text[identifierStart..i], null, null));
            expectIdentifier = false;
        }
        if (expectIdentifier) throw Invalid(expr, text.Length);
        return segments.ToArray();
    }

    private static PropertyPathException Invalid(string expr, int position) =>
        new($"Invalid property expression: unexpected character at position {position} of \"{expr}\"");

    private object Key(int index, JsObject root)
    {
        var segment = _segments[index];
        if (segment.Nested is { } nested)
        {
            var value = nested.GetValue(root);
            return value is double d && d == Math.Floor(d) && d >= 0 ? (int)d : JsValue.ToJsString(value);
        }
        return segment.Key is { } key ? key : segment.Index!.Value;
    }

    /// <summary>Reads the value at this path; a missing step gives null (undefined).</summary>
    public object? GetValue(JsObject root) => TryGetValue(root, out var value) ? value : null;

    /// <summary>Reads the value at this path; false when any step is missing.</summary>
    public bool TryGetValue(JsObject root, out object? value)
    {
        object? current = root;
        for (var i = 0; i < _segments.Length; i++)
        {
            if (!TryStep(current, Key(i, root), out current))
            {
                value = null;
                return false;
            }
        }
        value = current;
        return true;
    }

    /// <summary>Reads the value at this path on any value (not only a message), for JSONata-free context lookups.</summary>
    public bool TryGetValueFrom(object? start, JsObject? references, out object? value)
    {
        object? current = start;
        for (var i = 0; i < _segments.Length; i++)
        {
            object key = _segments[i].Nested is not null && references is not null ? Key(i, references) : (object?)_segments[i].Key ?? _segments[i].Index!.Value;
            if (!TryStep(current, key, out current))
            {
                value = null;
                return false;
            }
        }
        value = current;
        return true;
    }

    private static bool TryStep(object? current, object key, out object? next)
    {
        switch (current)
        {
            case JsObject obj:
                return obj.TryGetValue(key is int n ? n.ToString(CultureInfo.InvariantCulture) : (string)key, out next);
            case List<object?> list:
                if (key is int index || (key is string s && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out index)))
                {
                    if (index >= 0 && index < list.Count)
                    {
                        next = list[index];
                        return true;
                    }
                }
                else if (key is "length")
                {
                    next = (double)list.Count;
                    return true;
                }
                break;
            case string str:
                if (key is "length")
                {
                    next = (double)str.Length;
                    return true;
                }
                if (key is int ci && ci >= 0 && ci < str.Length)
                {
                    next = str[ci].ToString();
                    return true;
                }
                break;
            case byte[] bytes:
                if (key is "length")
                {
                    next = (double)bytes.Length;
                    return true;
                }
                if (key is int bi && bi >= 0 && bi < bytes.Length)
                {
                    next = (double)bytes[bi];
                    return true;
                }
                break;
        }
        next = null;
        return false;
    }

    /// <summary>
    /// Writes a value, creating missing containers ({} or [] when the next step is numeric).
    /// Returns false when an intermediate value is a primitive (Node-RED then leaves the message unchanged).
    /// </summary>
    public bool SetValue(JsObject root, object? value, bool createMissing = true)
    {
        object current = root;
        for (var i = 0; i < _segments.Length - 1; i++)
        {
            var key = Key(i, root);
            if (!TryStep(current, key, out var next))
            {
                if (!createMissing) return false;
                var nextKeyIsIndex = _segments[i + 1].Index is not null;
                next = nextKeyIsIndex ? new List<object?>() : new JsObject();
                if (!Assign(current, key, next)) return false;
            }
            // Node-RED's setObjectProperty: a present value that is null or a primitive cannot hold a property.
            if (next is not (JsObject or List<object?>))
            {
                return false;
            }
            current = next;
        }
        return Assign(current, Key(_segments.Length - 1, root), value);
    }

    private static bool Assign(object container, object key, object? value)
    {
        switch (container)
        {
            case JsObject obj:
                obj[key is int n ? n.ToString(CultureInfo.InvariantCulture) : (string)key] = value;
                return true;
            case List<object?> list:
                if (key is int index || (key is string s && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out index)))
                {
                    if (index < 0) return false;
                    while (list.Count <= index) list.Add(null);
                    list[index] = value;
                    return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>Deletes the property at this path; true when something was removed.</summary>
    public bool Delete(JsObject root)
    {
        object? current = root;
        for (var i = 0; i < _segments.Length - 1; i++)
        {
            if (!TryStep(current, Key(i, root), out current)) return false;
        }
        var last = Key(_segments.Length - 1, root);
        switch (current)
        {
            case JsObject obj:
                return obj.Remove(last is int n ? n.ToString(CultureInfo.InvariantCulture) : (string)last);
            case List<object?> list when last is int index && index >= 0 && index < list.Count:
                // Node-RED deletes array elements with splice: the rest shift down.
                list.RemoveAt(index);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The path without its last segment (null for a single segment), and the last segment's key.</summary>
    public PropertyPath? Parent => _segments.Length > 1 ? new PropertyPath(Text, _segments[..^1]) : null;

    /// <summary>The first segment (e.g. "payload" for payload.a.b), used where Node-RED keys on the top-level property.</summary>
    public string? FirstKey => _segments.Length > 0 ? _segments[0].Key : null;

    public override string ToString() => Text;
}

public sealed class PropertyPathException(string message) : Exception(message)
{
    public string Code => "INVALID_EXPR";
}
