using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace FlowEngine.Nodes.S7.Protocol;

/// <summary>
/// Turns PLC bytes (big-endian, S7 layout) into plain values and back. Numbers are doubles, bits booleans, CHAR and
/// STRING strings (Latin-1, as S7 strings are single-byte); arrays are lists. No FlowEngine type here.
/// </summary>
internal static class S7Values
{
    private static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>Decodes a variable from its <see cref="S7Address.ByteLength"/> bytes.</summary>
    public static object? Decode(S7Address address, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < address.ByteLength)
            throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"{address}: {bytes.Length} bytes read, {address.ByteLength} needed"));
        if (address.Count == 1) return DecodeElement(address, bytes, 0);
        var values = new List<object?>(address.Count);
        for (var i = 0; i < address.Count; i++) values.Add(DecodeElement(address, bytes, i));
        return values;
    }

    private static object? DecodeElement(S7Address address, ReadOnlySpan<byte> bytes, int index)
    {
        if (address.Type == S7DataType.Bit)
        {
            var bit = address.BitOffset + index;
            return (bytes[bit / 8] >> (bit % 8) & 1) == 1;
        }
        ReadOnlySpan<byte> element = bytes.Slice(index * address.ElementSize, address.ElementSize);
        if (address.LittleEndian)
        {
            var swapped = element.ToArray();
            Array.Reverse(swapped);
            element = swapped;
        }
        return address.Type switch
        {
            S7DataType.Byte => (double)element[0],
            S7DataType.Char => Latin1.GetString(element),
            S7DataType.Word or S7DataType.Timer or S7DataType.Counter => (double)BinaryPrimitives.ReadUInt16BigEndian(element),
            S7DataType.Int => (double)BinaryPrimitives.ReadInt16BigEndian(element),
            S7DataType.DWord => (double)BinaryPrimitives.ReadUInt32BigEndian(element),
            S7DataType.DInt => (double)BinaryPrimitives.ReadInt32BigEndian(element),
            S7DataType.Real => (double)BinaryPrimitives.ReadSingleBigEndian(element),
            S7DataType.LReal => BinaryPrimitives.ReadDoubleBigEndian(element),
            S7DataType.String => DecodeString(address, element),
            _ => throw new InvalidOperationException(address.Type.ToString()),
        };
    }

    private static string DecodeString(S7Address address, ReadOnlySpan<byte> element)
    {
        // Byte 0 is the declared maximum, byte 1 the actual length. A PLC that never initialised the string has 0/0;
        // an actual length beyond what we read is clipped rather than failing the whole poll.
        var actual = Math.Min(element[1], address.StringLength);
        return Latin1.GetString(element.Slice(2, actual));
    }

    /// <summary>
    /// Encodes a value for the whole variable. Bits are not encoded here (they are written one bit item at a time, see
    /// <see cref="EncodeBits"/>). A byte[] of exactly <see cref="S7Address.ByteLength"/> bytes is written as is.
    /// </summary>
    public static byte[] Encode(S7Address address, object? value)
    {
        if (address.Type == S7DataType.Bit) throw new InvalidOperationException("bits are written with EncodeBits");
        if (value is byte[] raw)
        {
            if (raw.Length != address.ByteLength)
                throw new S7ValueException(string.Create(CultureInfo.InvariantCulture, $"{address} takes {address.ByteLength} bytes; the Buffer has {raw.Length}"));
            return raw;
        }
        var values = Elements(address, value);
        var bytes = new byte[address.ByteLength];
        for (var i = 0; i < values.Count; i++)
        {
            var element = bytes.AsSpan(i * address.ElementSize, address.ElementSize);
            EncodeElement(address, values[i], element);
            if (address.LittleEndian) element.Reverse();
        }
        return bytes;
    }

    /// <summary>The bits of a bit variable (one for a single bit, Count for a bit array).</summary>
    public static bool[] EncodeBits(S7Address address, object? value) =>
        Elements(address, value).Select(v => ToBool(address, v)).ToArray();

    private static IReadOnlyList<object?> Elements(S7Address address, object? value)
    {
        if (address.Count == 1)
        {
            if (value is IReadOnlyList<object?> { Count: 1 } single) return single;
            if (value is IReadOnlyList<object?>) throw new S7ValueException($"{address} is a single value; an array was given");
            return [value];
        }
        if (value is not IReadOnlyList<object?> list)
            throw new S7ValueException(string.Create(CultureInfo.InvariantCulture, $"{address} is an array of {address.Count}; give an array of {address.Count} values"));
        if (list.Count != address.Count)
            throw new S7ValueException(string.Create(CultureInfo.InvariantCulture, $"{address} is an array of {address.Count}; the array given has {list.Count} values"));
        return list;
    }

    private static void EncodeElement(S7Address address, object? value, Span<byte> target)
    {
        switch (address.Type)
        {
            case S7DataType.Byte:
                target[0] = (byte)Integer(address, value, 0, byte.MaxValue);
                break;
            case S7DataType.Word:
            case S7DataType.Timer:
            case S7DataType.Counter:
                BinaryPrimitives.WriteUInt16BigEndian(target, (ushort)Integer(address, value, 0, ushort.MaxValue));
                break;
            case S7DataType.Int:
                BinaryPrimitives.WriteInt16BigEndian(target, (short)Integer(address, value, short.MinValue, short.MaxValue));
                break;
            case S7DataType.DWord:
                BinaryPrimitives.WriteUInt32BigEndian(target, (uint)Integer(address, value, 0, uint.MaxValue));
                break;
            case S7DataType.DInt:
                BinaryPrimitives.WriteInt32BigEndian(target, (int)Integer(address, value, int.MinValue, int.MaxValue));
                break;
            case S7DataType.Real:
                BinaryPrimitives.WriteSingleBigEndian(target, (float)Number(address, value));
                break;
            case S7DataType.LReal:
                BinaryPrimitives.WriteDoubleBigEndian(target, Number(address, value));
                break;
            case S7DataType.Char:
                target[0] = Character(address, value);
                break;
            case S7DataType.String:
                EncodeString(address, value, target);
                break;
            default:
                throw new InvalidOperationException(address.Type.ToString());
        }
    }

    private static void EncodeString(S7Address address, object? value, Span<byte> target)
    {
        var text = value switch
        {
            string s => s,
            double or bool => Convert.ToString(value, CultureInfo.InvariantCulture)!.ToLowerInvariant(),
            null => throw new S7ValueException($"{address}: no value to write (null)"),
            _ => throw new S7ValueException($"{address} is a STRING; cannot write a {Describe(value)}"),
        };
        if (text.Length > address.StringLength)
            throw new S7ValueException(string.Create(CultureInfo.InvariantCulture, $"{address}: \"{text}\" has {text.Length} characters, the string holds {address.StringLength}"));
        if (text.Any(c => c > 0xFF)) throw new S7ValueException($"{address}: \"{text}\" has characters outside Latin-1, which an S7 STRING cannot hold");
        target.Clear();
        target[0] = (byte)address.StringLength;
        target[1] = (byte)text.Length;
        Latin1.GetBytes(text, target[2..]);
    }

    private static byte Character(S7Address address, object? value) => value switch
    {
        string { Length: 1 } s when s[0] <= 0xFF => (byte)s[0],
        string s => throw new S7ValueException($"{address} is a CHAR; \"{s}\" is not one Latin-1 character"),
        double => (byte)Integer(address, value, 0, 255),
        _ => throw new S7ValueException($"{address} is a CHAR; cannot write a {Describe(value)}"),
    };

    private static double Number(S7Address address, object? value) => value switch
    {
        double d => d,
        int i => i,
        long l => l,
        float f => f,
        bool b => b ? 1 : 0,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        string s => throw new S7ValueException($"{address}: \"{s}\" is not a number"),
        null => throw new S7ValueException($"{address}: no value to write (null)"),
        _ => throw new S7ValueException($"{address} takes a number; cannot write a {Describe(value)}"),
    };

    private static long Integer(S7Address address, object? value, long min, long max)
    {
        var number = Number(address, value);
        if (double.IsNaN(number) || double.IsInfinity(number) || number != Math.Floor(number))
            throw new S7ValueException(string.Create(CultureInfo.InvariantCulture, $"{address}: {number} is not a whole number"));
        // Never wrap silently: a set point of 70000 in an INT would become 4464 on the machine.
        if (number < min || number > max)
            throw new S7ValueException(string.Create(CultureInfo.InvariantCulture, $"{address}: {number} is outside {min}..{max} of {address.Type.ToString().ToUpperInvariant()}"));
        return (long)number;
    }

    private static bool ToBool(S7Address address, object? value) => value switch
    {
        bool b => b,
        double d when d is 0 or 1 => d == 1,
        string s when s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "1" => true,
        string s when s.Equals("false", StringComparison.OrdinalIgnoreCase) || s == "0" => false,
        null => throw new S7ValueException($"{address}: no value to write (null)"),
        _ => throw new S7ValueException($"{address} is a bit; {Describe(value)} is not true/false or 1/0"),
    };

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"string \"{s}\"",
        double d => d.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IReadOnlyList<object?> => "array",
        _ => value.GetType().Name,
    };
}
