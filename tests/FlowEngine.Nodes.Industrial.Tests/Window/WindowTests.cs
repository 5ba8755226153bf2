using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Tests.Window;

public sealed class WindowTests
{
    private static string Value(double value, string tag = "t") => $$"""{"topic":"{{tag}}","payload":{{JsValue.FormatNumber(value)}}}""";

    private static string At(double value, double secondsAfterStart) =>
        $$"""{"topic":"t","payload":{{JsValue.FormatNumber(value)}},"ts":"{{IndustrialFlow.Iso(secondsAfterStart)}}"}""";

    [Fact]
    public async Task Window_tumbling_count_sends_every_aggregate_once_per_full_window()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"windowType":"tumbling","by":"count","size":3}""", 2);
        await flow.SendAllAsync(Value(1), Value(2), Value(3), Value(4), Value(5), Value(6), Value(7));
        var sent = flow.Received("out1");
        Assert.Equal(2, sent.Count);
        Assert.Equal("""{"min":1,"max":3,"mean":2,"sum":6,"count":3,"first":1,"last":3,"stdev":1}""", JsJson.Serialize(sent[0]["payload"]));
        Assert.Equal("""{"min":4,"max":6,"mean":5,"sum":15,"count":3,"first":4,"last":6,"stdev":1}""", JsJson.Serialize(sent[1]["payload"]));
        Assert.Equal("""{"type":"tumbling","by":"count","start":"2026-01-01T00:00:00.000Z","end":"2026-01-01T00:00:00.000Z","count":3}""", JsJson.Serialize(sent[0]["window"]));
        Assert.Equal("t", sent[0]["topic"]);
    }

    [Fact]
    public async Task Window_keeps_separate_windows_per_tag_and_can_send_one_aggregate()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"count","size":2,"operation":"max"}""", 2);
        await flow.SendAllAsync(Value(1, "a"), Value(10, "b"), Value(5, "a"), Value(7, "b"));
        Assert.Equal(["a=5", "b=10"], flow.Received("out1").Select(m => $"{m["topic"]}={JsValue.ToJsString(m["payload"])}"));
    }

    [Fact]
    public async Task Window_sliding_count_sends_the_aggregate_of_the_last_values_on_every_message()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"windowType":"sliding","by":"count","size":3,"operation":"mean"}""", 2);
        await flow.SendAllAsync(Value(1), Value(2), Value(3), Value(4), Value(8));
        Assert.Equal([1.0, 1.5, 2.0, 3.0, 5.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Window_standard_deviation_is_the_sample_deviation_and_zero_for_one_value()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"windowType":"sliding","by":"count","size":2,"operation":"stdev"}""", 2);
        await flow.SendAllAsync(Value(2), Value(4));
        Assert.Equal([0.0, Math.Sqrt(2)], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Window_tumbling_time_windows_are_aligned_and_sent_when_they_end()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"time","size":10}""", 2);
        await flow.StepAsync(TimeSpan.FromSeconds(2));
        await flow.SendAllAsync(Value(1));
        await flow.StepAsync(TimeSpan.FromSeconds(3));
        await flow.SendAllAsync(Value(3));
        await flow.StepAsync(TimeSpan.FromSeconds(4.9));
        Assert.Empty(flow.Received("out1"));
        await flow.StepAsync(TimeSpan.FromSeconds(0.1));
        var sent = Assert.Single(flow.Received("out1"));
        Assert.Equal(2.0, ((JsObject)sent["payload"]!)["mean"]);
        Assert.Equal("""{"type":"tumbling","by":"time","start":"2026-01-01T00:00:00.000Z","end":"2026-01-01T00:00:10.000Z","count":2}""", JsJson.Serialize(sent["window"]));
        await flow.StepAsync(TimeSpan.FromSeconds(30));
        Assert.Single(flow.Received("out1"));
    }

    [Fact]
    public async Task Window_sliding_time_covers_the_span_that_ends_with_the_newest_message()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"windowType":"sliding","by":"time","size":10,"operation":"all"}""", 2);
        await flow.SendAllAsync(Value(1));
        await flow.StepAsync(TimeSpan.FromSeconds(4));
        await flow.SendAllAsync(Value(2));
        await flow.StepAsync(TimeSpan.FromSeconds(5));
        await flow.SendAllAsync(Value(3));
        await flow.StepAsync(TimeSpan.FromSeconds(3));
        await flow.SendAllAsync(Value(4));
        var last = flow.Received("out1")[^1];
        Assert.Equal((3.0, 3.0), ((double)((JsObject)last["payload"]!)["mean"]!, (double)((JsObject)last["payload"]!)["count"]!));
        Assert.Equal((IndustrialFlow.Iso(2), IndustrialFlow.Iso(12)), ((string)((JsObject)last["window"]!)["start"]!, (string)((JsObject)last["window"]!)["end"]!));
    }

    [Fact]
    public async Task Window_late_message_for_a_window_already_sent_goes_to_output_2()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"time","size":10,"timestampProperty":"ts","late":"output","operation":"count"}""", 2);
        await flow.SendAllAsync(At(1, 1));
        await flow.StepAsync(TimeSpan.FromSeconds(12));
        await flow.SendAllAsync(At(2, 5), At(3, 11));
        Assert.Equal([1.0], flow.Payloads("out1"));
        Assert.Equal([2.0], flow.Payloads("out2"));
    }

    [Fact]
    public async Task Window_grace_time_lets_a_late_message_join_its_window()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"time","size":10,"timestampProperty":"ts","grace":5,"operation":"sum"}""", 2);
        await flow.SendAllAsync(At(1, 1));
        await flow.StepAsync(TimeSpan.FromSeconds(12));
        await flow.SendAllAsync(At(2, 5), At(100, 11));
        await flow.StepAsync(TimeSpan.FromSeconds(2.9));
        Assert.Empty(flow.Received("out1"));
        await flow.StepAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal([3.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Window_late_messages_are_dropped_and_counted_by_default()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"time","size":10,"timestampProperty":"ts"}""", 2);
        await flow.SendAllAsync(At(1, 1));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        await flow.SendAllAsync(At(2, 5));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        Assert.Single(flow.Received("out1"));
        Assert.Empty(flow.Received("out2"));
        Assert.Equal("1 sent, 1 late", flow.Statuses.Last(s => s.Node.Id == "n").Status.Text);
    }

    [Fact]
    public async Task Window_flush_sends_open_windows_and_reset_drops_them()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"count","size":5,"operation":"sum"}""", 2);
        await flow.SendAllAsync(Value(1), Value(2), """{"flush":true}""", Value(3), """{"topic":"t","reset":true}""", """{"flush":true}""", Value(4));
        Assert.Equal([3.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Window_non_numeric_value_is_an_error_and_does_not_count()
    {
        await using var flow = await IndustrialFlow.StartAsync("window", """{"by":"count","size":2,"operation":"sum"}""", 2);
        await flow.SendAllAsync(Value(1), """{"topic":"t","payload":"x"}""", Value(2));
        Assert.Equal([3.0], flow.Payloads("out1"));
        Assert.Equal(["msg.payload is not a number (got string \"x\") for tag \"t\""], flow.Errors());
    }

    [Theory]
    [InlineData("""{"by":"count","size":0}""", "size")]
    [InlineData("""{"by":"count","size":2.5}""", "size")]
    [InlineData("""{"by":"time","size":-1}""", "size")]
    [InlineData("""{"operation":"median"}""", "operation")]
    [InlineData("""{"late":"keep"}""", "late")]
    public async Task Window_bad_configuration_is_refused_at_deploy(string properties, string property)
    {
        var refused = await IndustrialFlow.RefusedAsync("window", properties, 2);
        Assert.Equal(property, Assert.Single(refused.Problems).Property);
    }
}
