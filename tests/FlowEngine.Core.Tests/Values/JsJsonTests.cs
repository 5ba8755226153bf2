using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Values;

public sealed class JsJsonTests
{
    [Fact]
    public void Parse_keeps_key_order_and_numbers_as_doubles()
    {
        var value = (JsObject)JsJson.Parse("""{"b":1,"a":2.5,"c":[true,null,"s"]}""")!;
        Assert.Equal(["b", "a", "c"], value.Keys);
        Assert.Equal(1.0, value["b"]);
        Assert.Equal(2.5, value["a"]);
    }

    [Fact]
    public void Parse_error_reports_line_and_column()
    {
        var ex = Assert.Throws<JsJsonException>(() => JsJson.Parse("[\n  {\"id\": \"a\",\n   \"type\" \"x\"}\n]"));
        Assert.Equal(3, ex.Line);
        Assert.True(ex.Column > 1);
    }

    [Fact]
    public void Serialize_matches_json_stringify_for_common_values()
    {
        var value = JsJson.Parse("""{"a":1,"b":1.5,"c":"é\"","d":[1,2],"e":{},"f":null}""");
        Assert.Equal("""{"a":1,"b":1.5,"c":"é\"","d":[1,2],"e":{},"f":null}""", JsJson.Serialize(value));
    }

    [Fact]
    public void Serialize_writes_buffers_as_node_buffer_json_and_dates_as_iso()
    {
        var value = new JsObject { ["b"] = new byte[] { 1, 255 }, ["d"] = new DateTime(2024, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc) };
        Assert.Equal("""{"b":{"type":"Buffer","data":[1,255]},"d":"2024-01-02T03:04:05.006Z"}""", JsJson.Serialize(value));
    }

    [Fact]
    public void Serialize_writes_nan_as_null_and_leaves_out_host_objects()
    {
        var value = new JsObject { ["n"] = double.NaN, ["h"] = new object() };
        Assert.Equal("""{"n":null}""", JsJson.Serialize(value));
    }

    [Fact]
    public void Pretty_output_uses_four_spaces()
    {
        Assert.Equal("{\n    \"a\": 1\n}", JsJson.Serialize(new JsObject { ["a"] = 1.0 }, pretty: true));
    }
}
