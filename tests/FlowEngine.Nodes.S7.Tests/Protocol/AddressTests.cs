using FlowEngine.Nodes.S7.Protocol;

namespace FlowEngine.Nodes.S7.Tests.Protocol;

public sealed class AddressTests
{
    [Theory]
    [InlineData("DB1,REAL4", S7Area.DataBlock, 1, S7DataType.Real, 4, 0, 1, 4)]
    [InlineData("DB1,X0.1", S7Area.DataBlock, 1, S7DataType.Bit, 0, 1, 1, 1)]
    [InlineData("db10,x7.7", S7Area.DataBlock, 10, S7DataType.Bit, 7, 7, 1, 1)]
    [InlineData("DB1,INT2", S7Area.DataBlock, 1, S7DataType.Int, 2, 0, 1, 2)]
    [InlineData("DB1,INT2.5", S7Area.DataBlock, 1, S7DataType.Int, 2, 0, 5, 10)]
    [InlineData("DB1,S10.20", S7Area.DataBlock, 1, S7DataType.String, 10, 0, 1, 22)]
    [InlineData("DB1,STRING10.20.2", S7Area.DataBlock, 1, S7DataType.String, 10, 0, 2, 44)]
    [InlineData("DB3,BYTE0", S7Area.DataBlock, 3, S7DataType.Byte, 0, 0, 1, 1)]
    [InlineData("DB3,B0.4", S7Area.DataBlock, 3, S7DataType.Byte, 0, 0, 4, 4)]
    [InlineData("DB3,CHAR1", S7Area.DataBlock, 3, S7DataType.Char, 1, 0, 1, 1)]
    [InlineData("DB3,WORD2", S7Area.DataBlock, 3, S7DataType.Word, 2, 0, 1, 2)]
    [InlineData("DB3,DWORD6", S7Area.DataBlock, 3, S7DataType.DWord, 6, 0, 1, 4)]
    [InlineData("DB3,DW6", S7Area.DataBlock, 3, S7DataType.DWord, 6, 0, 1, 4)]
    [InlineData("DB3,DINT10", S7Area.DataBlock, 3, S7DataType.DInt, 10, 0, 1, 4)]
    [InlineData("DB3,DI10", S7Area.DataBlock, 3, S7DataType.DInt, 10, 0, 1, 4)]
    [InlineData("DB3,LREAL18", S7Area.DataBlock, 3, S7DataType.LReal, 18, 0, 1, 8)]
    [InlineData("DB3,X38.6.4", S7Area.DataBlock, 3, S7DataType.Bit, 38, 6, 4, 2)]
    [InlineData("DB1.DBW4", S7Area.DataBlock, 1, S7DataType.Word, 4, 0, 1, 2)]
    [InlineData("DB1.DBX6.1", S7Area.DataBlock, 1, S7DataType.Bit, 6, 1, 1, 1)]
    [InlineData("DB1.DBD0", S7Area.DataBlock, 1, S7DataType.DWord, 0, 0, 1, 4)]
    [InlineData("MW10", S7Area.Flags, 0, S7DataType.Word, 10, 0, 1, 2)]
    [InlineData("MB0", S7Area.Flags, 0, S7DataType.Byte, 0, 0, 1, 1)]
    [InlineData("MD4", S7Area.Flags, 0, S7DataType.DWord, 4, 0, 1, 4)]
    [InlineData("MDW4", S7Area.Flags, 0, S7DataType.DWord, 4, 0, 1, 4)]
    [InlineData("QDI24", S7Area.Outputs, 0, S7DataType.DInt, 24, 0, 1, 4)]
    [InlineData("IR34", S7Area.Inputs, 0, S7DataType.Real, 34, 0, 1, 4)]
    [InlineData("DB1,RREAL4", S7Area.DataBlock, 1, S7DataType.Real, 4, 0, 1, 4)]
    [InlineData("MDI4", S7Area.Flags, 0, S7DataType.DInt, 4, 0, 1, 4)]
    [InlineData("MR8", S7Area.Flags, 0, S7DataType.Real, 8, 0, 1, 4)]
    [InlineData("MI12", S7Area.Flags, 0, S7DataType.Int, 12, 0, 1, 2)]
    [InlineData("MC2", S7Area.Flags, 0, S7DataType.Char, 2, 0, 1, 1)]
    [InlineData("MLR16", S7Area.Flags, 0, S7DataType.LReal, 16, 0, 1, 8)]
    [InlineData("M0.1", S7Area.Flags, 0, S7DataType.Bit, 0, 1, 1, 1)]
    [InlineData("MX3.2", S7Area.Flags, 0, S7DataType.Bit, 3, 2, 1, 1)]
    [InlineData("I0.0", S7Area.Inputs, 0, S7DataType.Bit, 0, 0, 1, 1)]
    [InlineData("E0.0", S7Area.Inputs, 0, S7DataType.Bit, 0, 0, 1, 1)]
    [InlineData("IW2", S7Area.Inputs, 0, S7DataType.Word, 2, 0, 1, 2)]
    [InlineData("EB0", S7Area.Inputs, 0, S7DataType.Byte, 0, 0, 1, 1)]
    [InlineData("Q0.0", S7Area.Outputs, 0, S7DataType.Bit, 0, 0, 1, 1)]
    [InlineData("A0.7", S7Area.Outputs, 0, S7DataType.Bit, 0, 7, 1, 1)]
    [InlineData("QB4", S7Area.Outputs, 0, S7DataType.Byte, 4, 0, 1, 1)]
    [InlineData("AW4", S7Area.Outputs, 0, S7DataType.Word, 4, 0, 1, 2)]
    [InlineData("T1", S7Area.Timers, 0, S7DataType.Timer, 1, 0, 1, 2)]
    [InlineData("C1", S7Area.Counters, 0, S7DataType.Counter, 1, 0, 1, 2)]
    [InlineData("Z5", S7Area.Counters, 0, S7DataType.Counter, 5, 0, 1, 2)]
    [InlineData(" T2.3 ", S7Area.Timers, 0, S7DataType.Timer, 2, 0, 3, 6)]
    public void Node_red_contrib_s7_addresses_parse_to_area_type_offset_and_size(
        string text, object area, int db, object type, int offset, int bit, int count, int byteLength)
    {
        var address = S7Address.Parse(text);
        Assert.Equal(area, (object)address.Area);
        Assert.Equal(db, address.DbNumber);
        Assert.Equal(type, (object)address.Type);
        Assert.Equal(offset, address.ByteOffset);
        Assert.Equal(bit, address.BitOffset);
        Assert.Equal(count, address.Count);
        Assert.Equal(byteLength, address.ByteLength);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("DB1,REAL", "not an S7 address")]
    [InlineData("DB1,FOO4", "unknown type \"FOO\"")]
    [InlineData("DB0,INT2", "DB number 0 is outside 1..65535")]
    [InlineData("DB1,X0", "needs the bit number")]
    [InlineData("DB1,X0.8", "bit 8 is outside 0..7")]
    [InlineData("M0", "needs the bit number")]
    [InlineData("M0.9", "bit 9 is outside 0..7")]
    [InlineData("DB1,S10", "declared length")]
    [InlineData("DB1,S10.300", "string length 300 is outside 1..254")]
    [InlineData("DB1,INT2.0", "array length 0")]
    [InlineData("DB1,INT2.3.4", "too many dotted numbers")]
    [InlineData("MW70000", "offset 70000 is above 65535")]
    [InlineData("DB1.DBX0", "needs the bit number")]
    [InlineData("DB1.DBW0.1", "only DBX takes a bit number")]
    [InlineData("X10", "not an S7 address")]
    [InlineData("DB1;INT2", "not an S7 address")]
    [InlineData("DB99999999999,INT2", "too large")]
    public void Bad_addresses_say_what_is_wrong(string text, string expected)
    {
        var error = Assert.Throws<S7AddressException>(() => S7Address.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
