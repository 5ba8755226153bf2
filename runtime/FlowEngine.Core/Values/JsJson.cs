using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FlowEngine.Core.Values;

/// <summary>JSON text to and from the message value model, with JavaScript's JSON.parse/JSON.stringify behaviour.</summary>
public static class JsJson
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 };

    private static readonly JsonWriterOptions CompactWriter = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    private static readonly JsonWriterOptions PrettyWriter = CompactWriter with { Indented = true, IndentSize = 4 };

    /// <summary>Parses JSON text. Throws <see cref="JsJsonException"/> with the line and column of the first error.</summary>
    public static object? Parse(string text)
    {
        // Messages are mostly small: their UTF-8 goes into a rented buffer instead of a new array per parse. A large
        // text gets an array of its exact size (the rented one would be three times its length).
        if (text.Length > 16 * 1024) return Parse(Encoding.UTF8.GetBytes(text));
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            return Parse(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static object? Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\xEF\xBB\xBF"u8))
        {
            utf8 = utf8[3..];
        }
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                throw new JsJsonException("Unexpected end of JSON input", 1, 1);
            }
            var value = ReadValue(ref reader);
            if (reader.Read())
            {
                throw new JsonException("Unexpected data after the JSON value", null, reader.CurrentState.Options.MaxDepth, reader.BytesConsumed);
            }
            return value;
        }
        catch (JsonException ex)
        {
            var (line, column) = LineAndColumn(utf8, (int)Math.Min(reader.BytesConsumed, utf8.Length));
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd('.', ' ');
            throw new JsJsonException(message, (int)(ex.LineNumber ?? line - 1) + 1, (int)(ex.BytePositionInLine ?? column - 1) + 1, ex);
        }
    }

    /// <summary>Tries to parse; returns false (and the error) instead of throwing.</summary>
    public static bool TryParse(string text, out object? value, out JsJsonException? error)
    {
        try
        {
            value = Parse(text);
            error = null;
            return true;
        }
        catch (JsJsonException ex)
        {
            value = null;
            error = ex;
            return false;
        }
    }

    private static (int Line, int Column) LineAndColumn(ReadOnlySpan<byte> text, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset && i < text.Length; i++)
        {
            if (text[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, offset - lineStart + 1);
    }

    /// <summary>
    /// Recently read property names, by a hash of their UTF-8 bytes. Names repeat from message to message (a device's
    /// fields, "payload", "topic"): reusing the string saves an allocation and a transcoding per name. A collision
    /// only replaces the entry; any thread may read or replace one (a reference is written whole).
    /// </summary>
    private static readonly string?[] RecentNames = new string?[1024];

    private const int MaxCachedNameLength = 32;

    private static string PropertyName(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxCachedNameLength) return reader.GetString()!;
        var utf8 = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = (int)((uint)hash.ToHashCode() % (uint)RecentNames.Length);
        var cached = RecentNames[slot];
        // Ascii.Equals is true only for ASCII text: other names are decoded each time, correctly, if not cached.
        if (cached is not null && Ascii.Equals(utf8, cached)) return cached;
        var name = reader.GetString()!;
        if (Ascii.IsValid(utf8)) RecentNames[slot] = name;
        return name;
    }

    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsObject(0);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = PropertyName(ref reader);
                    reader.Read();
                    obj[key] = ReadValue(ref reader); // JSON.parse keeps the last of duplicate keys
                }
                return obj;
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    list.Add(ReadValue(ref reader));
                }
                return list;
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return reader.TryGetDouble(out var d) ? d : double.Parse(Encoding.UTF8.GetString(reader.ValueSpan), CultureInfo.InvariantCulture);
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Null:
                return null;
            default:
                throw new JsonException($"Unexpected token {reader.TokenType}");
        }
    }

    /// <summary>JSON.stringify(value) (compact) or JSON.stringify(value, null, 4) (pretty).</summary>
    public static string Serialize(object? value, bool pretty = false)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, pretty ? PrettyWriter : CompactWriter))
        {
            Write(writer, value);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static byte[] SerializeToUtf8(object? value, bool pretty = false)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, pretty ? PrettyWriter : CompactWriter))
        {
            Write(writer, value);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>True when JSON.stringify would write this value (not undefined-like host objects).</summary>
    public static bool IsSerializable(object? value) =>
        value is null or string or double or bool or byte[] or DateTime or JsObject or List<object?>;

    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case double d:
                if (double.IsFinite(d))
                {
                    if (d == Math.Floor(d) && Math.Abs(d) < 1e15)
                    {
                        writer.WriteNumberValue((long)d);
                    }
                    else
                    {
                        writer.WriteRawValue(JsValue.FormatNumber(d), skipInputValidation: true);
                    }
                }
                else
                {
                    writer.WriteNullValue(); // JSON.stringify(NaN) === "null"
                }
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case byte[] bytes:
                // Node.js Buffer.toJSON shape, so a flow that stringifies a buffer sees what Node-RED shows.
                writer.WriteStartObject();
                writer.WriteString("type", "Buffer");
                writer.WriteStartArray("data");
                foreach (var b in bytes) writer.WriteNumberValue(b);
                writer.WriteEndArray();
                writer.WriteEndObject();
                break;
            case DateTime dt:
                writer.WriteStringValue(FormatIsoDate(dt));
                break;
            case JsObject obj:
                writer.WriteStartObject();
                foreach (var (key, item) in obj)
                {
                    if (!IsSerializable(item)) continue; // undefined-like values are left out, as JSON.stringify does
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }
                writer.WriteEndObject();
                break;
            case List<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    if (IsSerializable(item)) Write(writer, item);
                    else writer.WriteNullValue();
                }
                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>Date.prototype.toISOString: 2024-01-31T12:00:00.000Z.</summary>
    public static string FormatIsoDate(DateTime dt) =>
        dt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>A JSON syntax error with the 1-based line and column where it was found.</summary>
public sealed class JsJsonException(string message, int line, int column, Exception? inner = null)
    : Exception($"{message} (line {line}, column {column})", inner)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Reason { get; } = message;
}
