using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Values;

public sealed class JsValueTests
{
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(1.5, "1.5")]
    [InlineData(-0.1, "-0.1")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(123456789012.0, "123456789012")]
    [InlineData(5890840712243076.0, "5890840712243076")]
    [InlineData(1.2345678901234568e20, "123456789012345680000")]
    [InlineData(-9007199254740993.0, "-9007199254740992")]
    public void Numbers_format_as_javascript_does(double value, string expected) =>
        Assert.Equal(expected, JsValue.FormatNumber(value));

    [Theory]
    [InlineData("1", 1.0, true)]
    [InlineData("1.0", 1.0, true)]
    [InlineData("", 0.0, true)]
    [InlineData("abc", 1.0, false)]
    [InlineData(" 2 ", 2.0, true)]
    public void Loose_equality_converts_strings_to_numbers(string text, double number, bool expected) =>
        Assert.Equal(expected, JsValue.LooseEquals(text, number));

    [Fact]
    public void Loose_equality_of_null_only_matches_null() =>
        Assert.False(JsValue.LooseEquals(null, 0.0));

    [Theory]
    [InlineData("0x1A", 26.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("", 0.0)]
    public void String_to_number_follows_javascript(string text, double expected) =>
        Assert.Equal(expected, JsValue.StringToNumber(text));

    [Fact]
    public void String_to_number_rejects_thousands_separators() =>
        Assert.True(double.IsNaN(JsValue.StringToNumber("1,000")));

    [Fact]
    public void Deep_clone_copies_containers_and_buffers_but_shares_host_objects()
    {
        var host = new object();
        var original = new JsObject { ["a"] = new List<object?> { 1.0, new JsObject { ["b"] = "x" } }, ["buf"] = new byte[] { 1, 2 }, ["host"] = host };
        var copy = (JsObject)JsValue.DeepClone(original)!;
        ((JsObject)((List<object?>)copy["a"]!)[1]!)["b"] = "changed";
        ((byte[])copy["buf"]!)[0] = 9;
        Assert.Equal("x", ((JsObject)((List<object?>)original["a"]!)[1]!)["b"]);
        Assert.Equal(1, ((byte[])original["buf"]!)[0]);
        Assert.Same(host, copy["host"]);
    }

    [Fact]
    public void Deep_equality_compares_structure_not_identity()
    {
        var a = JsJson.Parse("""{"x":[1,{"y":true}],"z":null}""");
        var b = JsJson.Parse("""{"x":[1,{"y":true}],"z":null}""");
        var c = JsJson.Parse("""{"x":[1,{"y":false}],"z":null}""");
        Assert.True(JsValue.DeepEquals(a, b));
        Assert.False(JsValue.DeepEquals(a, c));
    }

    [Fact]
    public void Relational_comparison_of_strings_is_ordinal_and_of_mixed_values_numeric()
    {
        Assert.Equal(-1, JsValue.Compare("a", "b"));
        Assert.Equal(1, JsValue.Compare("10", 9.0));
        Assert.Null(JsValue.Compare("x", 1.0));
    }
}
