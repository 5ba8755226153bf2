using FlowEngine.Nodes.Modbus.Protocol.Values;

namespace FlowEngine.Nodes.Modbus.Tests.Protocol;

/// <summary>Every type in every byte order, with the exact register words expected on the wire.</summary>
public sealed class ValuesTests
{
    [Theory]
    [InlineData(ModbusByteOrder.ABCD, new ushort[] { 0x1234, 0x5678 })]
    [InlineData(ModbusByteOrder.CDAB, new ushort[] { 0x5678, 0x1234 })]
    [InlineData(ModbusByteOrder.BADC, new ushort[] { 0x3412, 0x7856 })]
    [InlineData(ModbusByteOrder.DCBA, new ushort[] { 0x7856, 0x3412 })]
    public void Int32_0x12345678_lands_in_registers_by_byte_order(ModbusByteOrder order, ushort[] expected)
    {
        Assert.Equal(expected, ModbusValues.EncodeNumber(0x12345678, ModbusValueType.Int32, order));
        Assert.Equal(0x12345678, ModbusValues.DecodeNumber(expected, ModbusValueType.Int32, order));
    }

    [Theory]
    [InlineData(ModbusByteOrder.ABCD, new ushort[] { 0x42F6, 0xE979 })]
    [InlineData(ModbusByteOrder.CDAB, new ushort[] { 0xE979, 0x42F6 })]
    [InlineData(ModbusByteOrder.BADC, new ushort[] { 0xF642, 0x79E9 })]
    [InlineData(ModbusByteOrder.DCBA, new ushort[] { 0x79E9, 0xF642 })]
    public void Float32_123_456_is_0x42F6E979_in_every_byte_order(ModbusByteOrder order, ushort[] expected)
    {
        Assert.Equal(expected, ModbusValues.EncodeNumber(123.456, ModbusValueType.Float32, order));
        Assert.Equal((double)123.456f, ModbusValues.DecodeNumber(expected, ModbusValueType.Float32, order));
    }

    [Theory]
    [InlineData(ModbusByteOrder.ABCD, new ushort[] { 0x0001, 0x0203, 0x0405, 0x0607 })]
    [InlineData(ModbusByteOrder.CDAB, new ushort[] { 0x0607, 0x0405, 0x0203, 0x0001 })]
    [InlineData(ModbusByteOrder.BADC, new ushort[] { 0x0100, 0x0302, 0x0504, 0x0706 })]
    [InlineData(ModbusByteOrder.DCBA, new ushort[] { 0x0706, 0x0504, 0x0302, 0x0100 })]
    public void Int64_0x0001020304050607_spreads_over_four_registers_by_byte_order(ModbusByteOrder order, ushort[] expected)
    {
        // Below 2^53, so the double that carries every JavaScript number holds it exactly.
        Assert.Equal(expected, ModbusValues.EncodeNumber(0x0001020304050607, ModbusValueType.Int64, order));
        Assert.Equal(0x0001020304050607, ModbusValues.DecodeNumber(expected, ModbusValueType.Int64, order));
    }

    [Theory]
    [InlineData(ModbusByteOrder.ABCD, new ushort[] { 0x4009, 0x21FB, 0x5444, 0x2D18 })]
    [InlineData(ModbusByteOrder.CDAB, new ushort[] { 0x2D18, 0x5444, 0x21FB, 0x4009 })]
    [InlineData(ModbusByteOrder.BADC, new ushort[] { 0x0940, 0xFB21, 0x4454, 0x182D })]
    [InlineData(ModbusByteOrder.DCBA, new ushort[] { 0x182D, 0x4454, 0xFB21, 0x0940 })]
    public void Float64_pi_is_0x400921FB54442D18_in_every_byte_order(ModbusByteOrder order, ushort[] expected)
    {
        Assert.Equal(expected, ModbusValues.EncodeNumber(Math.PI, ModbusValueType.Float64, order));
        Assert.Equal(Math.PI, ModbusValues.DecodeNumber(expected, ModbusValueType.Float64, order));
    }

    [Theory]
    [InlineData(ModbusValueType.Int16, -2, ModbusByteOrder.ABCD, new ushort[] { 0xFFFE })]
    [InlineData(ModbusValueType.Int16, -2, ModbusByteOrder.CDAB, new ushort[] { 0xFFFE })]
    [InlineData(ModbusValueType.Int16, -2, ModbusByteOrder.BADC, new ushort[] { 0xFEFF })]
    [InlineData(ModbusValueType.Int16, 0x1234, ModbusByteOrder.DCBA, new ushort[] { 0x3412 })]
    [InlineData(ModbusValueType.UInt16, 65535, ModbusByteOrder.ABCD, new ushort[] { 0xFFFF })]
    [InlineData(ModbusValueType.UInt16, 0x0102, ModbusByteOrder.BADC, new ushort[] { 0x0201 })]
    [InlineData(ModbusValueType.UInt32, 4000000000, ModbusByteOrder.ABCD, new ushort[] { 0xEE6B, 0x2800 })]
    [InlineData(ModbusValueType.UInt32, 4000000000, ModbusByteOrder.CDAB, new ushort[] { 0x2800, 0xEE6B })]
    [InlineData(ModbusValueType.Int32, -1, ModbusByteOrder.ABCD, new ushort[] { 0xFFFF, 0xFFFF })]
    [InlineData(ModbusValueType.Int32, -100000, ModbusByteOrder.CDAB, new ushort[] { 0x7960, 0xFFFE })]
    [InlineData(ModbusValueType.UInt64, 9007199254740992, ModbusByteOrder.ABCD, new ushort[] { 0x0020, 0, 0, 0 })]
    [InlineData(ModbusValueType.Int64, -2, ModbusByteOrder.DCBA, new ushort[] { 0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF })]
    [InlineData(ModbusValueType.Float32, -1.5, ModbusByteOrder.ABCD, new ushort[] { 0xBFC0, 0x0000 })]
    [InlineData(ModbusValueType.Float64, 1, ModbusByteOrder.CDAB, new ushort[] { 0, 0, 0, 0x3FF0 })]
    public void Integer_and_float_types_encode_to_the_exact_words(ModbusValueType type, double value, ModbusByteOrder order, ushort[] expected)
    {
        Assert.Equal(expected, ModbusValues.EncodeNumber(value, type, order));
        Assert.Equal(value, ModbusValues.DecodeNumber(expected, type, order));
    }

