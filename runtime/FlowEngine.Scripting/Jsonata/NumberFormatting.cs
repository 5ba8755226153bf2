using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// $formatNumber: the picture-string number formatting of XPath F&amp;O 3.1 §4.7 (fn:format-number),
/// with JSONata's options object for the decimal-format properties.
/// </summary>
internal static class NumberFormatting
{
    public static string Format(double value, string picture, JsObject? options)
    {
        var format = new DecimalFormat(options);
        var subPictures = SplitSubPictures(picture, format.PatternSeparator);
        if (subPictures.Count > 2)
        {
            throw Errors.Create("D3080");
        }
        var positive = Analyse(subPictures[0], format);
        var negative = subPictures.Count > 1 ? Analyse(subPictures[1], format) : null;

        if (double.IsNaN(value))
        {
            return format.NaN;
        }
        var isNegative = value < 0;
        var pictureToUse = isNegative && negative is not null ? negative : positive;
        var absolute = Math.Abs(value);
        if (pictureToUse.IsPercent)
        {
            absolute *= 100;
        }
        else if (pictureToUse.IsPerMille)
        {
            absolute *= 1000;
        }
        var minusPrefix = isNegative && negative is null ? format.MinusSign : "";
        if (double.IsInfinity(absolute))
        {
            return minusPrefix + pictureToUse.Prefix + format.Infinity + pictureToUse.Suffix;
        }

        var exponent = 0;
        var mantissa = absolute;
        if (pictureToUse.HasExponent && absolute != 0)
        {
            exponent = (int)Math.Floor(Math.Log10(absolute)) + 1 - pictureToUse.ScalingFactor;
            mantissa = absolute / Math.Pow(10, exponent);
        }
        var digits = RoundToText(mantissa, pictureToUse.MaximumFractionalDigits);
        if (pictureToUse.HasExponent && absolute != 0)
        {
            // Rounding can carry into a new integer digit (9.99 → 10.0); rescale once more.
            var integerDigits = digits.IndexOf('.') is var dot && dot >= 0 ? dot : digits.Length;
            var expected = Math.Max(pictureToUse.ScalingFactor, 1);
            if (integerDigits > expected && digits.TrimStart('0').Length > 0)
            {
                exponent++;
                digits = RoundToText(absolute / Math.Pow(10, exponent), pictureToUse.MaximumFractionalDigits);
            }
        }

        var point = digits.IndexOf('.');
        var integerPart = point >= 0 ? digits[..point] : digits;
        var fractionalPart = point >= 0 ? digits[(point + 1)..] : "";
        integerPart = integerPart.TrimStart('0');
        if (integerPart.Length < pictureToUse.MinimumIntegerDigits)
        {
            integerPart = new string('0', pictureToUse.MinimumIntegerDigits - integerPart.Length) + integerPart;
        }
        var trimmedLength = fractionalPart.Length;
        while (trimmedLength > pictureToUse.MinimumFractionalDigits && fractionalPart[trimmedLength - 1] == '0')
        {
            trimmedLength--;
        }
        fractionalPart = fractionalPart[..trimmedLength];

        var builder = new StringBuilder();
        builder.Append(minusPrefix).Append(pictureToUse.Prefix);
        builder.Append(GroupInteger(MapDigits(integerPart, format.ZeroDigit), pictureToUse, format.GroupingSeparator));
        if (fractionalPart.Length > 0)
        {
            builder.Append(format.DecimalSeparator);
            builder.Append(GroupFraction(MapDigits(fractionalPart, format.ZeroDigit), pictureToUse, format.GroupingSeparator));
        }
        if (pictureToUse.HasExponent)
        {
            var exponentDigits = Math.Abs(exponent).ToString(CultureInfo.InvariantCulture);
            if (exponentDigits.Length < pictureToUse.MinimumExponentDigits)
            {
                exponentDigits = new string('0', pictureToUse.MinimumExponentDigits - exponentDigits.Length) + exponentDigits;
            }
            builder.Append(format.ExponentSeparator);
            if (exponent < 0)
            {
                builder.Append(format.MinusSign);
            }
            builder.Append(MapDigits(exponentDigits, format.ZeroDigit));
        }
        builder.Append(pictureToUse.Suffix);
        return builder.ToString();
    }

