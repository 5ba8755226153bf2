using System.Globalization;
using System.Text;

namespace FlowEngine.Core.Values;

/// <summary>
/// The message value model and JavaScript semantics over it.
/// A value is one of: null, <see cref="bool"/>, <see cref="double"/> (every number, as in JavaScript),
/// <see cref="string"/>, <see cref="byte"/>[] (a Node.js Buffer), <see cref="DateTime"/> (UTC, a JavaScript Date),
/// <see cref="List{T}"/> of values (an array), <see cref="JsObject"/>, or an opaque host object
/// (for example an HTTP request) that is passed by reference and never cloned.
/// </summary>
public static class JsValue
{
    /// <summary>Deep copy as Node-RED's RED.util.cloneMessage does: containers and buffers are copied, the rest shared.</summary>
    public static object? DeepClone(object? value) => value switch
    {
        null => null,
        JsObject obj => CloneObject(obj),
        List<object?> list => CloneList(list),
        byte[] bytes => (byte[])bytes.Clone(),
        _ => value,
    };

    private static JsObject CloneObject(JsObject source)
    {
        var copy = new JsObject(source.Count);
        foreach (var (key, item) in source)
        {
            copy.Add(key, DeepClone(item));
        }
        return copy;
    }

    private static List<object?> CloneList(List<object?> source)
    {
        var copy = new List<object?>(source.Count);
        foreach (var item in source)
        {
            copy.Add(DeepClone(item));
        }
        return copy;
    }

    /// <summary>Normalises any CLR value to the value model (ints to double, arrays to lists, dictionaries to JsObject).</summary>
    public static object? Normalize(object? value) => value switch
    {
        null => null,
        double or string or bool or byte[] or JsObject or List<object?> => value,
        int i => (double)i,
        long l => (double)l,
        float f => (double)f,
        decimal m => (double)m,
        short s => (double)s,
        ushort us => (double)us,
        uint ui => (double)ui,
        ulong ul => (double)ul,
        byte b => (double)b,
        sbyte sb => (double)sb,
        DateTime dt => dt.Kind == DateTimeKind.Utc ? dt : dt.ToUniversalTime(),
        DateTimeOffset dto => dto.UtcDateTime,
        IDictionary<string, object?> dict => NormalizeDictionary(dict),
        System.Collections.IEnumerable e and not string => NormalizeList(e),
        _ => value,
    };

    private static JsObject NormalizeDictionary(IDictionary<string, object?> dict)
    {
        var obj = new JsObject(dict.Count);
        foreach (var (key, item) in dict)
        {
            obj[key] = Normalize(item);
        }
        return obj;
    }

    private static List<object?> NormalizeList(System.Collections.IEnumerable items)
    {
        var list = new List<object?>();
        foreach (var item in items)
        {
            list.Add(Normalize(item));
        }
        return list;
    }

