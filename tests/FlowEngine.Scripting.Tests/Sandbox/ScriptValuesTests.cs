using FlowEngine.Core.Values;
using FlowEngine.Scripting.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Scripting.Tests.Sandbox;

/// <summary>Messages cross into the script and back with the value model intact, following JSON where models differ.</summary>
public sealed class ScriptValuesTests
{
    [Fact]
    public void Every_value_kind_survives_a_round_trip_through_the_script()
    {
        var date = new DateTime(2024, 5, 6, 7, 8, 9, 10, DateTimeKind.Utc);
        var message = new JsObject
        {
            ["payload"] = new JsObject { ["n"] = 1.5, ["s"] = "text", ["b"] = true, ["nothing"] = null, ["list"] = new List<object?> { 1.0, "two", null } },
            ["bytes"] = new byte[] { 1, 2, 3 },
            ["when"] = date,
        };
        using var harness = new SandboxHarness("msg.types = [typeof msg.payload.n, typeof msg.payload.s, typeof msg.payload.b, msg.payload.nothing === null, Array.isArray(msg.payload.list), msg.bytes instanceof Buffer, msg.when instanceof Date, msg.when.getTime()].join(); return msg;");
        harness.Invoke(message);
        var sent = Assert.Single(harness.Sent).Message;
        Assert.Equal("number,string,boolean,true,true,true,true,1714979289010", sent["types"]);
        Assert.True(JsValue.DeepEquals(message["payload"], sent["payload"]));
        Assert.Equal(new byte[] { 1, 2, 3 }, sent["bytes"]);
        Assert.Equal(date, sent["when"]);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)sent["when"]!).Kind);
    }

    [Fact]
    public void Messages_of_one_shape_share_it_and_stay_ordinary_objects()
    {
        using var harness = new SandboxHarness("delete msg.topic; msg.extra = Object.keys(msg).length; msg.payload++; return msg;");
        harness.Invoke("""{"payload":1,"topic":"a"}""");
        harness.Invoke("""{"payload":2,"topic":"b"}""");
        harness.Invoke("""{"topic":"c","payload":3}""");
        harness.Invoke("""{"0":"index key","payload":4}""");
        Assert.Empty(harness.Errors);
        Assert.Equal(["""{"payload":2,"_msgid":"*","extra":2}""", """{"payload":3,"_msgid":"*","extra":2}""", """{"payload":4,"_msgid":"*","extra":2}""", """{"0":"index key","payload":5,"_msgid":"*","extra":3}"""],
            harness.Sent.Select(s => { s.Message["_msgid"] = "*"; return JsJson.Serialize(s.Message); }));
    }

    [Fact]
    public void Undefined_and_functions_are_left_out_of_objects_and_become_null_in_arrays_like_json()
    {
        var sent = SandboxHarness.RunOnce("return { payload: { a: undefined, f() {}, keep: 1 }, list: [undefined, () => 1, 2] };");
        Assert.Equal("""{"keep":1}""", JsJson.Serialize(sent["payload"]));
        Assert.Equal("[null,null,2]", JsJson.Serialize(sent["list"]));
    }

    [Fact]
    public void Errors_keep_name_and_message_and_other_typed_arrays_become_lists()
    {
        var sent = SandboxHarness.RunOnce("const e = new RangeError('too big'); e.code = 'E1'; return { payload: e, words: new Uint16Array([1, 65535]), when: new Date(NaN) };");
        Assert.Equal("""{"name":"RangeError","message":"too big","code":"E1"}""", JsJson.Serialize(sent["payload"]));
        Assert.Equal("[1,65535]", JsJson.Serialize(sent["words"]));
        Assert.Null(sent["when"]);
    }

    [Fact]
    public void A_circular_message_is_refused_with_a_type_error_instead_of_hanging_later_clones()
    {
        using var harness = new SandboxHarness("msg.self = msg; return msg;");
        harness.Invoke("""{"payload":1}""");
        Assert.Empty(harness.Sent);
        var error = Assert.Single(harness.Errors);
        Assert.StartsWith("TypeError: Converting circular structure", error.Text);
        Assert.Equal(1.0, error.Message!["payload"]);
    }

    [Fact]
    public void Shared_but_not_circular_values_are_copied_twice()
    {
        var sent = SandboxHarness.RunOnce("const o = { x: 1 }; return { a: o, b: o, payload: [o, o] };");
        Assert.Equal("""{"x":1}""", JsJson.Serialize(sent["b"]));
        Assert.NotSame(sent["a"], sent["b"]);
    }

    [Fact]
    public void A_message_key_named_proto_stays_an_own_property_and_pollutes_nothing()
    {
        var payload = SandboxHarness.Payload("return { payload: [({}).polluted === undefined, Object.keys(msg).includes('__proto__'), msg.__proto__.polluted] };",
            """{"__proto__":{"polluted":true}}""");
        Assert.Equal("[true,true,true]", JsJson.Serialize(payload));
    }

    [Fact]
    public void Host_objects_cross_as_opaque_handles_and_come_back_as_the_same_object()
    {
        var request = new Uri("http://example.com/");
        var message = new JsObject { ["req"] = request, ["payload"] = 1.0 };
        using var harness = new SandboxHarness("msg.seen = [typeof msg.req, Object.getOwnPropertyNames(msg.req).length, msg.req.GetType === undefined, msg.req.Host === undefined].join(); return msg;");
        harness.Invoke(message);
        var sent = Assert.Single(harness.Sent).Message;
        Assert.Equal("object,0,true,true", sent["seen"]);
        Assert.Same(request, sent["req"]);
    }

    [Fact]
    public void Context_reads_get_copies_of_byte_arrays()
    {
        var (engine, _) = SandboxEngine.Create(SandboxLimits.Default, new FakeTimeProvider());
        using (engine)
        {
            var values = new ScriptValues(engine);
            var bytes = new byte[] { 1, 2 };
            var copy = values.ToScriptCopy(bytes);
            var shared = values.ToScript(bytes);
            engine.SetValue("copy", copy);
            engine.SetValue("shared", shared);
            engine.Execute("copy[0] = 9; shared[1] = 8;");
            Assert.Equal(new byte[] { 1, 8 }, bytes);
        }
    }

    [Fact]
    public void Big_ints_and_large_integers_become_doubles()
    {
        var sent = SandboxHarness.RunOnce("return { payload: 2n ** 60n, big: 9007199254740993 };");
        Assert.Equal(1152921504606846976.0, sent["payload"]);
        Assert.Equal(9007199254740992.0, sent["big"]);
    }
}
