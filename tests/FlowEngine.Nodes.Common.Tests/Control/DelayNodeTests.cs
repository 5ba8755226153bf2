using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Control;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Control.ControlTestSupport;

namespace FlowEngine.Nodes.Common.Tests.Control;

public sealed class DelayNodeTests
{
    private static Task<TestFlow> DelayAsync(string delayJson, JsObject? settings = null) => StartAsync(OneTab(
        delayJson,
        """{"id":"h","type":"helper"}""",
        """{"id":"h2","type":"helper"}""",
        """{"id":"c","type":"catch","scope":null,"wires":[["errors"]]}""",
        """{"id":"errors","type":"helper"}"""), settings);

    private static async Task<List<object?>> PayloadsAsync(TestFlow flow, string helper, int count) =>
        (await flow.NextAsync(helper, count)).Select(m => m.Get("payload")).ToList();

    // ---- fixed, variable and random delays ----

    [Fact]
    public async Task Delay_holds_each_message_for_the_configured_time()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delay","timeout":"2","timeoutUnits":"seconds","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":"a"}""");
        await flow.AdvanceMsAsync(1999);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        Assert.Equal("a", (await flow.NextAsync("h"))["payload"]);
    }

    [Theory]
    [InlineData("milliseconds", 250, 250)]
    [InlineData("minutes", 0.5, 30_000)]
    [InlineData("hours", 0.01, 36_000)]
    public async Task Delay_timeout_units_scale_the_delay(string units, double timeout, double expectedMs)
    {
        await using var flow = await DelayAsync($$"""{"id":"d","type":"delay","pauseType":"delay","timeout":{{timeout}},"timeoutUnits":"{{units}}","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.AdvanceMsAsync(expectedMs - 1);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        await flow.NextAsync("h");
    }

    [Fact]
    public async Task Delay_completes_a_held_message_only_when_it_is_released()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"d","type":"delay","pauseType":"delay","timeout":"1","wires":[["h"]]}""",
            """{"id":"h","type":"helper"}""",
            """{"id":"done","type":"complete","scope":["d"],"wires":[["completed"]]}""",
            """{"id":"completed","type":"helper"}"""));

        await flow.SendAndSettleAsync("d", """{"payload":"p"}""");
        Assert.True(await flow.NothingMoreAsync("completed"));
        await flow.AdvanceMsAsync(1000);
        await flow.NextAsync("h");
        Assert.Equal("p", (await flow.NextAsync("completed"))["payload"]);
    }

    [Fact]
    public async Task Delay_variable_uses_msg_delay_in_milliseconds_and_falls_back_to_the_timeout()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delayv","timeout":"1","timeoutUnits":"seconds","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":"short","delay":300}""");
        await flow.SendAndSettleAsync("d", """{"payload":"default"}""");
        await flow.SendAndSettleAsync("d", """{"payload":"text","delay":"600"}""");
        await flow.AdvanceMsAsync(300);
        Assert.Equal("short", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(300);
        Assert.Equal("text", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(399);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        Assert.Equal("default", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Delay_random_waits_between_first_and_last()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"random","randomFirst":"1","randomLast":"5","randomUnits":"seconds","wires":[["h"]]}""");
        flow.Node<DelayNode>("d").RandomSource = () => 0.25; // 1 s + 0.25 × 4 s = 2 s

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.AdvanceMsAsync(1999);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        await flow.NextAsync("h");
    }

    [Fact]
    public async Task Delay_reset_drops_every_held_message()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delay","timeout":"2","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        Assert.Equal(new NodeStatus("blue", "dot", "2"), flow.LastStatusOf("d"));
        await flow.SendAndSettleAsync("d", """{"reset":true}""");
        Assert.Equal(new NodeStatus("blue", "ring", "0"), flow.LastStatusOf("d"));

        await flow.AdvanceMsAsync(3000);
        Assert.True(await flow.NothingMoreAsync("h"));
        Assert.Equal(0, flow.Node<DelayNode>("d").HeldCount);
    }

    [Fact]
    public async Task Delay_flush_releases_all_held_messages_now_and_is_not_sent_itself()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delay","timeout":"10","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        flow.Send("d", """{"flush":true}""");

        Assert.Equal([1.0, 2.0], await PayloadsAsync(flow, "h", 2));
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(10_000);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Delay_flush_with_a_number_releases_only_that_many_oldest_messages()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delay","timeout":"10","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        flow.Send("d", """{"flush":2}""");

        Assert.Equal([1.0, 2.0], await PayloadsAsync(flow, "h", 2));
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(10_000);
        Assert.Equal(3.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Delay_message_with_content_and_flush_is_released_with_the_others()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delayv","timeout":"10","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        flow.Send("d", """{"payload":2,"flush":true}""");

        Assert.Equal([1.0, 2.0], await PayloadsAsync(flow, "h", 2));
    }

    [Fact]
    public async Task Delay_status_counts_held_messages_for_delays_over_a_second()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"delay","timeout":"5","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        Assert.Equal("2", flow.LastStatusOf("d")!.Text);
        await flow.AdvanceMsAsync(5000);
        await flow.NextAsync("h", 2);
        await flow.SettleNodesAsync();
        Assert.Equal(new NodeStatus("blue", "dot", "0"), flow.LastStatusOf("d"));
    }

    // ---- rate limit ----

    [Fact]
    public async Task Rate_limit_queues_extra_messages_and_releases_one_per_interval()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","nbRateUnits":"1","rateUnits":"second","drop":false,"wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
        Assert.True(await flow.NothingMoreAsync("h"));

        await flow.AdvanceMsAsync(1000);
        Assert.Equal(2.0, (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(999);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        Assert.Equal(3.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Rate_limit_keeps_its_spacing_for_a_message_right_after_the_queue_empties()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"2","nbRateUnits":"1","rateUnits":"second","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(100);
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(400);
        Assert.Equal(2.0, (await flow.NextAsync("h"))["payload"]);
        // One quiet interval later the limiter is idle again and passes the next message at once.
        await flow.AdvanceMsAsync(1000);
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        Assert.Equal(3.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Rate_limit_per_several_units_spaces_messages_by_units_over_rate()
    {
        // 2 messages per 10 minutes: one every 5 minutes.
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"2","nbRateUnits":"10","rateUnits":"minute","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.NextAsync("h");
        await flow.AdvanceSettledAsync(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        Assert.Equal(2.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Rate_limit_drop_discards_messages_inside_the_interval()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"second","drop":true,"outputs":1,"wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.AdvanceMsAsync(999);
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        await flow.AdvanceMsAsync(1);
        await flow.SendAndSettleAsync("d", """{"payload":4}""");

        Assert.Equal([1.0, 4.0], await PayloadsAsync(flow, "h", 2));
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Rate_limit_drop_sends_intermediate_messages_on_the_second_output()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"second","drop":true,"outputs":2,"wires":[["h"],["h2"]]}""");

        flow.Send("d", """{"payload":1}""");
        flow.Send("d", """{"payload":2}""");
        flow.Send("d", """{"payload":3}""");

        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
        Assert.Equal([2.0, 3.0], await PayloadsAsync(flow, "h2", 2));
    }

    [Fact]
    public async Task Rate_limit_queue_puts_toFront_messages_at_the_head()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"second","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.SendAndSettleAsync("d", """{"payload":"urgent","toFront":true}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(1000);
        Assert.Equal("urgent", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(1000);
        Assert.Equal(2.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Rate_limit_queue_flush_sends_everything_queued_now()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"minute","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        await flow.NextAsync("h");
        flow.Send("d", """{"flush":true}""");

        Assert.Equal([2.0, 3.0], await PayloadsAsync(flow, "h", 2));
        Assert.True(await flow.NothingMoreAsync("h"));
        Assert.Equal(new NodeStatus("blue", "dot", "0"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Rate_limit_queue_reset_empties_the_queue_and_the_next_message_passes_at_once()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"minute","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.NextAsync("h");
        await flow.SendAndSettleAsync("d", """{"reset":true}""");
        Assert.Equal(new NodeStatus("blue", "ring", "0"), flow.LastStatusOf("d"));

        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        Assert.Equal(3.0, (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceSettledAsync(TimeSpan.FromMinutes(2));
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Rate_limit_queue_status_shows_the_queue_depth_every_half_second()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"minute","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        Assert.DoesNotContain(flow.StatusesOf("d"), s => s.Text == "2");
        await flow.AdvanceMsAsync(500);
        Assert.Equal(new NodeStatus("blue", "dot", "2"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Rate_limit_queue_over_nodeMessageBufferMaxLength_empties_the_queue_and_reports_an_error()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"minute","wires":[["h"]]}""",
            new JsObject { ["nodeMessageBufferMaxLength"] = 2.0 });

        for (var i = 1; i <= 4; i++) await flow.SendAndSettleAsync("d", $$"""{"payload":{{i}}}""");

        var error = await flow.NextAsync("errors");
        Assert.Equal("too many pending messages in delay node", ((JsObject)error["error"]!)["message"]);
        Assert.Equal(4.0, error["payload"]);
        Assert.Equal(0, flow.Node<DelayNode>("d").HeldCount);
    }

    [Fact]
    public async Task Rate_limit_msg_rate_overrides_the_interval_when_allowed()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"second","allowrate":true,"wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1,"rate":200}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(200);
        Assert.Equal(2.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Rate_limit_ignores_msg_rate_unless_allowed()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"rate","rate":"1","rateUnits":"second","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1,"rate":200}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(200);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    // ---- burst ----

    [Fact]
    public async Task Burst_passes_rate_messages_per_period_and_drops_the_rest()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"burst","rate":"2","nbRateUnits":"1","rateUnits":"second","outputs":1,"wires":[["h"]]}""");
        Assert.Equal(new NodeStatus("green", "ring", ""), flow.LastStatusOf("d"));

        for (var i = 1; i <= 3; i++) await flow.SendAndSettleAsync("d", $$"""{"payload":{{i}}}""");
        Assert.Equal([1.0, 2.0], await PayloadsAsync(flow, "h", 2));
        Assert.True(await flow.NothingMoreAsync("h"));
        Assert.Equal(new NodeStatus("red", "dot", ""), flow.LastStatusOf("d"));

        await flow.AdvanceMsAsync(1000);
        Assert.Equal(new NodeStatus("green", "ring", ""), flow.LastStatusOf("d"));
        await flow.SendAndSettleAsync("d", """{"payload":4}""");
        Assert.Equal(4.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Burst_sends_extras_to_the_second_output_and_reset_frees_every_slot()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"burst","rate":"1","rateUnits":"minute","outputs":2,"wires":[["h"],["h2"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        Assert.Equal(2.0, (await flow.NextAsync("h2"))["payload"]);
        await flow.SendAndSettleAsync("d", """{"reset":true}""");
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        Assert.Equal([1.0, 3.0], await PayloadsAsync(flow, "h", 2));
    }

    // ---- per topic ----

    [Fact]
    public async Task Topic_queue_replaces_a_queued_message_of_the_same_topic_in_place()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"queue","rate":"1","rateUnits":"second","outputs":2,"wires":[["h"],["h2"]]}""");

        await flow.SendAndSettleAsync("d", """{"topic":"a","payload":"a1"}""");
        await flow.SendAndSettleAsync("d", """{"topic":"b","payload":"b1"}""");
        await flow.SendAndSettleAsync("d", """{"topic":"a","payload":"a2"}""");
        Assert.Equal("a1", (await flow.NextAsync("h2"))["payload"]);

        await flow.AdvanceMsAsync(1000);
        Assert.Equal("a2", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(1000);
        Assert.Equal("b1", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(1000);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Topic_queue_gives_messages_without_topic_the_none_topic()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"queue","rate":"1","rateUnits":"second","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.AdvanceMsAsync(1000);
        var msg = await flow.NextAsync("h");
        Assert.Equal(2.0, msg["payload"]);
        Assert.Equal("_none_", msg["topic"]);
    }

    [Fact]
    public async Task Timed_release_sends_the_latest_message_of_every_topic_each_interval()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"timed","rate":"1","rateUnits":"second","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"topic":"a","payload":"a1"}""");
        await flow.SendAndSettleAsync("d", """{"topic":"b","payload":"b1"}""");
        await flow.SendAndSettleAsync("d", """{"topic":"a","payload":"a2"}""");
        Assert.True(await flow.NothingMoreAsync("h"));

        await flow.AdvanceMsAsync(1000);
        Assert.Equal(["a2", "b1"], await PayloadsAsync(flow, "h", 2));
        await flow.AdvanceMsAsync(1000);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Topic_queue_flush_sends_queued_messages_and_reset_drops_them()
    {
        await using var flow = await DelayAsync("""{"id":"d","type":"delay","pauseType":"queue","rate":"1","rateUnits":"minute","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("d", """{"topic":"a","payload":"a1"}""");
        await flow.SendAndSettleAsync("d", """{"topic":"b","payload":"b1"}""");
        flow.Send("d", """{"topic":"flush","flush":1}""");
        Assert.Equal("a1", (await flow.NextAsync("h"))["payload"]);
        Assert.True(await flow.NothingMoreAsync("h"));

        await flow.SendAndSettleAsync("d", """{"reset":true}""");
        Assert.Equal(new NodeStatus(null, null, "reset"), flow.LastStatusOf("d"));
        await flow.AdvanceSettledAsync(TimeSpan.FromMinutes(3));
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Delay_drops_held_messages_and_clears_its_status_when_removed()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"d","type":"delay","pauseType":"delay","timeout":"10","wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.SendAndSettleAsync("d", """{"payload":"held"}""");
        await flow.DeployAsync(OneTab("""{"id":"other","type":"helper"}"""));
        await flow.AdvanceMsAsync(10_000);

        Assert.Empty(flow.Received("h"));
        Assert.Equal(NodeStatus.Clear, flow.LastStatusOf("d"));
    }

    [Theory]
    [InlineData("""{"id":"d","type":"delay","pauseType":"sometimes"}""", "pauseType")]
    [InlineData("""{"id":"d","type":"delay","pauseType":"delay","timeout":"-1"}""", "timeout")]
    [InlineData("""{"id":"d","type":"delay","pauseType":"rate","rate":"0"}""", "rate")]
    [InlineData("""{"id":"d","type":"delay","pauseType":"delay","timeout":"soon"}""", "timeout")]
    public async Task Delay_with_invalid_configuration_is_refused_at_deploy(string node, string property)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(OneTab(node)));
        Assert.Contains(error.Problems, p => p.NodeId == "d" && p.Property == property);
    }
}
