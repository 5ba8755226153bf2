using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Sequence.SequenceFlow;

namespace FlowEngine.Nodes.Common.Tests.Parser;

public sealed class HtmlNodeTests
{
    private const string Page = """<html><body><ul id=\"l\"><li class=\"x\" data-n=\"1\">One <b>bold</b></li><li>Two</li></ul><p>  para  </p></body></html>""";

    private static string Html(string tag, string ret = "html", string @as = "single", string outproperty = "payload") =>
        $$""" "type":"html","property":"payload","outproperty":"{{outproperty}}","tag":"{{tag}}","ret":"{{ret}}","as":"{{@as}}","chr":"_" """;

    private static async Task<JsObject> RunAsync(string node, string extra = "")
    {
        await using var flow = await ChainAsync(node);
        flow.Send("n1", $$"""{"payload":"{{Page}}"{{extra}}}""");
        return await flow.NextAsync("h");
    }

    [Fact]
    public async Task Html_returns_the_inner_html_of_each_match()
    {
        var msg = await RunAsync(Html("li"));
        Assert.Equal("""["One <b>bold</b>","Two"]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Html_text_returns_trimmed_text_content()
    {
        var msg = await RunAsync(Html("ul#l li, p", "text"));
        Assert.Equal("""["One bold","Two","para"]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Html_attr_returns_the_attributes_of_each_match()
    {
        var msg = await RunAsync(Html("li.x", "attr"));
        Assert.Equal("""[{"class":"x","data-n":"1"}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Html_compl_returns_attributes_and_inner_html_under_chr()
    {
        var msg = await RunAsync(Html("li[data-n]", "compl"));
        Assert.Equal("""[{"class":"x","data-n":"1","_":"One <b>bold</b>"}]""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Html_no_match_gives_an_empty_array()
    {
        Assert.Equal("[]", ToJson((await RunAsync(Html("table")))["payload"]));
    }

    [Fact]
    public async Task Html_uses_msg_select_when_the_tag_is_empty_and_writes_outproperty()
    {
        var msg = await RunAsync(Html("", "text", outproperty: "found"), ""","select":"b" """);
        Assert.Equal("""["bold"]""", ToJson(msg["found"]));
        Assert.Equal(Page.Replace("\\\"", "\"", StringComparison.Ordinal), msg["payload"]);
    }

    [Fact]
    public async Task Html_multi_sends_one_message_per_element_with_parts()
    {
        await using var flow = await ChainAsync(Html("li", "text", "multi"));
        flow.Send("n1", $$"""{"payload":"{{Page}}"}""");
        var msgs = await flow.NextAsync("h", 2);
        Assert.Equal(["One bold", "Two"], msgs.Select(m => m["payload"]));
        Assert.Equal("""{"index":1,"count":2,"type":"string","ch":""}""", PartsWithoutId(msgs[1]));
    }

    [Fact]
    public async Task Html_multi_then_join_auto_rebuilds_the_list_as_text()
    {
        await using var flow = await ChainAsync(Html("li", "text", "multi"),
            """ "type":"join","mode":"auto","build":"object","property":"payload","propertyType":"msg","key":"topic","joiner":"\\n","joinerType":"str","accumulate":false,"timeout":"","count":"" """);
        flow.Send("n1", $$"""{"payload":"{{Page}}"}""");
        Assert.Equal("One boldTwo", (await flow.NextAsync("h"))["payload"]);
    }
}
