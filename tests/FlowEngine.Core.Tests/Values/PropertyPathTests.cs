using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Values;

public sealed class PropertyPathTests
{
    [Theory]
    [InlineData("payload")]
    [InlineData("msg.payload.a")]
    [InlineData("a[0].b")]
    [InlineData("a[\"b c\"]['d']")]
    [InlineData("a[msg.key]")]
    public void Valid_expressions_parse(string text) => Assert.True(PropertyPath.TryParse(text, out _));

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("a[")]
    [InlineData("a.")]
    [InlineData("[0]")]
    public void Invalid_expressions_are_refused_with_invalid_expr(string text)
    {
        var ex = Assert.Throws<PropertyPathException>(() => PropertyPath.Parse(text));
        Assert.Equal("INVALID_EXPR", ex.Code);
    }

    [Fact]
    public void Get_reads_nested_values_and_array_indexes()
    {
        var msg = (JsObject)JsJson.Parse("""{"a":{"b":[10,{"c":"x"}]},"key":"a"}""")!;
        Assert.Equal("x", PropertyPath.Parse("a.b[1].c").GetValue(msg));
        Assert.Equal(10.0, PropertyPath.Parse("a.b[0]").GetValue(msg));
        Assert.False(PropertyPath.Parse("a.z.q").TryGetValue(msg, out _));
    }

    [Fact]
    public void Nested_message_reference_is_resolved_first()
    {
        var msg = (JsObject)JsJson.Parse("""{"data":{"t1":5},"key":"t1"}""")!;
        Assert.Equal(5.0, PropertyPath.Parse("data[msg.key]").GetValue(msg));
    }

    [Fact]
    public void Set_creates_objects_and_arrays_for_missing_steps()
    {
        var msg = new JsObject();
        Assert.True(PropertyPath.Parse("a.b[2].c").SetValue(msg, "v"));
        Assert.Equal("""{"a":{"b":[null,null,{"c":"v"}]}}""", JsJson.Serialize(msg));
    }

    [Fact]
    public void Set_through_a_primitive_fails_and_leaves_the_message_unchanged()
    {
        var msg = new JsObject { ["a"] = 5.0 };
        Assert.False(PropertyPath.Parse("a.b").SetValue(msg, 1.0));
        Assert.Equal(5.0, msg["a"]);
    }

    [Fact]
    public void Delete_removes_a_nested_key()
    {
        var msg = (JsObject)JsJson.Parse("""{"a":{"b":1,"c":2}}""")!;
        Assert.True(PropertyPath.Parse("a.b").Delete(msg));
        Assert.Equal("""{"a":{"c":2}}""", JsJson.Serialize(msg));
    }
}