    /// <summary>JavaScript's typeof, with "array" and "buffer" distinguished as Node-RED's switch istype does.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "null",
        string => "string",
        double => "number",
        bool => "boolean",
        byte[] => "buffer",
        List<object?> => "array",
        DateTime => "date",
        _ => "object",
    };

    public static bool IsNumber(object? value) => value is double;

    /// <summary>JavaScript truthiness.</summary>
    public static bool IsTruthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        _ => true,
    };

    /// <summary>JavaScript's Number(value).</summary>
    public static double ToNumber(object? value) => value switch
    {
        null => 0,
        double d => d,
        bool b => b ? 1 : 0,
        string s => StringToNumber(s),
        DateTime dt => ToEpochMilliseconds(dt),
        List<object?> { Count: 0 } => 0,
        List<object?> { Count: 1 } list => ToNumber(list[0] is List<object?> ? double.NaN : list[0]),
        _ => double.NaN,
    };

    public static double StringToNumber(string text)
    {
        var s = text.Trim();
        if (s.Length == 0)
        {
            return 0;
        }
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex) ? hex : double.NaN;
        }
        if (s.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
        {
            try { return Convert.ToInt64(s[2..], 2); } catch (FormatException) { return double.NaN; }
        }
        if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            try { return Convert.ToInt64(s[2..], 8); } catch (FormatException) { return double.NaN; }
        }
        switch (s)
        {
            case "Infinity" or "+Infinity": return double.PositiveInfinity;
            case "-Infinity": return double.NegativeInfinity;
        }
        foreach (var c in s)
        {
            // double.Parse accepts things JavaScript does not ("1,000", "∞", "NaN"); keep to JS's numeric literal alphabet.
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            {
                return double.NaN;
            }
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
    }

    public static double ToEpochMilliseconds(DateTime dt) =>
        (dt.ToUniversalTime() - DateTime.UnixEpoch).TotalMilliseconds;

    public static DateTime FromEpochMilliseconds(double ms) => DateTime.UnixEpoch.AddMilliseconds(ms);

    /// <summary>JavaScript's String(value).</summary>
    public static string ToJsString(object? value) => value switch
    {
        null => "null",
        string s => s,
        double d => FormatNumber(d),
        bool b => b ? "true" : "false",
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        List<object?> list => string.Join(",", list.Select(item => item is null ? "" : ToJsString(item))),
        JsObject => "[object Object]",
        DateTime dt => dt.ToUniversalTime().ToString("ddd MMM dd yyyy HH:mm:ss 'GMT+0000 (Coordinated Universal Time)'", CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Formats a number as JavaScript's Number.prototype.toString does.</summary>
    public static string FormatNumber(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        if (d == 0) return "0";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e21)
        {
            if (Math.Abs(d) < 1e15) return d.ToString("0", CultureInfo.InvariantCulture);
            // Above 15 digits "0" rounds; JavaScript prints the shortest round-trip digits padded with zeros.
            var shortest = d.ToString("E16", CultureInfo.InvariantCulture);
            var roundTrip = d.ToString("R", CultureInfo.InvariantCulture);
            var digitsPart = roundTrip.Contains('E', StringComparison.Ordinal) ? roundTrip[..roundTrip.IndexOf('E', StringComparison.Ordinal)] : roundTrip;
            var negative = digitsPart.StartsWith('-');
            var digits = digitsPart.TrimStart('-').Replace(".", "", StringComparison.Ordinal);
            var power = int.Parse(shortest[(shortest.IndexOf('E', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
            var integer = digits.Length > power + 1 ? digits[..(power + 1)] : digits.PadRight(power + 1, '0');
            return negative ? "-" + integer : integer;
        }
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var exponentIndex = r.IndexOf('E');
        if (exponentIndex < 0)
        {
            return r;
        }
        // .NET writes 1E+21 and 1E-07; JavaScript writes 1e+21 and 1e-7, and positional notation down to 1e-6.
        var mantissa = r[..exponentIndex];
        var exponent = int.Parse(r[(exponentIndex + 1)..], CultureInfo.InvariantCulture);
        if (exponent >= -6 && exponent < 21)
        {
            return d.ToString("0.####################", CultureInfo.InvariantCulture);
        }
        return mantissa + "e" + (exponent >= 0 ? "+" : "-") + Math.Abs(exponent).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Deep structural equality (Node-RED's RED.util.compareObjects for plain data).</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        switch (a)
        {
            case null: return b is null;
            case double da: return b is double db && (da == db || (double.IsNaN(da) && double.IsNaN(db)));
            case string sa: return b is string sb && sa == sb;
            case bool ba: return b is bool bb && ba == bb;
            case DateTime ta: return b is DateTime tb && ta == tb;
            case byte[] bytesA: return b is byte[] bytesB && bytesA.AsSpan().SequenceEqual(bytesB);
            case List<object?> la:
                if (b is not List<object?> lb || la.Count != lb.Count) return false;
                for (var i = 0; i < la.Count; i++)
                {
                    if (!DeepEquals(la[i], lb[i])) return false;
                }
                return true;
            case JsObject oa:
                if (b is not JsObject ob || oa.Count != ob.Count) return false;
                foreach (var (key, item) in oa)
                {
                    if (!ob.TryGetValue(key, out var other) || !DeepEquals(item, other)) return false;
                }
                return true;
            default:
                return Equals(a, b);
        }
    }

    /// <summary>JavaScript's loose equality (==), used by Node-RED's switch "==" rule.</summary>
    public static bool LooseEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.GetType() == b.GetType()) return a is JsObject or List<object?> or byte[] ? ReferenceEquals(a, b) || (a is byte[] && DeepEquals(a, b)) : DeepEquals(a, b);
        if (a is double && b is string or bool) return ToNumber(a) == ToNumber(b);
        if (a is string or bool && b is double) return ToNumber(a) == ToNumber(b);
        if (a is bool || b is bool) return ToNumber(a) == ToNumber(b);
        if (a is string sa && b is List<object?> or JsObject or DateTime) return sa == ToJsString(b);
        if (b is string sb && a is List<object?> or JsObject or DateTime) return sb == ToJsString(a);
        if (a is double da && b is List<object?>) return da == ToNumber(b);
        if (b is double db && a is List<object?>) return db == ToNumber(a);
        return false;
    }

    /// <summary>JavaScript's relational comparison (a &lt; b) for the switch node's lt/gt rules.</summary>
    public static int? Compare(object? a, object? b)
    {
        if (a is string sa && b is string sb)
        {
            return string.CompareOrdinal(sa, sb) switch { < 0 => -1, 0 => 0, _ => 1 };
        }
        var na = ToNumber(a);
        var nb = ToNumber(b);
        if (double.IsNaN(na) || double.IsNaN(nb)) return null;
        return na.CompareTo(nb);
    }
}
