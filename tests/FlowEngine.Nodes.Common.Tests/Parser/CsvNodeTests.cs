using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Sequence.SequenceFlow;

namespace FlowEngine.Nodes.Common.Tests.Parser;

public sealed class CsvNodeTests
{
    private static string Csv(string temp = "", bool hdrin = false, string hdrout = "none", string multi = "mult", string ret = "\\\\n",
        string sep = ",", int skip = 0, bool strings = true, bool empty = false, bool nulls = false) =>
        $$""" "type":"csv","spec":"rfc","sep":"{{sep}}","hdrin":{{(hdrin ? "true" : "\"\"")}},"hdrout":"{{hdrout}}","multi":"{{multi}}","ret":"{{ret}}","temp":"{{temp}}","skip":"{{skip}}","strings":{{(strings ? "true" : "false")}},"include_empty_strings":{{(empty ? "true" : "\"\"")}},"include_null_values":{{(nulls ? "true" : "\"\"")}} """;

    private static async Task<JsObject> RunAsync(string node, object payload)
    {
        await using var flow = await ChainAsync(node);
        flow.Send("n1", new JsObject { ["payload"] = payload });
        return await flow.NextAsync("h");
    }

    [Fact]
    public async Task Csv_parses_rows_with_a_header_line_and_numbers()
    {
        var msg = await RunAsync(Csv(hdrin: true), "name,age\nAnn,31\nBob,7.5\n");
        Assert.Equal("""[{"name":"Ann","age":31},{"name":"Bob","age":7.5}]""", ToJson(msg["payload"]));
        Assert.Equal("name,age", msg["columns"]);
    }

