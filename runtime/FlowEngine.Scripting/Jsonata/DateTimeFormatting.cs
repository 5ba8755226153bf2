using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// $fromMillis/$now pictures and $toMillis parsing: the picture language of XPath F&amp;O 3.1 §9.8 (fn:format-dateTime),
/// e.g. <c>[Y0001]-[M01]-[D01]</c>, <c>[FNn], [D1o] [MNn]</c>, <c>[h]:[m01][P]</c>, <c>[H01]:[m01] [z]</c>.
/// </summary>
internal static class DateTimeFormatting
{
    private const string IsoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

    private static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    private static readonly string[] DayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    // JSONata's ISO 8601 check for $toMillis without a picture.
    private static readonly Regex Iso8601 = new(
        @"^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$",
        RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public static string Format(double millis, string? picture, string? timezone)
    {
        var offset = ParseTimezone(timezone);
        DateTimeOffset time;
        try
        {
            time = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(millis)).ToOffset(offset);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Errors.Create("D3110", value: millis);
        }
        var builder = new StringBuilder();
        foreach (var part in ParsePicture(picture ?? IsoPicture))
        {
            if (part.Marker is null)
            {
                builder.Append(part.Literal);
            }
            else
            {
                builder.Append(FormatComponent(time, part.Marker));
            }
        }
        return builder.ToString();
    }

