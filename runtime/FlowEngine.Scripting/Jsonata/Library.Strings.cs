using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

internal static partial class Library
{
    private static object? String(object?[] a, object? input, Frame environment)
    {
        if (a[0] is Undefined)
        {
            return Undefined.Value;
        }
        return ToJsonataString(a[0], a[1] is true);
    }

    /// <summary>Lengths and positions count Unicode code points, as JSONata does (an emoji is one character).</summary>
    private static object? Length(object?[] a, object? input, Frame environment) =>
        a[0] is string s ? (double)CodePoints(s).Length : Undefined.Value;

    private static int[] CodePoints(string s)
    {
        var starts = new List<int>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            starts.Add(i);
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
        }
        return [.. starts];
    }

    /// <summary>JavaScript's Array.prototype.slice over code points.</summary>
    private static string SliceCodePoints(string s, int[] starts, double begin, double end)
    {
        var count = starts.Length;
        var from = ClampSliceIndex(begin, count);
        var to = ClampSliceIndex(end, count);
        if (to <= from)
        {
            return "";
        }
        var startIndex = starts[from];
        var endIndex = to < count ? starts[to] : s.Length;
        return s[startIndex..endIndex];
    }

    private static int ClampSliceIndex(double value, int count)
    {
        if (double.IsNaN(value))
        {
            return 0;
        }
        var index = Math.Truncate(value);
        if (index < 0)
        {
            return (int)Math.Max(count + index, 0);
        }
        return (int)Math.Min(index, count);
    }

    private static object? Substring(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var starts = CodePoints(s);
        var length = starts.Length;
        var start = (double)a[1]!;
        if (length + start < 0)
        {
            start = 0;
        }
        if (a[2] is double count)
        {
            if (count <= 0)
            {
                return "";
            }
            var end = start >= 0 ? start + count : length + start + count;
            return SliceCodePoints(s, starts, start, end);
        }
        return SliceCodePoints(s, starts, start, length);
    }

    private static object? SubstringBefore(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var chars = (string)a[1]!;
        var index = s.IndexOf(chars, StringComparison.Ordinal);
        return index >= 0 ? s[..index] : s;
    }

    private static object? SubstringAfter(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var chars = (string)a[1]!;
        var index = s.IndexOf(chars, StringComparison.Ordinal);
        return index >= 0 ? s[(index + chars.Length)..] : s;
    }

    private static object? Trim(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        // JSONata's trim: runs of space, tab, CR and LF become one space, then one leading/trailing space goes.
        var builder = new StringBuilder(s.Length);
        var inWhitespace = false;
        foreach (var c in s)
        {
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (!inWhitespace)
                {
                    builder.Append(' ');
                }
                inWhitespace = true;
            }
            else
            {
                builder.Append(c);
                inWhitespace = false;
            }
        }
        var result = builder.ToString();
        if (result.StartsWith(' '))
        {
            result = result[1..];
        }
        if (result.EndsWith(' '))
        {
            result = result[..^1];
        }
        return result;
    }

    private static object? Pad(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var width = (double)a[1]!;
        var padChar = a[2] is string { Length: > 0 } p ? p : " ";
        var padLength = (int)Math.Min(Math.Truncate(Math.Abs(width)) - CodePoints(s).Length, 100_000_000);
        if (padLength <= 0)
        {
            return s;
        }
        var builder = new StringBuilder();
        for (var i = 0; i < padLength; i++)
        {
            builder.Append(padChar);
        }
        var padding = builder.ToString();
        if (padChar.Length > 1)
        {
            padding = SliceCodePoints(padding, CodePoints(padding), 0, padLength);
        }
        return width > 0 ? s + padding : padding + s;
    }

    private static object? Contains(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s || a[1] is Undefined)
        {
            return Undefined.Value;
        }
        return a[1] switch
        {
            string token => Values.Box(s.Contains(token, StringComparison.Ordinal)),
            FunctionValue matcher => Values.Box(RegexSupport.MatchAll(matcher, s, 1, "$contains", environment).Any()),
            _ => throw Errors.Create("T0410", token: "$contains", index: 2),
        };
    }

    private static object? Split(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var limit = int.MaxValue;
        if (a[2] is double limitValue)
        {
            if (limitValue < 0)
            {
                throw Errors.Create("D3020", value: limitValue);
            }
            limit = (int)Math.Min(limitValue, int.MaxValue);
        }
        var result = new List<object?>();
        switch (a[1])
        {
            case string separator:
                if (separator.Length == 0)
                {
                    // JavaScript splits into UTF-16 units here, not code points.
                    for (var i = 0; i < s.Length && result.Count < limit; i++)
                    {
                        result.Add(s[i].ToString());
                    }
                    break;
                }
                var position = 0;
                while (result.Count < limit)
                {
                    var index = s.IndexOf(separator, position, StringComparison.Ordinal);
                    if (index < 0)
                    {
                        result.Add(s[position..]);
                        break;
                    }
                    result.Add(s[position..index]);
                    position = index + separator.Length;
                }
                break;
            case Undefined:
                return Undefined.Value;
            case FunctionValue matcher:
                var start = 0;
                var count = 0;
                foreach (var match in RegexSupport.MatchAll(matcher, s, limit, "$split", environment))
                {
                    result.Add(s[start..Math.Clamp(match.Index, start, s.Length)]);
                    start = Math.Clamp(match.Index + match.Value.Length, start, s.Length);
                    count++;
                }
                if (count < limit)
                {
                    result.Add(s[start..]);
                }
                break;
            default:
                throw Errors.Create("T1010", token: "$split");
        }
        return result;
    }

    private static object? Join(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> strings)
        {
            return Undefined.Value;
        }
        var separator = a[1] as string ?? "";
        var builder = new StringBuilder();
        for (var i = 0; i < strings.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(separator);
            }
            builder.Append((string)strings[i]!);
        }
        return builder.ToString();
    }

    private static object? Match(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var limit = int.MaxValue;
        if (a[2] is double limitValue)
        {
            if (limitValue < 0)
            {
                throw Errors.Create("D3040", value: limitValue);
            }
            limit = (int)Math.Min(limitValue, int.MaxValue);
        }
        if (a[1] is not FunctionValue matcher)
        {
            return Undefined.Value;
        }
        var result = JsonataList.NewSequence();
        if (limit == 0)
        {
            return result;
        }
        foreach (var match in RegexSupport.MatchAll(matcher, s, limit, "$match", environment))
        {
            result.Add(match.ToObject());
        }
        return result;
    }

    private static object? Replace(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        var pattern = a[1];
        var replacement = a[2];
        if (pattern is "")
        {
            throw Errors.Create("D3010", value: pattern);
        }
        var limit = int.MaxValue;
        if (a[3] is double limitValue)
        {
            if (limitValue < 0)
            {
                throw Errors.Create("D3011", value: limitValue);
            }
            limit = (int)Math.Min(limitValue, int.MaxValue);
        }
        if (limit == 0)
        {
            return s;
        }
        var builder = new StringBuilder();
        var position = 0;
        if (pattern is string literal)
        {
            // A string pattern is replaced literally; "$1" style references apply to regular expressions only.
            if (replacement is not string text)
            {
                return Undefined.Value;
            }
            var count = 0;
            var index = s.IndexOf(literal, StringComparison.Ordinal);
            while (index >= 0 && count < limit)
            {
                builder.Append(s, position, index - position).Append(text);
                position = index + literal.Length;
                count++;
                index = s.IndexOf(literal, position, StringComparison.Ordinal);
            }
            builder.Append(s, position, s.Length - position);
            return builder.ToString();
        }
        if (pattern is not FunctionValue matcher)
        {
            return Undefined.Value;
        }
        foreach (var match in RegexSupport.MatchAll(matcher, s, limit, "$replace", environment))
        {
            var index = Math.Clamp(match.Index, position, s.Length);
            builder.Append(s, position, index - position);
            string substitute;
            if (replacement is string template)
            {
                substitute = ExpandReplacement(template, match);
            }
            else if (replacement is FunctionValue replacer)
            {
                var value = Invoker.Apply(replacer, [match.ToObject()], Undefined.Value, environment);
                substitute = value as string ?? throw Errors.Create("D3012", value: value);
            }
            else
            {
                return Undefined.Value;
            }
            builder.Append(substitute);
            position = Math.Clamp(index + match.Value.Length, position, s.Length);
        }
        builder.Append(s, position, s.Length - position);
        return builder.ToString();
    }

    /// <summary>"$0" is the match, "$n" a group (as many digits as the group count allows), "$$" a dollar.</summary>
    private static string ExpandReplacement(string template, MatchResult match)
    {
        var groupCount = match.Groups.Count;
        var builder = new StringBuilder();
        var position = 0;
        var index = template.IndexOf('$', StringComparison.Ordinal);
        while (index >= 0 && position < template.Length)
        {
            builder.Append(template, position, index - position);
            position = index + 1;
            var next = position < template.Length ? template[position] : '\0';
            if (next == '$')
            {
                builder.Append('$');
                position++;
            }
            else if (next == '0')
            {
                builder.Append(match.Value);
                position++;
            }
            else
            {
                var maxDigits = groupCount == 0 ? 1 : (int)Math.Floor(Math.Log10(groupCount)) + 1;
                var group = ParseDigits(template, position, maxDigits);
                if (maxDigits > 1 && group > groupCount)
                {
                    group = ParseDigits(template, position, maxDigits - 1);
                }
                if (group >= 0)
                {
                    if (groupCount > 0 && group >= 1 && group <= groupCount && match.Groups[group - 1] is string submatch)
                    {
                        builder.Append(submatch);
                    }
                    position += group.ToString(CultureInfo.InvariantCulture).Length;
                }
                else
                {
                    builder.Append('$');
                }
            }
            index = template.IndexOf('$', position);
        }
        if (position < template.Length)
        {
            builder.Append(template, position, template.Length - position);
        }
        return builder.ToString();
    }

    /// <summary>parseInt of up to <paramref name="maxDigits"/> characters; -1 when they do not start with a digit.</summary>
    private static int ParseDigits(string text, int start, int maxDigits)
    {
        var value = -1;
        for (var i = start; i < text.Length && i < start + maxDigits && char.IsAsciiDigit(text[i]); i++)
        {
            value = (value < 0 ? 0 : value * 10) + (text[i] - '0');
        }
        return value;
    }

    private static object? Eval(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string text)
        {
            return Undefined.Value;
        }
        var context = input;
        if (a[1] is not Undefined)
        {
            context = a[1];
            if (context is List<object?> list and not JsonataList { IsSequence: true })
            {
                var wrapper = JsonataList.SequenceOf(list);
                wrapper.IsOuterWrapper = true;
                context = wrapper;
            }
        }
        Node node;
        try
        {
            node = Builder.Build(Parser.Parse(text));
        }
        catch (JsonataException ex)
        {
            throw Errors.Create("D3120", value: ex.Message, inner: ex);
        }
        try
        {
            return node.Evaluate(context, environment);
        }
        catch (JsonataException ex) when (ex.Code != "U1001")
        {
            throw Errors.Create("D3121", value: ex.Message, inner: ex);
        }
    }

    private static object? Base64Encode(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        // JSONata (like btoa) treats each character as one byte: Latin-1, not UTF-8.
        var bytes = new byte[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            bytes[i] = unchecked((byte)s[i]);
        }
        return Convert.ToBase64String(bytes);
    }

    private static object? Base64Decode(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string s)
        {
            return Undefined.Value;
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(PadBase64(s));
        }
        catch (FormatException)
        {
            return "";
        }
        return Encoding.Latin1.GetString(bytes);
    }

    /// <summary>Node.js accepts base64 without padding and with whitespace; .NET wants it padded.</summary>
    private static string PadBase64(string s)
    {
        var trimmed = s.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).TrimEnd('=');
        var remainder = trimmed.Length % 4;
        return remainder == 0 ? trimmed : trimmed + new string('=', 4 - remainder);
    }

    private static object? FormatNumber(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double value)
        {
            return Undefined.Value;
        }
        return NumberFormatting.Format(value, (string)a[1]!, a[2] as JsObject);
    }

    private static object? FormatBase(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double value)
        {
            return Undefined.Value;
        }
        var radix = a[1] is double r ? r : 10;
        if (radix < 2 || radix > 36)
        {
            throw Errors.Create("D3100", value: radix);
        }
        var rounded = RoundHalfEven(value, 0);
        return IntegerFormatting.ToRadix(rounded, (int)radix);
    }

    private static object? FormatInteger(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double value)
        {
            return Undefined.Value;
        }
        return IntegerFormatting.Format(value, (string)a[1]!);
    }

    private static object? ParseInteger(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not string text)
        {
            return Undefined.Value;
        }
        var result = IntegerFormatting.Parse(text, (string)a[1]!);
        return result is { } number ? number : Undefined.Value;
    }
}

