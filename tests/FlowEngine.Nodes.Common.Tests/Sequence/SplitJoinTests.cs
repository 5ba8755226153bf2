using System.Text;
using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Sequence.SequenceFlow;

namespace FlowEngine.Nodes.Common.Tests.Sequence;

public sealed class SplitJoinTests
{
    private const string Split = """ "type":"split","splt":"\\n","spltType":"str","arraySplt":1,"arraySpltType":"len","stream":false,"addname":"" """;
    private const string JoinAuto = """ "type":"join","mode":"auto","build":"object","property":"payload","propertyType":"msg","key":"topic","joiner":"\\n","joinerType":"str","accumulate":false,"timeout":"","count":"" """;

    private static string Join(string build, string count = "", string timeout = "", string joiner = "\\\\n", string joinerType = "str", string extra = "") =>
        $$""" "type":"join","mode":"custom","build":"{{build}}","property":"payload","propertyType":"msg","key":"topic","joiner":"{{joiner}}","joinerType":"{{joinerType}}","accumulate":false,"timeout":"{{timeout}}","count":"{{count}}"{{extra}} """;

    [Fact]
    public async Task Split_an_array_sends_one_message_per_element_with_parts()
    {
        await using var flow = await ChainAsync(Split);
        flow.Send("n1", """{"payload":[1,"b",true],"topic":"t","_msgid":"orig"}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal([1.0, "b", true], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"type":"array","len":1,"count":3,"index":0}""", PartsWithoutId(msgs[0]));
        Assert.Equal("""{"type":"array","len":1,"count":3,"index":2}""", PartsWithoutId(msgs[2]));
        Assert.All(msgs, m => Assert.Equal("t", m["topic"]));
        Assert.All(msgs, m => Assert.NotEqual("orig", m["_msgid"]));
        Assert.Single(msgs.Select(m => ((JsObject)m["parts"]!)["id"]).Distinct());
    }

    [Fact]
    public async Task Split_an_array_into_chunks_of_arraySplt_elements()
    {
        await using var flow = await ChainAsync(Split.Replace("\"arraySplt\":1", "\"arraySplt\":2"));
        flow.Send("n1", """{"payload":[1,2,3,4,5]}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal(["[1,2]", "[3,4]", "[5]"], msgs.Select(m => ToJson(m["payload"])));
        Assert.Equal("""{"type":"array","len":2,"count":3,"index":1}""", PartsWithoutId(msgs[1]));
    }

    [Fact]
    public async Task Split_a_string_on_the_newline_separator()
    {
        await using var flow = await ChainAsync(Split);
        flow.Send("n1", """{"payload":"a\nbb\n\nc"}""");
        var msgs = await flow.NextAsync("h", 4);
        Assert.Equal(["a", "bb", "", "c"], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"type":"string","ch":"\n","count":4,"index":3}""", PartsWithoutId(msgs[3]));
    }

    [Fact]
    public async Task Split_a_string_into_fixed_length_chunks()
    {
        await using var flow = await ChainAsync(Split.Replace("\"splt\":\"\\\\n\",\"spltType\":\"str\"", "\"splt\":\"3\",\"spltType\":\"len\""));
        flow.Send("n1", """{"payload":"abcdefgh"}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal(["abc", "def", "gh"], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"type":"string","ch":"","len":3,"count":3,"index":0}""", PartsWithoutId(msgs[0]));
    }

    [Fact]
    public async Task Split_an_object_sends_one_message_per_key_and_writes_the_key_to_addname()
    {
        await using var flow = await ChainAsync(Split.Replace("\"addname\":\"\"", "\"addname\":\"topic\""));
        flow.Send("n1", """{"payload":{"a":1,"b":{"c":2}}}""");
        var msgs = await flow.NextAsync("h", 2);
        Assert.Equal(1.0, msgs[0]["payload"]);
        Assert.Equal("a", msgs[0]["topic"]);
        Assert.Equal("""{"c":2}""", ToJson(msgs[1]["payload"]));
        Assert.Equal("b", msgs[1]["topic"]);
        Assert.Equal("""{"type":"object","count":2,"index":1,"key":"b"}""", PartsWithoutId(msgs[1]));
    }

