using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Transform.TransformFlow;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class JsonNodeTests
{
    private static Task<TestFlow> Json(string action = "", bool pretty = false, string property = "payload") =>
        StartAsync($$""" "type":"json","property":"{{property}}","action":"{{action}}","pretty":{{(pretty ? "true" : "false")}} """);

    [Fact]
    public async Task Json_toggle_parses_a_string_and_stringifies_an_object()
    {
        await using var flow = await Json();
        var parsed = await flow.RoundTripAsync("""{"payload":"{\"a\":[1,true,null]}"}""");
        Assert.Equal("""{"a":[1,true,null]}""", ToJson(parsed["payload"]));
        var text = await flow.RoundTripAsync("""{"payload":{"b":"x"}}""");
        Assert.Equal("""{"b":"x"}""", text["payload"]);
    }

    [Fact]
    public async Task Json_round_trip_returns_the_same_value()
    {
        await using var flow = await TestFlow.StartAsync("""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","type":"json","z":"t1","x":1,"y":1,"property":"payload","action":"","pretty":false,"wires":[["n2"]]},
             {"id":"n2","type":"json","z":"t1","x":1,"y":1,"property":"payload","action":"","pretty":false,"wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """);
        flow.Send("n", """{"payload":{"n":1.5,"s":"é\"\\","list":[{},[]]}}""");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"n":1.5,"s":"é\"\\","list":[{},[]]}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Json_pretty_indents_with_four_spaces()
    {
        await using var flow = await Json(pretty: true);
        var msg = await flow.RoundTripAsync("""{"payload":{"a":{"b":1}}}""");
        Assert.Equal("{\n    \"a\": {\n        \"b\": 1\n    }\n}", msg["payload"]);
    }

    [Fact]
    public async Task Json_str_action_leaves_strings_alone_and_obj_action_leaves_objects_alone()
    {
        await using (var toString = await Json("str"))
        {
            Assert.Equal("{\"a\":1}", (await toString.RoundTripAsync("""{"payload":"{\"a\":1}"}"""))["payload"]);
            Assert.Equal("[1,2]", (await toString.RoundTripAsync("""{"payload":[1,2]}"""))["payload"]);
        }
        await using var toObject = await Json("obj");
        Assert.Equal("""{"a":1}""", ToJson((await toObject.RoundTripAsync("""{"payload":{"a":1}}"""))["payload"]));
        Assert.Equal(5.0, (await toObject.RoundTripAsync("""{"payload":"5"}"""))["payload"]);
    }

    [Fact]
    public async Task Json_stringifies_numbers_booleans_and_null()
    {
        await using var flow = await Json();
        Assert.Equal("12", (await flow.RoundTripAsync("""{"payload":12}"""))["payload"]);
        Assert.Equal("false", (await flow.RoundTripAsync("""{"payload":false}"""))["payload"]);
        Assert.Equal("null", (await flow.RoundTripAsync("""{"payload":null}"""))["payload"]);
    }

    [Fact]
    public async Task Json_parses_a_buffer_as_utf8_text()
    {
        await using var flow = await Json();
        flow.Send("n", new JsObject { ["payload"] = Encoding.UTF8.GetBytes("""{"t":"ü"}""") });
        var msg = await flow.NextAsync("h0");
        Assert.Equal("""{"t":"ü"}""", ToJson(msg["payload"]));
    }

    [Fact]
    public async Task Json_passes_a_message_without_the_property_unchanged()
    {
        await using var flow = await Json(property: "data.text");
        var msg = await flow.RoundTripAsync("""{"payload":"{not json"}""");
        Assert.Equal("{not json", msg["payload"]);
    }

    [Fact]
    public async Task Json_invalid_text_raises_an_error_for_catch_nodes_and_sends_nothing()
    {
        await using var flow = await Json();
        flow.Send("n", """{"payload":"{\"a\":"}""");
        var caught = await flow.NextAsync("err");
        var error = (JsObject)caught["error"]!;
        Assert.False(string.IsNullOrEmpty(error["message"] as string));
        Assert.Equal("n", ((JsObject)error["source"]!)["id"]);
        Assert.Equal("{\"a\":", caught["payload"]);
        Assert.Empty(flow.Received("h0"));
    }

    [Fact]
    public async Task Json_schema_success_removes_msg_schema()
    {
        await using var flow = await Json();
        var msg = await flow.RoundTripAsync("""{"payload":"{\"a\":1}","schema":{"type":"object","properties":{"a":{"type":"number"}},"required":["a"]}}""");
        Assert.Equal("""{"a":1}""", ToJson(msg["payload"]));
        Assert.False(msg.ContainsKey("schema"));
    }

    [Fact]
    public async Task Json_schema_failure_sets_schema_error_and_raises_the_ajv_style_text()
    {
        await using var flow = await Json();
        flow.Send("n", """{"payload":{"a":"x"},"schema":{"type":"object","properties":{"a":{"type":"number"}},"required":["a","b"]}}""");
        var caught = await flow.NextAsync("err");
        Assert.Equal("JSON Schema error: data must have required property 'b', data/a must be number", ((JsObject)caught["error"]!)["message"]);
        var errors = (List<object?>)caught["schemaError"]!;
        Assert.Equal(2, errors.Count);
        Assert.Equal("""{"instancePath":"/a","schemaPath":"#/properties/a/type","keyword":"type","params":{"type":"number"},"message":"must be number"}""", ToJson(errors[1]));
        Assert.Empty(flow.Received("h0"));
    }

    [Fact]
    public async Task Json_schema_that_cannot_compile_raises_an_error()
    {
        await using var flow = await Json();
        flow.Send("n", """{"payload":"{}","schema":{"type":"whatever"}}""");
        var caught = await flow.NextAsync("err");
        Assert.Equal("JSON Schema error: failed to compile schema", ((JsObject)caught["error"]!)["message"]);
    }
}

