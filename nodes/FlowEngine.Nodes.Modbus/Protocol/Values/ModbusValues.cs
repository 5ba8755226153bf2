using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace FlowEngine.Nodes.Modbus.Protocol.Values;

/// <summary>How a tag's registers (or bit) are read as a value.</summary>
public enum ModbusValueType
{
    Bool,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    String,
}

/// <summary>
/// Byte order of multi-register values, named by where the bytes of the big-endian value A B C D land in the
/// registers. Modbus itself only fixes the byte order inside one register (big-endian, Modbus Application Protocol
/// v1.1b3 §4.2); devices disagree on the order of the registers, hence the options.
/// ABCD: big-endian, high word first. CDAB: low word first ("word swap"). BADC: bytes swapped in each register.
/// DCBA: little-endian. For 64-bit values the same rule extends to four registers.
/// </summary>
public enum ModbusByteOrder
{
    ABCD,
    CDAB,
    BADC,
    DCBA,
}

/// <summary>A value that does not fit the type it is written as, or a value of the wrong kind.</summary>
public sealed class ModbusValueException(string message) : Exception(message);

/// <summary>Encodes and decodes typed values to and from 16-bit registers. Pure; no I/O.</summary>
public static class ModbusValues
{
    /// <summary>Registers one value occupies. Strings take <paramref name="stringRegisters"/> (two characters per register).</summary>
    public static int RegisterCount(ModbusValueType type, int stringRegisters = 1) => type switch
    {
        ModbusValueType.Bool or ModbusValueType.Int16 or ModbusValueType.UInt16 => 1,
        ModbusValueType.Int32 or ModbusValueType.UInt32 or ModbusValueType.Float32 => 2,
        ModbusValueType.Int64 or ModbusValueType.UInt64 or ModbusValueType.Float64 => 4,
        ModbusValueType.String => Math.Max(1, stringRegisters),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool IsNumeric(ModbusValueType type) => type is not (ModbusValueType.Bool or ModbusValueType.String);

    /// <summary>
    /// Decodes a numeric value (returned as double, like every JavaScript number), before scaling. 64-bit integers
    /// beyond 2^53 lose precision in a double; that is the price of JavaScript-compatible messages.
    /// </summary>
    public static double DecodeNumber(ReadOnlySpan<ushort> registers, ModbusValueType type, ModbusByteOrder order)
    {
        var count = RegisterCount(type);
        if (registers.Length < count) throw new ModbusValueException($"{type} needs {count} registers, got {registers.Length}");
        Span<byte> bytes = stackalloc byte[count * 2];
        ToBigEndian(registers[..count], order, bytes);
        return type switch
        {
            ModbusValueType.Int16 => BinaryPrimitives.ReadInt16BigEndian(bytes),
            ModbusValueType.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            ModbusValueType.Int32 => BinaryPrimitives.ReadInt32BigEndian(bytes),
            ModbusValueType.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            ModbusValueType.Int64 => BinaryPrimitives.ReadInt64BigEndian(bytes),
            ModbusValueType.UInt64 => BinaryPrimitives.ReadUInt64BigEndian(bytes),
            ModbusValueType.Float32 => BinaryPrimitives.ReadSingleBigEndian(bytes),
            ModbusValueType.Float64 => BinaryPrimitives.ReadDoubleBigEndian(bytes),
            _ => throw new ModbusValueException($"{type} is not a number type"),
        };
    }

    /// <summary>Encodes a number (after removing scaling) as registers. Integers are rounded half away from zero and range-checked.</summary>
    public static ushort[] EncodeNumber(double value, ModbusValueType type, ModbusByteOrder order)
    {
        if (double.IsNaN(value) && type is not (ModbusValueType.Float32 or ModbusValueType.Float64))
            throw new ModbusValueException($"NaN cannot be written as {type}");
        var count = RegisterCount(type);
        Span<byte> bytes = stackalloc byte[count * 2];
        switch (type)
        {
            case ModbusValueType.Int16: BinaryPrimitives.WriteInt16BigEndian(bytes, (short)Integer(value, short.MinValue, short.MaxValue, type)); break;
            case ModbusValueType.UInt16: BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)Integer(value, ushort.MinValue, ushort.MaxValue, type)); break;
            case ModbusValueType.Int32: BinaryPrimitives.WriteInt32BigEndian(bytes, (int)Integer(value, int.MinValue, int.MaxValue, type)); break;
            case ModbusValueType.UInt32: BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Integer(value, uint.MinValue, uint.MaxValue, type)); break;
            case ModbusValueType.Int64: BinaryPrimitives.WriteInt64BigEndian(bytes, (long)Integer(value, -9.2233720368547758E18, 9.2233720368547748E18, type)); break;
            case ModbusValueType.UInt64: BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)Integer(value, 0, 1.8446744073709550E19, type)); break;
            case ModbusValueType.Float32:
                if (double.IsFinite(value) && Math.Abs(value) > float.MaxValue) throw new ModbusValueException($"{Text(value)} does not fit {type}");
                BinaryPrimitives.WriteSingleBigEndian(bytes, (float)value);
                break;
            case ModbusValueType.Float64: BinaryPrimitives.WriteDoubleBigEndian(bytes, value); break;
            default: throw new ModbusValueException($"{type} is not a number type");
        }
        var registers = new ushort[count];
        FromBigEndian(bytes, order, registers);
        return registers;
    }

    /// <summary>A bool stored in a register: bit <paramref name="bit"/> (0 = least significant) when given, else any non-zero value.</summary>
    public static bool DecodeBool(ushort register, int? bit) => bit is { } b ? (register & (1 << b)) != 0 : register != 0;

    /// <summary>
    /// Decodes a string of Latin-1 characters, two per register, up to the first NUL. ABCD and CDAB put the first
    /// character in the high byte (the common convention); BADC and DCBA put it in the low byte. Register order is
    /// never reversed for strings.
    /// </summary>
    public static string DecodeString(ReadOnlySpan<ushort> registers, ModbusByteOrder order)
    {
        var bytes = new byte[registers.Length * 2];
        var lowFirst = order is ModbusByteOrder.BADC or ModbusByteOrder.DCBA;
        for (var i = 0; i < registers.Length; i++)
        {
            var (first, second) = ((byte)(registers[i] >> 8), (byte)registers[i]);
            if (lowFirst) (first, second) = (second, first);
            bytes[i * 2] = first;
            bytes[i * 2 + 1] = second;
        }
        var end = Array.IndexOf(bytes, (byte)0);
        return Encoding.Latin1.GetString(bytes, 0, end < 0 ? bytes.Length : end);
    }

    public static ushort[] EncodeString(string value, int registerCount, ModbusByteOrder order)
    {
        if (value.Any(c => c > 0xFF)) throw new ModbusValueException($"\"{value}\" has characters outside Latin-1");
        var bytes = Encoding.Latin1.GetBytes(value);
        if (bytes.Length > registerCount * 2) throw new ModbusValueException($"\"{value}\" is {bytes.Length} characters; {registerCount} registers hold {registerCount * 2}");
        var registers = new ushort[registerCount];
        var lowFirst = order is ModbusByteOrder.BADC or ModbusByteOrder.DCBA;
        for (var i = 0; i < registerCount; i++)
        {
            var first = i * 2 < bytes.Length ? bytes[i * 2] : (byte)0;
            var second = i * 2 + 1 < bytes.Length ? bytes[i * 2 + 1] : (byte)0;
            if (lowFirst) (first, second) = (second, first);
            registers[i] = (ushort)(first << 8 | second);
        }
        return registers;
    }

    /// <summary>Engineering value = raw × scale + offset.</summary>
    public static double Scale(double raw, double scale, double offset) => scale == 1 && offset == 0 ? raw : raw * scale + offset;

    /// <summary>Raw value = (engineering value − offset) / scale.</summary>
    public static double Unscale(double value, double scale, double offset)
    {
        if (scale == 0) throw new ModbusValueException("scale 0 cannot be reversed for a write");
        return scale == 1 && offset == 0 ? value : (value - offset) / scale;
    }

    /// <summary>Registers as they came off the wire → the value's big-endian bytes.</summary>
    private static void ToBigEndian(ReadOnlySpan<ushort> registers, ModbusByteOrder order, Span<byte> bytes)
    {
        var n = registers.Length;
        for (var i = 0; i < n; i++)
        {
            var word = order is ModbusByteOrder.CDAB or ModbusByteOrder.DCBA ? registers[n - 1 - i] : registers[i];
            if (order is ModbusByteOrder.BADC or ModbusByteOrder.DCBA) word = BinaryPrimitives.ReverseEndianness(word);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[(i * 2)..], word);
        }
    }

    /// <summary>The inverse of <see cref="ToBigEndian"/>: each order is its own inverse.</summary>
    private static void FromBigEndian(ReadOnlySpan<byte> bytes, ModbusByteOrder order, Span<ushort> registers)
    {
        var n = registers.Length;
        for (var i = 0; i < n; i++)
        {
            var word = BinaryPrimitives.ReadUInt16BigEndian(bytes[(i * 2)..]);
            if (order is ModbusByteOrder.BADC or ModbusByteOrder.DCBA) word = BinaryPrimitives.ReverseEndianness(word);
            registers[order is ModbusByteOrder.CDAB or ModbusByteOrder.DCBA ? n - 1 - i : i] = word;
        }
    }

    private static double Integer(double value, double min, double max, ModbusValueType type)
    {
        var rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        if (!double.IsFinite(rounded) || rounded < min || rounded > max) throw new ModbusValueException($"{Text(value)} does not fit {type}");
        return rounded;
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
