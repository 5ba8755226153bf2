using System.Text;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

public sealed class CodecTests
{
    private static SparkplugMetric RoundTrip(SparkplugDataType type, object? value)
    {
        var bytes = SparkplugCodec.Encode(new SparkplugPayload { Timestamp = 1, Seq = 0, Metrics = [new SparkplugMetric { Name = "m", Alias = 7, DataType = type, Value = value }] });
        var metric = Assert.Single(SparkplugCodec.Decode(bytes).Metrics);
        Assert.Equal("m", metric.Name);
        Assert.Equal(7UL, metric.Alias);
        Assert.Equal(type, metric.DataType);
        return metric;
    }

    [Theory]
    [InlineData("Int8", -128.0, -128L)]
    [InlineData("Int8", 127.0, 127L)]
    [InlineData("Int16", -32768.0, -32768L)]
    [InlineData("Int32", -2147483648.0, -2147483648L)]
    [InlineData("Int64", -9007199254740991.0, -9007199254740991L)]
    public void Signed_integers_keep_their_sign_through_the_unsigned_wire_fields(string typeName, double given, long expected)
    {
        var type = Enum.Parse<SparkplugDataType>(typeName);
        Assert.Equal(expected, RoundTrip(type, given).Value);
    }

    [Theory]
    [InlineData("UInt8", 255.0, 255UL)]
    [InlineData("UInt16", 65535.0, 65535UL)]
    [InlineData("UInt32", 4294967295.0, 4294967295UL)]
    [InlineData("UInt64", 9007199254740992.0, 9007199254740992UL)]
    public void Unsigned_integers_round_trip_at_their_maximum(string typeName, double given, ulong expected)
    {
        var type = Enum.Parse<SparkplugDataType>(typeName);
        Assert.Equal(expected, RoundTrip(type, given).Value);
    }

    [Fact]
    public void Scalars_of_every_other_type_round_trip()
    {
        Assert.Equal(1.5f, RoundTrip(SparkplugDataType.Float, 1.5).Value);
        Assert.Equal(Math.PI, RoundTrip(SparkplugDataType.Double, Math.PI).Value);
        Assert.Equal(true, RoundTrip(SparkplugDataType.Boolean, true).Value);
        Assert.Equal("héllo", RoundTrip(SparkplugDataType.String, "héllo").Value);
        Assert.Equal("long text", RoundTrip(SparkplugDataType.Text, "long text").Value);
        Assert.Equal("5f0e0f3a-2b52-4d0f-a6c1-6cbe8d1f7f11", RoundTrip(SparkplugDataType.UUID, "5f0e0f3a-2b52-4d0f-a6c1-6cbe8d1f7f11").Value);
        var time = new DateTime(2026, 11, 23, 13, 0, 0, 123, DateTimeKind.Utc);
        Assert.Equal(time, RoundTrip(SparkplugDataType.DateTime, time).Value);
        Assert.Equal(new byte[] { 0, 1, 255 }, RoundTrip(SparkplugDataType.Bytes, new byte[] { 0, 1, 255 }).Value);
        Assert.Equal(new byte[] { 9 }, RoundTrip(SparkplugDataType.File, new byte[] { 9 }).Value);
    }