    [Fact]
    public async Task Split_a_buffer_on_a_binary_separator()
    {
        await using var flow = await ChainAsync(Split.Replace("\"splt\":\"\\\\n\",\"spltType\":\"str\"", "\"splt\":\"[0,255]\",\"spltType\":\"bin\""));
        flow.Send("n1", new JsObject { ["payload"] = new byte[] { 1, 2, 0, 255, 3, 0, 255 } });
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal(new byte[] { 1, 2 }, msgs[0]["payload"]);
        Assert.Equal(new byte[] { 3 }, msgs[1]["payload"]);
        Assert.Equal(Array.Empty<byte>(), msgs[2]["payload"]);
        Assert.Equal("""{"type":"buffer","ch":[0,255],"count":3,"index":0}""", PartsWithoutId(msgs[0]));
    }

    [Fact]
    public async Task Split_stream_mode_carries_the_remainder_into_the_next_message()
    {
        await using var flow = await ChainAsync(Split.Replace("\"stream\":false", "\"stream\":true"));
        flow.Send("n1", """{"payload":"one\ntw"}""");
        var first = await flow.NextAsync("h");
        Assert.Equal("one", first["payload"]);
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"payload":"o\nthree\n"}""");
        var next = await flow.NextAsync("h", 2);
        Assert.Equal(["two", "three"], next.Select(m => m["payload"]));
        Assert.Equal("""{"type":"string","ch":"\n","index":2}""", PartsWithoutId(next[1]));
        Assert.Equal(((JsObject)first["parts"]!)["id"], ((JsObject)next[1]["parts"]!)["id"]);
    }

    [Fact]
    public async Task Split_keeps_existing_parts_as_parent_parts()
    {
        await using var flow = await ChainAsync(Split);
        flow.Send("n1", """{"payload":[1,2],"parts":{"id":"outer","index":4,"count":9}}""");
        var msgs = await flow.NextAsync("h", 2);
        Assert.Equal("""{"id":"outer","index":4,"count":9}""", ToJson(((JsObject)msgs[0]["parts"]!)["parts"]));
    }

    [Fact]
    public async Task Split_passes_a_number_unchanged()
    {
        await using var flow = await ChainAsync(Split);
        flow.Send("n1", """{"payload":42}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(42.0, msg["payload"]);
        Assert.False(msg.ContainsKey("parts"));
    }

    [Fact]
    public async Task Split_then_join_auto_restores_an_array()
    {
        await using var flow = await ChainAsync(Split, JoinAuto);
        flow.Send("n1", """{"payload":[1,[2,3],{"a":null},"x"],"topic":"keep"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("""[1,[2,3],{"a":null},"x"]""", ToJson(msg["payload"]));
        Assert.Equal("keep", msg["topic"]);
        Assert.False(msg.ContainsKey("parts"));
    }

    [Fact]
    public async Task Split_in_chunks_then_join_auto_restores_the_flat_array()
    {
        await using var flow = await ChainAsync(Split.Replace("\"arraySplt\":1", "\"arraySplt\":3"), JoinAuto);
        flow.Send("n1", """{"payload":[1,2,3,4,5,6,7]}""");
        Assert.Equal("[1,2,3,4,5,6,7]", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Split_then_join_auto_restores_an_object()
    {
        await using var flow = await ChainAsync(Split, JoinAuto);
        flow.Send("n1", """{"payload":{"x":1,"y":"two","z":[3]}}""");
        Assert.Equal("""{"x":1,"y":"two","z":[3]}""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Split_then_join_auto_restores_a_string_with_its_separator()
    {
        await using var flow = await ChainAsync(Split.Replace("\"splt\":\"\\\\n\"", "\"splt\":\", \""), JoinAuto);
        flow.Send("n1", """{"payload":"red, green, , blue"}""");
        Assert.Equal("red, green, , blue", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Split_then_join_auto_restores_a_buffer()
    {
        await using var flow = await ChainAsync(Split, JoinAuto);
        var bytes = Encoding.UTF8.GetBytes("line1\nline2\n");
        flow.Send("n1", new JsObject { ["payload"] = bytes });
        Assert.Equal(bytes, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Split_by_length_then_join_auto_restores_a_buffer()
    {
        await using var flow = await ChainAsync(Split.Replace("\"splt\":\"\\\\n\",\"spltType\":\"str\"", "\"splt\":\"2\",\"spltType\":\"len\""), JoinAuto);
        var bytes = new byte[] { 9, 8, 7, 6, 5 };
        flow.Send("n1", new JsObject { ["payload"] = bytes });
        Assert.Equal(bytes, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Nested_split_then_two_joins_restore_the_original_and_its_parent_parts()
    {
        await using var flow = await ChainAsync(Split, Split, JoinAuto, JoinAuto);
        flow.Send("n1", """{"payload":[[1,2],[3],[4,5,6]]}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("[[1,2],[3],[4,5,6]]", ToJson(msg["payload"]));
        Assert.False(msg.ContainsKey("parts"));
    }

    [Fact]
    public async Task Split_change_join_round_trip_applies_the_change_to_every_element()
    {
        await using var flow = await ChainAsync(
            Split,
            """ "type":"change","rules":[{"t":"set","p":"payload","pt":"msg","to":"$uppercase(payload)","tot":"jsonata"}] """,
            JoinAuto);
        flow.Send("n1", """{"payload":"ab\ncd\nef"}""");
        Assert.Equal("AB\nCD\nEF", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Join_auto_waits_for_parts_arriving_out_of_order()
    {
        await using var flow = await ChainAsync(JoinAuto);
        flow.Send("n1", """{"payload":"c","parts":{"id":"s","index":2,"count":3,"type":"array","len":1}}""");
        flow.Send("n1", """{"payload":"a","parts":{"id":"s","index":0,"count":3,"type":"array","len":1}}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"payload":"b","parts":{"id":"s","index":1,"count":3,"type":"array","len":1}}""");
        Assert.Equal("""["a","b","c"]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_auto_warns_and_drops_a_message_without_parts()
    {
        await using var flow = await ChainAsync(JoinAuto);
        flow.Send("n1", """{"payload":1}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        Assert.Contains(flow.Logs, l => l.Message.Contains("cannot join in 'auto' mode", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Join_manual_array_sends_after_count_messages()
    {
        await using var flow = await ChainAsync(Join("array", count: "3"));
        flow.Send("n1", """{"payload":1,"topic":"a"}""");
        flow.Send("n1", """{"payload":2,"topic":"b"}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"payload":3,"topic":"c"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("[1,2,3]", ToJson(msg["payload"]));
        Assert.Equal("c", msg["topic"]);
        flow.Send("n1", """{"payload":4}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Join_manual_string_uses_the_unescaped_joiner()
    {
        await using var flow = await ChainAsync(Join("string", count: "3", joiner: "\\\\t"));
        foreach (var p in new[] { "\"a\"", "2", "true" }) flow.Send("n1", $$"""{"payload":{{p}}}""");
        Assert.Equal("a\t2\ttrue", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Join_manual_buffer_with_a_binary_joiner()
    {
        await using var flow = await ChainAsync(Join("buffer", count: "2", joiner: "[44]", joinerType: "bin"));
        flow.Send("n1", new JsObject { ["payload"] = new byte[] { 1, 2 } });
        flow.Send("n1", new JsObject { ["payload"] = new byte[] { 3 } });
        Assert.Equal(new byte[] { 1, 2, 44, 3 }, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Join_manual_object_keys_by_topic()
    {
        await using var flow = await ChainAsync(Join("object", count: "2"));
        flow.Send("n1", """{"payload":20.5,"topic":"temp"}""");
        flow.Send("n1", """{"payload":60,"topic":"hum"}""");
        Assert.Equal("""{"temp":20.5,"hum":60}""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_merged_combines_object_properties()
    {
        await using var flow = await ChainAsync(Join("merged", count: "2"));
        flow.Send("n1", """{"payload":{"a":1,"b":1}}""");
        flow.Send("n1", """{"payload":{"b":2,"c":3}}""");
        Assert.Equal("""{"a":1,"b":2,"c":3}""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_sends_on_timeout_with_what_arrived()
    {
        await using var flow = await ChainAsync(Join("array", count: "10", timeout: "2"));
        flow.Send("n1", """{"payload":"x"}""");
        flow.Send("n1", """{"payload":"y"}""");
        await flow.SettleAsync();
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1.5));
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(0.6));
        Assert.Equal("""["x","y"]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_restartTimeout_pushes_the_timeout_back()
    {
        await using var flow = await ChainAsync(Join("array", timeout: "2"));
        flow.Send("n1", """{"payload":1}""");
        await flow.SettleAsync();
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1.5));
        flow.Send("n1", """{"payload":2,"restartTimeout":true}""");
        await flow.SettleAsync();
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1.5));
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(0.6));
        Assert.Equal("[1,2]", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_msg_complete_sends_the_group_at_once_without_complete()
    {
        await using var flow = await ChainAsync(Join("array"));
        flow.Send("n1", """{"payload":1}""");
        flow.Send("n1", """{"payload":2,"complete":true}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("[1,2]", ToJson(msg["payload"]));
        Assert.False(msg.ContainsKey("complete"));
    }

    [Fact]
    public async Task Join_manual_complete_without_the_property_sends_what_was_collected()
    {
        await using var flow = await ChainAsync(Join("array"));
        flow.Send("n1", """{"payload":1}""");
        flow.Send("n1", """{"complete":true}""");
        Assert.Equal("[1]", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_reset_drops_the_group()
    {
        await using var flow = await ChainAsync(Join("array", count: "2"));
        flow.Send("n1", """{"payload":1}""");
        flow.Send("n1", """{"reset":true}""");
        flow.Send("n1", """{"payload":2}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"payload":3}""");
        Assert.Equal("[2,3]", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_accumulate_keeps_the_object_between_sends()
    {
        await using var flow = await ChainAsync(Join("object", count: "2").Replace("\"accumulate\":false", "\"accumulate\":true"));
        flow.Send("n1", """{"payload":1,"topic":"a"}""");
        flow.Send("n1", """{"payload":2,"topic":"b"}""");
        Assert.Equal("""{"a":1,"b":2}""", ToJson((await flow.NextAsync("h"))["payload"]));
        flow.Send("n1", """{"payload":3,"topic":"a"}""");
        Assert.Equal("""{"a":3,"b":2}""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_manual_full_message_collects_whole_messages_into_the_payload()
    {
        await using var flow = await ChainAsync(Join("array", count: "2").Replace("\"propertyType\":\"msg\"", "\"propertyType\":\"full\""));
        flow.Send("n1", """{"payload":1,"topic":"a","_msgid":"m1"}""");
        flow.Send("n1", """{"payload":2,"topic":"b","_msgid":"m2"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("""[{"payload":1,"topic":"a","_msgid":"m1"},{"payload":2,"topic":"b","_msgid":"m2"}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Join_manual_uses_parts_count_when_count_is_empty()
    {
        await using var flow = await ChainAsync(Split, Join("string", joiner: "+"));
        flow.Send("n1", """{"payload":[1,2,3]}""");
        Assert.Equal("1+2+3", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Join_manual_beyond_the_message_buffer_limit_reports_an_error_and_drops_the_group()
    {
        await using var flow = await ChainAsync(new JsObject { ["nodeMessageBufferMaxLength"] = 2.0 }, Join("array", count: "5"));
        flow.Send("n1", """{"payload":1}""");
        flow.Send("n1", """{"payload":2}""");
        flow.Send("n1", """{"payload":3}""");
        var error = await flow.NextAsync("err");
        Assert.Equal("Too many pending messages", ((JsObject)error["error"]!)["message"]);
        flow.Send("n1", """{"payload":4,"complete":true}""");
        Assert.Equal("[4]", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Join_reduce_sums_a_sequence()
    {
        await using var flow = await ChainAsync(Split,
            """ "type":"join","mode":"reduce","reduceRight":false,"reduceExp":"$A+payload","reduceInit":"0","reduceInitType":"num","reduceFixup":"" """);
        flow.Send("n1", """{"payload":[1,2,3,4]}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(10.0, msg["payload"]);
        Assert.False(msg.ContainsKey("parts"));
    }

    [Fact]
    public async Task Join_reduce_fixup_computes_the_average_with_N()
    {
        await using var flow = await ChainAsync(Split,
            """ "type":"join","mode":"reduce","reduceRight":false,"reduceExp":"$A+payload","reduceInit":"0","reduceInitType":"num","reduceFixup":"$A/$N" """);
        flow.Send("n1", """{"payload":[2,4,9]}""");
        Assert.Equal(5.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Join_reduce_right_visits_the_sequence_backwards_with_I()
    {
        await using var flow = await ChainAsync(Split,
            """ "type":"join","mode":"reduce","reduceRight":true,"reduceExp":"$A & payload & $string($I)","reduceInit":"","reduceInitType":"str","reduceFixup":"" """);
        flow.Send("n1", """{"payload":["a","b","c"]}""");
        Assert.Equal("c2b1a0", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Split_of_another_property_records_it_and_join_auto_writes_it_back()
    {
        await using var flow = await ChainAsync(Split + ",\"property\":\"data.list\"", JoinAuto);
        flow.Send("n1", """{"payload":"untouched","data":{"list":["p","q"]}}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("""["p","q"]""", ToJson(((JsObject)msg["data"]!)["list"]));
        Assert.Equal("untouched", msg["payload"]);
    }

    [Fact]
    public async Task Join_completes_held_messages_only_when_the_group_is_sent()
    {
        await using var flow = await TestKit.TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n1","z":"t1","x":1,"y":1,{{Join("array", count: "2")}},"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["n1"],"wires":[["hc"]]},
             {"id":"hc","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """, new TestKit.TestFlowOptions { FakeClock = true });
        flow.Send("n1", """{"payload":"first"}""");
        Assert.True(await flow.NothingArrivesAsync("hc", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"payload":"second"}""");
        var completed = await flow.NextAsync("hc", 2);
        Assert.Equal(["first", "second"], completed.Select(m => m["payload"]));
    }

    [Fact]
    public async Task Join_with_an_unknown_mode_is_refused_at_deploy()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var flow = await ChainAsync(JoinAuto.Replace("\"mode\":\"auto\"", "\"mode\":\"sideways\""));
        });
    }

    [Fact]
    public async Task Split_stream_by_length_holds_a_short_last_chunk()
    {
        await using var flow = await ChainAsync(Split.Replace("\"splt\":\"\\\\n\",\"spltType\":\"str\"", "\"splt\":\"2\",\"spltType\":\"len\"").Replace("\"stream\":false", "\"stream\":true"));
        flow.Send("n1", """{"payload":"abc"}""");
        Assert.Equal("ab", (await flow.NextAsync("h"))["payload"]);
        flow.Send("n1", """{"payload":"d"}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("cd", msg["payload"]);
        Assert.Equal(1.0, ((JsObject)msg["parts"]!)["index"]);
    }
}
