using System.Globalization;
using System.Text;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>How an integer is written: a decimal digit pattern, letters, roman numerals, words or (dates) names.</summary>
internal enum IntegerStyle
{
    Decimal,
    Alphabetic,
    Roman,
    Words,
    Name,
}

internal enum LetterCase
{
    Lower,
    Upper,
    Title,
}

/// <summary>A parsed primary format token, as in XPath F&amp;O 3.1 §4.6.1 (fn:format-integer) and §9.8.4 (date markers).</summary>
internal sealed record IntegerPicture
{
    public IntegerStyle Style { get; init; }

    public LetterCase Case { get; init; }

    public bool Ordinal { get; init; }

    /// <summary>Mandatory digits of a decimal pattern (the minimum width).</summary>
    public int MandatoryDigits { get; init; }

    /// <summary>All digit positions of a decimal pattern, mandatory and optional (#).</summary>
    public int TotalDigits { get; init; }

    public char ZeroDigit { get; init; } = '0';

    /// <summary>Grouping separators by their position counted in digits from the right.</summary>
    public List<(int Position, char Separator)> Groups { get; init; } = [];

    /// <summary>When separators repeat at a fixed interval, that interval; otherwise 0.</summary>
    public int RegularInterval { get; init; }

    public static IntegerPicture Parse(string token, bool ordinal)
    {
        switch (token)
        {
            case "A":
                return new IntegerPicture { Style = IntegerStyle.Alphabetic, Case = LetterCase.Upper, Ordinal = ordinal };
            case "a":
                return new IntegerPicture { Style = IntegerStyle.Alphabetic, Case = LetterCase.Lower, Ordinal = ordinal };
            case "I":
                return new IntegerPicture { Style = IntegerStyle.Roman, Case = LetterCase.Upper, Ordinal = ordinal };
            case "i":
                return new IntegerPicture { Style = IntegerStyle.Roman, Case = LetterCase.Lower, Ordinal = ordinal };
            case "W":
                return new IntegerPicture { Style = IntegerStyle.Words, Case = LetterCase.Upper, Ordinal = ordinal };
            case "w":
                return new IntegerPicture { Style = IntegerStyle.Words, Case = LetterCase.Lower, Ordinal = ordinal };
            case "Ww":
                return new IntegerPicture { Style = IntegerStyle.Words, Case = LetterCase.Title, Ordinal = ordinal };
            case "N":
                return new IntegerPicture { Style = IntegerStyle.Name, Case = LetterCase.Upper };
            case "n":
                return new IntegerPicture { Style = IntegerStyle.Name, Case = LetterCase.Lower };
            case "Nn":
                return new IntegerPicture { Style = IntegerStyle.Name, Case = LetterCase.Title };
        }
        return ParseDecimal(token, ordinal);
    }

    private static IntegerPicture ParseDecimal(string token, bool ordinal)
    {
        char? zero = null;
        var mandatory = 0;
        var total = 0;
        var separators = new List<(int Index, char Separator)>();
        foreach (var c in token)
        {
            if (c == '#')
            {
                total++;
            }
            else if (char.IsDigit(c))
            {
                var family = (char)(c - (int)char.GetNumericValue(c));
                if (zero is not null && zero != family)
                {
                    throw Errors.Create("D3131");
                }
                zero = family;
                mandatory++;
                total++;
            }
            else if (char.IsLetter(c))
            {
                throw Errors.Create("D3130", value: token);
            }
            else
            {
                separators.Add((total, c));
            }
        }
        if (mandatory == 0)
        {
            throw Errors.Create("D3130", value: token);
        }
        var groups = new List<(int, char)>();
        foreach (var (index, separator) in separators)
        {
            groups.Add((total - index, separator));
        }
        return new IntegerPicture
        {
            Style = IntegerStyle.Decimal,
            Ordinal = ordinal,
            MandatoryDigits = mandatory,
            TotalDigits = total,
            ZeroDigit = zero ?? '0',
            Groups = groups,
            RegularInterval = Regular(groups),
        };
    }

