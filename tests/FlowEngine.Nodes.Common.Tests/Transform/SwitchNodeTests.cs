using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Transform.TransformFlow;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class SwitchNodeTests
{
    /// <summary>A switch with one output per rule (output i to helper "h{i}") and a last "else" rule to helper h5.</summary>
    private static Task<TestFlow> Switch(string rules, string extra = "")
    {
        var count = ((List<object?>)JsJson.Parse(rules)!).Count;
        var wires = "[" + string.Join(",", Enumerable.Range(0, count).Select(i => $"[\"h{i}\"]")) + "]";
        return StartAsync($$""" "type":"switch","property":"payload","propertyType":"msg","rules":{{rules}},"checkall":"true","repair":false,"outputs":{{count}}{{extra}} """, wires);
    }

    /// <summary>
    /// Sends a message and asserts which helpers (h0..h{n-1}) received it: the expected ones are awaited, then the
    /// mailboxes are left to settle before checking that no other helper got anything.
    /// </summary>
    private static async Task AssertRoutedAsync(TestFlow flow, string message, int ruleCount, string expected, JsObject? asObject = null)
    {
        var before = Enumerable.Range(0, ruleCount).Select(i => flow.Received($"h{i}").Count).ToArray();
        if (asObject is not null) flow.Send("n", asObject);
        else flow.Send("n", message);
        foreach (var helper in expected.Split(',', StringSplitOptions.RemoveEmptyEntries)) await flow.NextAsync(helper);
        await flow.SettleAsync();
        var hit = Enumerable.Range(0, ruleCount).Where(i => flow.Received($"h{i}").Count > before[i]).Select(i => $"h{i}");
        Assert.Equal(expected, string.Join(",", hit));
    }

    private const string Else = """{"t":"else"}""";

    [Fact]
    public async Task Switch_eq_is_javascript_loose_equality()
    {
        await using var flow = await Switch($$"""[{"t":"eq","v":"1","vt":"str"},{"t":"eq","v":"1","vt":"num"},{"t":"neq","v":"1","vt":"num"},{"t":"nnull"}]""");
        await AssertRoutedAsync(flow, """{"payload":1}""", 4, "h0,h1,h3");
        await AssertRoutedAsync(flow, """{"payload":"1"}""", 4, "h0,h1,h3");
        await AssertRoutedAsync(flow, """{"payload":"01x"}""", 4, "h2,h3");
    }

    [Fact]
    public async Task Switch_legacy_rules_without_vt_take_numbers_for_numeric_text()
    {
        await using var flow = await Switch("""[{"t":"gt","v":"9"},{"t":"eq","v":"abc"},{"t":"nnull"}]""");
        // "10" > 9 numerically (as text "10" < "9").
        await AssertRoutedAsync(flow, """{"payload":"10"}""", 3, "h0,h2");
        await AssertRoutedAsync(flow, """{"payload":"abc"}""", 3, "h1,h2");
    }

    [Fact]
    public async Task Switch_comparisons_on_a_missing_property_are_false_but_null_compares_as_zero()
    {
        await using var flow = await Switch("""[{"t":"lt","v":"5","vt":"num"},{"t":"gte","v":"0","vt":"num"},{"t":"eq","v":"nothing","vt":"msg"},{"t":"null"}]""");
        await AssertRoutedAsync(flow, """{"topic":"no payload"}""", 4, "h2,h3");
        await AssertRoutedAsync(flow, """{"payload":null}""", 4, "h0,h1,h2,h3");
    }

    [Fact]
    public async Task Switch_between_is_inclusive_in_either_order()
    {
        await using var flow = await Switch("""[{"t":"btwn","v":"10","vt":"num","v2":"1","v2t":"num"},{"t":"btwn","v":"1","vt":"num","v2":"10","v2t":"num"},""" + Else + "]");
        await AssertRoutedAsync(flow, """{"payload":10}""", 3, "h0,h1");
        await AssertRoutedAsync(flow, """{"payload":"5"}""", 3, "h0,h1");
        await AssertRoutedAsync(flow, """{"payload":11}""", 3, "h2");
    }

    [Fact]
    public async Task Switch_contains_and_regex_with_and_without_case()
    {
        await using var flow = await Switch("""[{"t":"cont","v":"ell","vt":"str"},{"t":"regex","v":"^HE","vt":"str","case":false},{"t":"regex","v":"^HE","vt":"str","case":true},""" + Else + "]");
        await AssertRoutedAsync(flow, """{"payload":"hello"}""", 4, "h0,h2");
        await AssertRoutedAsync(flow, """{"payload":"HELP"}""", 4, "h1,h2");
        // Non-strings are matched by their string form.
        await AssertRoutedAsync(flow, """{"payload":123}""", 4, "h3");
    }

    [Fact]
    public async Task Switch_regex_from_a_message_property_that_is_invalid_reports_an_error()
    {
        await using var flow = await Switch("""[{"t":"regex","v":"pattern","vt":"msg"},""" + Else + "]");
        flow.Send("n", """{"payload":"x","pattern":"("}""");
        var error = await flow.NextAsync("err");
        Assert.NotNull(((JsObject)error["error"]!)["message"]);
        await AssertRoutedAsync(flow, """{"payload":"x","pattern":"y"}""", 2, "h1");
    }

    [Fact]
    public async Task Switch_true_false_null_and_not_null()
    {
        await using var flow = await Switch("""[{"t":"true"},{"t":"false"},{"t":"null"},{"t":"nnull"},""" + Else + "]");
        await AssertRoutedAsync(flow, """{"payload":true}""", 5, "h0,h3");
        await AssertRoutedAsync(flow, """{"payload":false}""", 5, "h1,h3");
        await AssertRoutedAsync(flow, """{"payload":"true"}""", 5, "h3");
        await AssertRoutedAsync(flow, """{"payload":null}""", 5, "h2");
        await AssertRoutedAsync(flow, """{"topic":1}""", 5, "h2");
    }

    [Fact]
    public async Task Switch_empty_and_not_empty_for_strings_arrays_objects_and_other_values()
    {
        await using var flow = await Switch("""[{"t":"empty"},{"t":"nempty"},""" + Else + "]");
        await AssertRoutedAsync(flow, """{"payload":""}""", 3, "h0");
        await AssertRoutedAsync(flow, """{"payload":[]}""", 3, "h0");
        await AssertRoutedAsync(flow, """{"payload":{}}""", 3, "h0");
        await AssertRoutedAsync(flow, """{"payload":{"a":1}}""", 3, "h1");
        await AssertRoutedAsync(flow, """{"payload":"x"}""", 3, "h1");
        // Numbers, booleans and null are neither empty nor not empty.
        await AssertRoutedAsync(flow, """{"payload":0}""", 3, "h2");
        await AssertRoutedAsync(flow, """{"payload":null}""", 3, "h2");
        await AssertRoutedAsync(flow, "", 3, "h0", new JsObject { ["payload"] = Array.Empty<byte>() });
    }

    [Fact]
    public async Task Switch_istype_distinguishes_every_type_name()
    {
        await using var flow = await Switch("""
            [{"t":"istype","v":"string","vt":"string"},{"t":"istype","v":"number","vt":"number"},{"t":"istype","v":"boolean","vt":"boolean"},
             {"t":"istype","v":"array","vt":"array"},{"t":"istype","v":"buffer","vt":"buffer"},{"t":"istype","v":"object","vt":"object"},
             {"t":"istype","v":"json","vt":"json"},{"t":"istype","v":"null","vt":"null"},{"t":"istype","v":"undefined","vt":"undefined"},
             {"t":"else"}]
            """);
        await AssertRoutedAsync(flow, """{"payload":"{\"a\":1}"}""", 10, "h0,h6");
        await AssertRoutedAsync(flow, """{"payload":"not json"}""", 10, "h0");
        await AssertRoutedAsync(flow, """{"payload":3}""", 10, "h1,h6");
        await AssertRoutedAsync(flow, """{"payload":true}""", 10, "h2,h6");
        await AssertRoutedAsync(flow, """{"payload":[1,2]}""", 10, "h3");
        await AssertRoutedAsync(flow, """{"payload":{"a":1}}""", 10, "h5");
        await AssertRoutedAsync(flow, """{"payload":null}""", 10, "h6,h7");
        await AssertRoutedAsync(flow, """{"topic":"none"}""", 10, "h8");
        await AssertRoutedAsync(flow, "", 10, "h4", new JsObject { ["payload"] = new byte[] { 1 } });
        // NaN is a number to JavaScript's typeof but not to the switch node.
        await AssertRoutedAsync(flow, "", 10, "h9", new JsObject { ["payload"] = double.NaN });
    }

    [Fact]
    public async Task Switch_else_matches_only_when_no_rule_since_the_previous_else_matched()
    {
        await using var flow = await Switch("""[{"t":"eq","v":"a","vt":"str"},{"t":"else"},{"t":"eq","v":"b","vt":"str"},{"t":"else"},{"t":"nnull"}]""");
        await AssertRoutedAsync(flow, """{"payload":"a"}""", 5, "h0,h3,h4");
        await AssertRoutedAsync(flow, """{"payload":"b"}""", 5, "h1,h2,h4");
        await AssertRoutedAsync(flow, """{"payload":"c"}""", 5, "h1,h4");
    }

    [Fact]
    public async Task Switch_checkall_false_stops_at_the_first_match()
    {
        await using var flow = await StartAsync(""" "type":"switch","property":"payload","rules":[{"t":"gt","v":"1","vt":"num"},{"t":"gt","v":"2","vt":"num"},{"t":"nnull"}],"checkall":"false","outputs":3 """,
            """[["h0"],["h1"],["h2"]]""");
        flow.Send("n", """{"payload":5}""");
        flow.Send("n", """{"payload":0}""");
        Assert.Equal(5.0, (await flow.NextAsync("h0"))["payload"]);
        Assert.Equal(0.0, (await flow.NextAsync("h2"))["payload"]);
        Assert.Empty(flow.Received("h1"));
        Assert.Single(flow.Received("h2"));
    }

    [Fact]
    public async Task Switch_every_matching_output_gets_its_own_copy()
    {
        await using var flow = await StartAsync(""" "type":"switch","property":"payload.v","rules":[{"t":"nnull"},{"t":"nnull"}],"checkall":"true","outputs":2 """,
            """[["h0"],["h1"]]""");
        flow.Send("n", """{"payload":{"v":1}}""");
        var first = await flow.NextAsync("h0");
        var second = await flow.NextAsync("h1");
        Assert.NotSame(first, second);
        Assert.Equal(first["_msgid"], second["_msgid"]);
    }

    [Fact]
    public async Task Switch_previous_value_compares_with_the_last_message()
    {
        // The previous value starts as null, and 5 > null in JavaScript.
        await using var flow = await Switch("""[{"t":"eq","v":"","vt":"prev"},{"t":"gt","v":"","vt":"prev"},{"t":"nnull"}]""");
        await AssertRoutedAsync(flow, """{"payload":5}""", 3, "h1,h2");
        await AssertRoutedAsync(flow, """{"payload":5}""", 3, "h0,h2");
        await AssertRoutedAsync(flow, """{"payload":7}""", 3, "h1,h2");
    }

    [Fact]
    public async Task Switch_has_key_on_objects_arrays_and_strings()
    {
        await using var flow = await Switch("""[{"t":"hask","v":"a","vt":"str"},{"t":"hask","v":"1","vt":"str"},""" + Else + "]");
        await AssertRoutedAsync(flow, """{"payload":{"a":null}}""", 3, "h0");
        await AssertRoutedAsync(flow, """{"payload":[0,0]}""", 3, "h1");
        await AssertRoutedAsync(flow, """{"payload":"xy"}""", 3, "h1");
        await AssertRoutedAsync(flow, """{"payload":5}""", 3, "h2");
    }

    [Fact]
    public async Task Switch_reads_flow_context_and_env_properties()
    {
        await using var flow = await TestFlow.StartAsync("""
            [{"id":"t1","type":"tab","label":"T","env":[{"name":"MODE","value":"auto","type":"str"}]},
             {"id":"set","type":"change","z":"t1","x":1,"y":1,"rules":[{"t":"set","p":"level","pt":"flow","to":"payload","tot":"msg"}],"wires":[["n","e"]]},
             {"id":"n","type":"switch","z":"t1","x":1,"y":1,"property":"level","propertyType":"flow","rules":[{"t":"gt","v":"10","vt":"num"},{"t":"else"}],"checkall":"true","outputs":2,"wires":[["h0"],["h1"]]},
             {"id":"e","type":"switch","z":"t1","x":1,"y":1,"property":"MODE","propertyType":"env","rules":[{"t":"eq","v":"auto","vt":"str"}],"checkall":"true","outputs":1,"wires":[["h2"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h1","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h2","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """, new TestFlowOptions { FakeClock = true });
        flow.Send("set", """{"payload":20}""");
        await flow.NextAsync("h0");
        await flow.NextAsync("h2");
        flow.Send("set", """{"payload":3}""");
        await flow.NextAsync("h1");
    }

    [Fact]
    public async Task Switch_compares_with_another_message_property()
    {
        await using var flow = await Switch("""[{"t":"gt","v":"limit","vt":"msg"},""" + Else + "]");
        await AssertRoutedAsync(flow, """{"payload":5,"limit":3}""", 2, "h0");
        await AssertRoutedAsync(flow, """{"payload":5,"limit":8}""", 2, "h1");
    }

    private static string Part(int index, int count, string id = "s1") => $$$"""{"payload":{{{index}}},"parts":{"id":"{{{id}}}","index":{{{index}}},"count":{{{count}}}}}""";

    [Fact]
    public async Task Switch_head_and_index_rules_read_the_sequence_position()
    {
        await using var flow = await Switch("""[{"t":"head","v":"2","vt":"num"},{"t":"index","v":"1","vt":"num","v2":"2","v2t":"num"},{"t":"nnull"}]""");
        await AssertRoutedAsync(flow, Part(0, 4), 3, "h0,h2");
        await AssertRoutedAsync(flow, Part(1, 4), 3, "h0,h1,h2");
        await AssertRoutedAsync(flow, Part(2, 4), 3, "h1,h2");
        await AssertRoutedAsync(flow, Part(3, 4), 3, "h2");
    }

    [Fact]
    public async Task Switch_head_without_parts_reports_an_error()
    {
        await using var flow = await Switch("""[{"t":"head","v":"2","vt":"num"}]""");
        flow.Send("n", """{"payload":1}""");
        var error = await flow.NextAsync("err");
        Assert.Equal("Cannot read properties of undefined (reading 'index')", ((JsObject)error["error"]!)["message"]);
    }

    [Fact]
    public async Task Switch_tail_holds_the_sequence_until_its_count_is_known()
    {
        await using var flow = await StartAsync(""" "type":"switch","property":"payload","rules":[{"t":"tail","v":"2","vt":"num"}],"checkall":"true","outputs":1 """);
        // Only the last part carries the count; nothing can be decided before it arrives.
        flow.Send("n", """{"payload":0,"parts":{"id":"q","index":0}}""");
        flow.Send("n", """{"payload":1,"parts":{"id":"q","index":1}}""");
        flow.Send("n", """{"payload":2,"parts":{"id":"q","index":2,"count":3}}""");
        var first = await flow.NextAsync("h0");
        var second = await flow.NextAsync("h0");
        Assert.Equal(1.0, first["payload"]);
        Assert.Equal(2.0, second["payload"]);
        Assert.Equal(2, flow.Received("h0").Count);
    }

    [Fact]
    public async Task Switch_repair_renumbers_the_parts_of_each_output()
    {
        await using var flow = await StartAsync(""" "type":"switch","property":"payload","rules":[{"t":"lt","v":"2","vt":"num"},{"t":"gte","v":"1","vt":"num"}],"checkall":"true","repair":true,"outputs":2 """,
            """[["h0"],["h1"]]""");
        for (var i = 0; i < 4; i++) flow.Send("n", Part(i, 4));
        var low = await flow.NextAsync("h0", 2);
        var high = await flow.NextAsync("h1", 3);
        Assert.Equal("[0,1]", ToJson(low.Select(m => m["payload"]).ToList()));
        Assert.Equal("[1,2,3]", ToJson(high.Select(m => m["payload"]).ToList()));
        Assert.Equal("[0,1]", ToJson(low.Select(m => ((JsObject)m["parts"]!)["index"]).ToList()));
        Assert.All(low, m => Assert.Equal(2.0, ((JsObject)m["parts"]!)["count"]));
        Assert.All(high, m => Assert.Equal(3.0, ((JsObject)m["parts"]!)["count"]));
        Assert.Equal("[0,1,2]", ToJson(high.Select(m => ((JsObject)m["parts"]!)["index"]).ToList()));
        var lowId = ((JsObject)low[0]["parts"]!)["id"];
        Assert.NotEqual("s1", lowId);
        Assert.NotEqual(lowId, ((JsObject)high[0]["parts"]!)["id"]);
    }

    [Fact]
    public async Task Switch_jsonata_property_and_expression_rules()
    {
        await using var flow = await StartAsync(""" "type":"switch","property":"payload.a + payload.b","propertyType":"jsonata","rules":[{"t":"eq","v":"3","vt":"num"},{"t":"jsonata_exp","v":"payload.a > 1","vt":"jsonata"},{"t":"else"}],"checkall":"true","outputs":3 """,
            """[["h0"],["h1"],["h2"]]""");
        await AssertRoutedAsync(flow, """{"payload":{"a":1,"b":2}}""", 3, "h0");
        await AssertRoutedAsync(flow, """{"payload":{"a":2,"b":2}}""", 3, "h1");
        await AssertRoutedAsync(flow, """{"payload":{"a":0,"b":0}}""", 3, "h2");
    }

    [Fact]
    public async Task Switch_jsonata_expression_sees_the_sequence_index_and_count()
    {
        await using var flow = await Switch("""[{"t":"jsonata_exp","v":"$I = $N - 1","vt":"jsonata"},{"t":"nnull"}]""");
        await AssertRoutedAsync(flow, Part(0, 2), 2, "h1");
        await AssertRoutedAsync(flow, Part(1, 2), 2, "h0,h1");
    }

    [Fact]
    public async Task Switch_never_triggers_complete_nodes()
    {
        await using var flow = await StartAsync(""" "type":"switch","property":"payload","rules":[{"t":"nnull"}],"checkall":"true","outputs":1 """,
            extraNodes: """,{"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["n"],"wires":[["h5"]]}""");
        await flow.RoundTripAsync("""{"payload":1}""");
        Assert.True(await flow.NothingArrivesAsync("h5"));
    }

    [Fact]
    public async Task Switch_with_an_unknown_rule_type_refuses_the_deploy()
    {
        await Assert.ThrowsAsync<FlowEngine.Core.Flows.FlowValidationException>(() => Switch("""[{"t":"bogus","v":"1"}]"""));
    }
}
