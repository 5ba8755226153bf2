using FlowEngine.Core.Flows;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Transform.TransformFlow;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class RangeNodeTests
{
    private static Task<TestFlow> Range(string action, string minIn, string maxIn, string minOut, string maxOut, bool round = false, string property = "payload") =>
        StartAsync($$""" "type":"range","minin":"{{minIn}}","maxin":"{{maxIn}}","minout":"{{minOut}}","maxout":"{{maxOut}}","action":"{{action}}","round":{{(round ? "true" : "false")}},"property":"{{property}}" """);

    private static async Task<object?> MapAsync(TestFlow flow, string payload) =>
        (await flow.RoundTripAsync($$"""{"payload":{{payload}}}"""))["payload"];

    [Fact]
    public async Task Range_scale_maps_linearly_and_extrapolates_outside_the_input_range()
    {
        await using var flow = await Range("scale", "0", "10", "0", "100");
        Assert.Equal(50.0, await MapAsync(flow, "5"));
        Assert.Equal(150.0, await MapAsync(flow, "15"));
        Assert.Equal(25.0, await MapAsync(flow, "\"2.5\""));
    }

    [Fact]
    public async Task Range_clamp_limits_the_input_first()
    {
        await using var flow = await Range("clamp", "0", "10", "0", "100");
        Assert.Equal(100.0, await MapAsync(flow, "15"));
        Assert.Equal(0.0, await MapAsync(flow, "-3"));
    }

    [Fact]
    public async Task Range_roll_wraps_negative_and_large_inputs()
    {
        await using var flow = await Range("roll", "0", "10", "0", "100");
        Assert.Equal(20.0, await MapAsync(flow, "12"));
        Assert.Equal(80.0, await MapAsync(flow, "-2"));
        Assert.Equal(70.0, await MapAsync(flow, "-13"));
    }

    [Fact]
    public async Task Range_drop_discards_inputs_outside_the_range()
    {
        await using var flow = await Range("drop", "0", "10", "0", "1");
        flow.Send("n", """{"payload":11}""");
        flow.Send("n", """{"payload":-1}""");
        flow.Send("n", """{"payload":10}""");
        Assert.Equal(1.0, (await flow.NextAsync("h0"))["payload"]);
        Assert.Single(flow.Received("h0"));
    }

    [Fact]
    public async Task Range_round_rounds_halves_up_like_javascript()
    {
        await using var flow = await Range("scale", "0", "10", "-50", "50", round: true);
        Assert.Equal(-25.0, await MapAsync(flow, "2.46"));
        // -25.4 → -25; JavaScript's Math.round(-24.5) is -24.
        Assert.Equal(-24.0, await MapAsync(flow, "2.55"));
    }

    [Fact]
    public async Task Range_with_min_in_above_max_in_swaps_both_ranges()
    {
        await using var flow = await Range("scale", "10", "0", "100", "0");
        Assert.Equal(30.0, await MapAsync(flow, "3"));
    }

    [Fact]
    public async Task Range_logs_and_drops_non_numeric_values_and_passes_messages_without_the_property()
    {
        await using var flow = await Range("scale", "0", "10", "0", "100");
        flow.Send("n", """{"payload":"abc"}""");
        flow.Send("n", """{"topic":"no payload"}""");
        var passed = await flow.NextAsync("h0");
        Assert.Equal("no payload", passed["topic"]);
        Assert.False(passed.ContainsKey("payload"));
        // The node logs "Not a number: abc" at info level (not observable here) and sends nothing for it.
        Assert.Single(flow.Received("h0"));
    }

    [Fact]
    public async Task Range_works_on_a_nested_property()
    {
        await using var flow = await Range("scale", "0", "1", "0", "1000", property: "payload.value");
        var msg = await flow.RoundTripAsync("""{"payload":{"value":0.5,"unit":"x"}}""");
        Assert.Equal("""{"value":500,"unit":"x"}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Range_with_a_non_numeric_limit_refuses_the_deploy()
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => Range("scale", "zero", "10", "0", "100"));
        Assert.Contains("minin", error.Message);
    }
}
