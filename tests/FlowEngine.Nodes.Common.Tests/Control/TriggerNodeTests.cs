using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Control;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Control.ControlTestSupport;

namespace FlowEngine.Nodes.Common.Tests.Control;

public sealed class TriggerNodeTests
{
    private static Task<TestFlow> TriggerAsync(string triggerJson) => StartAsync(OneTab(
        triggerJson,
        """{"id":"h","type":"helper"}""",
        """{"id":"h2","type":"helper"}"""));

    [Fact]
    public async Task Trigger_defaults_send_1_then_0_after_250_ms()
    {
        // A node as the editor creates it: legacy "val" types, 250 ms.
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"1","op2":"0","op1type":"val","op2type":"val","duration":"250","extend":"false","units":"ms","reset":"","bytopic":"all","topic":"topic","outputs":1,"wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"go","topic":"x"}""");
        var first = await flow.NextAsync("h");
        Assert.Equal("1", first["payload"]);
        Assert.Equal("x", first["topic"]);
        await flow.AdvanceMsAsync(249);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        var second = await flow.NextAsync("h");
        Assert.Equal("0", second["payload"]);
        Assert.Equal("x", second["topic"]);
    }

    [Fact]
    public async Task Trigger_ignores_messages_while_its_timer_runs()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        await flow.AdvanceMsAsync(500);
        await flow.SendAndSettleAsync("t", """{"payload":2}""");
        await flow.AdvanceMsAsync(500);
        Assert.Equal(["on", "off"], (await flow.NextAsync("h", 2)).Select(m => m["payload"]));
        Assert.True(await flow.NothingMoreAsync("h"));

        // After the cycle the next message starts a new one.
        await flow.SendAndSettleAsync("t", """{"payload":3}""");
        Assert.Equal("on", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Trigger_extend_restarts_the_timer_on_each_message()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"300","units":"ms","extend":"true","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1,"tag":"first"}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(200);
        await flow.SendAndSettleAsync("t", """{"payload":2,"tag":"second"}""");
        await flow.AdvanceMsAsync(200);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(100);
        var off = await flow.NextAsync("h");
        Assert.Equal("off", off["payload"]);
        Assert.Equal("second", off["tag"]);
    }

    [Fact]
    public async Task Trigger_duration_zero_sends_once_and_waits_to_be_reset()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"1","op1type":"num","op2":"0","op2type":"num","duration":"0","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"a"}""");
        await flow.SendAndSettleAsync("t", """{"payload":"b"}""");
        await flow.AdvanceSettledAsync(TimeSpan.FromHours(1));
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
        Assert.True(await flow.NothingMoreAsync("h"));

        await flow.SendAndSettleAsync("t", """{"reset":true}""");
        await flow.SendAndSettleAsync("t", """{"payload":"c"}""");
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Trigger_resets_when_the_payload_equals_the_reset_value()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"1","units":"s","reset":"stop","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"go"}""");
        await flow.NextAsync("h");
        await flow.SendAndSettleAsync("t", """{"payload":"stop"}""");
        Assert.Equal(NodeStatus.Clear, flow.LastStatusOf("t"));
        await flow.AdvanceMsAsync(2000);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Trigger_reset_value_matches_a_number_payload_by_its_text()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"0","reset":"0","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        await flow.SendAndSettleAsync("t", """{"payload":0}""");
        await flow.SendAndSettleAsync("t", """{"payload":2}""");
        Assert.Equal(2, (await flow.NextAsync("h", 2)).Count);
    }

    [Fact]
    public async Task Trigger_msg_reset_cancels_the_pending_second_message()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"500","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        await flow.AdvanceMsAsync(400);
        await flow.SendAndSettleAsync("t", """{"reset":""}""");
        await flow.AdvanceMsAsync(1000);
        Assert.Equal("on", (await flow.NextAsync("h"))["payload"]);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Trigger_negative_duration_resends_the_first_message_until_reset()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"ping","op1type":"str","op2":"0","op2type":"str","duration":"-2","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"x","topic":"keepalive"}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(2000);
        await flow.AdvanceMsAsync(2000);
        var repeats = await flow.NextAsync("h", 2);
        Assert.All(repeats, m => Assert.Equal("ping", m["payload"]));
        Assert.All(repeats, m => Assert.Equal("keepalive", m["topic"]));

        await flow.SendAndSettleAsync("t", """{"reset":true}""");
        await flow.AdvanceMsAsync(10_000);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Trigger_repeat_restarts_with_each_new_message()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"","op1type":"pay","op2":"","op2type":"nul","duration":"-1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"a"}""");
        await flow.AdvanceMsAsync(500);
        await flow.SendAndSettleAsync("t", """{"payload":"b"}""");
        await flow.AdvanceMsAsync(500);
        Assert.Equal(["a", "b"], (await flow.NextAsync("h", 2)).Select(m => m["payload"]));
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(500);
        Assert.Equal("b", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Trigger_by_topic_keeps_a_separate_cycle_per_topic()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"1","units":"s","bytopic":"topic","topic":"topic","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"topic":"a"}""");
        await flow.SendAndSettleAsync("t", """{"topic":"b"}""");
        await flow.SendAndSettleAsync("t", """{"topic":"a"}""");
        Assert.Equal(["a", "b"], (await flow.NextAsync("h", 2)).Select(m => m["topic"]));
        Assert.Equal(new NodeStatus("blue", "dot", "2"), flow.LastStatusOf("t"));

        // A reset only resets its own topic.
        await flow.SendAndSettleAsync("t", """{"topic":"a","reset":true}""");
        Assert.Equal(new NodeStatus("blue", "dot"), flow.LastStatusOf("t"));
        await flow.AdvanceMsAsync(1000);
        var off = await flow.NextAsync("h");
        Assert.Equal(("off", "b"), ((string)off["payload"]!, (string)off["topic"]!));
        Assert.True(await flow.NothingMoreAsync("h"));
        Assert.Equal(NodeStatus.Clear, flow.LastStatusOf("t"));
    }

    [Fact]
    public async Task Trigger_by_topic_can_use_another_message_property()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"0","bytopic":"topic","topic":"device.id","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"device":{"id":"pump"}}""");
        await flow.SendAndSettleAsync("t", """{"device":{"id":"fan"}}""");
        await flow.SendAndSettleAsync("t", """{"device":{"id":"pump"}}""");
        Assert.Equal(2, (await flow.NextAsync("h", 2)).Count);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Trigger_with_two_outputs_sends_the_second_message_on_output_2()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"100","outputs":2,"wires":[["h"],["h2"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        Assert.Equal("on", (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(100);
        Assert.Equal("off", (await flow.NextAsync("h2"))["payload"]);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Trigger_pay_sends_the_original_message_and_payl_the_latest_one()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"","op1type":"pay","op2":"","op2type":"payl","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"first","n":1}""");
        await flow.SendAndSettleAsync("t", """{"payload":"latest","n":2}""");
        await flow.AdvanceMsAsync(1000);
        var (first, last) = (await flow.NextAsync("h"), await flow.NextAsync("h"));
        Assert.Equal(("first", 1.0), ((string)first["payload"]!, (double)first["n"]!));
        Assert.Equal(("latest", 2.0), ((string)last["payload"]!, (double)last["n"]!));
    }

    [Fact]
    public async Task Trigger_op2_pay_sends_the_first_payload_with_the_first_message()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"busy","op1type":"str","op2":"","op2type":"pay","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":{"level":7}}""");
        await flow.AdvanceMsAsync(1000);
        var messages = await flow.NextAsync("h", 2);
        Assert.Equal("busy", messages[0]["payload"]);
        Assert.Equal("""{"level":7}""", JsJson.Serialize(messages[1]["payload"]));
    }

    [Fact]
    public async Task Trigger_nul_sends_nothing_for_that_step()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"","op1type":"nul","op2":"timeout","op2type":"str","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        Assert.True(await flow.NothingMoreAsync("h"));
        Assert.Equal(new NodeStatus("blue", "dot"), flow.LastStatusOf("t"));
        await flow.AdvanceMsAsync(1000);
        Assert.Equal("timeout", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Trigger_typed_values_are_evaluated_as_their_types()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"{\"on\":true}","op1type":"json","op2":"false","op2type":"val","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        await flow.AdvanceMsAsync(1000);
        var messages = await flow.NextAsync("h", 2);
        Assert.Equal("""{"on":true}""", JsJson.Serialize(messages[0]["payload"]));
        Assert.Equal(false, messages[1]["payload"]);
    }

    [Fact]
    public async Task Trigger_empty_values_fall_back_to_1_and_0_as_in_node_red()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"","op1type":"num","op2":"","op2type":"num","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":"x"}""");
        await flow.AdvanceMsAsync(1000);
        Assert.Equal([1.0, 0.0], (await flow.NextAsync("h", 2)).Select(m => m["payload"]));
    }

    [Fact]
    public async Task Trigger_string_values_with_mustache_tags_are_rendered_against_the_message()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"{{topic}} is {{payload}}","op1type":"str","op2":"{{payload.unit}} done <{{{topic}}}>","op2type":"str","duration":"1","units":"s","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":{"unit":"A&B"},"topic":"pump"}""");
        await flow.AdvanceMsAsync(1000);
        var messages = await flow.NextAsync("h", 2);
        Assert.Equal("pump is [object Object]", messages[0]["payload"]);
        Assert.Equal("A&amp;B done <pump>", messages[1]["payload"]);
    }

    [Fact]
    public async Task Trigger_override_delay_takes_msg_delay_in_milliseconds()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"5","units":"s","overrideDelay":true,"wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1,"delay":"150"}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(150);
        Assert.Equal("off", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Trigger_without_override_ignores_msg_delay()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"5","units":"s","overrideDelay":false,"wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1,"delay":150}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(150);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(4850);
        await flow.NextAsync("h");
    }

    [Theory]
    [InlineData("min", 60_000)]
    [InlineData("hr", 3_600_000)]
    public async Task Trigger_duration_units_scale_the_wait(string units, double expectedMs)
    {
        await using var flow = await TriggerAsync($$"""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"1","units":"{{units}}","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(expectedMs - 1);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        await flow.NextAsync("h");
    }

    [Fact]
    public async Task Trigger_flow_context_second_value_is_read_when_it_is_sent()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"start","op1type":"str","op2":"state","op2type":"flow","duration":"1","units":"s","wires":[["h"]]}""");
        var trigger = flow.Node<TriggerNode>("t");
        trigger.FlowContext.Set("state", "before");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        trigger.FlowContext.Set("state", "after");
        await flow.AdvanceMsAsync(1000);
        Assert.Equal("after", (await flow.NextAsync("h", 2))[1]["payload"]);
    }

    [Fact]
    public async Task Trigger_status_shows_a_blue_dot_while_pending_and_clears_after()
    {
        await using var flow = await TriggerAsync("""{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"100","wires":[["h"]]}""");

        await flow.SendAndSettleAsync("t", """{"payload":1}""");
        Assert.Equal(new NodeStatus("blue", "dot"), flow.LastStatusOf("t"));
        await flow.AdvanceMsAsync(100);
        await flow.NextAsync("h", 2);
        await flow.SettleNodesAsync();
        Assert.Equal(NodeStatus.Clear, flow.LastStatusOf("t"));
    }

    [Fact]
    public async Task Trigger_completes_each_message_at_once()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"t","type":"trigger","op1":"on","op1type":"str","op2":"off","op2type":"str","duration":"0","wires":[]}""",
            """{"id":"done","type":"complete","scope":["t"],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        flow.Send("t", """{"payload":"a"}""");
        flow.Send("t", """{"payload":"ignored"}""");
        Assert.Equal(2, (await flow.NextAsync("h", 2)).Count);
    }

    [Theory]
    [InlineData("""{"id":"t","type":"trigger","op1":"abc","op1type":"num"}""", "op1")]
    [InlineData("""{"id":"t","type":"trigger","op2":"{bad","op2type":"json"}""", "op2")]
    [InlineData("""{"id":"t","type":"trigger","topic":"a..b"}""", "topic")]
    public async Task Trigger_with_invalid_configuration_is_refused_at_deploy(string node, string property)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(OneTab(node)));
        Assert.Contains(error.Problems, p => p.NodeId == "t" && p.Property == property);
    }

    [Theory]
    [InlineData("{{payload}}", """{"payload":"<b>"}""", "&lt;b&gt;")]
    [InlineData("{{{payload}}}", """{"payload":"<b>"}""", "<b>")]
    [InlineData("{{& payload}}", """{"payload":"'q'"}""", "'q'")]
    [InlineData("{{a.b.c}}/{{missing.x}}/{{list.1}}", """{"a":{"b":{"c":3}},"list":[5,6]}""", "3//6")]
    [InlineData("x{{! comment }}y", """{}""", "xy")]
    [InlineData("{{ payload }} = {{payload}}", """{"payload":1.5}""", "1.5 = 1.5")]
    public void Mustache_renders_message_properties(string template, string message, string expected) =>
        Assert.Equal(expected, MustacheLite.Render(template, (JsObject)JsJson.Parse(message)!));
}