    public static TheoryData<ModbusValueType, ModbusByteOrder> EveryNumberTypeAndOrder()
    {
        var data = new TheoryData<ModbusValueType, ModbusByteOrder>();
        foreach (var type in Enum.GetValues<ModbusValueType>().Where(ModbusValues.IsNumeric))
        {
            foreach (var order in Enum.GetValues<ModbusByteOrder>()) data.Add(type, order);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryNumberTypeAndOrder))]
    public void Every_number_type_decodes_what_it_encodes_in_every_order(ModbusValueType type, ModbusByteOrder order)
    {
        var value = type switch
        {
            ModbusValueType.Int16 => -12345,
            ModbusValueType.UInt16 => 54321,
            ModbusValueType.Int32 => -1234567890,
            ModbusValueType.UInt32 => 3234567890,
            ModbusValueType.Int64 => -123456789012345,
            ModbusValueType.UInt64 => 123456789012345,
            ModbusValueType.Float32 => (double)3.25f,
            _ => -2.5e-300,
        };
        var registers = ModbusValues.EncodeNumber(value, type, order);
        Assert.Equal(ModbusValues.RegisterCount(type), registers.Length);
        Assert.Equal(value, ModbusValues.DecodeNumber(registers, type, order));
    }

    [Theory]
    [InlineData(ModbusByteOrder.ABCD, new ushort[] { 0x4865, 0x6C6C, 0x6F00 })]
    [InlineData(ModbusByteOrder.CDAB, new ushort[] { 0x4865, 0x6C6C, 0x6F00 })]
    [InlineData(ModbusByteOrder.BADC, new ushort[] { 0x6548, 0x6C6C, 0x006F })]
    [InlineData(ModbusByteOrder.DCBA, new ushort[] { 0x6548, 0x6C6C, 0x006F })]
    public void Strings_hold_two_characters_per_register_padded_with_nul(ModbusByteOrder order, ushort[] expected)
    {
        Assert.Equal(expected, ModbusValues.EncodeString("Hello", 3, order));
        Assert.Equal("Hello", ModbusValues.DecodeString(expected, order));
    }

    [Fact]
    public void A_string_longer_than_its_registers_is_refused()
    {
        var error = Assert.Throws<ModbusValueException>(() => ModbusValues.EncodeString("Hello", 2, ModbusByteOrder.ABCD));
        Assert.Contains("2 registers hold 4", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x0008, 3, true)]
    [InlineData(0x0008, 2, false)]
    [InlineData(0x8000, 15, true)]
    [InlineData(0x0000, null, false)]
    [InlineData(0x0100, null, true)]
    public void Bools_in_registers_read_one_bit_or_any_non_zero_value(int register, int? bit, bool expected)
    {
        Assert.Equal(expected, ModbusValues.DecodeBool((ushort)register, bit));
    }

    [Theory]
    [InlineData(ModbusValueType.Int16, 32768)]
    [InlineData(ModbusValueType.Int16, -32769)]
    [InlineData(ModbusValueType.UInt16, -1)]
    [InlineData(ModbusValueType.UInt16, 65536)]
    [InlineData(ModbusValueType.UInt32, 4294967296)]
    [InlineData(ModbusValueType.Int32, double.NaN)]
    [InlineData(ModbusValueType.Float32, 1e39)]
    public void Values_that_do_not_fit_their_type_are_refused(ModbusValueType type, double value)
    {
        Assert.Throws<ModbusValueException>(() => ModbusValues.EncodeNumber(value, type, ModbusByteOrder.ABCD));
    }

    [Fact]
    public void Integer_writes_round_half_away_from_zero()
    {
        Assert.Equal([3], ModbusValues.EncodeNumber(2.5, ModbusValueType.UInt16, ModbusByteOrder.ABCD));
        Assert.Equal([0xFFFD], ModbusValues.EncodeNumber(-2.5, ModbusValueType.Int16, ModbusByteOrder.ABCD));
    }

    [Fact]
    public void Scaling_turns_raw_1234_into_123_4_and_back()
    {
        Assert.Equal(123.4, ModbusValues.Scale(1234, 0.1, 0), 10);
        Assert.Equal(-20, ModbusValues.Scale(0, 0.5, -20));
        var raw = ModbusValues.Unscale(123.4, 0.1, 0);
        Assert.Equal([1234], ModbusValues.EncodeNumber(raw, ModbusValueType.UInt16, ModbusByteOrder.ABCD));
        Assert.Throws<ModbusValueException>(() => ModbusValues.Unscale(1, 0, 0));
    }
}
