using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class JsSemanticsTests
{
    // Expected values are what Node.js gives for parseFloat(String(value)).
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("  -.5e3x", -500)]
    [InlineData("1e", 1)]
    [InlineData("1e+", 1)]
    [InlineData("+3.", 3)]
    [InlineData("12.5.7", 12.5)]
    [InlineData("0x10", 0)]
    [InlineData("-Infinityx", double.NegativeInfinity)]
    [InlineData("Infinity", double.PositiveInfinity)]
    public void ParseFloat_reads_the_longest_numeric_prefix_of_a_string(string text, double expected) =>
        Assert.Equal(expected, JsSemantics.ParseFloat(text));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("-")]
    [InlineData("abc")]
    [InlineData("e5")]
    [InlineData("NaN")]
    public void ParseFloat_gives_NaN_when_a_string_has_no_number(string text) => Assert.True(double.IsNaN(JsSemantics.ParseFloat(text)));

    [Fact]
    public void ParseFloat_gives_NaN_for_values_whose_text_is_not_a_number()
    {
        Assert.True(double.IsNaN(JsSemantics.ParseFloat(null)));
        Assert.True(double.IsNaN(JsSemantics.ParseFloat(true)));
        Assert.True(double.IsNaN(JsSemantics.ParseFloat(JsUndefined.Value)));
        Assert.True(double.IsNaN(JsSemantics.ParseFloat(new JsObject { ["a"] = 1.0 })));
    }

    [Theory]
    [InlineData(20.25)]
    [InlineData(-1e-300)]
    [InlineData(1e21)]
    [InlineData(double.MaxValue)]
    [InlineData(double.NegativeInfinity)]
    public void ParseFloat_gives_a_number_back_unchanged(double value) => Assert.Equal(value, JsSemantics.ParseFloat(value));

    [Fact]
    public void ParseFloat_turns_negative_zero_into_zero_as_String_does()
    {
        // String(-0) is "0", so parseFloat(String(-0)) is +0; the text "-0" keeps its sign.
        Assert.False(double.IsNegative(JsSemantics.ParseFloat(-0.0)));
        Assert.True(double.IsNegative(JsSemantics.ParseFloat("-0")));
        Assert.True(double.IsNaN(JsSemantics.ParseFloat(double.NaN)));
    }
}
