using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>
/// JavaScript's <c>undefined</c>, where a transform node must tell "missing" from <c>null</c> (the value model keeps
/// one null for both). Used only inside these nodes; it never reaches a message.
/// </summary>
internal sealed class JsUndefined
{
    public static readonly JsUndefined Value = new();

    private JsUndefined() { }

    public override string ToString() => "undefined";
}

/// <summary>The bits of JavaScript semantics the transform nodes need beyond <see cref="JsValue"/>.</summary>
internal static class JsSemantics
{
    public static bool IsUndefined(object? value) => ReferenceEquals(value, JsUndefined.Value);

    /// <summary>JavaScript's String(value), with undefined.</summary>
    public static string ToJsString(object? value) => IsUndefined(value) ? "undefined" : JsValue.ToJsString(value);

    /// <summary>JavaScript's typeof (Date, Buffer, arrays and null are "object").</summary>
    public static string TypeOf(object? value) => value switch
    {
        JsUndefined => "undefined",
        string => "string",
        double => "number",
        bool => "boolean",
        _ => "object",
    };

    /// <summary>JavaScript's loose equality (==), undefined included (undefined == null).</summary>
    public static bool LooseEquals(object? a, object? b)
    {
        if (IsUndefined(a)) a = null;
        if (IsUndefined(b)) b = null;
        return JsValue.LooseEquals(a, b);
    }

