using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Sequence.SequenceFlow;

namespace FlowEngine.Nodes.Common.Tests.Sequence;

public sealed class BatchSortTests
{
    private static string Batch(string mode, string extra = "") =>
        $$""" "type":"batch","mode":"{{mode}}","count":3,"overlap":0,"interval":2,"allowEmptySequence":false,"topics":[]{{extra}} """;

    [Fact]
    public async Task Batch_count_sends_every_three_messages_as_a_sequence()
    {
        await using var flow = await ChainAsync(Batch("count"));
        for (var i = 1; i <= 4; i++) flow.Send("n1", $$"""{"payload":{{i}}}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal([1.0, 2.0, 3.0], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"index":2,"count":3}""", PartsWithoutId(msgs[2]));
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Batch_count_with_overlap_repeats_the_last_messages_in_the_next_sequence()
    {
        await using var flow = await ChainAsync(Batch("count").Replace("\"overlap\":0", "\"overlap\":1"));
        for (var i = 1; i <= 5; i++) flow.Send("n1", $$"""{"payload":{{i}}}""");
        var msgs = await flow.NextAsync("h", 6);
        Assert.Equal([1.0, 2.0, 3.0, 3.0, 4.0, 5.0], msgs.Select(m => m["payload"]));
        Assert.Equal([0.0, 1.0, 2.0, 0.0, 1.0, 2.0], msgs.Select(m => ((JsObject)m["parts"]!)["index"]));
        Assert.NotEqual(((JsObject)msgs[0]["parts"]!)["id"], ((JsObject)msgs[3]["parts"]!)["id"]);
    }

    [Fact]
    public async Task Batch_overlap_not_less_than_count_is_refused_at_deploy()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var flow = await ChainAsync(Batch("count").Replace("\"overlap\":0", "\"overlap\":3"));
        });
    }

    [Fact]
    public async Task Batch_interval_sends_what_arrived_in_each_interval()
    {
        await using var flow = await ChainAsync(Batch("interval"));
        flow.Send("n1", """{"payload":"a"}""");
        flow.Send("n1", """{"payload":"b"}""");
        await flow.SettleAsync();
        await flow.AdvanceAsync(TimeSpan.FromSeconds(2));
        var msgs = await flow.NextAsync("h", 2);
        Assert.Equal(["a", "b"], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"index":1,"count":2}""", PartsWithoutId(msgs[1]));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Batch_interval_with_allowEmptySequence_sends_a_null_payload()
    {
        await using var flow = await ChainAsync(Batch("interval").Replace("\"allowEmptySequence\":false", "\"allowEmptySequence\":true"));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(2));
        var msg = await flow.NextAsync("h");
        Assert.Null(msg["payload"]);
        Assert.Equal("""{"index":0,"count":1}""", PartsWithoutId(msg));
    }

    [Fact]
    public async Task Batch_concat_joins_complete_sequences_in_topic_order()
    {
        await using var flow = await ChainAsync(Batch("concat").Replace("\"topics\":[]", """ "topics":[{"topic":"A"},{"topic":"B"}] """));
        flow.Send("n1", """{"topic":"B","payload":"b0","parts":{"id":"sb","index":0,"count":1}}""");
        flow.Send("n1", """{"topic":"A","payload":"a1","parts":{"id":"sa","index":1,"count":2}}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"topic":"A","payload":"a0","parts":{"id":"sa","index":0,"count":2}}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal(["a0", "a1", "b0"], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"index":2,"count":3}""", PartsWithoutId(msgs[2]));
    }

    [Fact]
    public async Task Batch_reset_drops_the_held_messages()
    {
        await using var flow = await ChainAsync(Batch("count"));
        flow.Send("n1", """{"payload":1}""");
        flow.Send("n1", """{"payload":2}""");
        flow.Send("n1", """{"reset":true}""");
        flow.Send("n1", """{"payload":3}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
    }

    private static string Sort(string extra) =>
        $$""" "type":"sort","order":"ascending","as_num":false,"target":"payload","targetType":"msg","msgKey":"payload","msgKeyType":"elem","seqKey":"payload","seqKeyType":"msg"{{extra}} """;

    [Fact]
    public async Task Sort_an_array_of_strings_ascending()
    {
        await using var flow = await ChainAsync(Sort(""));
        flow.Send("n1", """{"payload":["pear","apple","fig"]}""");
        Assert.Equal("""["apple","fig","pear"]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Sort_numeric_strings_as_numbers_descending()
    {
        await using var flow = await ChainAsync(Sort("").Replace("\"as_num\":false", "\"as_num\":true").Replace("ascending", "descending"));
        flow.Send("n1", """{"payload":["10","9","100",2]}""");
        Assert.Equal("""["100","10","9",2]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Sort_numeric_strings_without_as_num_compares_text()
    {
        await using var flow = await ChainAsync(Sort(""));
        flow.Send("n1", """{"payload":["10","9","100"]}""");
        Assert.Equal("""["10","100","9"]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Sort_an_array_of_objects_by_a_jsonata_key()
    {
        await using var flow = await ChainAsync(Sort("").Replace("\"msgKey\":\"payload\",\"msgKeyType\":\"elem\"", "\"msgKey\":\"age\",\"msgKeyType\":\"jsonata\""));
        flow.Send("n1", """{"payload":[{"n":"a","age":30},{"n":"b","age":5},{"n":"c","age":17}]}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal("""["b","c","a"]""", ToJson(((List<object?>)msg["payload"]!).Select(e => ((JsObject)e!)["n"]).ToList()));
    }

    [Fact]
    public async Task Sort_a_sequence_by_payload_renumbers_parts_index()
    {
        await using var flow = await ChainAsync(
            """ "type":"split","splt":"\\n","spltType":"str","arraySplt":1,"arraySpltType":"len","stream":false,"addname":"" """,
            Sort("").Replace("\"targetType\":\"msg\"", "\"targetType\":\"seq\""));
        flow.Send("n1", """{"payload":[3,1,2]}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal([1.0, 2.0, 3.0], msgs.Select(m => m["payload"]));
        Assert.Equal([0.0, 1.0, 2.0], msgs.Select(m => ((JsObject)m["parts"]!)["index"]));
    }

    [Fact]
    public async Task Sort_a_sequence_by_a_jsonata_key_descending_then_join_restores_an_array()
    {
        await using var flow = await ChainAsync(
            """ "type":"split","splt":"\\n","spltType":"str","arraySplt":1,"arraySpltType":"len","stream":false,"addname":"" """,
            Sort("").Replace("\"targetType\":\"msg\"", "\"targetType\":\"seq\"").Replace("\"seqKey\":\"payload\",\"seqKeyType\":\"msg\"", "\"seqKey\":\"payload.v\",\"seqKeyType\":\"jsonata\"").Replace("ascending", "descending"),
            """ "type":"join","mode":"auto","build":"object","property":"payload","propertyType":"msg","key":"topic","joiner":"\\n","joinerType":"str","accumulate":false,"timeout":"","count":"" """);
        flow.Send("n1", """{"payload":[{"v":1},{"v":3},{"v":2}]}""");
        Assert.Equal("""[{"v":3},{"v":2},{"v":1}]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Sort_a_sequence_waits_for_every_part()
    {
        await using var flow = await ChainAsync(Sort("").Replace("\"targetType\":\"msg\"", "\"targetType\":\"seq\""));
        flow.Send("n1", """{"payload":"b","parts":{"id":"q","index":0,"count":2}}""");
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(50)));
        flow.Send("n1", """{"payload":"a","parts":{"id":"q","index":1,"count":2}}""");
        var msgs = await flow.NextAsync("h", 2);
        Assert.Equal(["a", "b"], msgs.Select(m => m["payload"]));
    }

    [Fact]
    public async Task Batch_beyond_the_message_buffer_limit_reports_an_error()
    {
        await using var flow = await ChainAsync(new JsObject { ["nodeMessageBufferMaxLength"] = 1.0 }, Batch("interval"));
        flow.Send("n1", """{"payload":1}""");
        flow.Send("n1", """{"payload":2}""");
        var error = await flow.NextAsync("err");
        Assert.Equal("Too many pending messages", ((JsObject)error["error"]!)["message"]);
    }

    [Fact]
    public async Task Sort_passes_a_non_array_unchanged()
    {
        await using var flow = await ChainAsync(Sort(""));
        flow.Send("n1", """{"payload":"zyx"}""");
        Assert.Equal("zyx", (await flow.NextAsync("h"))["payload"]);
    }
}