public sealed class JsonSchemaValidatorTests
{
    private static List<SchemaError> Check(string schema, string data) =>
        JsonSchemaValidator.Compile(JsJson.Parse(schema)).Validate(JsJson.Parse(data));

    private static string Text(string schema, string data) => JsonSchemaValidator.ErrorsText(Check(schema, data));

    [Fact]
    public void Schema_limits_report_ajv_messages()
    {
        Assert.Equal("data must be >= 5", Text("""{"minimum":5}""", "3"));
        Assert.Equal("data must be < 5", Text("""{"exclusiveMaximum":5}""", "5"));
        Assert.Equal("data must NOT have fewer than 3 characters", Text("""{"minLength":3}""", "\"ab\""));
        Assert.Equal("data must NOT have more than 1 items", Text("""{"maxItems":1}""", "[1,2]"));
        Assert.Equal("data must match pattern \"^a\"", Text("""{"pattern":"^a"}""", "\"ba\""));
        Assert.Equal("data must be multiple of 0.5", Text("""{"multipleOf":0.5}""", "1.25"));
        Assert.Equal("", Text("""{"multipleOf":0.5}""", "1.5"));
    }

    [Fact]
    public void Schema_type_specific_keywords_ignore_other_types()
    {
        Assert.Equal("", Text("""{"minimum":5,"minLength":2}""", "true"));
        Assert.Equal("data must be integer", Text("""{"type":"integer"}""", "1.5"));
        Assert.Equal("", Text("""{"type":["string","null"]}""", "null"));
    }

    [Fact]
    public void Schema_enum_const_and_additional_properties()
    {
        Assert.Equal("data must be equal to one of the allowed values", Text("""{"enum":["a",{"b":1}]}""", "{\"b\":2}"));
        Assert.Equal("", Text("""{"enum":["a",{"b":1}]}""", "{\"b\":1}"));
        Assert.Equal("data/c must be equal to constant", Text("""{"properties":{"c":{"const":3}}}""", "{\"c\":4}"));
        var errors = Check("""{"properties":{"a":{}},"additionalProperties":false}""", """{"a":1,"x":2}""");
        Assert.Equal("""{"instancePath":"","schemaPath":"#/additionalProperties","keyword":"additionalProperties","params":{"additionalProperty":"x"},"message":"must NOT have additional properties"}""",
            JsJson.Serialize(errors.Single().ToObject()));
    }

    [Fact]
    public void Schema_items_refs_and_combinators()
    {
        Assert.Equal("data/1 must be string", Text("""{"items":{"type":"string"}}""", """["a",2]"""));
        Assert.Equal("data/p/x must be number",
            Text("""{"definitions":{"point":{"properties":{"x":{"type":"number"}}}},"properties":{"p":{"$ref":"#/definitions/point"}}}""", """{"p":{"x":"1"}}"""));
        Assert.Equal("data must be string, data must be number, data must match a schema in anyOf",
            Text("""{"anyOf":[{"type":"string"},{"type":"number"}]}""", "true"));
        Assert.Equal("data must match exactly one schema in oneOf", Text("""{"oneOf":[{"minimum":1},{"minimum":2}]}""", "3"));
        Assert.Equal("data must NOT be valid", Text("""{"not":{"type":"string"}}""", "\"s\""));
        Assert.Equal("data must NOT have duplicate items (items ## 0 and 2 are identical)", Text("""{"uniqueItems":true}""", """[{"a":1},2,{"a":1}]"""));
    }

    [Fact]
    public void Schema_with_an_unresolvable_reference_does_not_compile()
    {
        Assert.Throws<JsonSchemaException>(() => JsonSchemaValidator.Compile(JsJson.Parse("""{"$ref":"#/definitions/missing"}""")));
        Assert.Throws<JsonSchemaException>(() => JsonSchemaValidator.Compile(JsJson.Parse("""{"pattern":"("}""")));
    }
}
