using System.Text;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// Node.js's Buffer string encodings (utf8, hex, base64, base64url, latin1/binary, ascii, utf16le), with Node's
/// leniency: hex stops at the first invalid pair, base64 skips characters outside its alphabet and accepts both
/// the standard and the URL-safe alphabet.
/// </summary>
internal static class BufferEncodings
{
    // Invalid UTF-8 decodes to U+FFFD and lone surrogates encode to EF BF BD, as in Node.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
    private static readonly UnicodeEncoding Utf16 = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: false);

    public static byte[] Encode(string text, string encoding) => encoding switch
    {
        "utf8" => Utf8.GetBytes(text),
        "hex" => FromHex(text),
        "base64" or "base64url" => FromBase64(text),
        "latin1" or "ascii" => FromLatin1(text),
        "utf16le" => Utf16.GetBytes(text),
        _ => throw new ArgumentException($"Unknown encoding: {encoding}", nameof(encoding)),
    };

    public static string Decode(ReadOnlySpan<byte> bytes, string encoding) => encoding switch
    {
        "utf8" => Utf8.GetString(bytes),
        "hex" => Convert.ToHexStringLower(bytes),
        "base64" => Convert.ToBase64String(bytes),
        "base64url" => ToBase64Url(bytes),
        "latin1" => ToLatin1(bytes, 0xFF),
        "ascii" => ToLatin1(bytes, 0x7F),
        "utf16le" => Utf16.GetString(bytes[..(bytes.Length & ~1)]),
        _ => throw new ArgumentException($"Unknown encoding: {encoding}", nameof(encoding)),
    };

    public static int ByteLength(string text, string encoding) => encoding switch
    {
        "utf8" => Utf8.GetByteCount(text),
        "hex" => text.Length >>> 1,
        "latin1" or "ascii" => text.Length,
        "utf16le" => text.Length * 2,
        _ => Encode(text, encoding).Length,
    };

    private static byte[] FromHex(string text)
    {
        var result = new byte[text.Length / 2];
        var count = 0;
        for (var i = 0; i + 1 < text.Length; i += 2)
        {
            var high = HexValue(text[i]);
            var low = HexValue(text[i + 1]);
            if (high < 0 || low < 0) break;
            result[count++] = (byte)((high << 4) | low);
        }
        return count == result.Length ? result : result[..count];
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static byte[] FromBase64(string text)
    {
        var result = new byte[(text.Length * 3 / 4) + 3];
        var count = 0;
        var accumulator = 0;
        var bits = 0;
        foreach (var c in text)
        {
            int value = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a' + 26,
                >= '0' and <= '9' => c - '0' + 52,
                '+' or '-' => 62,
                '/' or '_' => 63,
                '=' => -2,
                _ => -1,
            };
            if (value == -2) break;
            if (value < 0) continue;
            accumulator = (accumulator << 6) | value;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                result[count++] = (byte)(accumulator >> bits);
                accumulator &= (1 << bits) - 1;
            }
        }
        return result[..count];
    }

    private static string ToBase64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromLatin1(string text)
    {
        var result = new byte[text.Length];
        for (var i = 0; i < text.Length; i++) result[i] = (byte)text[i];
        return result;
    }

    private static string ToLatin1(ReadOnlySpan<byte> bytes, int mask) => string.Create(bytes.Length, (bytes.ToArray(), mask), static (span, state) =>
    {
        for (var i = 0; i < span.Length; i++) span[i] = (char)(state.Item1[i] & state.mask);
    });
}