    private static TimeSpan ParseTimezone(string? timezone)
    {
        if (string.IsNullOrEmpty(timezone))
        {
            return TimeSpan.Zero;
        }
        var sign = timezone[0] == '-' ? -1 : 1;
        var digits = timezone.TrimStart('+', '-').Replace(":", "", StringComparison.Ordinal);
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return TimeSpan.Zero;
        }
        var hours = digits.Length <= 2 ? value : value / 100;
        var minutes = digits.Length <= 2 ? 0 : value % 100;
        return TimeSpan.FromMinutes(sign * (hours * 60 + minutes));
    }

    private sealed record Marker(char Component, string Presentation, char Modifier, int MinWidth, int MaxWidth);

    private sealed record Part(string Literal, Marker? Marker);

    private static List<Part> ParsePicture(string picture)
    {
        // Unbalanced brackets are reported before any marker is looked at, as JSONata does.
        for (var i = 0; i < picture.Length; i++)
        {
            if (picture[i] == '[' && i + 1 < picture.Length && picture[i + 1] == '[')
            {
                i++;
            }
            else if (picture[i] == '[')
            {
                var close = picture.IndexOf(']', i + 1);
                if (close < 0)
                {
                    throw Errors.Create("D3135");
                }
                i = close;
            }
        }
        var parts = new List<Part>();
        var literal = new StringBuilder();
        for (var i = 0; i < picture.Length; i++)
        {
            var c = picture[i];
            if (c == '[' && i + 1 < picture.Length && picture[i + 1] == '[')
            {
                literal.Append('[');
                i++;
                continue;
            }
            if (c == ']' && i + 1 < picture.Length && picture[i + 1] == ']')
            {
                literal.Append(']');
                i++;
                continue;
            }
            if (c != '[')
            {
                literal.Append(c);
                continue;
            }
            var end = picture.IndexOf(']', i + 1);
            if (end < 0)
            {
                throw Errors.Create("D3135");
            }
            if (literal.Length > 0)
            {
                parts.Add(new Part(literal.ToString(), null));
                literal.Clear();
            }
            parts.Add(new Part("", ParseMarker(picture[(i + 1)..end])));
            i = end;
        }
        if (literal.Length > 0)
        {
            parts.Add(new Part(literal.ToString(), null));
        }
        return parts;
    }

    private static Marker ParseMarker(string text)
    {
        var compact = new StringBuilder();
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
        }
        var marker = compact.ToString();
        if (marker.Length == 0)
        {
            throw Errors.Create("D3132", value: text);
        }
        var component = marker[0];
        if (!"YMDdFWwXxHhPmsfZzCE".Contains(component, StringComparison.Ordinal))
        {
            throw Errors.Create("D3132", value: component.ToString());
        }
        var rest = marker[1..];
        var minWidth = 0;
        var maxWidth = 0;
        var comma = rest.LastIndexOf(',');
        if (comma >= 0)
        {
            var width = rest[(comma + 1)..];
            rest = rest[..comma];
            var dash = width.IndexOf('-', StringComparison.Ordinal);
            var min = dash >= 0 ? width[..dash] : width;
            var max = dash >= 0 ? width[(dash + 1)..] : "";
            minWidth = min == "*" ? 0 : int.TryParse(min, NumberStyles.None, CultureInfo.InvariantCulture, out var mn) ? mn : 0;
            maxWidth = max is "" or "*" ? 0 : int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var mx) ? mx : 0;
        }
        var modifier = '\0';
        if (rest.Length > 1 && rest[^1] is 'o' or 't' or 'c' or 'a')
        {
            modifier = rest[^1];
            rest = rest[..^1];
        }
        if (rest.Length == 0)
        {
            rest = DefaultPresentation(component);
        }
        if (rest is "N" or "n" or "Nn" && !"MFxPCE".Contains(component, StringComparison.Ordinal))
        {
            throw Errors.Create("D3133", value: component.ToString());
        }
        return new Marker(component, rest, modifier, minWidth, maxWidth);
    }

    private static string DefaultPresentation(char component) => component switch
    {
        'F' or 'P' or 'C' or 'E' => "n",
        'm' or 's' => "01",
        'Z' or 'z' => "01:01",
        _ => "1",
    };

    private static string FormatComponent(DateTimeOffset time, Marker marker)
    {
        var presentation = marker.Presentation;
        switch (marker.Component)
        {
            case 'Z':
                return FormatOffset(time.Offset, presentation, marker.Modifier == 't');
            case 'z':
                return "GMT" + FormatOffset(time.Offset, presentation, false);
            case 'f':
                return FormatFraction(time.Millisecond, marker);
            case 'P':
                var amPm = time.Hour < 12 ? "am" : "pm";
                return presentation switch
                {
                    "N" => amPm.ToUpperInvariant(),
                    "Nn" => char.ToUpperInvariant(amPm[0]) + amPm[1..],
                    _ => amPm,
                };
            case 'C' or 'E':
                // Only the ISO calendar is supported; JSONata names it for both calendar and era.
                return "ISO";
        }
        var value = ComponentValue(time, marker.Component);
        var picture = IntegerPicture.Parse(presentation, marker.Modifier == 'o');
        if (picture.Style == IntegerStyle.Name)
        {
            var name = marker.Component switch
            {
                'M' or 'x' => MonthNames[value - 1],
                'F' => DayNames[value - 1],
                _ => throw Errors.Create("D3133", value: marker.Component.ToString()),
            };
            name = IntegerFormatting.ApplyCase(name.ToLowerInvariant(), picture.Case);
            return marker.MaxWidth > 0 && name.Length > marker.MaxWidth ? name[..marker.MaxWidth] : name;
        }
        if (marker.Component == 'Y')
        {
            // XPath F&O §9.8.4.4: a maximum width, or a picture of two or more digits, truncates the year ([Y01] → 18).
            var digits = marker.MaxWidth > 0 ? marker.MaxWidth
                : picture.Style == IntegerStyle.Decimal ? Math.Max(picture.TotalDigits, marker.MinWidth) : 0;
            if (digits is >= 2 and < 9)
            {
                value %= (int)Math.Pow(10, digits);
            }
        }
        if (picture.Style == IntegerStyle.Decimal && marker.MinWidth > 0)
        {
            // A width modifier replaces the digit pattern's own minimum: [Y0001,2-2] is "18", [M1,2] is "03".
            picture = picture with { MandatoryDigits = marker.MinWidth };
        }
        return IntegerFormatting.Format(value, picture);
    }

    private static int ComponentValue(DateTimeOffset time, char component)
    {
        var date = time.DateTime;
        return component switch
        {
            'Y' => time.Year,
            'M' => time.Month,
            'D' => time.Day,
            'd' => time.DayOfYear,
            'F' => ((int)time.DayOfWeek + 6) % 7 + 1,
            'W' => ISOWeek.GetWeekOfYear(date),
            'w' => WeekOfMonth(date).Week,
            'X' => ISOWeek.GetYear(date),
            'x' => WeekOfMonth(date).Month,
            'H' => time.Hour,
            'h' => time.Hour % 12 == 0 ? 12 : time.Hour % 12,
            'm' => time.Minute,
            's' => time.Second,
            _ => throw Errors.Create("D3132", value: component.ToString()),
        };
    }

    /// <summary>A week belongs to the month that holds its Thursday (the ISO rule applied to months).</summary>
    private static (int Week, int Month) WeekOfMonth(DateTime date)
    {
        var monday = date.Date.AddDays(-(((int)date.DayOfWeek + 6) % 7));
        var thursday = monday.AddDays(3);
        return ((thursday.Day - 1) / 7 + 1, thursday.Month);
    }

    private static string FormatFraction(int milliseconds, Marker marker)
    {
        var digits = milliseconds.ToString("000", CultureInfo.InvariantCulture);
        var picture = IntegerPicture.Parse(marker.Presentation, false);
        var wanted = Math.Max(picture.MandatoryDigits, marker.MinWidth);
        if (picture.TotalDigits <= 1 && marker.MinWidth == 0 && marker.MaxWidth == 0)
        {
            // "[f]" or "[f1]": as many digits as are significant, at least one.
            var trimmed = digits.TrimEnd('0');
            return trimmed.Length == 0 ? "0" : trimmed;
        }
        if (marker.MaxWidth > 0)
        {
            wanted = Math.Min(Math.Max(wanted, 1), marker.MaxWidth);
        }
        return wanted <= 3 ? digits[..wanted] : digits + new string('0', wanted - 3);
    }

    private static string FormatOffset(TimeSpan offset, string presentation, bool zeroAsZ)
    {
        if (zeroAsZ && offset == TimeSpan.Zero)
        {
            return "Z";
        }
        var totalMinutes = (int)offset.TotalMinutes;
        var sign = totalMinutes < 0 ? "-" : "+";
        totalMinutes = Math.Abs(totalMinutes);
        var hours = totalMinutes / 60;
        var minutes = totalMinutes % 60;
        var digitCount = 0;
        var separator = "";
        var hourDigits = 0;
        foreach (var c in presentation)
        {
            if (char.IsAsciiDigit(c))
            {
                digitCount++;
            }
            else if (separator.Length == 0)
            {
                separator = c.ToString();
                hourDigits = digitCount;
            }
        }
        if (separator.Length > 0)
        {
            return sign + hours.ToString(new string('0', Math.Max(hourDigits, 1)), CultureInfo.InvariantCulture) + separator +
                   minutes.ToString("00", CultureInfo.InvariantCulture);
        }
        if (digitCount > 4)
        {
            throw Errors.Create("D3134");
        }
        if (digitCount >= 3)
        {
            return sign + (hours * 100 + minutes).ToString(new string('0', digitCount), CultureInfo.InvariantCulture);
        }
        var text = sign + hours.ToString(new string('0', Math.Max(digitCount, 1)), CultureInfo.InvariantCulture);
        return minutes != 0 ? text + ":" + minutes.ToString("00", CultureInfo.InvariantCulture) : text;
    }

    /// <summary>$toMillis(timestamp) without a picture: ISO 8601 only (D3110 otherwise). No offset means UTC.</summary>
    public static double ParseIso(string text)
    {
        if (!Iso8601.IsMatch(text))
        {
            throw Errors.Create("D3110", value: text);
        }
        int Number(int start, int length) => int.Parse(text.AsSpan(start, length), NumberStyles.None, CultureInfo.InvariantCulture);
        var year = Number(0, 4);
        var month = 1;
        var day = 1;
        var position = 4;
        if (position < text.Length && text[position] == '-')
        {
            month = Number(position + 1, 2);
            position += 3;
            if (position < text.Length && text[position] == '-')
            {
                day = Number(position + 1, 2);
                position += 3;
            }
        }
        int hour = 0, minute = 0, second = 0;
        double fraction = 0;
        if (position < text.Length && text[position] == 'T')
        {
            hour = Number(position + 1, 2);
            minute = Number(position + 4, 2);
            second = Number(position + 7, 2);
            position += 9;
        }
        if (position < text.Length && text[position] == '.')
        {
            var start = position + 1;
            position = start;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
            fraction = double.Parse("0." + text[start..position], CultureInfo.InvariantCulture);
        }
        var offsetMinutes = 0;
        if (position < text.Length && text[position] is '+' or '-')
        {
            var sign = text[position] == '-' ? -1 : 1;
            var digits = text[(position + 1)..].Replace(":", "", StringComparison.Ordinal);
            offsetMinutes = sign * (int.Parse(digits[..2], CultureInfo.InvariantCulture) * 60 + int.Parse(digits[2..], CultureInfo.InvariantCulture));
        }
        try
        {
            var time = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
            return time.ToUnixTimeMilliseconds() + Math.Round(fraction * 1000) - offsetMinutes * 60_000d;
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Errors.Create("D3110", value: text);
        }
    }

    /// <summary>$toMillis(timestamp, picture): undefined (null) when the text does not match the picture.</summary>
    public static double? Parse(string text, string picture, DateTimeOffset now)
    {
        var parts = ParsePicture(picture);
        var pattern = new StringBuilder("^");
        var markers = new List<Marker>();
        foreach (var part in parts)
        {
            if (part.Marker is null)
            {
                pattern.Append(Regex.Escape(part.Literal));
                continue;
            }
            markers.Add(part.Marker);
            pattern.Append('(').Append(ComponentPattern(part.Marker)).Append(')');
        }
        pattern.Append('$');
        var match = Regex.Match(text, pattern.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (!match.Success || markers.Count == 0)
        {
            return null;
        }
        var values = new Dictionary<char, int>();
        var offset = TimeSpan.Zero;
        var isPm = (bool?)null;
        for (var i = 0; i < markers.Count; i++)
        {
            var marker = markers[i];
            var captured = match.Groups[i + 1].Value;
            switch (marker.Component)
            {
                case 'Z' or 'z':
                    var zone = captured.StartsWith("GMT", StringComparison.OrdinalIgnoreCase) ? captured[3..] : captured;
                    offset = zone is "" or "Z" or "z" ? TimeSpan.Zero : ParseTimezone(zone);
                    continue;
                case 'P':
                    isPm = captured.StartsWith('p') || captured.StartsWith('P');
                    continue;
                case 'f':
                    var fraction = captured.Length >= 3 ? captured[..3] : captured.PadRight(3, '0');
                    values['f'] = int.Parse(fraction, CultureInfo.InvariantCulture);
                    continue;
                case 'F' or 'C' or 'E' or 'W' or 'w' or 'X' or 'x':
                    continue;
            }
            var integerPicture = IntegerPicture.Parse(marker.Presentation, marker.Modifier == 'o');
            int? value = integerPicture.Style == IntegerStyle.Name ? ParseName(captured, marker.Component) : (int?)IntegerFormatting.Parse(captured, integerPicture);
            if (value is null)
            {
                return null;
            }
            values[marker.Component] = value.Value;
        }
        if (values.TryGetValue('h', out var hour12))
        {
            values['H'] = (hour12 % 12) + (isPm == true ? 12 : 0);
        }
        else if (isPm is not null && values.TryGetValue('H', out var hour24) && isPm == true && hour24 < 12)
        {
            values['H'] = hour24 + 12;
        }
        if (values.TryGetValue('Y', out var year) && year < 100 && markers.Exists(m => m.Component == 'Y' && (m.Presentation.Length == 2 || m.MaxWidth == 2)))
        {
            // Two-digit years are taken from the current century.
            year += now.Year / 100 * 100;
            values['Y'] = year;
        }
        return Compose(values, offset, now);
    }

    private static string ComponentPattern(Marker marker)
    {
        switch (marker.Component)
        {
            case 'Z':
                return @"[+-]\d{1,2}:?\d{2}|[+-]\d{1,2}|Z";
            case 'z':
                return @"GMT(?:[+-]\d{1,2}(?::?\d{2})?)?";
            case 'P':
                return @"am|pm|a\.m\.|p\.m\.";
            case 'f':
                return @"\d+";
        }
        var picture = IntegerPicture.Parse(marker.Presentation, marker.Modifier == 'o');
        return picture.Style switch
        {
            IntegerStyle.Name => @"[A-Za-z]+",
            IntegerStyle.Roman => @"[IVXLCDMivxlcdm]+",
            IntegerStyle.Alphabetic => @"[A-Za-z]+",
            // Lazy, so that words stop where the rest of the picture can match ("[Dw] [MNn]").
            IntegerStyle.Words => @"[A-Za-z][A-Za-z ,\-]*?",
            _ => (picture.MandatoryDigits > 1 || marker.MinWidth > 1 ? @"\d{" + Math.Max(picture.MandatoryDigits, marker.MinWidth).ToString(CultureInfo.InvariantCulture) + "}" : @"\d+") +
                 (picture.Ordinal ? "(?:st|nd|rd|th)" : ""),
        };
    }

    private static int? ParseName(string text, char component)
    {
        var names = component == 'M' ? MonthNames : component == 'F' ? DayNames : null;
        if (names is null || text.Length == 0)
        {
            return null;
        }
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i].StartsWith(text, StringComparison.OrdinalIgnoreCase))
            {
                return i + 1;
            }
        }
        return null;
    }

    /// <summary>Missing components above the most significant one given come from now; below it, from their minimum.</summary>
    private static double? Compose(Dictionary<char, int> values, TimeSpan offset, DateTimeOffset now)
    {
        if (values.TryGetValue('d', out var dayOfYear) && !values.ContainsKey('M'))
        {
            var yearOfDay = values.TryGetValue('Y', out var y) ? y : now.Year;
            var start = new DateTimeOffset(yearOfDay, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(dayOfYear - 1);
            values['M'] = start.Month;
            values['D'] = start.Day;
            values['Y'] = start.Year;
        }
        char[] order = ['Y', 'M', 'D', 'H', 'm', 's', 'f'];
        var first = Array.FindIndex(order, values.ContainsKey);
        if (first < 0)
        {
            // Week-based pictures ([X]-[W]-[F]) name no calendar date this implementation can compose.
            throw Errors.Create("D3136");
        }
        var last = Array.FindLastIndex(order, values.ContainsKey);
        for (var i = first; i <= last; i++)
        {
            if (!values.ContainsKey(order[i]))
            {
                throw Errors.Create("D3136");
            }
        }
        var nowParts = new[] { now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, now.Millisecond };
        var minimum = new[] { 0, 1, 1, 0, 0, 0, 0 };
        var parts = new int[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            parts[i] = values.TryGetValue(order[i], out var value) ? value : i < first ? nowParts[i] : minimum[i];
        }
        try
        {
            var time = new DateTimeOffset(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], offset);
            return time.ToUnixTimeMilliseconds();
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
