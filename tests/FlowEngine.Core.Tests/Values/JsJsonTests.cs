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

    [Fact]
    public void Parse_reuses_the_string_of_a_property_name_it_read_before()
    {
        var first = (JsObject)JsJson.Parse("""{"temperature_c":1}""")!;
        var second = (JsObject)JsJson.Parse("""{"temperature_c":2}""")!;
        Assert.Same(first.Keys.Single(), second.Keys.Single());
    }

    [Fact]
    public void Parse_reads_every_property_name_right_whatever_it_read_before()
    {
        // Thousands of names share a small table of recent ones: a name must never come back as another that landed
        // in the same slot; escaped, non-ASCII and long names are never taken from it.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 5000; i++)
            {
                var name = "n" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var parsed = (JsObject)JsJson.Parse($$"""{"{{name}}":1,"x{{name}}":2}""")!;
                Assert.Equal([name, "x" + name], parsed.Keys);
            }
        }
        Assert.Equal(["ab", "ab2"], ((JsObject)JsJson.Parse("""{"a\u0062":1,"ab2":2}""")!).Keys);
        for (var i = 0; i < 2; i++) Assert.Equal(["température"], ((JsObject)JsJson.Parse("""{"temp\u00e9rature":1}""")!).Keys);
        Assert.Equal(["température"], ((JsObject)JsJson.Parse("""{"température":1}""")!).Keys);
        var longName = new string('k', 100);
        Assert.Equal([longName], ((JsObject)JsJson.Parse($$"""{"{{longName}}":1}""")!).Keys);
    }
}