    [Fact]
    public void Arrays_round_trip_packed_little_endian()
    {
        Assert.Equal(new long[] { -1, 2, -128 }, RoundTrip(SparkplugDataType.Int8Array, new List<object?> { -1.0, 2.0, -128.0 }).Value);
        Assert.Equal(new long[] { -30000, 1 }, RoundTrip(SparkplugDataType.Int16Array, new List<object?> { -30000.0, 1.0 }).Value);
        Assert.Equal(new long[] { int.MinValue, 5 }, RoundTrip(SparkplugDataType.Int32Array, new List<object?> { (double)int.MinValue, 5.0 }).Value);
        Assert.Equal(new long[] { -5, 1L << 40 }, RoundTrip(SparkplugDataType.Int64Array, new List<object?> { -5.0, (double)(1L << 40) }).Value);
        Assert.Equal(new ulong[] { 0, 255 }, RoundTrip(SparkplugDataType.UInt8Array, new List<object?> { 0.0, 255.0 }).Value);
        Assert.Equal(new ulong[] { 65535 }, RoundTrip(SparkplugDataType.UInt16Array, new List<object?> { 65535.0 }).Value);
        Assert.Equal(new ulong[] { uint.MaxValue }, RoundTrip(SparkplugDataType.UInt32Array, new List<object?> { (double)uint.MaxValue }).Value);
        Assert.Equal(new ulong[] { 1UL << 60 }, RoundTrip(SparkplugDataType.UInt64Array, new List<object?> { 1UL << 60 }).Value);
        Assert.Equal(new float[] { 1.25f, -2 }, RoundTrip(SparkplugDataType.FloatArray, new List<object?> { 1.25, -2.0 }).Value);
        Assert.Equal(new double[] { 0.1, 1e300 }, RoundTrip(SparkplugDataType.DoubleArray, new List<object?> { 0.1, 1e300 }).Value);
        Assert.Equal(new[] { true, false, true, true, false, false, false, false, true }, RoundTrip(SparkplugDataType.BooleanArray, new List<object?> { true, false, true, true, false, false, false, false, true }).Value);
        Assert.Equal(new[] { "a", "", "ü" }, RoundTrip(SparkplugDataType.StringArray, new List<object?> { "a", "", "ü" }).Value);
        var t = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        Assert.Equal(new[] { t }, RoundTrip(SparkplugDataType.DateTimeArray, new List<object?> { t }).Value);
    }

    [Fact]
    public void Boolean_array_is_a_count_then_bits_from_the_high_bit()
    {
        var packed = SparkplugValues.PackArray(SparkplugDataType.BooleanArray, new[] { true, false, true });
        Assert.Equal(new byte[] { 3, 0, 0, 0, 0b1010_0000 }, packed);
        Assert.Equal("a\0b\0"u8.ToArray(), SparkplugValues.PackArray(SparkplugDataType.StringArray, new[] { "a", "b" }));
    }

    [Fact]
    public void Datasets_templates_properties_and_metadata_round_trip()
    {
        var dataSet = new SparkplugDataSet(["id", "name", "ok", "temp"], [SparkplugDataType.Int32, SparkplugDataType.String, SparkplugDataType.Boolean, SparkplugDataType.Double],
            [new List<object?> { -1.0, "a", true, 1.5 }, new List<object?> { 2.0, "b", false, null }]);
        var decodedSet = (SparkplugDataSet)RoundTrip(SparkplugDataType.DataSet, dataSet).Value!;
        Assert.Equal(dataSet.Columns, decodedSet.Columns);
        Assert.Equal(dataSet.Types, decodedSet.Types);
        Assert.Equal(new object?[] { -1L, "a", true, 1.5 }, decodedSet.Rows[0]);
        Assert.Equal(new object?[] { 2L, "b", false, null }, decodedSet.Rows[1]);

        var template = new SparkplugTemplate
        {
            TemplateRef = "Motor",
            Version = "1.0",
            Metrics = [new SparkplugMetric { Name = "rpm", DataType = SparkplugDataType.UInt16, Value = 1500.0 }],
            Parameters = [new SparkplugTemplateParameter("maxRpm", SparkplugDataType.Int32, -3.0)],
        };
        var decodedTemplate = (SparkplugTemplate)RoundTrip(SparkplugDataType.Template, template).Value!;
        Assert.Equal("Motor", decodedTemplate.TemplateRef);
        Assert.Equal("1.0", decodedTemplate.Version);
        Assert.Equal(1500UL, Assert.Single(decodedTemplate.Metrics).Value);
        Assert.Equal(-3L, Assert.Single(decodedTemplate.Parameters).Value);

        var properties = new SparkplugPropertySet([
            new("engUnit", new SparkplugPropertyValue(SparkplugDataType.String, "°C")),
            new("Quality", new SparkplugPropertyValue(SparkplugDataType.Int32, 192.0)),
            new("limits", new SparkplugPropertyValue(SparkplugDataType.PropertySet, new SparkplugPropertySet([new("hi", new SparkplugPropertyValue(SparkplugDataType.Double, 90.0))]))),
        ]);
        var bytes = SparkplugCodec.Encode(new SparkplugPayload
        {
            Metrics = [new SparkplugMetric { Name = "t", DataType = SparkplugDataType.Double, Value = 1.0, Properties = properties, MetaData = new SparkplugMetaData { Description = "probe", ContentType = "x" } }],
        });
        var metric = Assert.Single(SparkplugCodec.Decode(bytes).Metrics);
        Assert.Equal("°C", metric.Properties!["engUnit"]!.Value);
        Assert.Equal(192L, metric.Properties["Quality"]!.Value);
        Assert.Equal(90.0, ((SparkplugPropertySet)metric.Properties["limits"]!.Value!)["hi"]!.Value);
        Assert.Equal("probe", metric.MetaData!.Description);
    }

