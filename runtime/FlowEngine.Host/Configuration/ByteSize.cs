using System.Globalization;
using System.Text.RegularExpressions;

namespace FlowEngine.Host.Configuration;

/// <summary>
/// Sizes written as Node-RED writes them in settings (apiMaxLength: "5mb"): a number of bytes, or a number with
/// b, kb, mb, gb, tb (powers of 1024, as the Express body parser reads them), case-insensitive.
/// </summary>
internal static partial class ByteSize
{
    public static bool TryParse(object? value, out long bytes)
    {
        bytes = 0;
        switch (value)
        {
            case double d when double.IsFinite(d) && d >= 0:
                bytes = (long)d;
                return true;
            case string s:
                var match = Pattern().Match(s.Trim());
                if (!match.Success) return false;
                var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                var multiplier = match.Groups[2].Value.ToLowerInvariant() switch
                {
                    "" or "b" => 1L,
                    "kb" => 1L << 10,
                    "mb" => 1L << 20,
                    "gb" => 1L << 30,
                    "tb" => 1L << 40,
                    _ => 0L,
                };
                if (multiplier == 0) return false;
                bytes = (long)Math.Floor(number * multiplier);
                return true;
            default:
                return false;
        }
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$")]
    private static partial Regex Pattern();
}