    [Fact]
    public async Task Csv_quoted_field_keeps_its_comma()
    {
        var msg = await RunAsync(Csv(temp: "a,b"), "\"x, y\",z");
        Assert.Equal("""[{"a":"x, y","b":"z"}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_doubled_quote_inside_a_quoted_field_is_one_quote()
    {
        var msg = await RunAsync(Csv(temp: "a"), "\"say \"\"hi\"\"\"");
        Assert.Equal("say \"hi\"", ((JsObject)((List<object?>)msg["payload"]!)[0]!)["a"]);
    }

    [Fact]
    public async Task Csv_crlf_inside_quotes_stays_in_the_field_and_crlf_ends_records()
    {
        var msg = await RunAsync(Csv(temp: "a,b"), "\"line1\r\nline2\",2\r\n3,4\r\n");
        Assert.Equal("""[{"a":"line1\r\nline2","b":2},{"a":3,"b":4}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_empty_fields_are_left_out_by_default()
    {
        var msg = await RunAsync(Csv(temp: "a,b,c"), "1,,3");
        Assert.Equal("""[{"a":1,"c":3}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_empty_fields_become_empty_strings_with_include_empty_strings()
    {
        var msg = await RunAsync(Csv(temp: "a,b,c", empty: true), "1,,\"\"");
        Assert.Equal("""[{"a":1,"b":"","c":""}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_unquoted_empty_fields_become_null_with_include_null_values()
    {
        var msg = await RunAsync(Csv(temp: "a,b,c", nulls: true, empty: true), "1,,\"\"");
        Assert.Equal("""[{"a":1,"b":null,"c":""}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_without_column_names_uses_col1_col2()
    {
        var msg = await RunAsync(Csv(), "a,b\n");
        Assert.Equal("""[{"col1":"a","col2":"b"}]""", ToJson(msg["payload"]));
        Assert.Equal("col1,col2", msg["columns"]);
    }

    [Fact]
    public async Task Csv_extra_columns_beyond_the_template_are_numbered()
    {
        var msg = await RunAsync(Csv(temp: "x"), "1,2,3");
        Assert.Equal("""[{"x":1,"col2":2,"col3":3}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_numbers_with_leading_zeros_stay_text_and_strings_false_keeps_all_text()
    {
        Assert.Equal("""[{"a":"007","b":-1.5e3}]""".Replace("-1.5e3", "-1500"), ToJson((await RunAsync(Csv(temp: "a,b"), "007,-1.5e3"))["payload"]));
        Assert.Equal("""[{"a":"12"}]""", ToJson((await RunAsync(Csv(temp: "a", strings: false), "12"))["payload"]));
    }

    [Fact]
    public async Task Csv_tab_separator_and_skipped_lines()
    {
        var msg = await RunAsync(Csv(sep: "\\\\t", hdrin: true, skip: 2), "junk\nmore junk\nk\tv\none\t1\n");
        Assert.Equal("""[{"k":"one","v":1}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Csv_one_message_per_row_carries_parts()
    {
        await using var flow = await ChainAsync(Csv(temp: "a", multi: "one"));
        flow.Send("n1", """{"payload":"1\n2\n3"}""");
        var msgs = await flow.NextAsync("h", 3);
        Assert.Equal("""{"a":3}""", ToJson(msgs[2]["payload"]));
        Assert.Equal("""{"index":2,"count":3}""", PartsWithoutId(msgs[2]));
    }

    [Fact]
    public async Task Csv_unterminated_quote_raises_an_error_and_later_messages_still_pass()
    {
        await using var flow = await ChainAsync(Csv(temp: "a"));
        flow.Send("n1", """{"payload":"\"open,1"}""");
        var error = await flow.NextAsync("err");
        Assert.StartsWith("Malformed CSV: unterminated quoted field", (string)((JsObject)error["error"]!)["message"]!);
        flow.Send("n1", """{"payload":"ok"}""");
        Assert.Equal("""[{"a":"ok"}]""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Csv_writes_objects_with_a_header_and_quotes_where_needed()
    {
        var msg = await RunAsync(Csv(hdrout: "all"), JsJson.Parse("""[{"a":"x,y","b":"say \"hi\"","c":1},{"a":"multi\nline","b":null,"c":true}]""")!);
        Assert.Equal("a,b,c\n\"x,y\",\"say \"\"hi\"\"\",1\n\"multi\nline\",,true\n", msg["payload"]);
        Assert.Equal("a,b,c", msg["columns"]);
    }

    [Fact]
    public async Task Csv_writes_with_the_template_order_and_crlf_line_ends()
    {
        var msg = await RunAsync(Csv(temp: "c,a", ret: "\\\\r\\\\n"), JsJson.Parse("""{"a":1,"b":2,"c":3}""")!);
        Assert.Equal("3,1\r\n", msg["payload"]);
    }

    [Fact]
    public async Task Csv_writes_arrays_of_arrays_and_a_flat_array_as_one_row()
    {
        Assert.Equal("1,2\n3,4\n", (await RunAsync(Csv(), JsJson.Parse("[[1,2],[3,4]]")!))["payload"]);
        Assert.Equal("1,a,\n", (await RunAsync(Csv(), JsJson.Parse("""[1,"a",null]""")!))["payload"]);
    }

    [Fact]
    public async Task Csv_header_once_is_written_again_after_reset()
    {
        await using var flow = await ChainAsync(Csv(hdrout: "once"));
        flow.Send("n1", """{"payload":{"a":1}}""");
        Assert.Equal("a\n1\n", (await flow.NextAsync("h"))["payload"]);
        flow.Send("n1", """{"payload":{"a":2}}""");
        Assert.Equal("2\n", (await flow.NextAsync("h"))["payload"]);
        flow.Send("n1", """{"payload":{"a":3},"reset":true}""");
        Assert.Equal("a\n3\n", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Csv_uses_msg_columns_when_there_is_no_template()
    {
        await using var flow = await ChainAsync(Csv(hdrout: "all"));
        flow.Send("n1", """{"payload":{"a":1,"b":2},"columns":"b,a"}""");
        Assert.Equal("b,a\n2,1\n", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Csv_round_trip_of_rfc_edge_cases_returns_the_same_objects()
    {
        await using var flow = await ChainAsync(Csv(hdrout: "all", ret: "\\\\r\\\\n"), Csv(hdrin: true, empty: true));
        var original = """[{"q":"a \"quoted\" word","c":"1,2","n":"x\r\ny","e":""}]""";
        flow.Send("n1", new JsObject { ["payload"] = JsJson.Parse(original) });
        Assert.Equal(original, ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Csv_text_after_a_closing_quote_is_malformed()
    {
        await using var flow = await ChainAsync(Csv(temp: "a"));
        flow.Send("n1", """{"payload":"\"a\"b,c"}""");
        var error = await flow.NextAsync("err");
        Assert.Equal("Malformed CSV: unexpected text after a closing quote on line 1", ((JsObject)error["error"]!)["message"]);
    }

    [Fact]
    public async Task Csv_lines_of_a_sequence_keep_the_header_of_the_first_line()
    {
        await using var flow = await ChainAsync(Csv(hdrin: true, multi: "one"));
        flow.Send("n1", """{"payload":"id,v","parts":{"id":"f","index":0,"count":3}}""");
        flow.Send("n1", """{"payload":"1,a","parts":{"id":"f","index":1,"count":3}}""");
        flow.Send("n1", """{"payload":"2,b","parts":{"id":"f","index":2,"count":3}}""");
        var msgs = await flow.NextAsync("h", 2);
        Assert.Equal("""{"id":1,"v":"a"}""", ToJson(msgs[0]["payload"]));
        Assert.Equal("""{"id":"f","index":2,"count":3}""", ToJson(msgs[1]["parts"]));
    }
}