    [Fact]
    public void Null_metrics_carry_is_null_and_no_value()
    {
        var metric = RoundTrip(SparkplugDataType.Int32, null);
        Assert.True(metric.IsNull);
        Assert.Null(metric.Value);
    }

    [Theory]
    [InlineData("Int8", 128.0)]
    [InlineData("UInt8", -1.0)]
    [InlineData("Int32", 1.5)]
    [InlineData("Boolean", "yes")]
    [InlineData("Double", "abc")]
    public void Values_that_do_not_fit_their_type_are_refused_with_the_reason(string typeName, object value)
    {
        var type = Enum.Parse<SparkplugDataType>(typeName);
        var ex = Assert.Throws<SparkplugFormatException>(() => SparkplugCodec.Encode(new SparkplugPayload { Metrics = [new SparkplugMetric { Name = "m", DataType = type, Value = value }] }));
        Assert.Contains(type.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_protobuf_are_a_format_error()
    {
        Assert.Throws<SparkplugFormatException>(() => SparkplugCodec.Decode(Encoding.UTF8.GetBytes("not protobuf")));
        Assert.Throws<SparkplugFormatException>(() => SparkplugCodec.Decode(new byte[] { 0x12, 0x05, 0x0a }));
    }

    [Fact]
    public void Uint32_written_in_int_value_by_other_implementations_is_accepted()
    {
        // Field 2 (metric), length 4: datatype (field 4) = 7 (UInt32), int_value (field 10) = 5.
        var bytes = new byte[] { 0x12, 0x04, 0x20, 0x07, 0x50, 0x05 };
        Assert.Equal(5UL, Assert.Single(SparkplugCodec.Decode(bytes).Metrics).Value);
    }

    [Theory]
    [InlineData("spBv1.0/G/NBIRTH/E", "NBIRTH", "G", "E", null)]
    [InlineData("spBv1.0/G/DDATA/E/D", "DDATA", "G", "E", "D")]
    [InlineData("spBv1.0/STATE/host1", "STATE", "", "host1", null)]
    public void Topics_parse_into_group_type_edge_and_device(string text, string typeName, string group, string edge, string? device)
    {
        var type = Enum.Parse<SparkplugMessageType>(typeName);
        var topic = SparkplugTopic.Parse(text)!;
        Assert.Equal(new SparkplugTopic(group, type, edge, device), topic);
        Assert.Equal(text, topic.ToString());
    }

    [Theory]
    [InlineData("spBv1.0/G/NBIRTH/E/D")]
    [InlineData("spBv1.0/G/DDATA/E")]
    [InlineData("spAv1.0/G/NBIRTH/E")]
    [InlineData("spBv1.0/G/XDATA/E")]
    public void Malformed_topics_are_not_sparkplug(string text) => Assert.Null(SparkplugTopic.Parse(text));
}
