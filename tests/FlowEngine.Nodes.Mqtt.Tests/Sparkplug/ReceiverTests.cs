using System.Buffers;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

public sealed class ReceiverTests
{
    private readonly SparkplugReceiver _receiver = new();

    private SparkplugReceived Receive(string topic, SparkplugPayload payload) =>
        _receiver.Receive(SparkplugTopic.Parse(topic)!, new ReadOnlySequence<byte>(SparkplugCodec.Encode(payload)));

    private static SparkplugPayload Birth(long bdSeq, params SparkplugMetric[] metrics) => new()
    {
        Seq = 0,
        Timestamp = 1,
        Metrics = [new SparkplugMetric { Name = "bdSeq", DataType = SparkplugDataType.Int64, Value = bdSeq }, .. metrics],
    };

    [Fact]
    public void Data_by_alias_gets_the_name_and_datatype_of_the_birth()
    {
        Receive("spBv1.0/G/NBIRTH/E", Birth(0, new SparkplugMetric { Name = "temp", Alias = 5, DataType = SparkplugDataType.Int16, Value = 1.0 }));
        // A data metric without a datatype: the codec cannot know Int16 from the wire, the birth can.
        var received = Receive("spBv1.0/G/NDATA/E", new SparkplugPayload { Seq = 1, Metrics = [new SparkplugMetric { Alias = 5, DataType = SparkplugDataType.Int16, Value = -7.0 }] });
        var reading = Assert.Single(received.Readings);
        Assert.Equal("temp", reading.Metric.Name);
        Assert.Equal(SparkplugDataType.Int16, reading.Metric.DataType);
        Assert.Equal(-7L, reading.Metric.Value);
        Assert.Null(received.RebirthReason);
    }

    [Fact]
    public void A_seq_gap_is_reported_and_asks_for_a_rebirth_and_wrapping_is_not_a_gap()
    {
        Receive("spBv1.0/G/NBIRTH/E", Birth(0, new SparkplugMetric { Name = "x", Alias = 1, DataType = SparkplugDataType.Double, Value = 0.0 }));
        for (var seq = 1; seq <= 300; seq++)
        {
            var ok = Receive("spBv1.0/G/NDATA/E", new SparkplugPayload { Seq = (ulong)(seq % 256), Metrics = [new SparkplugMetric { Alias = 1, DataType = SparkplugDataType.Double, Value = (double)seq }] });
            Assert.Null(ok.SeqGap);
        }
        var gap = Receive("spBv1.0/G/NDATA/E", new SparkplugPayload { Seq = 47, Metrics = [new SparkplugMetric { Alias = 1, DataType = SparkplugDataType.Double, Value = 1.0 }] });
        Assert.Equal((45, 47), gap.SeqGap);
        Assert.NotNull(gap.RebirthReason);
    }

    [Fact]
    public void Data_before_any_birth_and_unknown_aliases_ask_for_a_rebirth()
    {
        var early = Receive("spBv1.0/G/NDATA/E", new SparkplugPayload { Seq = 4, Metrics = [new SparkplugMetric { Alias = 1, DataType = SparkplugDataType.Double, Value = 1.0 }] });
        Assert.Contains("before any NBIRTH", early.RebirthReason, StringComparison.Ordinal);
        Receive("spBv1.0/G/NBIRTH/E", Birth(0));
        var unknown = Receive("spBv1.0/G/NDATA/E", new SparkplugPayload { Seq = 1, Metrics = [new SparkplugMetric { Alias = 99, DataType = SparkplugDataType.Double, Value = 1.0 }] });
        Assert.Contains("alias 99", unknown.RebirthReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Ndeath_with_the_births_bdseq_makes_node_and_device_metrics_stale_and_an_older_one_is_ignored()
    {
        Receive("spBv1.0/G/NBIRTH/E", Birth(3, new SparkplugMetric { Name = "n", Alias = 1, DataType = SparkplugDataType.Boolean, Value = true }));
        Receive("spBv1.0/G/DBIRTH/E/D", new SparkplugPayload { Seq = 1, Metrics = [new SparkplugMetric { Name = "d", Alias = 2, DataType = SparkplugDataType.Float, Value = 2.0 }] });
        Receive("spBv1.0/G/DDATA/E/D", new SparkplugPayload { Seq = 2, Metrics = [new SparkplugMetric { Alias = 2, DataType = SparkplugDataType.Float, Value = 3.0 }] });

        var old = Receive("spBv1.0/G/NDEATH/E", new SparkplugPayload { Metrics = [new SparkplugMetric { Name = "bdSeq", DataType = SparkplugDataType.Int64, Value = 2.0 }] });
        Assert.True(old.StaleDeath);
        Assert.Empty(old.Readings);

        var death = Receive("spBv1.0/G/NDEATH/E", new SparkplugPayload { Metrics = [new SparkplugMetric { Name = "bdSeq", DataType = SparkplugDataType.Int64, Value = 3.0 }] });
        Assert.False(death.StaleDeath);
        Assert.All(death.Readings, r => Assert.Equal(SparkplugQuality.Stale, r.Quality));
        Assert.Equal(["n", "d"], death.Readings.Select(r => r.Metric.Name));
        Assert.Equal(3.0f, death.Readings.Single(r => r.Metric.Name == "d").Metric.Value);
    }

    [Fact]
    public void Ddeath_makes_only_that_devices_metrics_stale()
    {
        Receive("spBv1.0/G/NBIRTH/E", Birth(0, new SparkplugMetric { Name = "n", Alias = 1, DataType = SparkplugDataType.Int32, Value = 1.0 }));
        Receive("spBv1.0/G/DBIRTH/E/D1", new SparkplugPayload { Seq = 1, Metrics = [new SparkplugMetric { Name = "a", Alias = 2, DataType = SparkplugDataType.Int32, Value = 1.0 }] });
        Receive("spBv1.0/G/DBIRTH/E/D2", new SparkplugPayload { Seq = 2, Metrics = [new SparkplugMetric { Name = "b", Alias = 3, DataType = SparkplugDataType.Int32, Value = 1.0 }] });
        var death = Receive("spBv1.0/G/DDEATH/E/D1", new SparkplugPayload { Seq = 3 });
        var reading = Assert.Single(death.Readings);
        Assert.Equal(("D1", "a", SparkplugQuality.Stale), (reading.DeviceId, reading.Metric.Name, reading.Quality));
        Assert.Null(death.RebirthReason);
    }

    [Fact]
    public void A_quality_property_other_than_192_makes_a_metric_bad()
    {
        var properties = new SparkplugPropertySet([new("Quality", new SparkplugPropertyValue(SparkplugDataType.Int32, 0.0))]);
        var birth = Receive("spBv1.0/G/NBIRTH/E", Birth(0, new SparkplugMetric { Name = "q", Alias = 1, DataType = SparkplugDataType.Int32, Value = 1.0, Properties = properties }));
        Assert.Equal(SparkplugQuality.Bad, birth.Readings.Single(r => r.Metric.Name == "q").Quality);
    }
}
