using FlowEngine.Nodes.S7.Protocol;

namespace FlowEngine.Nodes.S7.Tests.Protocol;

public sealed class ValuesTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    [Theory]
    [InlineData("DB1,BYTE0", "A5", 165.0)]
    [InlineData("DB1,WORD0", "BEEF", 48879.0)]
    [InlineData("DB1,INT0", "FB2E", -1234.0)]
    [InlineData("DB1,DWORD0", "DEADBEEF", 3735928559.0)]
    [InlineData("DB1,DINT0", "F8A432EB", -123456789.0)]
    [InlineData("DB1,REAL0", "40500000", 3.25)]
    [InlineData("DB1,LREAL0", "40934A456D5CFAAD", 1234.5678)]
    [InlineData("T0", "1234", 4660.0)]
    public void Numbers_decode_big_endian_and_encode_back_to_the_same_bytes(string address, string hex, double value)
    {
        var parsed = S7Address.Parse(address);
        Assert.Equal(value, S7Values.Decode(parsed, Hex(hex)));
        Assert.Equal(Hex(hex), S7Values.Encode(parsed, value));
    }

    [Theory]
    [InlineData("DB1,RWORD0", "EFBE", 48879.0)]
    [InlineData("DB1,RINT0", "2EFB", -1234.0)]
    [InlineData("DB1,RDINT0", "EB32A4F8", -123456789.0)]
    [InlineData("DB1,RDWORD0", "EFBEADDE", 3735928559.0)]
    [InlineData("DB1,RREAL0", "00005040", 3.25)]
    [InlineData("MRW0", "EFBE", 48879.0)]
    public void Reversed_types_are_little_endian(string address, string hex, double value)
    {
        var parsed = S7Address.Parse(address);
        Assert.True(parsed.LittleEndian);
        Assert.Equal(value, S7Values.Decode(parsed, Hex(hex)));
        Assert.Equal(Hex(hex), S7Values.Encode(parsed, value));
    }

    [Fact]
    public void Strings_use_max_and_actual_length_bytes_and_chars_are_one_latin1_byte()
    {
        var text = S7Address.Parse("DB1,S0.10");
        Assert.Equal("Hello", S7Values.Decode(text, Hex("0A 05 48656C6C6F 0000000000")));
        Assert.Equal(Hex("0A 03 416263 00000000000000"), S7Values.Encode(text, "Abc"));
        // An actual length beyond the declared one is clipped, not a crash.
        Assert.Equal("AB", S7Values.Decode(S7Address.Parse("DB1,S0.2"), Hex("02 09 4142")));
        Assert.Equal("é", S7Values.Decode(S7Address.Parse("DB1,CHAR0"), Hex("E9")));
        Assert.Equal(Hex("5A"), S7Values.Encode(S7Address.Parse("DB1,CHAR0"), "Z"));
    }

    [Fact]
    public void Bits_and_arrays_decode_to_booleans_and_lists()
    {
        Assert.Equal(true, S7Values.Decode(S7Address.Parse("DB1,X0.2"), Hex("04")));
        Assert.Equal(false, S7Values.Decode(S7Address.Parse("DB1,X0.1"), Hex("04")));
        Assert.Equal(new List<object?> { true, false, true }, S7Values.Decode(S7Address.Parse("DB1,X0.6.3"), Hex("40 01")));
        Assert.Equal(new List<object?> { 1.0, -2.0 }, S7Values.Decode(S7Address.Parse("DB1,INT0.2"), Hex("0001 FFFE")));
        Assert.Equal([true, false], S7Values.EncodeBits(S7Address.Parse("M0.0.2"), new List<object?> { true, 0.0 }));
    }

    [Theory]
    [InlineData("DB1,INT0", 40000.0, "outside -32768..32767")]
    [InlineData("DB1,BYTE0", -1.0, "outside 0..255")]
    [InlineData("DB1,WORD0", 1.5, "not a whole number")]
    [InlineData("DB1,DINT0", "abc", "\"abc\" is not a number")]
    [InlineData("DB1,REAL0", null, "no value")]
    [InlineData("DB1,S0.3", "toolong", "the string holds 3")]
    [InlineData("DB1,CHAR0", "ab", "not one Latin-1 character")]
    [InlineData("DB1,INT0.2", 3.0, "give an array of 2")]
    public void Values_that_do_not_fit_are_refused_not_wrapped(string address, object? value, string expected)
    {
        var error = Assert.Throws<S7ValueException>(() => S7Values.Encode(S7Address.Parse(address), value));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bit_takes_booleans_or_one_and_zero_only()
    {
        var bit = S7Address.Parse("Q0.0");
        Assert.Equal([true], S7Values.EncodeBits(bit, "true"));
        Assert.Equal([false], S7Values.EncodeBits(bit, 0.0));
        Assert.Contains("not true/false", Assert.Throws<S7ValueException>(() => S7Values.EncodeBits(bit, 2.0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_buffer_of_the_exact_size_is_written_as_is()
    {
        Assert.Equal(Hex("0102"), S7Values.Encode(S7Address.Parse("MW0"), Hex("0102")));
        Assert.Throws<S7ValueException>(() => S7Values.Encode(S7Address.Parse("MW0"), Hex("010203")));
    }
}
