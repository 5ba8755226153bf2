using System.Globalization;
using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

internal static partial class Library
{
    private static object? Number(object?[] a, object? input, Frame environment)
    {
        switch (a[0])
        {
            case Undefined:
                return Undefined.Value;
            case double d:
                return d;
            case bool b:
                return b ? 1d : 0d;
            case string s when IsDecimalNumber(s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed):
                return parsed;
            case string s when TryParsePrefixed(s, out var prefixed):
                return prefixed;
            default:
                throw Errors.Create("D3030", value: a[0], index: 1);
        }
    }

    /// <summary>-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)? exactly: JSON's number syntax, allowing leading zeros.</summary>
    private static bool IsDecimalNumber(string s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }
        var digits = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }
        if (i == digits)
        {
            return false;
        }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var fraction = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == fraction)
            {
                return false;
            }
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }
            var exponent = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == exponent)
            {
                return false;
            }
        }
        return i == s.Length;
    }

    /// <summary>0x1F, 0o17 and 0b101 literals, which $number accepts as JavaScript's Number() does.</summary>
    private static bool TryParsePrefixed(string s, out double value)
    {
        value = 0;
        if (s.Length < 3 || s[0] != '0')
        {
            return false;
        }
        var radix = char.ToLowerInvariant(s[1]) switch { 'x' => 16, 'o' => 8, 'b' => 2, _ => 0 };
        if (radix == 0)
        {
            return false;
        }
        foreach (var c in s.AsSpan(2))
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= radix)
            {
                return false;
            }
            value = value * radix + digit;
        }
        return true;
    }

    private static object? Round(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double value)
        {
            return Undefined.Value;
        }
        var precision = a[1] is double p ? (int)Math.Truncate(p) : 0;
        return RoundHalfEven(value, precision);
    }

    /// <summary>
    /// JSONata's $round: half to even, at a decimal precision. The decimal point is moved in the number's decimal
    /// text rather than by multiplying, so that 0.125 rounds from its written digits, not its binary approximation.
    /// </summary>
    public static double RoundHalfEven(double value, int precision)
    {
        var shifted = precision == 0 ? value : ShiftDecimal(value, precision);
        var result = Math.Floor(shifted);
        if (shifted - result >= 0.5)
        {
            result += 1;
        }
        if (Math.Abs(result - shifted) == 0.5 && Math.Abs(result % 2) == 1)
        {
            result -= 1;
        }
        if (precision != 0)
        {
            result = ShiftDecimal(result, -precision);
        }
        return result == 0 ? 0 : result;
    }

    private static double ShiftDecimal(double value, int places)
    {
        var text = JsonataJson.JavaScriptNumber(value);
        var exponentIndex = text.IndexOf('e', StringComparison.Ordinal);
        var mantissa = exponentIndex < 0 ? text : text[..exponentIndex];
        var exponent = exponentIndex < 0 ? 0 : int.Parse(text[(exponentIndex + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return double.Parse(mantissa + "e" + (exponent + places).ToString(CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static object? Power(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double value)
        {
            return Undefined.Value;
        }
        var exponent = (double)a[1]!;
        var result = Math.Pow(value, exponent);
        if (!double.IsFinite(result))
        {
            throw Errors.Create("D3061", value: value, value2: exponent);
        }
        return result;
    }

    private static object? Sqrt(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not double value)
        {
            return Undefined.Value;
        }
        if (value < 0)
        {
            throw Errors.Create("D3060", value: value);
        }
        return Math.Sqrt(value);
    }

    private static object? Sum(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> numbers)
        {
            return Undefined.Value;
        }
        var total = 0d;
        foreach (var n in numbers)
        {
            total += (double)n!;
        }
        return total;
    }

    private static object? Extreme(object? argument, bool max)
    {
        if (argument is not List<object?> { Count: > 0 } numbers)
        {
            return Undefined.Value;
        }
        var result = (double)numbers[0]!;
        for (var i = 1; i < numbers.Count; i++)
        {
            var n = (double)numbers[i]!;
            result = max ? Math.Max(result, n) : Math.Min(result, n);
        }
        return result;
    }

    private static object? Average(object?[] a, object? input, Frame environment)
    {
        if (a[0] is not List<object?> { Count: > 0 } numbers)
        {
            return Undefined.Value;
        }
        var total = 0d;
        foreach (var n in numbers)
        {
            total += (double)n!;
        }
        return total / numbers.Count;
    }
}
