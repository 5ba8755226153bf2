using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests.Alarm;

public sealed class AlarmTests
{
    private const string HighAt80 = """{"rules":[{"tag":"TT-101","type":"HI","limit":80}]}""";

    private static Task<TestFlow> StartAsync(string properties, IndustrialServices? services = null) =>
        IndustrialFlow.StartAsync("alarm", properties, outputs: 2, services: services);

    private static string Value(object value, string tag = "TT-101") => $$"""{"topic":"{{tag}}","payload":{{JsJson.Serialize(JsValue.Normalize(value))}}}""";

    /// <summary>Each event as "TAG CONDITION PREVIOUS>STATE".</summary>
    private static List<string> Events(TestFlow flow) => flow.Received("out1")
        .Select(m => (JsObject)m["payload"]!)
        .Select(p => $"{p["tag"]} {p["condition"]} {p["previousState"]}>{p["state"]}").ToList();

    private static JsObject LastEvent(TestFlow flow) => (JsObject)flow.Received("out1")[^1]["payload"]!;

    [Fact]
    public async Task Alarm_high_limit_exceeded_sends_an_unacknowledged_event_with_the_documented_shape()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85));
        var message = Assert.Single(flow.Received("out1"));
        Assert.Equal("alarms/TT-101/HI", message["topic"]);
        Assert.Equal("""{"id":"n:TT-101:HI","tag":"TT-101","condition":"HI","state":"UNACK","previousState":"NORM","active":true,"value":85,"limit":80,"severity":500,"priority":"medium","message":"TT-101 high","time":"2026-01-01T00:00:00.000Z","reason":"active"}""",
            JsJson.Serialize(message["payload"]));
    }

    [Fact]
    public async Task Alarm_value_equal_to_the_high_limit_is_not_an_alarm()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(80), Value(80.0001));
        Assert.Equal(["TT-101 HI NORM>UNACK"], Events(flow));
        Assert.Equal(80.0001, LastEvent(flow)["value"]);
    }

    [Fact]
    public async Task Alarm_passes_every_value_message_through_on_output_2()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(10), Value(85), Value(20, "other"));
        Assert.Equal([10.0, 85.0, 20.0], flow.Payloads("out2"));
    }

    [Fact]
    public async Task Alarm_hysteresis_keeps_a_high_alarm_active_until_the_value_drops_below_limit_minus_hysteresis()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80,"hysteresis":2}]}""");
        await flow.SendAllAsync(Value(81), Value(79), Value(78.01), Value(78), Value(79), Value(80.5));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>RTNUN", "TT-101 HI RTNUN>UNACK"], Events(flow));
        Assert.Equal([81.0, 78.0, 80.5], flow.Received("out1").Select(m => ((JsObject)m["payload"]!)["value"]));
    }

    [Fact]
    public async Task Alarm_hysteresis_stops_chatter_that_would_otherwise_alarm_on_every_sample()
    {
        string[] chatter = [Value(80.5), Value(79.5), Value(80.5), Value(79.5)];
        await using var without = await StartAsync(HighAt80);
        await without.SendAllAsync(chatter);
        Assert.Equal(4, Events(without).Count);
        await using var with = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80,"hysteresis":1}]}""");
        await with.SendAllAsync(chatter);
        Assert.Equal(["TT-101 HI NORM>UNACK"], Events(with));
    }

    [Fact]
    public async Task Alarm_low_and_low_low_alarms_carry_their_own_severity_and_priority()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"LT-1","type":"LO","limit":20},{"tag":"LT-1","type":"LOLO","limit":10,"severity":900,"priority":"critical"}]}""");
        await flow.SendAllAsync(Value(15, "LT-1"), Value(5, "LT-1"));
        Assert.Equal(["LT-1 LO NORM>UNACK", "LT-1 LOLO NORM>UNACK"], Events(flow));
        var events = flow.Received("out1").Select(m => (JsObject)m["payload"]!).ToList();
        Assert.Equal((500.0, "medium", "LT-1 low"), ((double)events[0]["severity"]!, (string)events[0]["priority"]!, (string)events[0]["message"]!));
        Assert.Equal((900.0, "critical", "LT-1 low-low"), ((double)events[1]["severity"]!, (string)events[1]["priority"]!, (string)events[1]["message"]!));
    }

    [Fact]
    public async Task Alarm_acknowledged_then_returned_goes_back_to_normal()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85), """{"action":"ack","topic":"TT-101","user":"alice","comment":"seen"}""", Value(70));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>ACKED", "TT-101 HI ACKED>NORM"], Events(flow));
        var ack = (JsObject)flow.Received("out1")[1]["payload"]!;
        Assert.Equal(("alice", "seen", "acknowledged"), ((string)ack["ackedBy"]!, (string)ack["comment"]!, (string)ack["reason"]!));
    }

    [Fact]
    public async Task Alarm_returned_before_acknowledgement_waits_in_returned_unacknowledged_until_acked()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85), Value(70), """{"action":"ack","topic":"TT-101"}""");
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>RTNUN", "TT-101 HI RTNUN>NORM"], Events(flow));
        Assert.Equal("flow", LastEvent(flow)["ackedBy"]);
    }

    [Fact]
    public async Task Alarm_returned_unacknowledged_that_becomes_active_again_is_unacknowledged()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85), Value(70), Value(90));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>RTNUN", "TT-101 HI RTNUN>UNACK"], Events(flow));
    }

    [Fact]
    public async Task Alarm_acknowledging_an_acknowledged_alarm_is_an_error_naming_the_state()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85), """{"action":"ack","topic":"TT-101"}""", """{"action":"ack","topic":"TT-101"}""");
        Assert.Equal(2, Events(flow).Count);
        Assert.Equal(["n:TT-101:HI: cannot acknowledge in state ACKED"], flow.Errors());
    }

    [Fact]
    public async Task Alarm_ack_without_a_tag_acknowledges_every_alarm_that_can_be()
    {
        await using var flow = await StartAsync("""{"rules":[{"type":"HI","limit":80}]}""");
        await flow.SendAllAsync(Value(85, "a"), Value(85, "b"), Value(50, "c"), """{"action":"ack","user":"op"}""");
        Assert.Equal(["a HI NORM>UNACK", "b HI NORM>UNACK", "a HI UNACK>ACKED", "b HI UNACK>ACKED"], Events(flow));
        Assert.Empty(flow.Errors());
    }

    [Fact]
    public async Task Alarm_on_delay_activates_only_after_the_condition_held_for_the_delay()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80,"onDelay":5}]}""");
        await flow.SendAllAsync(Value(85));
        await flow.StepAsync(TimeSpan.FromSeconds(4.9));
        Assert.Empty(Events(flow));
        await flow.StepAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal(["TT-101 HI NORM>UNACK"], Events(flow));
        Assert.Equal(IndustrialFlow.Iso(5), LastEvent(flow)["time"]);
    }

    [Fact]
    public async Task Alarm_on_delay_is_cancelled_when_the_condition_clears_and_restarts_when_it_returns()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80,"onDelay":5}]}""");
        await flow.SendAllAsync(Value(85));
        await flow.StepAsync(TimeSpan.FromSeconds(2));
        await flow.SendAllAsync(Value(75));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(Events(flow));
        await flow.SendAllAsync(Value(86));
        await flow.StepAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["TT-101 HI NORM>UNACK"], Events(flow));
        Assert.Equal(IndustrialFlow.Iso(17), LastEvent(flow)["time"]);
    }

    [Fact]
    public async Task Alarm_off_delay_returns_only_after_the_condition_stayed_clear_for_the_delay()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80,"offDelay":3}]}""");
        await flow.SendAllAsync(Value(85));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.SendAllAsync(Value(70));
        await flow.StepAsync(TimeSpan.FromSeconds(2));
        await flow.SendAllAsync(Value(85), Value(70));
        await flow.StepAsync(TimeSpan.FromSeconds(2.5));
        Assert.Equal(["TT-101 HI NORM>UNACK"], Events(flow));
        await flow.StepAsync(TimeSpan.FromSeconds(0.5));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>RTNUN"], Events(flow));
        Assert.Equal(IndustrialFlow.Iso(6), LastEvent(flow)["time"]);
    }

    [Fact]
    public async Task Alarm_rate_of_change_compares_the_change_scaled_to_the_period_with_the_limit()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"FT-1","type":"ROC","limit":10,"rocPeriod":60}]}""");
        await flow.SendAllAsync(Value(50, "FT-1"));
        await flow.StepAsync(TimeSpan.FromSeconds(30));
        await flow.SendAllAsync(Value(54, "FT-1")); // 4 in 30 s = 8 per minute
        await flow.StepAsync(TimeSpan.FromSeconds(30));
        await flow.SendAllAsync(Value(60, "FT-1")); // 6 in 30 s = 12 per minute
        await flow.StepAsync(TimeSpan.FromSeconds(30));
        await flow.SendAllAsync(Value(55, "FT-1")); // 5 in 30 s = 10 per minute: not above the limit
        Assert.Equal(["FT-1 ROC NORM>UNACK", "FT-1 ROC UNACK>RTNUN"], Events(flow));
        Assert.Equal([12.0, 10.0], flow.Received("out1").Select(m => ((JsObject)m["payload"]!)["value"]));
    }

    [Fact]
    public async Task Alarm_stuck_value_alarms_after_the_duration_without_change_and_returns_when_it_moves()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"PT-1","type":"STUCK","duration":30}]}""");
        await flow.SendAllAsync(Value(5, "PT-1"));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        await flow.SendAllAsync(Value(5, "PT-1"));
        await flow.StepAsync(TimeSpan.FromSeconds(19));
        Assert.Empty(Events(flow));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(["PT-1 STUCK NORM>UNACK"], Events(flow));
        Assert.Equal((30.0, IndustrialFlow.Iso(30)), ((double)LastEvent(flow)["limit"]!, (string)LastEvent(flow)["time"]!));
        await flow.SendAllAsync(Value(6, "PT-1"));
        Assert.Equal(["PT-1 STUCK NORM>UNACK", "PT-1 STUCK UNACK>RTNUN"], Events(flow));
    }

    [Fact]
    public async Task Alarm_stuck_tolerance_treats_small_wobble_as_frozen()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"PT-1","type":"STUCK","duration":30,"hysteresis":0.5}]}""");
        await flow.SendAllAsync(Value(5, "PT-1"));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        await flow.SendAllAsync(Value(5.3, "PT-1"));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        await flow.SendAllAsync(Value(4.6, "PT-1"));
        await flow.StepAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["PT-1 STUCK NORM>UNACK"], Events(flow));
    }

    [Fact]
    public async Task Alarm_bad_quality_raises_the_bad_alarm_without_evaluating_limits_or_failing_on_a_missing_value()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-1","type":"HI","limit":80},{"tag":"TT-1","type":"BAD"}]}""");
        await flow.SendAllAsync(
            """{"topic":"TT-1","payload":null,"quality":"BadCommFailure"}""",
            """{"topic":"TT-1","payload":95,"quality":2150891520}""",
            """{"topic":"TT-1","payload":50,"quality":"good"}""");
        Assert.Equal(["TT-1 BAD NORM>UNACK", "TT-1 BAD UNACK>RTNUN"], Events(flow));
        Assert.Empty(flow.Errors());
        Assert.Null(((JsObject)flow.Received("out1")[0]["payload"]!)["limit"]);
    }

    [Fact]
    public async Task Alarm_discrete_alarm_follows_boolean_like_values()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"P-1.fault","type":"DISCRETE","message":"{tag} tripped"}]}""");
        await flow.SendAllAsync(Value(true, "P-1.fault"), Value("on", "P-1.fault"), Value("off", "P-1.fault"), Value("maybe", "P-1.fault"));
        Assert.Equal(["P-1.fault DISCRETE NORM>UNACK", "P-1.fault DISCRETE UNACK>RTNUN"], Events(flow));
        Assert.Equal("P-1.fault tripped", ((JsObject)flow.Received("out1")[0]["payload"]!)["message"]);
        Assert.Equal(["msg.payload is not a boolean (got string \"maybe\") for tag \"P-1.fault\""], flow.Errors());
    }

    [Fact]
    public async Task Alarm_discrete_alarm_on_false_alarms_when_the_value_is_false()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"run","type":"DISCRETE","alarmOn":false}]}""");
        await flow.SendAllAsync(Value(1, "run"), Value(0, "run"));
        Assert.Equal(["run DISCRETE NORM>UNACK"], Events(flow));
    }

    [Fact]
    public async Task Alarm_non_numeric_value_is_an_error_and_leaves_the_alarm_state_unchanged()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80,"hysteresis":5}]}""");
        await flow.SendAllAsync(Value(85), Value("n/a"), Value(76));
        Assert.Equal(["TT-101 HI NORM>UNACK"], Events(flow));
        Assert.Equal(["msg.payload is not a number (got string \"n/a\") for tag \"TT-101\""], flow.Errors());
        Assert.Equal([85.0, 76.0], flow.Payloads("out2"));
    }

    [Fact]
    public async Task Alarm_most_specific_rule_applies_exact_tag_then_pattern_then_all()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"*","type":"HI","limit":100},{"tag":"TT-*","type":"HI","limit":90},{"tag":"TT-101","type":"HI","limit":80}]}""");
        await flow.SendAllAsync(Value(85, "TT-101"), Value(85, "TT-102"), Value(95, "TT-102"), Value(95, "PT-1"), Value(101, "PT-1"));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-102 HI NORM>UNACK", "PT-1 HI NORM>UNACK"], Events(flow));
        Assert.Equal([80.0, 90.0, 100.0], flow.Received("out1").Select(m => ((JsObject)m["payload"]!)["limit"]));
    }

    [Fact]
    public async Task Alarm_limit_property_takes_the_limit_from_the_message()
    {
        await using var flow = await StartAsync("""{"rules":[{"type":"HI","limitProperty":"asset.limits.hi"}]}""");
        await flow.SendAllAsync("""{"topic":"a","payload":50}""", """{"topic":"a","payload":50,"asset":{"limits":{"hi":40}}}""");
        Assert.Equal(["a HI NORM>UNACK"], Events(flow));
        Assert.Equal(40.0, LastEvent(flow)["limit"]);
    }

    [Fact]
    public async Task Alarm_shelved_alarm_is_silent_and_returns_unacknowledged_when_the_shelve_expires_while_active()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85), """{"action":"shelve","topic":"TT-101","duration":60,"user":"bob"}""", Value(70), Value(90));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>SHLVD"], Events(flow));
        Assert.Equal((IndustrialFlow.Iso(60), "bob"), ((string)LastEvent(flow)["shelvedUntil"]!, (string)LastEvent(flow)["ackedBy"]!));
        await flow.StepAsync(TimeSpan.FromSeconds(59.9));
        Assert.Equal(2, Events(flow).Count);
        await flow.StepAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>SHLVD", "TT-101 HI SHLVD>UNACK"], Events(flow));
        Assert.Equal(("shelve expired", IndustrialFlow.Iso(60)), ((string)LastEvent(flow)["reason"]!, (string)LastEvent(flow)["time"]!));
    }

    [Fact]
    public async Task Alarm_shelve_expiry_returns_to_normal_when_the_condition_cleared_while_shelved()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80}],"shelveDuration":30}""");
        await flow.SendAllAsync(Value(85), """{"action":"shelve","topic":"TT-101"}""", Value(70));
        await flow.StepAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>SHLVD", "TT-101 HI SHLVD>NORM"], Events(flow));
    }

    [Fact]
    public async Task Alarm_unshelve_by_message_ends_the_shelve_early()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync(Value(85), """{"action":"shelve","topic":"TT-101"}""", """{"action":"unshelve","topic":"TT-101","condition":"HI"}""");
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>SHLVD", "TT-101 HI SHLVD>UNACK"], Events(flow));
        Assert.Equal("unshelved", LastEvent(flow)["reason"]);
        await flow.StepAsync(TimeSpan.FromHours(2));
        Assert.Equal(3, Events(flow).Count);
    }

    [Fact]
    public async Task Alarm_shelve_time_is_capped_by_the_longest_shelve_time()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80}],"shelveDuration":60,"maxShelveDuration":120}""");
        await flow.SendAllAsync("""{"action":"shelve","topic":"TT-101","duration":600}""");
        Assert.Equal(["TT-101 HI NORM>SHLVD"], Events(flow));
        Assert.Equal(IndustrialFlow.Iso(120), LastEvent(flow)["shelvedUntil"]);
    }

    [Fact]
    public async Task Alarm_suppressed_alarm_tracks_its_condition_silently_until_unsuppressed()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync("""{"action":"suppress","topic":"TT-101"}""", Value(85), Value(86), """{"action":"unsuppress","topic":"TT-101"}""");
        Assert.Equal(["TT-101 HI NORM>DSUPR", "TT-101 HI DSUPR>UNACK"], Events(flow));
        Assert.Equal("unsuppressed", LastEvent(flow)["reason"]);
    }

    [Fact]
    public async Task Alarm_command_for_a_tag_without_rules_is_an_error()
    {
        await using var flow = await StartAsync(HighAt80);
        await flow.SendAllAsync("""{"action":"ack","topic":"nope"}""", """{"action":"dance"}""");
        Assert.Equal(["no alarm rule applies to tag \"nope\"", "unknown action \"dance\" (expected ack, shelve, unshelve, suppress or unsuppress)"], flow.Errors());
    }

    [Fact]
    public async Task Alarm_status_shows_the_count_of_alarms_per_state()
    {
        await using var flow = await StartAsync("""{"rules":[{"type":"HI","limit":80}]}""");
        await flow.SendAllAsync(Value(85, "a"), Value(85, "b"), """{"action":"ack","topic":"a"}""");
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        var status = flow.Statuses.Last(s => s.Node.Id == "n").Status;
        Assert.Equal(("red", "1 unack, 1 acked"), (status.Fill, status.Text));
    }

    [Fact]
    public async Task Alarm_unknown_rule_type_is_refused_at_deploy_with_the_node_named()
    {
        var refused = await IndustrialFlow.RefusedAsync("alarm", """{"name":"Boiler","rules":[{"tag":"a","type":"HIGH","limit":1}]}""", 2);
        var problem = Assert.Single(refused.Problems);
        Assert.Equal(("n", "Boiler", "rules"), (problem.NodeId, problem.NodeName, problem.Property));
        Assert.Equal("rule 1: unknown type \"HIGH\" (expected one of HIHI, HI, LO, LOLO, ROC, STUCK, BAD, DISCRETE)", problem.Reason);
    }

    [Theory]
    [InlineData("""[{"tag":"a","type":"HI","limit":90},{"tag":"a","type":"HIHI","limit":80}]""", "for tag \"a\" the HIHI limit (80) must be above the HI limit (90)")]
    [InlineData("""[{"tag":"a","type":"LO","limit":50},{"tag":"a","type":"HI","limit":40}]""", "for tag \"a\" the HI limit (40) must be above the LO limit (50)")]
    [InlineData("""[{"tag":"a","type":"HI"}]""", "rule 1 (a HI): a limit (or a limitProperty) is required")]
    [InlineData("""[{"tag":"a","type":"HI","limit":1},{"tag":"a","type":"HI","limit":2}]""", "rules 1 and 2 are both HI for tag \"a\"")]
    [InlineData("""[{"tag":"a","type":"STUCK"}]""", "rule 1 (a STUCK): duration (seconds without change) must be more than zero")]
    [InlineData("""[{"tag":"a","type":"HI","limit":1,"onDelay":-1}]""", "rule 1 (a HI): onDelay must be zero or more, got -1")]
    [InlineData("""[{"tag":"a","type":"HI","limit":1,"severity":1001}]""", "rule 1 (a HI): severity must be a whole number from 1 to 1000, got 1001")]
    [InlineData("""[{"tag":"a","type":"HI","limit":"high"}]""", "rule 1 (a HI): limit must be a number, got string \"high\"")]
    public async Task Alarm_bad_rules_are_refused_at_deploy(string rules, string reason)
    {
        var refused = await IndustrialFlow.RefusedAsync("alarm", $$"""{"rules":{{rules}}}""", 2);
        Assert.Equal(reason, Assert.Single(refused.Problems).Reason);
    }

    [Fact]
    public async Task Alarm_keeps_its_states_across_a_nodes_deploy_that_changes_its_rules()
    {
        await using var flow = await StartAsync("""{"rules":[{"tag":"TT-101","type":"HI","limit":80},{"tag":"TT-101","type":"LO","limit":10}]}""");
        await flow.SendAllAsync(Value(85));
        await flow.DeployAsync(IndustrialFlow.Json("alarm", """{"rules":[{"tag":"TT-101","type":"HI","limit":90}]}""", 2), DeploymentType.Nodes);
        await flow.SendAllAsync(Value(85));
        Assert.Equal(["TT-101 HI NORM>UNACK", "TT-101 HI UNACK>RTNUN"], Events(flow));
    }
}