    /// <summary>
    /// Rounds half to even at the given number of decimals and prints the digits. Decimal arithmetic keeps
    /// the value's shortest decimal form, so 34.555 rounds to 34.56 as written rather than as its binary approximation.
    /// </summary>
    private static string RoundToText(double value, int decimals)
    {
        decimals = Math.Min(decimals, 28);
        if (value < 7.9e27)
        {
            var exact = decimal.Parse(JsonataJson.JavaScriptNumber(value), NumberStyles.Float, CultureInfo.InvariantCulture);
            var rounded = Math.Round(exact, decimals, MidpointRounding.ToEven);
            return rounded.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static string MapDigits(string digits, char zeroDigit)
    {
        if (zeroDigit == '0')
        {
            return digits;
        }
        var builder = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            builder.Append(char.IsAsciiDigit(c) ? (char)(zeroDigit + (c - '0')) : c);
        }
        return builder.ToString();
    }

    private static string GroupInteger(string digits, SubPicture picture, string separator)
    {
        if (picture.IntegerGroupPositions.Count == 0)
        {
            return digits;
        }
        var builder = new StringBuilder();
        for (var i = 0; i < digits.Length; i++)
        {
            var fromRight = digits.Length - i;
            if (i > 0 && IsIntegerGroupPosition(fromRight, picture))
            {
                builder.Append(separator);
            }
            builder.Append(digits[i]);
        }
        return builder.ToString();
    }

    private static bool IsIntegerGroupPosition(int fromRight, SubPicture picture)
    {
        if (picture.RegularGrouping > 0)
        {
            return fromRight % picture.RegularGrouping == 0;
        }
        return picture.IntegerGroupPositions.Contains(fromRight);
    }

    private static string GroupFraction(string digits, SubPicture picture, string separator)
    {
        if (picture.FractionalGroupPositions.Count == 0)
        {
            return digits;
        }
        var builder = new StringBuilder();
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0 && picture.FractionalGroupPositions.Contains(i))
            {
                builder.Append(separator);
            }
            builder.Append(digits[i]);
        }
        return builder.ToString();
    }

    private static List<string> SplitSubPictures(string picture, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < picture.Length; i++)
        {
            if (picture[i] == separator)
            {
                parts.Add(picture[start..i]);
                start = i + 1;
            }
        }
        parts.Add(picture[start..]);
        return parts;
    }

    private static SubPicture Analyse(string picture, DecimalFormat format)
    {
        bool IsDigit(char c) => c >= format.ZeroDigit && c <= format.ZeroDigit + 9;
        bool IsMantissaChar(char c) => IsDigit(c) || c == format.Digit || format.DecimalSeparator.Contains(c, StringComparison.Ordinal) ||
                                       format.GroupingSeparator.Contains(c, StringComparison.Ordinal);

        var first = -1;
        var last = -1;
        for (var i = 0; i < picture.Length; i++)
        {
            if (IsMantissaChar(picture[i]))
            {
                if (first < 0)
                {
                    first = i;
                }
                last = i;
            }
        }
        if (first < 0)
        {
            // Nothing but passive characters ("%%", "---"): there is no number part to put between them.
            throw Errors.Create("D3086");
        }
        var prefix = picture[..first];
        var suffix = picture[(last + 1)..];
        var middle = picture[first..(last + 1)];

        var mantissa = middle;
        var exponentPart = "";
        var exponentIndex = middle.IndexOf(format.ExponentSeparator, StringComparison.Ordinal);
        if (exponentIndex > 0 && exponentIndex + format.ExponentSeparator.Length < middle.Length)
        {
            var after = middle[(exponentIndex + format.ExponentSeparator.Length)..];
            var allDigits = true;
            foreach (var c in after)
            {
                allDigits &= IsDigit(c);
            }
            if (!allDigits)
            {
                throw Errors.Create("D3093");
            }
            mantissa = middle[..exponentIndex];
            exponentPart = after;
        }
        foreach (var c in mantissa)
        {
            if (!IsMantissaChar(c))
            {
                throw Errors.Create("D3086");
            }
        }

        var passive = prefix + suffix;
        var percentCount = CountOccurrences(passive, format.Percent);
        var perMilleCount = CountOccurrences(passive, format.PerMille);
        if (percentCount > 1)
        {
            throw Errors.Create("D3082");
        }
        if (perMilleCount > 1)
        {
            throw Errors.Create("D3083");
        }
        if (percentCount > 0 && perMilleCount > 0)
        {
            throw Errors.Create("D3084");
        }
        if ((percentCount > 0 || perMilleCount > 0) && exponentPart.Length > 0)
        {
            throw Errors.Create("D3092");
        }

        var decimalIndex = mantissa.IndexOf(format.DecimalSeparator, StringComparison.Ordinal);
        if (decimalIndex >= 0 && mantissa.IndexOf(format.DecimalSeparator, decimalIndex + 1, StringComparison.Ordinal) >= 0)
        {
            throw Errors.Create("D3081");
        }
        var integerPart = decimalIndex >= 0 ? mantissa[..decimalIndex] : mantissa;
        var fractionalPart = decimalIndex >= 0 ? mantissa[(decimalIndex + format.DecimalSeparator.Length)..] : "";
        var grouping = format.GroupingSeparator;
        if (decimalIndex >= 0 && (integerPart.EndsWith(grouping, StringComparison.Ordinal) || fractionalPart.StartsWith(grouping, StringComparison.Ordinal)))
        {
            throw Errors.Create("D3087");
        }
        if (decimalIndex < 0 && integerPart.EndsWith(grouping, StringComparison.Ordinal))
        {
            throw Errors.Create("D3088");
        }
        if (mantissa.Contains(grouping + grouping, StringComparison.Ordinal))
        {
            throw Errors.Create("D3089");
        }
        var seenDigit = false;
        foreach (var c in integerPart)
        {
            if (IsDigit(c))
            {
                seenDigit = true;
            }
            else if (c == format.Digit && seenDigit)
            {
                throw Errors.Create("D3090");
            }
        }
        var seenOptional = false;
        foreach (var c in fractionalPart)
        {
            if (c == format.Digit)
            {
                seenOptional = true;
            }
            else if (IsDigit(c) && seenOptional)
            {
                throw Errors.Create("D3091");
            }
        }
        var hasDigit = false;
        foreach (var c in mantissa)
        {
            hasDigit |= IsDigit(c) || c == format.Digit;
        }
        if (!hasDigit)
        {
            throw Errors.Create("D3085");
        }

        var result = new SubPicture
        {
            Prefix = prefix,
            Suffix = suffix,
            IsPercent = percentCount > 0,
            IsPerMille = perMilleCount > 0,
            HasExponent = exponentPart.Length > 0,
        };
        var digitsToRight = 0;
        for (var i = integerPart.Length - 1; i >= 0; i--)
        {
            var c = integerPart[i];
            if (IsDigit(c) || c == format.Digit)
            {
                digitsToRight++;
            }
            else if (grouping.Contains(c, StringComparison.Ordinal))
            {
                result.IntegerGroupPositions.Add(digitsToRight);
            }
        }
        result.RegularGrouping = RegularInterval(result.IntegerGroupPositions);
        var digitsToLeft = 0;
        foreach (var c in fractionalPart)
        {
            if (IsDigit(c) || c == format.Digit)
            {
                digitsToLeft++;
            }
            else if (grouping.Contains(c, StringComparison.Ordinal))
            {
                result.FractionalGroupPositions.Add(digitsToLeft);
            }
        }
        foreach (var c in integerPart)
        {
            if (IsDigit(c))
            {
                result.MinimumIntegerDigits++;
            }
        }
        result.ScalingFactor = result.MinimumIntegerDigits;
        foreach (var c in fractionalPart)
        {
            if (IsDigit(c))
            {
                result.MinimumFractionalDigits++;
                result.MaximumFractionalDigits++;
            }
            else if (c == format.Digit)
            {
                result.MaximumFractionalDigits++;
            }
        }
        foreach (var c in exponentPart)
        {
            if (IsDigit(c))
            {
                result.MinimumExponentDigits++;
            }
        }
        // XPath F&O 3.1 §4.7.4: the adjustments for pictures without mandatory integer digits, in the specified order.
        if (result.MinimumIntegerDigits == 0 && decimalIndex < 0)
        {
            result.MinimumIntegerDigits = 1;
        }
        if (result.MinimumIntegerDigits == 0 && result.MaximumFractionalDigits == 0)
        {
            if (result.HasExponent)
            {
                result.MinimumFractionalDigits = 1;
                result.MaximumFractionalDigits = 1;
            }
            else
            {
                result.MinimumIntegerDigits = 1;
            }
        }
        if (result.HasExponent && result.MinimumIntegerDigits == 0 && integerPart.Contains(format.Digit, StringComparison.Ordinal))
        {
            result.MinimumIntegerDigits = 1;
        }
        return result;
    }

    /// <summary>Grouping repeats (every 3 digits) when the separators sit at multiples of one interval, all present.</summary>
    private static int RegularInterval(List<int> positions)
    {
        if (positions.Count == 0)
        {
            return 0;
        }
        var interval = positions.Min();
        if (interval <= 0)
        {
            return 0;
        }
        foreach (var position in positions)
        {
            if (position % interval != 0)
            {
                return 0;
            }
        }
        for (var multiple = interval; multiple <= positions.Max(); multiple += interval)
        {
            if (!positions.Contains(multiple))
            {
                return 0;
            }
        }
        return interval;
    }

    private static int CountOccurrences(string text, string token)
    {
        if (token.Length == 0)
        {
            return 0;
        }
        var count = 0;
        var index = text.IndexOf(token, StringComparison.Ordinal);
        while (index >= 0)
        {
            count++;
            index = text.IndexOf(token, index + token.Length, StringComparison.Ordinal);
        }
        return count;
    }

    private sealed class SubPicture
    {
        public string Prefix { get; init; } = "";
        public string Suffix { get; init; } = "";
        public bool IsPercent { get; init; }
        public bool IsPerMille { get; init; }
        public bool HasExponent { get; init; }
        public List<int> IntegerGroupPositions { get; } = [];
        public int RegularGrouping { get; set; }
        public List<int> FractionalGroupPositions { get; } = [];
        public int MinimumIntegerDigits { get; set; }
        public int ScalingFactor { get; set; }
        public int MinimumFractionalDigits { get; set; }
        public int MaximumFractionalDigits { get; set; }
        public int MinimumExponentDigits { get; set; }
    }

    private sealed class DecimalFormat
    {
        public DecimalFormat(JsObject? options)
        {
            string Option(string name, string fallback) => options?.Get(name) is string { Length: > 0 } s ? s : fallback;
            DecimalSeparator = Option("decimal-separator", ".");
            GroupingSeparator = Option("grouping-separator", ",");
            ExponentSeparator = Option("exponent-separator", "e");
            MinusSign = Option("minus-sign", "-");
            Infinity = Option("infinity", "Infinity");
            NaN = Option("NaN", "NaN");
            Percent = Option("percent", "%");
            PerMille = Option("per-mille", "\u2030");
            ZeroDigit = Option("zero-digit", "0")[0];
            Digit = Option("digit", "#")[0];
            PatternSeparator = Option("pattern-separator", ";")[0];
        }

        public string DecimalSeparator { get; }
        public string GroupingSeparator { get; }
        public string ExponentSeparator { get; }
        public string MinusSign { get; }
        public string Infinity { get; }
        public string NaN { get; }
        public string Percent { get; }
        public string PerMille { get; }
        public char ZeroDigit { get; }
        public char Digit { get; }
        public char PatternSeparator { get; }
    }
}
