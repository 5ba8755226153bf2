using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;

namespace FlowEngine.Nodes.OpcUa.Tests.Protocol;

/// <summary>The binary encoding of every built-in type, round trip and against bytes from Part 6.</summary>
public sealed class CodecTests
{
    private static readonly Guid SampleGuid = Guid.Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63");

    public static TheoryData<Variant> Scalars() => new()
    {
        new Variant(BuiltInType.Boolean, true),
        new Variant(BuiltInType.SByte, (sbyte)-5),
        new Variant(BuiltInType.Byte, (byte)250),
        new Variant(BuiltInType.Int16, (short)-30000),
        new Variant(BuiltInType.UInt16, (ushort)65000),
        new Variant(BuiltInType.Int32, -2000000000),
        new Variant(BuiltInType.UInt32, 4000000000u),
        new Variant(BuiltInType.Int64, long.MinValue),
        new Variant(BuiltInType.UInt64, ulong.MaxValue),
        new Variant(BuiltInType.Float, 1.25f),
        new Variant(BuiltInType.Double, -0.1),
        new Variant(BuiltInType.String, "Grüße ✓"),
        new Variant(BuiltInType.DateTime, new DateTime(2024, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc)),
        new Variant(BuiltInType.Guid, SampleGuid),
        new Variant(BuiltInType.ByteString, new byte[] { 0, 1, 255 }),
        new Variant(BuiltInType.XmlElement, new XmlElement("<a b=\"1\"/>")),
        new Variant(BuiltInType.NodeId, new NodeId(2, NodeIdType.Opaque, new byte[] { 9, 8 })),
        new Variant(BuiltInType.ExpandedNodeId, new ExpandedNodeId(new NodeId(0, "x"), "urn:a", 3)),
        new Variant(BuiltInType.StatusCode, new StatusCode(StatusCodes.BadNotWritable)),
        new Variant(BuiltInType.QualifiedName, new QualifiedName(1, "Device")),
        new Variant(BuiltInType.LocalizedText, new LocalizedText("de", "Hallo")),
        new Variant(BuiltInType.ExtensionObject, new ExtensionObject(new NodeId(3, 5001u), ExtensionObject.BinaryBody, new byte[] { 1, 2, 3, 4 })),
        new Variant(BuiltInType.DataValue, new DataValue(new Variant(BuiltInType.Int32, 7), new StatusCode(StatusCodes.UncertainLastUsableValue), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), null, 5)),
        new Variant(BuiltInType.Variant, new Variant(BuiltInType.String, "inner")),
        new Variant(BuiltInType.DiagnosticInfo, new DiagnosticInfo(1, 2, 3, 4, "more", new StatusCode(StatusCodes.BadTimeout), new DiagnosticInfo(AdditionalInfo: "inner"))),
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void Every_built_in_type_round_trips_as_scalar_and_array(Variant scalar)
    {
        Assert.Equal(scalar, RoundTrip(scalar));
        var array = new Variant(scalar.Type, new[] { scalar.Value, scalar.Value }, true);
        Assert.Equal(array, RoundTrip(array));
    }

    [Fact]
    public void Multi_dimensional_arrays_keep_their_dimensions()
    {
        var matrix = new Variant(BuiltInType.Int32, new object?[] { 1, 2, 3, 4, 5, 6 }, true, [2, 3]);
        var decoded = RoundTrip(matrix);
        Assert.Equal([2, 3], decoded.Dimensions!);
        Assert.Equal("[[1,2,3],[4,5,6]]", FlowEngine.Core.Values.JsJson.Serialize(OpcUaValues.ToJs(decoded)));
    }

    [Fact]
    public void Node_ids_use_the_shortest_encoding_of_part_6()
    {
        Assert.Equal("0055", Hex(w => w.WriteNodeId(new NodeId(0, 85u))));
        Assert.Equal("0101D204", Hex(w => w.WriteNodeId(new NodeId(1, 1234u))));
        Assert.Equal("020A00A0860100", Hex(w => w.WriteNodeId(new NodeId(10, 100000u))));
        Assert.Equal("030100020000006162", Hex(w => w.WriteNodeId(new NodeId(1, "ab"))));
    }

