using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text;

namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

/// <summary>
/// Converts loosely typed values (numbers as double, strings, lists) to the canonical CLR value of a Sparkplug data
/// type, with range checks, and packs array types into bytes (Sparkplug 3.0 §6.4.17).
/// </summary>
internal static class SparkplugValues
{
    /// <summary>The value as the data type's CLR value; throws <see cref="SparkplugFormatException"/> when it does not fit.</summary>
    public static object? Coerce(object? value, SparkplugDataType type)
    {
        if (value is null) return null;
        return type switch
        {
            SparkplugDataType.Int8 => Signed(value, type, sbyte.MinValue, sbyte.MaxValue),
            SparkplugDataType.Int16 => Signed(value, type, short.MinValue, short.MaxValue),
            SparkplugDataType.Int32 => Signed(value, type, int.MinValue, int.MaxValue),
            SparkplugDataType.Int64 => Signed(value, type, long.MinValue, long.MaxValue),
            SparkplugDataType.UInt8 => Unsigned(value, type, byte.MaxValue),
            SparkplugDataType.UInt16 => Unsigned(value, type, ushort.MaxValue),
            SparkplugDataType.UInt32 => Unsigned(value, type, uint.MaxValue),
            SparkplugDataType.UInt64 => Unsigned(value, type, ulong.MaxValue),
            SparkplugDataType.Float => (float)Real(value, type),
            SparkplugDataType.Double => Real(value, type),
            SparkplugDataType.Boolean => Bool(value),
            SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.UUID => Text(value, type),
            SparkplugDataType.DateTime => Date(value),
            SparkplugDataType.Bytes or SparkplugDataType.File => value as byte[] ?? throw Mismatch(value, type, "a Buffer"),
            SparkplugDataType.DataSet => value as SparkplugDataSet ?? throw Mismatch(value, type, "an object with columns, types and rows"),
            SparkplugDataType.Template => value as SparkplugTemplate ?? throw Mismatch(value, type, "an object with metrics"),
            SparkplugDataType.PropertySet => value as SparkplugPropertySet ?? throw Mismatch(value, type, "an object of properties"),
            SparkplugDataType.PropertySetList => value as IReadOnlyList<SparkplugPropertySet> ?? throw Mismatch(value, type, "a list of property sets"),
            SparkplugDataType.Int8Array => Elements(value, type).Select(v => (long)Signed(v, SparkplugDataType.Int8, sbyte.MinValue, sbyte.MaxValue)).ToArray(),
            SparkplugDataType.Int16Array => Elements(value, type).Select(v => (long)Signed(v, SparkplugDataType.Int16, short.MinValue, short.MaxValue)).ToArray(),
            SparkplugDataType.Int32Array => Elements(value, type).Select(v => (long)Signed(v, SparkplugDataType.Int32, int.MinValue, int.MaxValue)).ToArray(),
            SparkplugDataType.Int64Array => Elements(value, type).Select(v => (long)Signed(v, SparkplugDataType.Int64, long.MinValue, long.MaxValue)).ToArray(),
            SparkplugDataType.UInt8Array => Elements(value, type).Select(v => (ulong)Unsigned(v, SparkplugDataType.UInt8, byte.MaxValue)).ToArray(),
            SparkplugDataType.UInt16Array => Elements(value, type).Select(v => (ulong)Unsigned(v, SparkplugDataType.UInt16, ushort.MaxValue)).ToArray(),
            SparkplugDataType.UInt32Array => Elements(value, type).Select(v => (ulong)Unsigned(v, SparkplugDataType.UInt32, uint.MaxValue)).ToArray(),
            SparkplugDataType.UInt64Array => Elements(value, type).Select(v => (ulong)Unsigned(v, SparkplugDataType.UInt64, ulong.MaxValue)).ToArray(),
            SparkplugDataType.FloatArray => Elements(value, type).Select(v => (float)Real(v, SparkplugDataType.Float)).ToArray(),
            SparkplugDataType.DoubleArray => Elements(value, type).Select(v => Real(v, SparkplugDataType.Double)).ToArray(),
            SparkplugDataType.BooleanArray => Elements(value, type).Select(Bool).ToArray(),
            SparkplugDataType.StringArray => Elements(value, type).Select(v => Text(v, SparkplugDataType.String)).ToArray(),
            SparkplugDataType.DateTimeArray => Elements(value, type).Select(Date).ToArray(),
            _ => throw new SparkplugFormatException($"data type {type} cannot carry a value"),
        };
    }

    /// <summary>The data type a value most naturally has, for metrics that arrive without one.</summary>
    public static SparkplugDataType Infer(object? value) => value switch
    {
        bool => SparkplugDataType.Boolean,
        string => SparkplugDataType.String,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9007199254740992 => SparkplugDataType.Int64,
        double or float => SparkplugDataType.Double,
        int or long => SparkplugDataType.Int64,
        uint or ulong => SparkplugDataType.UInt64,
        DateTime or DateTimeOffset => SparkplugDataType.DateTime,
        byte[] => SparkplugDataType.Bytes,
        SparkplugDataSet => SparkplugDataType.DataSet,
        SparkplugTemplate => SparkplugDataType.Template,
        _ => SparkplugDataType.Unknown,
    };

