using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Tests.Scale;

public sealed class ScaleTests
{
    private static async Task<JsObject> ScaleAsync(string properties, string message)
    {
        await using var flow = await IndustrialFlow.StartAsync("scale", properties);
        flow.Send("n", message);
        return await flow.NextAsync("out1");
    }

    private static async Task<double> ScaleValueAsync(string properties, double raw) =>
        (double)(await ScaleAsync(properties, $$"""{"payload":{{JsValue.FormatNumber(raw)}}}"""))["payload"]!;

    private const string FourToTwenty = """{"rawMin":4,"rawMax":20,"engMin":0,"engMax":100""";

    [Fact]
    public async Task Scale_maps_a_4_to_20_mA_signal_onto_0_to_100()
    {
        Assert.Equal(50.0, await ScaleValueAsync(FourToTwenty + "}", 12));
        Assert.Equal(0.0, await ScaleValueAsync(FourToTwenty + "}", 4));
        Assert.Equal(100.0, await ScaleValueAsync(FourToTwenty + "}", 20));
    }

    [Fact]
    public async Task Scale_handles_an_inverted_engineering_range()
    {
        Assert.Equal(75.0, await ScaleValueAsync("""{"rawMin":0,"rawMax":100,"engMin":100,"engMax":0}""", 25));
    }

    [Fact]
    public async Task Scale_extrapolates_without_clamping_and_clamps_when_asked()
    {
        Assert.Equal(131.25, await ScaleValueAsync(FourToTwenty + "}", 25));
        Assert.Equal(100.0, await ScaleValueAsync(FourToTwenty + ""","clamp":true}""", 25));
        Assert.Equal(0.0, await ScaleValueAsync(FourToTwenty + ""","clamp":true}""", 2));
    }

    [Fact]
    public async Task Scale_marks_a_raw_value_outside_the_raw_range_as_bad_quality()
    {
        var msg = await ScaleAsync(FourToTwenty + "}", """{"payload":2}""");
        Assert.Equal(-12.5, msg["payload"]);
        Assert.Equal("bad", msg["quality"]);
    }

    [Fact]
    public async Task Scale_marks_an_in_range_value_good_only_when_it_had_no_quality()
    {
        Assert.Equal("good", (await ScaleAsync(FourToTwenty + "}", """{"payload":12}"""))["quality"]);
        Assert.Equal("uncertain", (await ScaleAsync(FourToTwenty + "}", """{"payload":12,"quality":"uncertain"}"""))["quality"]);
    }

    [Fact]
    public async Task Scale_out_of_range_never_improves_an_upstream_quality()
    {
        var msg = await ScaleAsync(FourToTwenty + ""","outOfRangeQuality":"uncertain"}""", """{"payload":30,"quality":"bad"}""");
        Assert.Equal("bad", msg["quality"]);
        var plain = await ScaleAsync(FourToTwenty + ""","outOfRangeQuality":"uncertain"}""", """{"payload":30}""");
        Assert.Equal("uncertain", plain["quality"]);
    }

    [Theory]
    [InlineData("degC", "degF", 100, 212)]
    [InlineData("°F", "K", 32, 273.15)]
    [InlineData("K", "degC", 0, -273.15)]
    [InlineData("degF", "degC", -40, -40)]
    [InlineData("bar", "kPa", 1.5, 150)]
    [InlineData("psi", "Pa", 1, 6894.757293168361)]
    [InlineData("m3/h", "L/min", 60, 1000)]
    [InlineData("gpm", "L/min", 1, 3.785411784)]
    [InlineData("ft", "m", 10, 3.048)]
    [InlineData("mi", "km", 1, 1.609344)]
    [InlineData("lb", "kg", 1, 0.45359237)]
    [InlineData("t", "kg", 2.5, 2500)]
    [InlineData("kWh", "MJ", 1, 3.6)]
    [InlineData("kcal", "kJ", 1, 4.184)]
    [InlineData("t/h", "kg/s", 3.6, 1)]
    public async Task Scale_converts_between_units_of_the_same_quantity(string from, string to, double value, double expected)
    {
        var result = await ScaleValueAsync($$"""{"mode":"none","fromUnit":"{{from}}","toUnit":"{{to}}"}""", value);
        Assert.Equal(expected, result, 9);
    }

    [Fact]
    public async Task Scale_scales_then_converts_then_rounds_and_writes_the_unit()
    {
        // 12 mA on 4–20 mA over 0–10 bar is 5 bar = 72.5189 psi.
        var msg = await ScaleAsync("""{"rawMin":4,"rawMax":20,"engMin":0,"engMax":10,"fromUnit":"bar","toUnit":"psi","decimals":2}""", """{"payload":12}""");
        Assert.Equal(72.52, msg["payload"]);
        Assert.Equal("psi", msg["unit"]);
    }

    [Fact]
    public async Task Scale_rounds_half_away_from_zero()
    {
        Assert.Equal(3.0, await ScaleValueAsync("""{"mode":"none","decimals":0}""", 2.5));
        Assert.Equal(-3.0, await ScaleValueAsync("""{"mode":"none","decimals":0}""", -2.5));
        Assert.Equal(1.24, await ScaleValueAsync("""{"mode":"none","decimals":2}""", 1.235));
    }

    [Fact]
    public async Task Scale_writes_the_result_to_a_separate_target_and_keeps_the_raw_value()
    {
        var msg = await ScaleAsync(FourToTwenty + ""","property":"raw","target":"payload","qualityProperty":"","unitProperty":""}""", """{"raw":"8"}""");
        Assert.Equal("8", msg["raw"]);
        Assert.Equal(25.0, msg["payload"]);
        Assert.False(msg.ContainsKey("quality"));
    }

    [Fact]
    public async Task Scale_non_numeric_value_is_an_error_for_catch_nodes()
    {
        await using var flow = await IndustrialFlow.StartAsync("scale", FourToTwenty + "}");
        await flow.SendAllAsync("""{"topic":"FT-1","payload":{"v":1}}""");
        Assert.Empty(flow.Received("out1"));
        Assert.Equal(["msg.payload is not a number (got object) for tag \"FT-1\""], flow.Errors());
    }

    [Fact]
    public async Task Scale_unknown_unit_is_refused_at_deploy_with_the_node_named()
    {
        var refused = await IndustrialFlow.RefusedAsync("scale", """{"name":"PT-7","fromUnit":"bar","toUnit":"furlong"}""");
        var problem = Assert.Single(refused.Problems);
        Assert.Equal(("n", "PT-7", "toUnit"), (problem.NodeId, problem.NodeName, problem.Property));
        Assert.Contains("unknown unit \"furlong\"", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_conversion_between_different_quantities_is_refused()
    {
        var refused = await IndustrialFlow.RefusedAsync("scale", """{"fromUnit":"bar","toUnit":"degC"}""");
        Assert.Equal("cannot convert bar (pressure) to degC (temperature)", Assert.Single(refused.Problems).Reason);
    }

    [Fact]
    public async Task Scale_empty_raw_range_is_refused()
    {
        var refused = await IndustrialFlow.RefusedAsync("scale", """{"rawMin":4,"rawMax":4}""");
        Assert.Equal("rawMax", Assert.Single(refused.Problems).Property);
    }
}
