using FlowEngine.Core.Values;
using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>node-red-contrib-influxdb's payload shapes become the same points here.</summary>
public class PointMapperTests
{
    private long _clock = 1_000;

    private PointMapper Mapper(TimePrecision precision = TimePrecision.Milliseconds, bool unsigned = false) => new(precision, unsigned, () => ++_clock);

    private static JsObject Msg(string json) => (JsObject)JsJson.Parse(json)!;

    private static string Lines(IEnumerable<LinePoint> points) => string.Join("\n", points.Select(LineProtocol.Format));

    [Fact]
    public void A_number_is_the_field_value()
    {
        Assert.Equal("temp value=21.5 1001", Lines(Mapper().FromOutMessage(Msg("""{"payload":21.5}"""), "temp")));
    }

    [Fact]
    public void A_string_and_a_boolean_are_the_field_value_too()
    {
        Assert.Equal("m value=\"on\" 1001", Lines(Mapper().FromOutMessage(Msg("""{"payload":"on"}"""), "m")));
        Assert.Equal("m value=true 1002", Lines(Mapper().FromOutMessage(Msg("""{"payload":true}"""), "m")));
    }

    [Fact]
    public void An_object_is_the_fields_and_msg_measurement_overrides_the_node()
    {
        var points = Mapper().FromOutMessage(Msg("""{"measurement":"override","payload":{"a":1,"n":"7i","s":"x","b":false}}"""), "node");
        Assert.Equal("override a=1,n=7i,s=\"x\",b=false 1001", Lines(points));
    }

    [Fact]
    public void Fields_and_tags_array_is_one_point_with_sorted_tags()
    {
        var points = Mapper().FromOutMessage(Msg("""{"payload":[{"v":1},{"zone":"b","area":"a"}]}"""), "m");
        Assert.Equal("m,area=a,zone=b v=1 1001", Lines(points));
    }

    [Fact]
    public void Array_of_arrays_is_several_points_with_distinct_receive_times()
    {
        var points = Mapper().FromOutMessage(Msg("""{"payload":[[{"v":1},{"t":"a"}],[{"v":2},{"t":"a"}]]}"""), "m");
        Assert.Equal("m,t=a v=1 1001\nm,t=a v=2 1002", Lines(points));
    }

    [Fact]
    public void A_time_field_is_the_timestamp_in_the_node_precision()
    {
        var points = Mapper(TimePrecision.Seconds).FromOutMessage(Msg("""{"payload":{"v":1,"time":1700000000}}"""), "m");
        Assert.Equal("m v=1 1700000000000000000", Lines(points));
    }

    [Fact]
    public void A_date_time_field_is_exact_whatever_the_precision()
    {
        var msg = new JsObject { ["payload"] = new JsObject { ["v"] = 1.0, ["time"] = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc) } };
        var points = Mapper(TimePrecision.Seconds).FromOutMessage(msg, "m");
        Assert.Equal(TimePrecisions.ToNanoseconds(new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc)), points[0].TimestampNs);
    }

    [Fact]
    public void Batch_payload_is_an_array_of_complete_points()
    {
        var points = Mapper().FromBatchMessage(Msg("""
            {"payload":[
              {"measurement":"weather","fields":{"temp":5.5,"count":"3i"},"tags":{"site":"north"},"timestamp":1700000000000},
              {"measurement":"power","fields":{"kw":2},"tags":{}}
            ]}
            """));
        Assert.Equal("weather,site=north temp=5.5,count=3i 1700000000000000000\npower kw=2 1001", Lines(points));
    }

    [Fact]
    public void Unsigned_strings_are_integers_only_for_flowengine_nodes()
    {
        Assert.Equal("m value=\"5u\" 1001", Lines(Mapper(unsigned: false).FromOutMessage(Msg("""{"payload":"5u"}"""), "m")));
        Assert.Equal("m value=5u 1002", Lines(Mapper(unsigned: true).FromOutMessage(Msg("""{"payload":"5u"}"""), "m")));
    }

    [Theory]
    [InlineData("""{"payload":null}""")]
    [InlineData("""{"payload":{"v":{"nested":1}}}""")]
    [InlineData("""{"payload":{}}""")]
    [InlineData("""{"payload":[{"v":1},"tags"]}""")]
    [InlineData("""{"payload":{"v":"99999999999999999999i"}}""")]
    public void Bad_payloads_are_refused_with_a_reason(string json)
    {
        var ex = Assert.Throws<LineProtocolException>(() => Mapper().FromOutMessage(Msg(json), "m"));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void No_measurement_anywhere_is_refused()
    {
        Assert.Throws<LineProtocolException>(() => Mapper().FromOutMessage(Msg("""{"payload":1}"""), ""));
    }
}