    public static ulong ToEpochMilliseconds(DateTime time) =>
        (ulong)Math.Max(0, (time.ToUniversalTime() - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond);

    public static DateTime FromEpochMilliseconds(ulong milliseconds) =>
        milliseconds > 253402300799999UL ? DateTime.MaxValue : DateTime.UnixEpoch.AddMilliseconds(milliseconds);

    private static long Signed(object value, SparkplugDataType type, long min, long max)
    {
        long result;
        switch (value)
        {
            case long l: result = l; break;
            case int i: result = i; break;
            case ulong u when u <= long.MaxValue: result = (long)u; break;
            case double d when d == Math.Floor(d) && d >= -9.2233720368547758E18 && d < 9.2233720368547758E18: result = (long)d; break;
            case float f when f == MathF.Floor(f): result = (long)f; break;
            case string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed): result = parsed; break;
            default: throw Mismatch(value, type, "an integer");
        }
        if (result < min || result > max) throw new SparkplugFormatException($"{Describe(value)} is out of range for {type} ({min} to {max})");
        return result;
    }

    private static ulong Unsigned(object value, SparkplugDataType type, ulong max)
    {
        ulong result;
        switch (value)
        {
            case ulong u: result = u; break;
            case long l when l >= 0: result = (ulong)l; break;
            case int i when i >= 0: result = (ulong)i; break;
            case uint ui: result = ui; break;
            case double d when d == Math.Floor(d) && d >= 0 && d < 1.8446744073709552E19: result = (ulong)d; break;
            case string s when ulong.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed): result = parsed; break;
            default: throw Mismatch(value, type, "an integer of 0 or more");
        }
        if (result > max) throw new SparkplugFormatException($"{Describe(value)} is out of range for {type} (0 to {max})");
        return result;
    }

    private static double Real(object value, SparkplugDataType type) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        ulong u => u,
        int i => i,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw Mismatch(value, type, "a number"),
    };

    private static bool Bool(object? value) => value switch
    {
        bool b => b,
        "true" => true,
        "false" => false,
        double d when d is 0 or 1 => d == 1,
        _ => throw Mismatch(value, SparkplugDataType.Boolean, "true or false"),
    };

    private static string Text(object? value, SparkplugDataType type) => value switch
    {
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        long or ulong or int or float => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        _ => throw Mismatch(value, type, "a string"),
    };

    private static DateTime Date(object? value) => value switch
    {
        DateTime t => t.ToUniversalTime(),
        DateTimeOffset o => o.UtcDateTime,
        double d when d >= 0 => DateTime.UnixEpoch.AddMilliseconds(Math.Floor(d)),
        long l when l >= 0 => DateTime.UnixEpoch.AddMilliseconds(l),
        ulong u => FromEpochMilliseconds(u),
        string s when DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => throw Mismatch(value, SparkplugDataType.DateTime, "a Date, milliseconds since 1970 or an ISO 8601 string"),
    };

    private static IEnumerable<object> Elements(object value, SparkplugDataType type) => value switch
    {
        string => throw Mismatch(value, type, "an array"),
        IEnumerable items => items.Cast<object?>().Select(object (v) => v ?? throw new SparkplugFormatException($"{type} elements must not be null")),
        _ => throw Mismatch(value, type, "an array"),
    };

    private static SparkplugFormatException Mismatch(object? value, SparkplugDataType type, string expected) =>
        new($"{type} expects {expected}, got {Describe(value)}");

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{(s.Length > 40 ? s[..40] + "…" : s)}\"",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.GetType().Name,
    };

    // ---- array packing, Sparkplug 3.0 §6.4.17: little-endian elements in bytes_value ----

    public static byte[] PackArray(SparkplugDataType type, object value)
    {
        switch (type)
        {
            case SparkplugDataType.Int8Array: return ((long[])value).Select(v => unchecked((byte)(sbyte)v)).ToArray();
            case SparkplugDataType.UInt8Array: return ((ulong[])value).Select(v => (byte)v).ToArray();
            case SparkplugDataType.Int16Array: return Pack((long[])value, 2, (span, v) => BinaryPrimitives.WriteInt16LittleEndian(span, (short)v));
            case SparkplugDataType.UInt16Array: return Pack((ulong[])value, 2, (span, v) => BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)v));
            case SparkplugDataType.Int32Array: return Pack((long[])value, 4, (span, v) => BinaryPrimitives.WriteInt32LittleEndian(span, (int)v));
            case SparkplugDataType.UInt32Array: return Pack((ulong[])value, 4, (span, v) => BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)v));
            case SparkplugDataType.Int64Array: return Pack((long[])value, 8, BinaryPrimitives.WriteInt64LittleEndian);
            case SparkplugDataType.UInt64Array: return Pack((ulong[])value, 8, BinaryPrimitives.WriteUInt64LittleEndian);
            case SparkplugDataType.FloatArray: return Pack((float[])value, 4, BinaryPrimitives.WriteSingleLittleEndian);
            case SparkplugDataType.DoubleArray: return Pack((double[])value, 8, BinaryPrimitives.WriteDoubleLittleEndian);
            case SparkplugDataType.DateTimeArray: return Pack((DateTime[])value, 8, (span, v) => BinaryPrimitives.WriteUInt64LittleEndian(span, ToEpochMilliseconds(v)));
            case SparkplugDataType.BooleanArray:
            {
                // A 4-byte little-endian count, then the values one bit each, first value in the high bit of the first byte.
                var bools = (bool[])value;
                var bytes = new byte[4 + (bools.Length + 7) / 8];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bools.Length);
                for (var i = 0; i < bools.Length; i++) if (bools[i]) bytes[4 + i / 8] |= (byte)(0x80 >> (i % 8));
                return bytes;
            }
            case SparkplugDataType.StringArray:
            {
                // Each string in UTF-8 followed by a NUL byte.
                var buffer = new List<byte>();
                foreach (var s in (string[])value)
                {
                    if (s.Contains('\0', StringComparison.Ordinal)) throw new SparkplugFormatException("StringArray elements must not contain a NUL character");
                    buffer.AddRange(Encoding.UTF8.GetBytes(s));
                    buffer.Add(0);
                }
                return buffer.ToArray();
            }
            default: throw new SparkplugFormatException($"{type} is not an array type");
        }
    }

    public static object UnpackArray(SparkplugDataType type, ReadOnlySpan<byte> bytes)
    {
        switch (type)
        {
            case SparkplugDataType.Int8Array: return bytes.ToArray().Select(b => (long)(sbyte)b).ToArray();
            case SparkplugDataType.UInt8Array: return bytes.ToArray().Select(b => (ulong)b).ToArray();
            case SparkplugDataType.Int16Array: return Unpack(bytes, 2, type, s => (long)BinaryPrimitives.ReadInt16LittleEndian(s));
            case SparkplugDataType.UInt16Array: return Unpack(bytes, 2, type, s => (ulong)BinaryPrimitives.ReadUInt16LittleEndian(s));
            case SparkplugDataType.Int32Array: return Unpack(bytes, 4, type, s => (long)BinaryPrimitives.ReadInt32LittleEndian(s));
            case SparkplugDataType.UInt32Array: return Unpack(bytes, 4, type, s => (ulong)BinaryPrimitives.ReadUInt32LittleEndian(s));
            case SparkplugDataType.Int64Array: return Unpack(bytes, 8, type, BinaryPrimitives.ReadInt64LittleEndian);
            case SparkplugDataType.UInt64Array: return Unpack(bytes, 8, type, BinaryPrimitives.ReadUInt64LittleEndian);
            case SparkplugDataType.FloatArray: return Unpack(bytes, 4, type, BinaryPrimitives.ReadSingleLittleEndian);
            case SparkplugDataType.DoubleArray: return Unpack(bytes, 8, type, BinaryPrimitives.ReadDoubleLittleEndian);
            case SparkplugDataType.DateTimeArray: return Unpack(bytes, 8, type, s => FromEpochMilliseconds(BinaryPrimitives.ReadUInt64LittleEndian(s)));
            case SparkplugDataType.BooleanArray:
            {
                if (bytes.Length < 4) throw new SparkplugFormatException("BooleanArray is shorter than its 4-byte count");
                var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
                if ((ulong)(bytes.Length - 4) * 8 < count) throw new SparkplugFormatException($"BooleanArray says {count} values but has {(bytes.Length - 4) * 8} bits");
                var result = new bool[count];
                for (var i = 0; i < count; i++) result[i] = (bytes[4 + i / 8] & (0x80 >> (i % 8))) != 0;
                return result;
            }
            case SparkplugDataType.StringArray:
            {
                var result = new List<string>();
                var rest = bytes;
                while (rest.Length > 0)
                {
                    var end = rest.IndexOf((byte)0);
                    if (end < 0) throw new SparkplugFormatException("StringArray element is not NUL-terminated");
                    result.Add(Encoding.UTF8.GetString(rest[..end]));
                    rest = rest[(end + 1)..];
                }
                return result.ToArray();
            }
            default: throw new SparkplugFormatException($"{type} is not an array type");
        }
    }

    private delegate void Writer<in T>(Span<byte> destination, T value);

    private delegate T Reader<out T>(ReadOnlySpan<byte> source);

    private static byte[] Pack<T>(T[] values, int size, Writer<T> write)
    {
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++) write(bytes.AsSpan(i * size, size), values[i]);
        return bytes;
    }

    private static T[] Unpack<T>(ReadOnlySpan<byte> bytes, int size, SparkplugDataType type, Reader<T> read)
    {
        if (bytes.Length % size != 0) throw new SparkplugFormatException($"{type} has {bytes.Length} bytes, not a multiple of {size}");
        var result = new T[bytes.Length / size];
        for (var i = 0; i < result.Length; i++) result[i] = read(bytes.Slice(i * size, size));
        return result;
    }
}
