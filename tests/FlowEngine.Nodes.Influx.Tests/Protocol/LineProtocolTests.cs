using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx.Tests.Protocol;

public class LineProtocolTests
{
    private static LinePoint Point(string measurement, (string, string)[] tags, (string, FieldValue)[] fields, long ts = 1) =>
        new(measurement, tags.Select(t => new KeyValuePair<string, string>(t.Item1, t.Item2)).ToList(),
            fields.Select(f => new KeyValuePair<string, FieldValue>(f.Item1, f.Item2)).ToList(), ts);

    [Fact]
    public void Measurement_escapes_commas_and_spaces_but_not_equals()
    {
        var line = LineProtocol.Format(Point("my m,x=1", [], [("v", FieldValue.Of(1.5))]));
        Assert.Equal(@"my\ m\,x=1 v=1.5 1", line);
    }

    [Fact]
    public void Tag_and_field_keys_and_tag_values_escape_commas_equals_and_spaces()
    {
        var line = LineProtocol.Format(Point("m", [("tag key", "a,b=c d")], [("field=key,x", FieldValue.Of(true))]));
        Assert.Equal(@"m,tag\ key=a\,b\=c\ d field\=key\,x=true 1", line);
    }

    [Fact]
    public void String_fields_escape_quotes_and_backslashes_and_keep_unicode()
    {
        var line = LineProtocol.Format(Point("m", [], [("s", FieldValue.Of("say \"hi\" C:\\temp °C ✓"))]));
        Assert.Equal("m s=\"say \\\"hi\\\" C:\\\\temp °C ✓\" 1", line);
    }

    [Fact]
    public void Every_field_type_has_its_suffix()
    {
        var line = LineProtocol.Format(Point("m", [], [
            ("f", FieldValue.Of(-1.25e-7)), ("i", FieldValue.OfInteger(long.MinValue)), ("u", FieldValue.OfUnsigned(ulong.MaxValue)),
            ("s", FieldValue.Of("")), ("b", FieldValue.Of(false))], 1700000000000000000));
        Assert.Equal("m f=-1.25E-07,i=-9223372036854775808i,u=18446744073709551615u,s=\"\",b=false 1700000000000000000", line);
    }

    [Fact]
    public void Empty_tag_values_are_left_out()
    {
        Assert.Equal("m,b=2 v=1 1", LineProtocol.Format(Point("m", [("a", ""), ("b", "2")], [("v", FieldValue.Of(1))])));
    }

    [Theory]
    [InlineData("line\nbreak", "t")]
    [InlineData("m", "line\nbreak")]
    [InlineData("m", "ends\\")]
    [InlineData("#comment", "t")]
    [InlineData("", "t")]
    public void Unrepresentable_names_are_refused(string measurement, string tagValue)
    {
        Assert.Throws<LineProtocolException>(() => LineProtocol.Format(Point(measurement, [("t", tagValue)], [("v", FieldValue.Of(1))])));
    }

    [Fact]
    public void Non_finite_floats_and_points_without_fields_are_refused()
    {
        Assert.Throws<LineProtocolException>(() => LineProtocol.Format(Point("m", [], [("v", FieldValue.Of(double.NaN))])));
        Assert.Throws<LineProtocolException>(() => LineProtocol.Format(Point("m", [], [])));
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("ns", 1)]
    [InlineData("u", 1_000)]
    [InlineData("ms", 1_000_000)]
    [InlineData("s", 1_000_000_000)]
    [InlineData("h", 3_600_000_000_000)]
    public void Precisions_scale_to_nanoseconds(string name, long factor)
    {
        Assert.True(TimePrecisions.TryParse(name, out var precision));
        Assert.Equal(5 * factor, TimePrecisions.ToNanoseconds(5, precision));
    }

    [Fact]
    public void Timestamps_beyond_64_bits_are_refused()
    {
        Assert.Throws<LineProtocolException>(() => TimePrecisions.ToNanoseconds(1e12, TimePrecision.Seconds));
    }
}

public class TimestampPrecisionTests
{
    [Fact]
    public void Millisecond_epochs_convert_exactly_to_nanoseconds()
    {
        Assert.Equal(1700000000001000000L, TimePrecisions.ToNanoseconds(1700000000001, TimePrecision.Milliseconds));
        Assert.Equal(1700000000001500000L, TimePrecisions.ToNanoseconds(1700000000001.5, TimePrecision.Milliseconds));
        Assert.Equal(-1000000L, TimePrecisions.ToNanoseconds(-1, TimePrecision.Milliseconds));
    }
}
