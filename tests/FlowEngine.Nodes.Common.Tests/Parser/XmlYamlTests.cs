using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Sequence.SequenceFlow;

namespace FlowEngine.Nodes.Common.Tests.Parser;

public sealed class XmlYamlTests
{
    private const string Xml = """ "type":"xml","property":"payload","attr":"","chr":"" """;
    private const string Yaml = """ "type":"yaml","property":"payload" """;

    private static async Task<JsObject> RunAsync(string node, string msgJson)
    {
        await using var flow = await ChainAsync(node);
        flow.Send("n1", msgJson);
        return await flow.NextAsync("h");
    }

    [Fact]
    public async Task Xml_parses_attributes_text_and_repeated_elements_into_arrays()
    {
        var msg = await RunAsync(Xml, """{"payload":"<list id=\"7\"><item>a</item><item type=\"x\">b</item><empty/></list>"}""");
        Assert.Equal("""{"list":{"$":{"id":"7"},"item":["a",{"$":{"type":"x"},"_":"b"}],"empty":[""]}}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Xml_keeps_values_as_strings_and_ignores_whitespace_between_elements()
    {
        var msg = await RunAsync(Xml, """{"payload":"<a>\n  <n>42</n>\n  <b>true</b>\n</a>"}""");
        Assert.Equal("""{"a":{"n":["42"],"b":["true"]}}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Xml_uses_the_configured_attribute_and_text_keys()
    {
        var msg = await RunAsync(Xml.Replace("\"attr\":\"\"", "\"attr\":\"@\"").Replace("\"chr\":\"\"", "\"chr\":\"#\""), """{"payload":"<t u=\"1\">hi</t>"}""");
        Assert.Equal("""{"t":{"@":{"u":"1"},"#":"hi"}}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Xml_options_explicitArray_false_gives_single_values()
    {
        var msg = await RunAsync(Xml, """{"payload":"<a><b>1</b><c>2</c><c>3</c></a>","options":{"explicitArray":false}}""");
        Assert.Equal("""{"a":{"b":"1","c":["2","3"]}}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Xml_builds_indented_xml_with_declaration_from_an_object()
    {
        var msg = await RunAsync(Xml, """{"payload":{"employees":{"$":{"n":"2"},"firstName":["John","Ann"],"lastName":"Smith & Co"}}}""");
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<employees n=\"2\">\n  <firstName>John</firstName>\n  <firstName>Ann</firstName>\n  <lastName>Smith &amp; Co</lastName>\n</employees>",
            msg["payload"]);
    }

    [Fact]
    public async Task Xml_headless_compact_output_with_options()
    {
        var msg = await RunAsync(Xml, """{"payload":{"a":{"_":"t","b":[""]}},"options":{"headless":true,"renderOpts":{"pretty":false}}}""");
        Assert.Equal("<a>t<b/></a>", msg["payload"]);
    }

    [Fact]
    public async Task Xml_round_trip_restores_the_object()
    {
        await using var flow = await ChainAsync(Xml, Xml);
        var original = """{"root":{"$":{"v":"1"},"item":["x",{"$":{"k":"z"},"_":"y"}]}}""";
        flow.Send("n1", new JsObject { ["payload"] = JsJson.Parse(original) });
        Assert.Equal(original, ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Xml_malformed_text_raises_an_error_and_later_messages_still_pass()
    {
        await using var flow = await ChainAsync(Xml);
        flow.Send("n1", """{"payload":"<a><b></a>"}""");
        var error = await flow.NextAsync("err");
        Assert.Contains("'b'", (string)((JsObject)error["error"]!)["message"]!, StringComparison.Ordinal);
        flow.Send("n1", """{"payload":"<ok/>"}""");
        Assert.Equal("""{"ok":""}""", ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Yaml_parses_a_document_into_an_object()
    {
        var msg = await RunAsync(Yaml, """{"payload":"name: Ann\nage: 31\ntags:\n  - a\n  - b\n"}""");
        Assert.Equal("""{"name":"Ann","age":31,"tags":["a","b"]}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Yaml_dumps_an_object_like_js_yaml()
    {
        var msg = await RunAsync(Yaml, """{"payload":{"a":1,"b":"text","c":[1,{"d":true,"e":null}],"f":{},"g":"123","h":"","i":"x: y","j":"two\nlines"}}""");
        Assert.Equal("a: 1\nb: text\nc:\n  - 1\n  - d: true\n    e: null\nf: {}\ng: '123'\nh: ''\ni: 'x: y'\nj: |-\n  two\n  lines\n", msg["payload"]);
    }

    [Fact]
    public async Task Yaml_dumps_nested_sequences()
    {
        var msg = await RunAsync(Yaml, """{"payload":[[1,2],["a"],[]]}""");
        Assert.Equal("- - 1\n  - 2\n- - a\n- []\n", msg["payload"]);
    }

    [Fact]
    public async Task Yaml_round_trip_restores_the_object()
    {
        await using var flow = await ChainAsync(Yaml, Yaml);
        var original = """{"s":"it's","n":-2.5,"b":false,"z":null,"t":"true","list":[{"k":"v","m":["x y",3]}],"multi":"l1\nl2\n","e":[],"o":{}}""";
        flow.Send("n1", new JsObject { ["payload"] = JsJson.Parse(original) });
        Assert.Equal(original, ToJson((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Yaml_invalid_text_raises_an_error_and_later_messages_still_pass()
    {
        await using var flow = await ChainAsync(Yaml);
        flow.Send("n1", """{"payload":"a:\n\t- b"}""");
        var error = await flow.NextAsync("err");
        Assert.StartsWith("YAML error at line 2", (string)((JsObject)error["error"]!)["message"]!);
        flow.Send("n1", """{"payload":"k: v"}""");
        Assert.Equal("""{"k":"v"}""", ToJson((await flow.NextAsync("h"))["payload"]));
    }
}