/// <summary>encodeURI/encodeURIComponent and their decoders, as JavaScript defines them.</summary>
internal static class UrlCoding
{
    private const string ComponentSafe = "-_.!~*'()";
    private const string UriReserved = ";,/?:@&=+$#";

    public static object? Encode(object? value, bool component, string functionName)
    {
        if (value is not string s)
        {
            return Undefined.Value;
        }
        var builder = new StringBuilder(s.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsAsciiLetterOrDigit(c) || ComponentSafe.Contains(c, StringComparison.Ordinal) || (!component && UriReserved.Contains(c, StringComparison.Ordinal)))
            {
                builder.Append(c);
                continue;
            }
            int codePoint;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    throw Errors.Create("D3140", token: functionName, value: s);
                }
                codePoint = char.ConvertToUtf32(c, s[i + 1]);
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                throw Errors.Create("D3140", token: functionName, value: s);
            }
            else
            {
                codePoint = c;
            }
            var length = new Rune(codePoint).EncodeToUtf8(utf8);
            for (var b = 0; b < length; b++)
            {
                builder.Append('%').Append(utf8[b].ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    public static object? Decode(object? value, bool component, string functionName)
    {
        if (value is not string s)
        {
            return Undefined.Value;
        }
        var builder = new StringBuilder(s.Length);
        var bytes = new List<byte>();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '%')
            {
                builder.Append(s[i]);
                continue;
            }
            var start = i;
            bytes.Clear();
            bytes.Add(ReadHexByte(s, i, functionName));
            i += 2;
            var expected = bytes[0] switch
            {
                < 0x80 => 1,
                >= 0xC2 and < 0xE0 => 2,
                >= 0xE0 and < 0xF0 => 3,
                >= 0xF0 and < 0xF5 => 4,
                _ => throw Errors.Create("D3140", token: functionName, value: s),
            };
            for (var k = 1; k < expected; k++)
            {
                if (i + 1 >= s.Length || s[i + 1] != '%')
                {
                    throw Errors.Create("D3140", token: functionName, value: s);
                }
                var next = ReadHexByte(s, i + 1, functionName);
                if ((next & 0xC0) != 0x80)
                {
                    throw Errors.Create("D3140", token: functionName, value: s);
                }
                bytes.Add(next);
                i += 3;
            }
            string decoded;
            try
            {
                decoded = new UTF8Encoding(false, true).GetString(bytes.ToArray());
            }
            catch (DecoderFallbackException)
            {
                throw Errors.Create("D3140", token: functionName, value: s);
            }
            // decodeURI leaves escapes of reserved characters alone, so the URL's structure is kept.
            if (!component && decoded.Length == 1 && UriReserved.Contains(decoded[0], StringComparison.Ordinal))
            {
                builder.Append(s, start, i - start + 1);
            }
            else
            {
                builder.Append(decoded);
            }
        }
        return builder.ToString();
    }

    private static byte ReadHexByte(string s, int percentIndex, string functionName)
    {
        if (percentIndex + 2 >= s.Length ||
            !byte.TryParse(s.AsSpan(percentIndex + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw Errors.Create("D3140", token: functionName, value: s);
        }
        return value;
    }
}