    /// <summary>
    /// JavaScript's abstract relational comparison: -1, 0 or 1, or null when the answer is "undefined" (NaN or an
    /// undefined operand), in which case every relational operator is false.
    /// </summary>
    public static int? Compare(object? a, object? b)
    {
        if (IsUndefined(a) || IsUndefined(b)) return null;
        a = ToPrimitive(a);
        b = ToPrimitive(b);
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb));
        var na = JsValue.ToNumber(a);
        var nb = JsValue.ToNumber(b);
        if (double.IsNaN(na) || double.IsNaN(nb)) return null;
        return na.CompareTo(nb);
    }

    // Objects and arrays compare through their string form (ToPrimitive with hint number falls back to toString);
    // Dates through their time value.
    private static object? ToPrimitive(object? value) => value switch
    {
        JsObject or List<object?> or byte[] => JsValue.ToJsString(value),
        DateTime dt => JsValue.ToEpochMilliseconds(dt),
        _ => value,
    };

    public static bool LessThan(object? a, object? b) => Compare(a, b) is < 0;
    public static bool LessOrEqual(object? a, object? b) => Compare(a, b) is <= 0;
    public static bool GreaterThan(object? a, object? b) => Compare(a, b) is > 0;
    public static bool GreaterOrEqual(object? a, object? b) => Compare(a, b) is >= 0;

    /// <summary>JavaScript's Number(value), undefined giving NaN.</summary>
    public static double ToNumber(object? value) => IsUndefined(value) ? double.NaN : JsValue.ToNumber(value);

    public static bool IsTruthy(object? value) => !IsUndefined(value) && JsValue.IsTruthy(value);

    /// <summary>
    /// JavaScript's parseFloat(String(value)): the longest numeric prefix ("250ms" gives 250), NaN when none. Node-RED
    /// reads msg.delay, msg.rate and the filter node's values this way.
    /// </summary>
    public static double ParseFloat(object? value)
    {
        // String(n) round-trips every number except -0, which prints as "0". The filter node calls this per message:
        // no string for a value that is a number already.
        if (value is double d) return d == 0 ? 0 : d;
        if (value is null or bool or JsObject || IsUndefined(value)) return double.NaN;
        var text = ToJsString(value).TrimStart();
        var end = 0;
        if (end < text.Length && text[end] is '+' or '-') end++;
        if (string.CompareOrdinal(text, end, "Infinity", 0, 8) == 0)
        {
            return text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
        }
        var digitsStart = end;
        while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        if (end < text.Length && text[end] == '.')
        {
            end++;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        }
        var mantissa = text.AsSpan(digitsStart, end - digitsStart);
        if (mantissa.Length == 0 || mantissa is ".") return double.NaN;
        if (end < text.Length && text[end] is 'e' or 'E')
        {
            var exponentEnd = end + 1;
            if (exponentEnd < text.Length && text[exponentEnd] is '+' or '-') exponentEnd++;
            var exponentDigits = exponentEnd;
            while (exponentEnd < text.Length && char.IsAsciiDigit(text[exponentEnd])) exponentEnd++;
            if (exponentEnd > exponentDigits) end = exponentEnd;
        }
        return double.Parse(text.AsSpan(0, end), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Builds a regular expression from JavaScript source text. ECMAScript mode keeps \d, \w and \s to their
    /// JavaScript meaning; constructs that mode rejects (lookbehind, named groups) fall back to the default engine.
    /// Throws <see cref="ArgumentException"/> for an invalid pattern.
    /// </summary>
    public static Regex CreateRegex(string pattern, bool ignoreCase)
    {
        var options = ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None;
        try
        {
            return new Regex(pattern, options | RegexOptions.ECMAScript, RegexTimeout);
        }
        catch (ArgumentException)
        {
            return new Regex(pattern, options | RegexOptions.CultureInvariant, RegexTimeout);
        }
    }

    /// <summary>A pattern that catastrophically backtracks must not stall the node forever.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// String.prototype.replace with a global regular expression and a replacement string: $$, $&amp;, $`, $', $n,
    /// $nn and $&lt;name&gt; are expanded as JavaScript does (not as .NET's Regex.Replace would).
    /// </summary>
    public static string ReplaceAll(Regex regex, string input, string replacement) =>
        replacement.Contains('$', StringComparison.Ordinal)
            ? regex.Replace(input, m => ExpandReplacement(regex, m, input, replacement))
            : regex.Replace(input, m => replacement);

    /// <summary>String.prototype.replace with a string pattern: only the first occurrence.</summary>
    public static string ReplaceFirst(string input, string pattern, string replacement)
    {
        var index = input.IndexOf(pattern, StringComparison.Ordinal);
        if (index < 0) return input;
        return string.Concat(input.AsSpan(0, index), replacement, input.AsSpan(index + pattern.Length));
    }

    private static string ExpandReplacement(Regex regex, Match match, string input, string replacement)
    {
        var sb = new StringBuilder();
        var groupCount = regex.GetGroupNumbers().Length - 1;
        var i = 0;
        while (i < replacement.Length)
        {
            var c = replacement[i];
            if (c != '$' || i + 1 >= replacement.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }
            var next = replacement[i + 1];
            switch (next)
            {
                case '$':
                    sb.Append('$');
                    i += 2;
                    continue;
                case '&':
                    sb.Append(match.Value);
                    i += 2;
                    continue;
                case '`':
                    sb.Append(input, 0, match.Index);
                    i += 2;
                    continue;
                case '\'':
                    sb.Append(input, match.Index + match.Length, input.Length - match.Index - match.Length);
                    i += 2;
                    continue;
                case '<':
                    var close = replacement.IndexOf('>', i + 2);
                    if (close > 0 && regex.GetGroupNames().Any(n => !int.TryParse(n, out _)))
                    {
                        var name = replacement[(i + 2)..close];
                        var group = match.Groups[name];
                        if (group.Success) sb.Append(group.Value);
                        i = close + 1;
                        continue;
                    }
                    break;
            }
            if (char.IsAsciiDigit(next))
            {
                // Two digits when that names an existing group, else one (JavaScript's rule).
                if (i + 2 < replacement.Length && char.IsAsciiDigit(replacement[i + 2]))
                {
                    var two = (next - '0') * 10 + (replacement[i + 2] - '0');
                    if (two >= 1 && two <= groupCount)
                    {
                        sb.Append(match.Groups[two].Value);
                        i += 3;
                        continue;
                    }
                }
                var one = next - '0';
                if (one >= 1 && one <= groupCount)
                {
                    sb.Append(match.Groups[one].Value);
                    i += 2;
                    continue;
                }
            }
            sb.Append('$');
            i++;
        }
        return sb.ToString();
    }
}

/// <summary>Message and context property helpers with Node-RED's setMessageProperty/deletion rules.</summary>
internal static class MessageProperties
{
    /// <summary>Reads a property; <see cref="JsUndefined.Value"/> when any step is missing.</summary>
    public static object? Get(JsObject message, PropertyPath path) =>
        path.TryGetValue(message, out var value) ? value : JsUndefined.Value;

    /// <summary>
    /// Node-RED's setMessageProperty(msg, path, undefined): removes the property (an array element is spliced out).
    /// False when a step before the last is missing or not an object, which is when Node-RED reports failure.
    /// </summary>
    public static bool Delete(JsObject message, PropertyPath path)
    {
        var (parentText, lastIndex) = SplitLast(path.Text);
        object? parent = message;
        if (parentText is not null)
        {
            if (!PropertyPath.TryParse(parentText, out var parentPath) || parentPath is null) return path.Delete(message);
            if (!parentPath.TryGetValue(message, out parent)) return false;
        }
        if (parent is not (JsObject or List<object?>)) return false;
        if (parent is List<object?> list && lastIndex is { } index)
        {
            if (index >= 0 && index < list.Count) list.RemoveAt(index);
            return true;
        }
        path.Delete(message);
        return true;
    }

    /// <summary>Sets a property, or deletes it when the value is undefined. False when Node-RED's set would fail.</summary>
    public static bool Set(JsObject message, PropertyPath path, object? value) =>
        JsSemantics.IsUndefined(value) ? Delete(message, path) : path.SetValue(message, value);

    /// <summary>
    /// The text of the path up to its last segment (null when the path has one segment) and, when the last segment
    /// is a numeric index in brackets, that index.
    /// </summary>
    internal static (string? Parent, int? LastIndex) SplitLast(string text)
    {
        if (text.StartsWith("msg.", StringComparison.Ordinal)) text = text[4..];
        var lastStart = 0;
        var lastIsBracket = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '.')
            {
                i++;
                lastStart = i;
                lastIsBracket = false;
                continue;
            }
            if (c == '[')
            {
                lastStart = i;
                lastIsBracket = true;
                var depth = 0;
                char? quote = null;
                while (i < text.Length)
                {
                    var d = text[i];
                    if (quote is { } q)
                    {
                        if (d == '\\') i++;
                        else if (d == q) quote = null;
                    }
                    else if (d is '"' or '\'') quote = d;
                    else if (d == '[') depth++;
                    else if (d == ']' && --depth == 0)
                    {
                        i++;
                        break;
                    }
                    i++;
                }
                continue;
            }
            i++;
        }
        if (lastStart == 0) return (null, null);
        var parent = lastIsBracket ? text[..lastStart] : text[..(lastStart - 1)];
        int? index = null;
        if (lastIsBracket)
        {
            var inner = text[(lastStart + 1)..^1];
            if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) index = n;
        }
        return (parent.Length == 0 ? null : parent, index);
    }

    /// <summary>
    /// Resolves <c>[msg.x]</c> references inside a context key against the message (Node-RED evaluates them before
    /// reading or writing flow/global context).
    /// </summary>
    public static string ResolveContextKey(string key, JsObject message)
    {
        if (!key.Contains("[msg.", StringComparison.Ordinal)) return key;
        var sb = new StringBuilder();
        var i = 0;
        while (i < key.Length)
        {
            var start = key.IndexOf("[msg.", i, StringComparison.Ordinal);
            var end = start < 0 ? -1 : key.IndexOf(']', start);
            if (start < 0 || end < 0)
            {
                sb.Append(key, i, key.Length - i);
                break;
            }
            sb.Append(key, i, start - i);
            var value = PropertyPath.Parse(key[(start + 1)..end]).GetValue(message);
            sb.Append(value is double ? $"[{JsValue.ToJsString(value)}]" : $"[\"{JsValue.ToJsString(value)}\"]");
            i = end + 1;
        }
        return sb.ToString();
    }
}
