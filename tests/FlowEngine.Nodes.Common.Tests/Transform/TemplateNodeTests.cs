using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Transform.TransformFlow;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class TemplateNodeTests
{
    private static Task<TestFlow> Template(string template, string output = "str", string syntax = "mustache", string field = "payload", string fieldType = "msg") =>
        StartAsync($$""" "type":"template","field":"{{field}}","fieldType":"{{fieldType}}","format":"handlebars","syntax":"{{syntax}}","template":{{JsJson.Serialize(template)}},"output":"{{output}}" """);

    [Fact]
    public async Task Template_inserts_message_properties_html_escaped_unless_triple_braced()
    {
        await using var flow = await Template("<b>{{payload}}</b> {{{payload}}} {{& payload}} {{topic.a}} {{count}}");
        var msg = await flow.RoundTripAsync("""{"payload":"a<b & 'c'","topic":{"a":"x/y"},"count":3}""");
        Assert.Equal("<b>a&lt;b &amp; &#39;c&#39;</b> a<b & 'c' a<b & 'c' x&#x2F;y 3", msg["payload"]);
    }

    [Fact]
    public async Task Template_unknown_names_render_as_nothing()
    {
        await using var flow = await Template("[{{nothing}}][{{payload.missing.deep}}]");
        Assert.Equal("[][]", (await flow.RoundTripAsync("""{"payload":{}}"""))["payload"]);
    }

    [Fact]
    public async Task Template_sections_repeat_over_lists_and_enter_objects()
    {
        await using var flow = await Template("{{#payload.items}}<{{name}}:{{qty}}>{{/payload.items}}{{#payload.owner}}by {{first}} for {{topic}}{{/payload.owner}}");
        var msg = await flow.RoundTripAsync("""{"topic":"t","payload":{"items":[{"name":"a","qty":1},{"name":"b","qty":2}],"owner":{"first":"Ann"}}}""");
        Assert.Equal("<a:1><b:2>by Ann for t", msg["payload"]);
    }

    [Fact]
    public async Task Template_inverted_sections_show_for_missing_false_and_empty_lists()
    {
        await using var flow = await Template("{{^payload.list}}none{{/payload.list}}{{^payload.flag}}off{{/payload.flag}}{{#payload.flag}}on{{/payload.flag}}");
        Assert.Equal("noneoff", (await flow.RoundTripAsync("""{"payload":{"list":[],"flag":false}}"""))["payload"]);
        Assert.Equal("on", (await flow.RoundTripAsync("""{"payload":{"list":[1],"flag":true}}"""))["payload"]);
    }

    [Fact]
    public async Task Template_comments_and_standalone_section_lines_leave_no_blank_lines()
    {
        await using var flow = await Template("Items:\n{{! a comment }}\n{{#payload}}\n- {{.}}\n{{/payload}}\nend");
        Assert.Equal("Items:\n- x\n- y\nend", (await flow.RoundTripAsync("""{"payload":["x","y"]}"""))["payload"]);
    }

    [Fact]
    public async Task Template_reads_env_flow_and_global_context_when_the_message_has_no_such_property()
    {
        await using var flow = await TestFlow.StartAsync("""
            [{"id":"t1","type":"tab","label":"T","env":[{"name":"SITE","value":"north","type":"str"}]},
             {"id":"set","type":"change","z":"t1","x":1,"y":1,"rules":[
                {"t":"set","p":"unit","pt":"flow","to":"°C","tot":"str"},
                {"t":"set","p":"#:(file)::stored","pt":"global","to":"{\"v\":5}","tot":"json"}],"wires":[["n"]]},
             {"id":"n","type":"template","z":"t1","x":1,"y":1,"field":"payload","fieldType":"msg","syntax":"mustache","output":"str",
              "template":"{{env.SITE}} {{payload}}{{flow.unit}} {{global[file].stored.v}} [{{global.stored.v}}]","wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """, new TestFlowOptions { FakeClock = true });
        flow.Send("set", """{"payload":21}""");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("north 21°C 5 []", msg["payload"]);
    }

    [Fact]
    public async Task Template_uses_msg_template_when_its_own_template_is_empty()
    {
        await using var flow = await Template("");
        var msg = await flow.RoundTripAsync("""{"payload":"P","template":"got {{payload}}"}""");
        Assert.Equal("got P", msg["payload"]);
    }

    [Fact]
    public async Task Template_plain_syntax_keeps_the_braces()
    {
        await using var flow = await Template("{{payload}} as is", syntax: "plain");
        Assert.Equal("{{payload}} as is", (await flow.RoundTripAsync("""{"payload":1}"""))["payload"]);
    }

    [Fact]
    public async Task Template_json_output_escapes_inserted_strings_but_not_quotes()
    {
        await using var flow = await Template("""{"text":"{{payload}}","n":{{count}}}""", output: "json");
        var msg = await flow.RoundTripAsync("""{"payload":"line1\nline2\t\\end","count":2}""");
        Assert.Equal("""{"text":"line1\nline2\t\\end","n":2}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Template_json_output_that_does_not_parse_goes_to_catch_nodes()
    {
        // Raw insertion: quotes are not escaped for JSON, so this text does not parse.
        await using var flow = await Template("""{"text":"{{{payload}}}"}""", output: "json");
        flow.Send("n", """{"payload":"say \"hi\""}""");
        var caught = await flow.NextAsync("err");
        Assert.False(string.IsNullOrEmpty(((JsObject)caught["error"]!)["message"] as string));
        Assert.Empty(flow.Received("h0"));
    }

    [Fact]
    public async Task Template_yaml_output_is_parsed()
    {
        await using var flow = await Template("name: {{payload}}\nlimits:\n  - 1\n  - 2.5\nactive: true\n", output: "yaml");
        var msg = await flow.RoundTripAsync("""{"payload":"pump"}""");
        Assert.Equal("""{"name":"pump","limits":[1,2.5],"active":true}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Template_can_write_to_flow_context_and_still_sends_the_message()
    {
        await using var flow = await TestFlow.StartAsync("""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","type":"template","z":"t1","x":1,"y":1,"field":"report","fieldType":"flow","syntax":"mustache","output":"str","template":"value={{payload}}","wires":[["read"]]},
             {"id":"read","type":"change","z":"t1","x":1,"y":1,"rules":[{"t":"set","p":"payload","pt":"msg","to":"report","tot":"flow"}],"wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """);
        flow.Send("n", """{"payload":7}""");
        Assert.Equal("value=7", (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Template_with_an_unclosed_section_refuses_the_deploy()
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => Template("{{#payload}}open"));
        Assert.Contains("Unclosed section \"payload\"", error.Message);
    }
}

public sealed class MustacheTests
{
    private static string Render(string template, string view) =>
        MustacheTemplate.Parse(template).Render(new MustacheContext(JsJson.Parse(view), null, escapeStrings: false));

    [Fact]
    public void Mustache_escapes_like_mustache_js()
    {
        Assert.Equal("&lt;&gt;&amp;&quot;&#39;&#x2F;&#x60;&#x3D;", Render("{{v}}", """{"v":"<>&\"'/`="}"""));
    }

    [Fact]
    public void Mustache_names_fall_back_to_enclosing_contexts_and_dot_is_the_current_item()
    {
        Assert.Equal("a-X,b-X,", Render("{{#list}}{{.}}-{{outer}},{{/list}}", """{"outer":"X","list":["a","b"]}"""));
        Assert.Equal("2", Render("{{list.length}}", """{"list":[1,2]}"""));
        Assert.Equal("1,2", Render("{{list}}", """{"list":[1,2]}"""));
    }

    [Fact]
    public void Mustache_sections_skip_falsy_values_and_render_truthy_ones_once()
    {
        Assert.Equal("|yes|", Render("|{{#zero}}no{{/zero}}{{#empty}}no{{/empty}}{{#t}}yes{{/t}}{{#nul}}no{{/nul}}|", """{"zero":0,"empty":"","t":true,"nul":null}"""));
        Assert.Equal("n=5", Render("{{#num}}n={{.}}{{/num}}", """{"num":5}"""));
    }

    [Fact]
    public void Mustache_set_delimiters_and_partials()
    {
        Assert.Equal("x {{v}} x", Render("{{=<% %>=}}<% v %> {{v}} <%={{ }}=%>{{v}}", """{"v":"x"}"""));
        Assert.Equal("[]", Render("[{{> part}}]", "{}"));
    }

    [Fact]
    public void Mustache_parse_errors_name_the_problem()
    {
        Assert.Equal("Unclosed tag at 7", Assert.Throws<MustacheException>(() => MustacheTemplate.Parse("a {{ b ")).Message);
        Assert.Contains("Unopened section \"x\"", Assert.Throws<MustacheException>(() => MustacheTemplate.Parse("{{/x}}")).Message);
        Assert.Contains("Unclosed section \"a\"", Assert.Throws<MustacheException>(() => MustacheTemplate.Parse("{{#a}}{{/b}}")).Message);
    }
}

public sealed class YamlTextTests
{
    private static string Yaml(string text) => JsJson.Serialize(YamlText.Parse(text));

    [Fact]
    public void Yaml_block_mappings_sequences_and_scalars()
    {
        Assert.Equal("""{"a":1,"b":"two","c":null,"d":[true,false,"x y"],"e":{"f":-0.5,"g":"007"}}""",
            Yaml("a: 1\nb: two   # comment\nc: ~\nd:\n- true\n- False\n- x y\ne:\n  f: -.5\n  g: '007'\n"));
    }

    [Fact]
    public void Yaml_compact_sequence_items_and_flow_collections()
    {
        Assert.Equal("""[{"name":"a","tags":["x","y"]},{"name":"b","pos":{"x":1,"y":2}}]""",
            Yaml("- name: a\n  tags: [x, y]\n- name: b\n  pos: {x: 1, y: 2}\n"));
    }

    [Fact]
    public void Yaml_block_scalars_keep_or_fold_lines()
    {
        Assert.Equal("""{"lit":"one\ntwo\n","fold":"one two","hex":255}""", Yaml("lit: |\n  one\n  two\nfold: >-\n  one\n  two\nhex: 0xff\n"));
    }

    [Fact]
    public void Yaml_json_text_and_empty_documents()
    {
        Assert.Equal("""{"a":[1,"b"]}""", Yaml("""{"a": [1, "b"]}"""));
        Assert.Null(YamlText.Parse("# nothing\n"));
        Assert.Equal("\"just text\"", Yaml("just text"));
    }

    [Fact]
    public void Yaml_errors_name_the_line()
    {
        var error = Assert.Throws<InvalidOperationException>(() => YamlText.Parse("a: 1\n b: [unclosed\n"));
        Assert.Contains("line", error.Message);
    }
}