    private static int Regular(List<(int Position, char Separator)> groups)
    {
        if (groups.Count == 0)
        {
            return 0;
        }
        var interval = groups.Min(g => g.Position);
        if (interval <= 0)
        {
            return 0;
        }
        var separator = groups[0].Separator;
        foreach (var (position, sep) in groups)
        {
            if (position % interval != 0 || sep != separator)
            {
                return 0;
            }
        }
        var max = groups.Max(g => g.Position);
        for (var multiple = interval; multiple <= max; multiple += interval)
        {
            if (!groups.Exists(g => g.Position == multiple))
            {
                return 0;
            }
        }
        return interval;
    }
}

internal static class IntegerFormatting
{
    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static readonly string[] Magnitudes = ["thousand", "million", "billion", "trillion"];

    /// <summary>$formatInteger(number, picture): picture is a primary token, optionally followed by ";o" for ordinals.</summary>
    public static string Format(double value, string picture)
    {
        var (token, ordinal) = SplitModifier(picture);
        var parsed = IntegerPicture.Parse(token, ordinal);
        if (parsed.Style == IntegerStyle.Name)
        {
            throw Errors.Create("D3130", value: token);
        }
        if (parsed.Style == IntegerStyle.Words)
        {
            var words = ApplyCase(ToWords(Math.Abs(value), parsed.Ordinal), parsed.Case);
            return value < 0 ? "minus " + words : words;
        }
        return Format((long)Math.Floor(value), parsed);
    }

    private static (string Token, bool Ordinal) SplitModifier(string picture)
    {
        var semicolon = picture.LastIndexOf(';');
        if (semicolon < 0)
        {
            return (picture, false);
        }
        var modifier = picture[(semicolon + 1)..];
        return (picture[..semicolon], modifier.StartsWith('o'));
    }

    public static string Format(long value, IntegerPicture picture)
    {
        var negative = value < 0;
        var magnitude = negative ? -value : value;
        string text = picture.Style switch
        {
            IntegerStyle.Alphabetic => ToLetters(magnitude, picture.Case == LetterCase.Upper ? 'A' : 'a'),
            IntegerStyle.Roman => picture.Case == LetterCase.Upper ? ToRoman(magnitude) : ToRoman(magnitude).ToLowerInvariant(),
            IntegerStyle.Words => ApplyCase(ToWords(magnitude, picture.Ordinal), picture.Case),
            _ => FormatDecimal(magnitude, picture),
        };
        return negative ? "-" + text : text;
    }

    private static string FormatDecimal(long value, IntegerPicture picture)
    {
        var digits = value.ToString(CultureInfo.InvariantCulture);
        if (digits.Length < picture.MandatoryDigits)
        {
            digits = new string('0', picture.MandatoryDigits - digits.Length) + digits;
        }
        var builder = new StringBuilder();
        for (var i = 0; i < digits.Length; i++)
        {
            var fromRight = digits.Length - i;
            if (i > 0)
            {
                if (picture.RegularInterval > 0)
                {
                    if (fromRight % picture.RegularInterval == 0)
                    {
                        builder.Append(picture.Groups[0].Separator);
                    }
                }
                else
                {
                    foreach (var (position, separator) in picture.Groups)
                    {
                        if (position == fromRight)
                        {
                            builder.Append(separator);
                        }
                    }
                }
            }
            builder.Append((char)(picture.ZeroDigit + (digits[i] - '0')));
        }
        if (picture.Ordinal)
        {
            builder.Append(OrdinalSuffix(value));
        }
        return builder.ToString();
    }

    public static string OrdinalSuffix(long value)
    {
        var lastTwo = value % 100;
        if (lastTwo is >= 11 and <= 13)
        {
            return "th";
        }
        return (value % 10) switch
        {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        };
    }

    public static string ApplyCase(string text, LetterCase letterCase) => letterCase switch
    {
        LetterCase.Upper => text.ToUpperInvariant(),
        LetterCase.Title => TitleCase(text),
        _ => text,
    };

