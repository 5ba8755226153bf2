using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Tests.Anomaly;

public sealed class AnomalyTests
{
    private static string[] Values(params double[] values) => values.Select(v => $$"""{"topic":"t","payload":{{JsValue.FormatNumber(v)}}}""").ToArray();

    private static List<JsObject> Results(FlowEngine.TestKit.TestFlow flow) => flow.Received("out1").Select(m => (JsObject)m["anomaly"]!).ToList();

    [Fact]
    public async Task Anomaly_gives_no_score_until_the_warm_up_is_complete()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"zscore","window":5,"warmup":3}""", 2);
        await flow.SendAllAsync(Values(1, 2, 3, 100));
        var results = Results(flow);
        Assert.Equal("""{"method":"zscore","score":null,"anomaly":false,"samples":2,"warmingUp":true}""", JsJson.Serialize(results[2]));
        Assert.Equal(true, results[3]["anomaly"]);
        Assert.Equal([1.0, 2.0, 3.0, 100.0], flow.Payloads("out1"));
    }

    [Fact]
    public async Task Anomaly_z_score_is_the_distance_from_the_mean_in_sample_standard_deviations()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"zscore","window":5,"warmup":5}""", 2);
        await flow.SendAllAsync(Values(10, 12, 14, 16, 18, 20));
        var result = Results(flow)[5];
        Assert.Equal(6 / Math.Sqrt(10), (double)result["score"]!, 12);
        Assert.Equal((14.0, Math.Sqrt(10), 5.0, false), ((double)result["mean"]!, (double)result["stdev"]!, (double)result["samples"]!, (bool)result["anomaly"]!));
        Assert.Empty(flow.Received("out2"));
    }

    [Fact]
    public async Task Anomaly_outlier_is_flagged_and_sent_on_the_second_output()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"zscore","window":5,"warmup":5}""", 2);
        await flow.SendAllAsync(Values(10, 12, 14, 16, 18, 24.0));
        Assert.Equal([24.0], flow.Payloads("out2"));
        Assert.Equal(10 / Math.Sqrt(10), (double)Results(flow)[5]["score"]!, 12);
    }

    [Fact]
    public async Task Anomaly_sensitivity_sets_the_threshold()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"zscore","window":5,"warmup":5,"sensitivity":1.5}""", 2);
        await flow.SendAllAsync(Values(10, 12, 14, 16, 18, 20));
        Assert.Equal([20.0], flow.Payloads("out2"));
    }

    [Fact]
    public async Task Anomaly_zero_spread_scores_zero_for_the_same_value_and_infinity_for_any_other()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"zscore","window":3,"warmup":3,"excludeAnomalies":true}""", 2);
        await flow.SendAllAsync(Values(5, 5, 5, 5, 5.01));
        var results = Results(flow);
        Assert.Equal((0.0, false), ((double)results[3]["score"]!, (bool)results[3]["anomaly"]!));
        Assert.Equal((double.PositiveInfinity, true), ((double)results[4]["score"]!, (bool)results[4]["anomaly"]!));
    }

    [Fact]
    public async Task Anomaly_iqr_on_four_samples_uses_interpolated_quartiles()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"iqr","window":4,"warmup":4}""", 2);
        await flow.SendAllAsync(Values(4, 1, 3, 2, 5.5));
        Assert.Equal("""{"method":"iqr","score":1.5,"q1":1.75,"q3":3.25,"lower":-0.5,"upper":5.5,"samples":4,"anomaly":false}""", JsJson.Serialize(Results(flow)[4]));
    }

    [Fact]
    public async Task Anomaly_iqr_flags_a_value_just_beyond_the_fence()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"iqr","window":4,"warmup":4}""", 2);
        await flow.SendAllAsync(Values(1, 2, 3, 4, 5.53));
        Assert.Equal(2.28 / 1.5, (double)Results(flow)[4]["score"]!, 12);
        Assert.Equal(true, Results(flow)[4]["anomaly"]);
    }

    [Fact]
    public async Task Anomaly_iqr_on_three_samples_and_a_value_below_the_first_quartile()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"iqr","window":3,"warmup":3}""", 2);
        await flow.SendAllAsync(Values(10, 1, 2, 0));
        var result = Results(flow)[3];
        Assert.Equal((1.5, 6.0, 1.5 / 4.5), ((double)result["q1"]!, (double)result["q3"]!, (double)result["score"]!));
    }

    [Fact]
    public async Task Anomaly_iqr_of_a_single_sample_has_no_spread_so_only_that_value_is_normal()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"iqr","window":2,"warmup":1}""", 2);
        await flow.SendAllAsync("""{"topic":"a","payload":5}""", """{"topic":"a","payload":5}""", """{"topic":"b","payload":5}""", """{"topic":"b","payload":5.5}""");
        var results = Results(flow);
        Assert.Equal((0.0, false), ((double)results[1]["score"]!, (bool)results[1]["anomaly"]!));
        Assert.Equal((double.PositiveInfinity, true, 5.0, 5.0), ((double)results[3]["score"]!, (bool)results[3]["anomaly"]!, (double)results[3]["q1"]!, (double)results[3]["q3"]!));
    }

    [Fact]
    public async Task Anomaly_moving_average_deviation_is_a_percentage_of_the_average()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"mad","window":4,"warmup":4}""", 2);
        await flow.SendAllAsync(Values(100, 100, 100, 100, 110, 130));
        var results = Results(flow);
        Assert.Equal((10.0, false), ((double)results[4]["score"]!, (bool)results[4]["anomaly"]!));
        // The history is now 100, 100, 100, 110: average 102.5.
        Assert.Equal(27.5 * 100 / 102.5, (double)results[5]["score"]!, 12);
        Assert.Equal(true, results[5]["anomaly"]);
    }

    [Fact]
    public async Task Anomaly_ewma_scores_against_the_exponentially_weighted_mean_and_deviation()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"ewma","alpha":0.5,"warmup":2}""", 2);
        await flow.SendAllAsync(Values(10, 12, 14, 20));
        var results = Results(flow);
        Assert.Equal("""{"method":"ewma","score":3,"samples":2,"mean":11,"stdev":1,"anomaly":false}""", JsJson.Serialize(results[2]));
        Assert.Equal(7.5 / Math.Sqrt(2.75), (double)results[3]["score"]!, 12);
        Assert.Equal([20.0], flow.Payloads("out2"));
    }

    [Fact]
    public async Task Anomaly_excluded_outliers_do_not_enter_the_history()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"method":"zscore","window":3,"warmup":3,"excludeAnomalies":true}""", 2);
        await flow.SendAllAsync(Values(10, 11, 12, 50, 12));
        Assert.Equal(1.0, (double)Results(flow)[4]["score"]!);
    }

    [Fact]
    public async Task Anomaly_reset_forgets_the_history_of_the_tag()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"window":3,"warmup":2}""", 2);
        await flow.SendAllAsync([.. Values(1, 2), """{"topic":"t","reset":true}""", .. Values(3)]);
        Assert.Equal(true, Results(flow)[2]["warmingUp"]);
    }

    [Fact]
    public async Task Anomaly_non_numeric_value_is_an_error_and_leaves_the_history_unchanged()
    {
        await using var flow = await IndustrialFlow.StartAsync("anomaly", """{"window":3,"warmup":2}""", 2);
        await flow.SendAllAsync([.. Values(1), """{"topic":"t","payload":[1]}""", .. Values(2)]);
        Assert.Equal(1.0, Results(flow)[1]["samples"]);
        Assert.Equal(["msg.payload is not a number (got array) for tag \"t\""], flow.Errors());
    }

    [Theory]
    [InlineData("""{"window":5,"warmup":6}""", "warmup")]
    [InlineData("""{"method":"lstm"}""", "method")]
    [InlineData("""{"method":"ewma","alpha":0}""", "alpha")]
    [InlineData("""{"sensitivity":-1}""", "sensitivity")]
    public async Task Anomaly_bad_configuration_is_refused_at_deploy(string properties, string property)
    {
        var refused = await IndustrialFlow.RefusedAsync("anomaly", properties, 2);
        Assert.Equal(property, Assert.Single(refused.Problems).Property);
    }
}
