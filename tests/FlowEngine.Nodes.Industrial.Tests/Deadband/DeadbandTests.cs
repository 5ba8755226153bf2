using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests.Deadband;

public sealed class DeadbandTests
{
    private static string Value(double value, string topic = "t1") => $$"""{"topic":"{{topic}}","payload":{{JsValue.FormatNumber(value)}}}""";

    private static async Task<IReadOnlyList<object?>> RunAsync(string properties, params double[] values)
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", properties);
        await flow.SendAllAsync(values.Select(v => Value(v)).ToArray());
        return flow.Payloads("out1");
    }

    [Fact]
    public async Task Deadband_first_value_of_a_tag_always_passes()
    {
        Assert.Equal([42.0], await RunAsync("""{"band":1000}""", 42));
    }

    [Fact]
    public async Task Deadband_absolute_band_suppresses_a_change_equal_to_the_band()
    {
        Assert.Equal([10.0, 11.5], await RunAsync("""{"band":1}""", 10, 11, 9, 11.5));
    }

    [Fact]
    public async Task Deadband_absolute_band_passes_the_smallest_change_beyond_the_band()
    {
        Assert.Equal([10.0, 11.001], await RunAsync("""{"band":1}""", 10, 11.001));
    }

    [Fact]
    public async Task Deadband_inclusive_band_passes_a_change_equal_to_the_band()
    {
        Assert.Equal([10.0, 11.0, 10.0], await RunAsync("""{"band":1,"inclusive":true}""", 10, 11, 10.5, 10));
    }

    [Fact]
    public async Task Deadband_percent_band_is_relative_to_the_last_value_sent()
    {
        // 10 % of 100 is 10: 110 is on the edge (suppressed), 111 passes; then 10 % of 111 is 11.1.
        Assert.Equal([100.0, 111.0, 122.2], await RunAsync("""{"bandType":"percent","band":10}""", 100, 109, 110, 111, 122, 122.2));
    }

    [Fact]
    public async Task Deadband_percent_of_a_zero_reference_passes_any_change_but_not_a_repeat()
    {
        Assert.Equal([0.0, 0.001], await RunAsync("""{"bandType":"percent","band":50}""", 0, 0, 0.001));
    }

    [Fact]
    public async Task Deadband_percent_of_a_negative_reference_uses_its_magnitude()
    {
        // 10 % of |-50| is 5: -55 is on the edge, -55.5 passes.
        Assert.Equal([-50.0, -55.5], await RunAsync("""{"bandType":"percent","band":10}""", -50, -55, -55.5));
    }

    [Fact]
    public async Task Deadband_zero_band_reports_every_change_and_no_repeats()
    {
        Assert.Equal([1.0, 2.0, 1.0], await RunAsync("""{"band":0}""", 1, 1, 2, 2, 2, 1));
    }

    [Fact]
    public async Task Deadband_compared_with_last_sent_reports_slow_drift()
    {
        Assert.Equal([10.0, 11.2], await RunAsync("""{"band":1,"compareTo":"sent"}""", 10, 10.6, 11.2));
    }

    [Fact]
    public async Task Deadband_compared_with_last_received_ignores_slow_drift_but_reports_jumps()
    {
        Assert.Equal([10.0, 13.0], await RunAsync("""{"band":1,"compareTo":"received"}""", 10, 10.6, 11.2, 11.8, 13));
    }

    [Fact]
    public async Task Deadband_keeps_each_tag_separate()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":5}""");
        await flow.SendAllAsync(Value(10, "a"), Value(100, "b"), Value(12, "a"), Value(103, "b"), Value(16, "a"), Value(106, "b"));
        Assert.Equal(["a:10", "b:100", "a:16", "b:106"], flow.Received("out1").Select(m => $"{m["topic"]}:{JsValue.ToJsString(m["payload"])}"));
    }

    [Fact]
    public async Task Deadband_reads_the_tag_and_value_from_configured_properties()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1,"tagProperty":"meta.tag","property":"data.v"}""");
        await flow.SendAllAsync(
            """{"meta":{"tag":"x"},"data":{"v":1}}""",
            """{"meta":{"tag":"y"},"data":{"v":1.5}}""",
            """{"meta":{"tag":"x"},"data":{"v":1.5}}""",
            """{"meta":{"tag":"x"},"data":{"v":"3"}}""");
        Assert.Equal(["x 1", "y 1.5", "x 3"], flow.Received("out1").Select(m => $"{((JsObject)m["meta"]!)["tag"]} {JsValue.ToJsString(((JsObject)m["data"]!)["v"])}"));
    }

    [Fact]
    public async Task Deadband_non_numeric_value_is_an_error_and_leaves_the_reference_unchanged()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1}""");
        await flow.SendAllAsync(Value(10), """{"topic":"t1","payload":"abc"}""", Value(10.5), Value(11.5));
        Assert.Equal([10.0, 11.5], flow.Payloads("out1"));
        Assert.Equal(["msg.payload is not a number (got string \"abc\") for tag \"t1\""], flow.Errors());
    }

    [Fact]
    public async Task Deadband_reset_with_a_tag_forgets_only_that_tag()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":5}""");
        await flow.SendAllAsync(Value(10, "a"), Value(10, "b"), """{"topic":"a","reset":true}""", Value(11, "a"), Value(11, "b"));
        Assert.Equal(["a:10", "b:10", "a:11"], flow.Received("out1").Select(m => $"{m["topic"]}:{JsValue.ToJsString(m["payload"])}"));
    }

    [Fact]
    public async Task Deadband_reset_without_a_tag_forgets_every_tag()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":5}""");
        await flow.SendAllAsync(Value(10, "a"), Value(10, "b"), """{"reset":true}""", Value(11, "a"), Value(11, "b"));
        Assert.Equal(["a:10", "b:10", "a:11", "b:11"], flow.Received("out1").Select(m => $"{m["topic"]}:{JsValue.ToJsString(m["payload"])}"));
    }

    [Fact]
    public async Task Deadband_rate_limit_drop_discards_changes_inside_the_minimum_interval()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1,"minInterval":5,"rateLimit":"drop"}""");
        await flow.SendAllAsync(Value(10));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.SendAllAsync(Value(20));
        await flow.StepAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([10.0], flow.Payloads("out1"));
        await flow.SendAllAsync(Value(30));
        Assert.Equal([10.0, 30.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Deadband_rate_limit_last_sends_the_newest_held_value_when_the_interval_ends()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1,"minInterval":5}""");
        await flow.SendAllAsync(Value(10));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.SendAllAsync(Value(20));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.SendAllAsync(Value(25));
        await flow.StepAsync(TimeSpan.FromSeconds(2.9));
        Assert.Equal([10.0], flow.Payloads("out1"));
        await flow.StepAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal([10.0, 25.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Deadband_rate_limit_last_cancels_a_held_value_when_the_newest_is_back_inside_the_band()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1,"minInterval":5}""");
        await flow.SendAllAsync(Value(10));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.SendAllAsync(Value(20), Value(10.5));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([10.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Deadband_heartbeat_repeats_the_last_value_sent_every_max_interval()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1,"maxInterval":10}""");
        await flow.SendAllAsync("""{"topic":"t1","payload":7,"unit":"bar"}""");
        await flow.StepAsync(TimeSpan.FromSeconds(9));
        Assert.Single(flow.Received("out1"));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        var received = flow.Received("out1");
        Assert.Equal(3, received.Count);
        Assert.Equal("""{"topic":"t1","payload":7,"unit":"bar","heartbeat":true}""", Strip(received[1]));
        Assert.Equal(true, received[2]["heartbeat"]);
        Assert.NotEqual(received[0]["_msgid"], received[1]["_msgid"]);
    }

    [Fact]
    public async Task Deadband_heartbeat_waits_a_full_interval_after_each_real_output()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1,"maxInterval":10}""");
        await flow.SendAllAsync(Value(1));
        await flow.StepAsync(TimeSpan.FromSeconds(8));
        await flow.SendAllAsync(Value(5));
        await flow.StepAsync(TimeSpan.FromSeconds(8));
        Assert.Equal([1.0, 5.0], flow.Payloads("out1"));
        await flow.StepAsync(TimeSpan.FromSeconds(2));
        Assert.Equal([1.0, 5.0, 5.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Deadband_status_counts_passed_and_suppressed_values()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":1}""");
        await flow.SendAllAsync(Value(1), Value(1.2), Value(1.4), Value(3));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("2 passed, 2 suppressed", flow.Statuses.Last(s => s.Node.Id == "n").Status.Text);
    }

    [Fact]
    public async Task Deadband_keeps_its_state_across_a_nodes_deploy_that_changes_another_node()
    {
        const string other = """{"id":"other","type":"comment","z":"t","name":"NAME","wires":[]}""";
        await using var flow = await TestFlow.StartAsync(IndustrialFlow.Json("deadband", """{"band":5}""", extraNodes: other.Replace("NAME", "v1")), IndustrialFlow.Options());
        await flow.SendAllAsync(Value(10));
        await flow.DeployAsync(IndustrialFlow.Json("deadband", """{"band":5}""", extraNodes: other.Replace("NAME", "v2")), DeploymentType.Nodes);
        await flow.SendAllAsync(Value(12), Value(16));
        Assert.Equal([10.0, 16.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Deadband_starts_afresh_when_a_nodes_deploy_changes_its_configuration()
    {
        await using var flow = await IndustrialFlow.StartAsync("deadband", """{"band":5}""");
        await flow.SendAllAsync(Value(10));
        await flow.DeployAsync(IndustrialFlow.Json("deadband", """{"band":6}"""), DeploymentType.Nodes);
        await flow.SendAllAsync(Value(12));
        Assert.Equal([10.0, 12.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Deadband_negative_band_is_refused_at_deploy_with_the_node_named()
    {
        var refused = await IndustrialFlow.RefusedAsync("deadband", """{"name":"Filter A","band":-1}""");
        var problem = Assert.Single(refused.Problems);
        Assert.Equal(("n", "Filter A", "band"), (problem.NodeId, problem.NodeName, problem.Property));
    }

    [Fact]
    public async Task Deadband_unknown_band_type_is_refused_at_deploy()
    {
        var refused = await IndustrialFlow.RefusedAsync("deadband", """{"bandType":"relative"}""");
        Assert.Equal("bandType", Assert.Single(refused.Problems).Property);
    }

    private static string Strip(JsObject message)
    {
        var copy = (JsObject)JsValue.DeepClone(message)!;
        copy.Remove("_msgid");
        return JsJson.Serialize(copy);
    }
}