    private static string TitleCase(string text)
    {
        var builder = new StringBuilder(text.Length);
        var startOfWord = true;
        foreach (var c in text)
        {
            builder.Append(startOfWord ? char.ToUpperInvariant(c) : c);
            startOfWord = c is ' ' or '-';
        }
        // "and" stays lower case in title-cased numbers ("Two Thousand, Seven Hundred and Eighty-Nine").
        return builder.ToString().Replace(" And ", " and ", StringComparison.Ordinal);
    }

    public static string ToLetters(long value, char first)
    {
        if (value <= 0)
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }
        var builder = new StringBuilder();
        while (value > 0)
        {
            value--;
            builder.Insert(0, (char)(first + (int)(value % 26)));
            value /= 26;
        }
        return builder.ToString();
    }

    public static string ToRoman(long value)
    {
        if (value <= 0)
        {
            // Roman numerals have no zero; JSONata writes nothing.
            return "";
        }
        (int Value, string Letters)[] numerals =
        [
            (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
        ];
        var builder = new StringBuilder();
        foreach (var (number, letters) in numerals)
        {
            while (value >= number)
            {
                builder.Append(letters);
                value -= number;
            }
        }
        return builder.ToString();
    }

    /// <summary>British English words, as JSONata writes them: "two thousand, seven hundred and eighty-nine".</summary>
    public static string ToWords(double value, bool ordinal)
    {
        var words = Words(Math.Floor(value), false);
        return ordinal ? MakeOrdinal(words) : words;
    }

    /// <summary>Beyond trillions the magnitudes repeat: 1e46 is "ten billion trillion trillion trillion".</summary>
    private static string Words(double value, bool afterLarger)
    {
        if (value <= 19)
        {
            return (afterLarger ? " and " : "") + Ones[(int)value];
        }
        if (value < 100)
        {
            var tens = Tens[(int)(value / 10) - 2];
            var remainder = value % 10;
            return (afterLarger ? " and " : "") + tens + (remainder > 0 ? "-" + Words(remainder, false) : "");
        }
        if (value < 1000)
        {
            var hundreds = Ones[(int)(value / 100)] + " hundred";
            var remainder = value % 100;
            return (afterLarger ? ", " : "") + hundreds + (remainder > 0 ? Words(remainder, true) : "");
        }
        var magnitudeIndex = 0;
        var factor = 1d;
        while (value / factor >= 1000 && magnitudeIndex < Magnitudes.Length)
        {
            factor *= 1000;
            magnitudeIndex++;
        }
        var leading = Math.Floor(value / factor);
        var rest = value - leading * factor;
        var text = (afterLarger ? ", " : "") + Words(leading, false) + " " + Magnitudes[magnitudeIndex - 1];
        if (rest > 0)
        {
            text += Words(rest, true);
        }
        return text;
    }

    private static string MakeOrdinal(string words)
    {
        var cut = Math.Max(words.LastIndexOf(' '), words.LastIndexOf('-')) + 1;
        var head = words[..cut];
        var last = words[cut..];
        var ordinal = last switch
        {
            "one" => "first",
            "two" => "second",
            "three" => "third",
            "five" => "fifth",
            "eight" => "eighth",
            "nine" => "ninth",
            "twelve" => "twelfth",
            _ when last.EndsWith('y') => last[..^1] + "ieth",
            _ => last + "th",
        };
        return head + ordinal;
    }

    /// <summary>JavaScript's Number.prototype.toString(radix) for integers.</summary>
    public static string ToRadix(double value, int radix)
    {
        if (radix == 10)
        {
            return JsonataJson.JavaScriptNumber(value);
        }
        var negative = value < 0;
        var magnitude = Math.Abs(value);
        if (magnitude == 0)
        {
            return "0";
        }
        var builder = new StringBuilder();
        while (magnitude >= 1)
        {
            var digit = (int)(magnitude % radix);
            builder.Insert(0, (char)(digit < 10 ? '0' + digit : 'a' + digit - 10));
            magnitude = Math.Floor(magnitude / radix);
        }
        return negative ? "-" + builder : builder.ToString();
    }

    /// <summary>$parseInteger: the inverse of <see cref="Format(double, string)"/>; null when the text does not fit the picture.</summary>
    public static double? Parse(string text, string picture)
    {
        var (token, ordinal) = SplitModifier(picture);
        var parsed = IntegerPicture.Parse(token, ordinal);
        return Parse(text, parsed);
    }

    public static double? Parse(string text, IntegerPicture picture)
    {
        switch (picture.Style)
        {
            case IntegerStyle.Alphabetic:
                return FromLetters(text);
            case IntegerStyle.Roman:
                return FromRoman(text);
            case IntegerStyle.Words:
                return FromWords(text);
            case IntegerStyle.Decimal:
                var digits = new StringBuilder();
                var negative = text.StartsWith('-');
                foreach (var c in negative ? text[1..] : text)
                {
                    if (char.IsDigit(c))
                    {
                        digits.Append((char)('0' + (int)char.GetNumericValue(c)));
                    }
                    else if (char.IsLetter(c) && picture.Ordinal)
                    {
                        continue;
                    }
                    else if (!picture.Groups.Exists(g => g.Separator == c))
                    {
                        return null;
                    }
                }
                if (digits.Length == 0 || !double.TryParse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    return null;
                }
                return negative ? -number : number;
            default:
                return null;
        }
    }

    private static double? FromLetters(string text)
    {
        double value = 0;
        foreach (var c in text)
        {
            var lower = char.ToLowerInvariant(c);
            if (lower is < 'a' or > 'z')
            {
                return null;
            }
            value = value * 26 + (lower - 'a' + 1);
        }
        return text.Length == 0 ? null : value;
    }

    private static double? FromRoman(string text)
    {
        static int Letter(char c) => char.ToUpperInvariant(c) switch
        {
            'I' => 1,
            'V' => 5,
            'X' => 10,
            'L' => 50,
            'C' => 100,
            'D' => 500,
            'M' => 1000,
            _ => 0,
        };
        double total = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var value = Letter(text[i]);
            if (value == 0)
            {
                return null;
            }
            var next = i + 1 < text.Length ? Letter(text[i + 1]) : 0;
            total += next > value ? -value : value;
        }
        return total;
    }

    private static double? FromWords(string text)
    {
        var tokens = text.ToLowerInvariant().Split([' ', ',', '-'], StringSplitOptions.RemoveEmptyEntries);
        double total = 0;
        double current = 0;
        double lastMagnitude = 0;
        var any = false;
        foreach (var raw in tokens)
        {
            if (raw == "and")
            {
                continue;
            }
            var word = FromOrdinalWord(raw);
            var one = Array.IndexOf(Ones, word);
            var ten = Array.IndexOf(Tens, word);
            var magnitudeIndex = Array.IndexOf(Magnitudes, word);
            if (one >= 0)
            {
                current += one;
            }
            else if (ten >= 0)
            {
                current += (ten + 2) * 10;
            }
            else if (word == "hundred")
            {
                current *= 100;
            }
            else if (magnitudeIndex >= 0)
            {
                var magnitude = Math.Pow(1000, magnitudeIndex + 1);
                if (magnitude >= lastMagnitude && lastMagnitude > 0 || total == 0)
                {
                    // "one thousand trillion": a larger (or repeated) magnitude scales everything before it.
                    total = (total + current) * magnitude;
                }
                else
                {
                    total += current * magnitude;
                }
                lastMagnitude = magnitude;
                current = 0;
            }
            else
            {
                return null;
            }
            any = true;
        }
        return any ? total + current : null;
    }

    private static string FromOrdinalWord(string word) => word switch
    {
        "first" => "one",
        "second" => "two",
        "third" => "three",
        "fifth" => "five",
        "eighth" => "eight",
        "ninth" => "nine",
        "twelfth" => "twelve",
        _ when word.EndsWith("ieth", StringComparison.Ordinal) => word[..^4] + "y",
        _ when word.EndsWith("th", StringComparison.Ordinal) && word.Length > 4 => word[..^2],
        _ => word,
    };
}
