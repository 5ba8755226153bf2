using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Transform.TransformFlow;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class ChangeNodeTests
{
    private static Task<FlowEngine.TestKit.TestFlow> Change(string rules, string extra = "") =>
        StartAsync($$""" "type":"change","rules":{{rules}}{{extra}} """);

    [Fact]
    public async Task Change_set_writes_a_typed_value()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload","pt":"msg","to":"42","tot":"num"},{"t":"set","p":"topic","pt":"msg","to":"TRUE","tot":"bool"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"x"}""");
        Assert.Equal(42.0, msg["payload"]);
        Assert.Equal(true, msg["topic"]);
    }

    [Fact]
    public async Task Change_set_creates_missing_intermediate_objects_and_arrays()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload.a.b","pt":"msg","to":"v","tot":"str"},{"t":"set","p":"list[1].c","pt":"msg","to":"w","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":{}}""");
        Assert.Equal("""{"a":{"b":"v"}}""", ToJson(msg["payload"]));
        Assert.Equal("""[null,{"c":"w"}]""", ToJson(msg["list"]));
    }

    [Fact]
    public async Task Change_set_below_a_string_warns_no_override_and_leaves_the_message_unchanged()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload.a","pt":"msg","to":"v","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"text"}""");
        Assert.Equal("text", msg["payload"]);
        var warning = await flow.LogAsync(LogLevel.Warning);
        Assert.Equal("Cannot set property of non-object type: payload.a", warning.Message);
    }

    [Fact]
    public async Task Change_set_to_a_missing_message_property_deletes_the_target()
    {
        await using var flow = await Change("""[{"t":"set","p":"topic","pt":"msg","to":"nothing.here","tot":"msg"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":1,"topic":"t"}""");
        Assert.False(msg.ContainsKey("topic"));
    }

    [Fact]
    public async Task Change_set_without_deep_copy_shares_the_object_and_with_deep_copy_does_not()
    {
        await using var flow = await Change("""
            [{"t":"set","p":"shared","pt":"msg","to":"data","tot":"msg"},
             {"t":"set","p":"copy","pt":"msg","to":"data","tot":"msg","dc":true},
             {"t":"set","p":"data.x","pt":"msg","to":"2","tot":"num"}]
            """);
        var msg = await flow.RoundTripAsync("""{"data":{"x":1}}""");
        Assert.Equal(2.0, ((JsObject)msg["shared"]!)["x"]);
        Assert.Equal(1.0, ((JsObject)msg["copy"]!)["x"]);
    }

    [Fact]
    public async Task Change_json_value_is_a_fresh_object_for_every_message()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload","pt":"msg","to":"{\"a\":[1,2]}","tot":"json"}]""");
        var first = await flow.RoundTripAsync("{}");
        ((JsObject)first["payload"]!)["a"] = "changed";
        var second = await flow.RoundTripAsync("{}");
        Assert.Equal("""{"a":[1,2]}""", ToJson(second["payload"]));
    }

    [Fact]
    public async Task Change_replace_escapes_the_search_text_and_replaces_every_occurrence()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":".","fromt":"str","to":"-","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"1.2.3"}""");
        Assert.Equal("1-2-3", msg["payload"]);
    }

    [Fact]
    public async Task Change_regex_replace_expands_capture_groups_like_javascript()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"(\\w+)@(\\w+)","fromt":"re","to":"$2 at $1 ($$)","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"ann@home, bob@work"}""");
        Assert.Equal("home at ann ($), work at bob ($)", msg["payload"]);
    }

    [Fact]
    public async Task Change_exact_match_of_the_whole_string_replaces_it_with_the_typed_value()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"5","fromt":"num","to":"10","tot":"num"}]""");
        var exact = await flow.RoundTripAsync("""{"payload":"5"}""");
        Assert.Equal(10.0, exact["payload"]);
        var partial = await flow.RoundTripAsync("""{"payload":"15"}""");
        Assert.Equal("110", partial["payload"]);
    }

    [Fact]
    public async Task Change_number_with_a_num_search_value_replaces_only_when_equal()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"5","fromt":"num","to":"five","tot":"str"}]""");
        Assert.Equal("five", (await flow.RoundTripAsync("""{"payload":5}"""))["payload"]);
        Assert.Equal(6.0, (await flow.RoundTripAsync("""{"payload":6}"""))["payload"]);
    }

    [Fact]
    public async Task Change_number_with_a_string_search_value_is_left_alone()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"5","fromt":"str","to":"x","tot":"str"}]""");
        Assert.Equal(5.0, (await flow.RoundTripAsync("""{"payload":5}"""))["payload"]);
    }

    [Fact]
    public async Task Change_boolean_with_a_bool_search_value()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"true","fromt":"bool","to":"on","tot":"str"}]""");
        Assert.Equal("on", (await flow.RoundTripAsync("""{"payload":true}"""))["payload"]);
        Assert.Equal(false, (await flow.RoundTripAsync("""{"payload":false}"""))["payload"]);
    }

    [Fact]
    public async Task Change_result_true_becomes_a_boolean_when_the_new_value_is_a_boolean()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"^o.*$","fromt":"re","to":"true","tot":"bool"}]""");
        Assert.Equal(true, (await flow.RoundTripAsync("""{"payload":"open"}"""))["payload"]);
        Assert.Equal("closed", (await flow.RoundTripAsync("""{"payload":"closed"}"""))["payload"]);
    }

    [Fact]
    public async Task Change_on_a_nested_path_that_does_not_exist_changes_nothing()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload.a.b","pt":"msg","from":"x","fromt":"str","to":"y","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":{}}""");
        Assert.Equal("{}", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Change_with_a_missing_msg_search_value_reports_an_error_and_still_sends()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"missing","fromt":"msg","to":"y","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"abc"}""");
        Assert.Equal("abc", msg["payload"]);
        var error = await flow.NextAsync("err");
        Assert.Equal("Invalid 'from' property: unsupported type: undefined", ((JsObject)error["error"]!)["message"]);
    }

    [Fact]
    public async Task Change_search_value_from_another_message_property()
    {
        await using var flow = await Change("""[{"t":"change","p":"payload","pt":"msg","from":"word","fromt":"msg","to":"*","tot":"str"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"a+b a+b","word":"a+b"}""");
        Assert.Equal("* *", msg["payload"]);
    }

    [Fact]
    public async Task Change_delete_removes_a_property_and_splices_an_array_element()
    {
        await using var flow = await Change("""[{"t":"delete","p":"topic","pt":"msg"},{"t":"delete","p":"payload[1]","pt":"msg"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":[1,2,3],"topic":"t"}""");
        Assert.False(msg.ContainsKey("topic"));
        Assert.Equal("[1,3]", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Change_move_to_another_property()
    {
        await using var flow = await Change("""[{"t":"move","p":"payload","pt":"msg","to":"topic","tot":"msg"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":{"a":1}}""");
        Assert.False(msg.ContainsKey("payload"));
        Assert.Equal("""{"a":1}""", ToJson(msg["topic"]));
    }

    [Fact]
    public async Task Change_move_into_a_child_of_itself()
    {
        await using var flow = await Change("""[{"t":"move","p":"payload","pt":"msg","to":"payload.inner","tot":"msg"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":{"a":1}}""");
        Assert.Equal("""{"inner":{"a":1}}""", ToJson(msg["payload"]));
        Assert.False(msg.ContainsKey("_temp_move"));
    }

    [Fact]
    public async Task Change_move_from_a_child_to_its_parent()
    {
        await using var flow = await Change("""[{"t":"move","p":"payload.a","pt":"msg","to":"payload","tot":"msg"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":{"a":{"b":2},"c":3}}""");
        Assert.Equal("""{"b":2}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Change_move_from_message_to_flow_context()
    {
        await using var flow = await Change("""
            [{"t":"move","p":"payload","pt":"msg","to":"saved","tot":"flow"},
             {"t":"set","p":"topic","pt":"msg","to":"saved","tot":"flow"}]
            """);
        var msg = await flow.RoundTripAsync("""{"payload":"keep me"}""");
        Assert.False(msg.ContainsKey("payload"));
        Assert.Equal("keep me", msg["topic"]);
    }

    [Fact]
    public async Task Change_sets_and_changes_flow_and_global_context_with_store_prefix()
    {
        await using var flow = await Change("""
            [{"t":"set","p":"greeting","pt":"flow","to":"hello world","tot":"str"},
             {"t":"change","p":"greeting","pt":"flow","from":"world","fromt":"str","to":"there","tot":"str"},
             {"t":"set","p":"#:(memory)::count","pt":"global","to":"7","tot":"num"},
             {"t":"set","p":"payload","pt":"msg","to":"greeting","tot":"flow"},
             {"t":"set","p":"topic","pt":"msg","to":"#:(memory)::count","tot":"global"}]
            """);
        var msg = await flow.RoundTripAsync("{}");
        Assert.Equal("hello there", msg["payload"]);
        Assert.Equal(7.0, msg["topic"]);
    }

    [Fact]
    public async Task Change_context_key_with_a_nested_message_reference()
    {
        await using var flow = await Change("""
            [{"t":"set","p":"rooms[msg.room]","pt":"flow","to":"payload","tot":"msg"},
             {"t":"set","p":"result","pt":"msg","to":"rooms.kitchen","tot":"flow"}]
            """);
        var msg = await flow.RoundTripAsync("""{"payload":21,"room":"kitchen"}""");
        Assert.Equal(21.0, msg["result"]);
    }

    [Fact]
    public async Task Change_set_date_and_env_values()
    {
        await using var flow = await TestFlow(
            """{"id":"t1","type":"tab","label":"T","env":[{"name":"SITE","value":"north","type":"str"}]}""",
            """[{"t":"set","p":"payload","pt":"msg","to":"","tot":"date"},{"t":"set","p":"site","pt":"msg","to":"SITE","tot":"env"}]""");
        flow.Send("n", "{}");
        var msg = await flow.NextAsync("h0");
        // The fake clock starts at 2026-01-01T00:00:00Z.
        Assert.Equal(1767225600000.0, msg["payload"]);
        Assert.Equal("north", msg["site"]);
    }

    private static Task<FlowEngine.TestKit.TestFlow> TestFlow(string tab, string rules) =>
        FlowEngine.TestKit.TestFlow.StartAsync($$"""
            [{{tab}},
             {"id":"n","type":"change","z":"t1","x":1,"y":1,"rules":{{rules}},"wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """, new FlowEngine.TestKit.TestFlowOptions { FakeClock = true });

    [Fact]
    public async Task Change_legacy_shape_with_action_replace_sets_the_property()
    {
        await using var flow = await StartAsync(""" "type":"change","action":"replace","property":"payload","to":"new","reg":false """);
        Assert.Equal("new", (await flow.RoundTripAsync("""{"payload":"old"}"""))["payload"]);
    }

    [Fact]
    public async Task Change_legacy_shape_with_a_regular_expression()
    {
        await using var flow = await StartAsync(""" "type":"change","action":"change","property":"payload","from":"a+","to":"b","reg":true """);
        Assert.Equal("xbyb", (await flow.RoundTripAsync("""{"payload":"xaaya"}"""))["payload"]);
    }

    [Fact]
    public async Task Change_legacy_set_rule_with_msg_prefix_copies_a_property()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload","to":"msg.topic"}]""");
        Assert.Equal("from topic", (await flow.RoundTripAsync("""{"payload":1,"topic":"from topic"}"""))["payload"]);
    }

    [Fact]
    public async Task Change_set_from_a_jsonata_expression()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload","pt":"msg","to":"$uppercase(payload) & '-' & $string(count * 2)","tot":"jsonata"},{"t":"set","p":"topic","pt":"msg","to":"nothing.here","tot":"jsonata"}]""");
        var msg = await flow.RoundTripAsync("""{"payload":"abc","count":4,"topic":"gone"}""");
        Assert.Equal("ABC-8", msg["payload"]);
        // An expression without a result (undefined) deletes the property.
        Assert.False(msg.ContainsKey("topic"));
    }

    [Fact]
    public async Task Change_jsonata_error_goes_to_catch_nodes_and_the_message_is_not_sent()
    {
        await using var flow = await Change("""[{"t":"set","p":"payload","pt":"msg","to":"$number(payload)","tot":"jsonata"}]""");
        flow.Send("n", """{"payload":"not a number"}""");
        var caught = await flow.NextAsync("err");
        Assert.StartsWith("Invalid JSONata expression: ", (string)((JsObject)caught["error"]!)["message"]!);
        Assert.Equal(5.0, (await flow.RoundTripAsync("""{"payload":"5"}"""))["payload"]);
        Assert.Single(flow.Received("h0"));
    }

    [Fact]
    public async Task Change_invalid_regular_expression_refuses_the_deploy()
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() =>
            Change("""[{"t":"change","p":"payload","pt":"msg","from":"(unclosed","fromt":"re","to":"x","tot":"str"}]"""));
        Assert.Contains("rules", error.Message);
    }

    [Fact]
    public async Task Change_invalid_json_value_refuses_the_deploy()
    {
        await Assert.ThrowsAsync<FlowValidationException>(() =>
            Change("""[{"t":"set","p":"payload","pt":"msg","to":"{not json","tot":"json"}]"""));
    }
}