    [Fact]
    public void Strings_distinguish_null_from_empty_and_datetime_zero_is_null()
    {
        Assert.Equal("FFFFFFFF", Hex(w => w.WriteString(null)));
        Assert.Equal("00000000", Hex(w => w.WriteString("")));
        Assert.Null(new UaBinaryReader(new byte[8]).ReadDateTime());
    }

    [Theory]
    [InlineData("ns=1;s=Temperature", "ns=1;s=Temperature")]
    [InlineData("i=85", "i=85")]
    [InlineData("ns=0;i=85", "i=85")]
    [InlineData("ns=2;g=72962b91-fa75-4ae6-8d28-b404dc7daf63", "ns=2;g=72962b91-fa75-4ae6-8d28-b404dc7daf63")]
    [InlineData("ns=3;b=AQI=", "ns=3;b=AQI=")]
    public void Node_id_text_forms_parse_and_print(string text, string printed) => Assert.Equal(printed, NodeId.Parse(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("ns=x;s=A")]
    [InlineData("ns=1;q=A")]
    [InlineData("i=-1")]
    [InlineData("ns=1;g=notaguid")]
    public void Bad_node_id_text_is_refused_with_a_reason(string text)
    {
        Assert.False(NodeId.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Status_codes_have_their_standard_names()
    {
        Assert.Equal("BadNodeIdUnknown", new StatusCode(0x80340000).Name);
        Assert.Equal("BadCertificateUntrusted", new StatusCode(0x801A0000).Name);
        Assert.Equal("GoodClamped", new StatusCode(0x00300000).Name);
        Assert.Equal("BadNotWritable", new StatusCode(0x803B0000 | 0x400).Name); // info bits do not change the name
        Assert.Equal("Bad(0x80FF0000)", new StatusCode(0x80FF0000).Name);
        Assert.True(new StatusCode(0x408F0000).IsUncertain);
    }

    [Fact]
    public void Lengths_beyond_the_message_are_refused_instead_of_allocating()
    {
        var w = new UaBinaryWriter();
        w.WriteByte(0x80 | (byte)BuiltInType.Int32);
        w.WriteInt32(int.MaxValue);
        Assert.Throws<UaEncodingException>(() => new UaBinaryReader(w.ToArray()).ReadVariant());
        Assert.Throws<UaEncodingException>(() => new UaBinaryReader(new byte[] { 0x10, 0, 0, 0, 1 }).ReadString());
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoder_with_anything_but_an_encoding_error()
    {
        var random = new Random(1234);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(1, 64)];
            random.NextBytes(bytes);
            try
            {
                new UaBinaryReader(bytes).ReadVariant();
            }
            catch (UaEncodingException)
            {
            }
        }
    }

    [Fact]
    public void P_sha256_key_derivation_gives_80_bytes_split_into_sign_encrypt_and_iv_keys()
    {
        var a = Basic256Sha256.DeriveKeys(new byte[32], Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var b = Basic256Sha256.DeriveKeys(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), new byte[32]);
        Assert.Equal(32, a.SigningKey.Length);
        Assert.Equal(32, a.EncryptingKey.Length);
        Assert.Equal(16, a.InitializationVector.Length);
        Assert.NotEqual(a.SigningKey, b.SigningKey);
        var plain = new byte[48];
        Assert.Equal(plain, Basic256Sha256.SymmetricDecrypt(a, Basic256Sha256.SymmetricEncrypt(a, plain)));
    }

    private static Variant RoundTrip(Variant value)
    {
        var w = new UaBinaryWriter();
        w.WriteVariant(value);
        var r = new UaBinaryReader(w.ToArray());
        var decoded = r.ReadVariant();
        Assert.Equal(0, r.Remaining);
        return decoded;
    }

    private static string Hex(Action<UaBinaryWriter> write)
    {
        var w = new UaBinaryWriter();
        write(w);
        return Convert.ToHexString(w.WrittenSpan);
    }
}
