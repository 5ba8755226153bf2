using FlowEngine.Scripting.Jsonata;

namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Syntax and evaluation errors: JSONata's codes, with a position a user can act on.</summary>
public class ErrorTests
{
    private static JsonataException CompileError(string expression) =>
        Assert.Throws<JsonataException>(() => JsonataExpression.Compile(expression));

    [Theory]
    [InlineData("payload +", "S0207", 9)]
    [InlineData("Account.Order[0", "S0203", 15)]
    [InlineData("[1, 2", "S0203", 5)]
    [InlineData("a ! b", "S0204", 2)]
    [InlineData("a b", "S0201", 2)]
    [InlineData("{'a' 1}", "S0202", 5)]
    [InlineData("\"unterminated", "S0101", 0)]
    [InlineData("`abc", "S0105", 0)]
    [InlineData("/* abc", "S0106", 0)]
    [InlineData("5 := 3", "S0212", 2)]
    [InlineData("Phone.1", "S0213", 6)]
    [InlineData("function(x){1}", "S0208", 9)]
    [InlineData("$split('a', /[a-z)", "S0302", 12)]
    [InlineData("payload)", "S0201", 7)]
    public void Syntax_errors_have_a_code_and_position(string expression, string code, int position)
    {
        var error = CompileError(expression);
        Assert.Equal(code, error.Code);
        Assert.Equal(position, error.Position);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Syntax_error_message_names_what_was_expected()
    {
        var error = CompileError("Account.Order[0");
        Assert.Contains("]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluation_errors_carry_the_operator_position()
    {
        var error = Expect.Error("T2002", "1 + 'a'");
        Assert.Equal(2, error.Position);
        Assert.Equal("+", error.Token);
    }

    [Fact]
    public void Function_argument_errors_name_the_function()
    {
        var error = Expect.Error("T0410", "$uppercase(1)");
        Assert.Contains("$uppercase", error.Message, StringComparison.Ordinal);
        Assert.Equal(10, error.Position);
    }

    [Fact]
    public void Context_value_of_the_wrong_type_is_T0411()
    {
        Expect.Error("T0411", "Age.$uppercase()", Samples.Address);
    }

    [Fact]
    public void Very_deep_expressions_are_rejected_at_compile_time()
    {
        // Deep trees would recurse deeply when evaluated; a stack overflow would end the process.
        Assert.Equal("U1001", CompileError("1" + string.Concat(Enumerable.Repeat("+1", 5000))).Code);
        Assert.Equal("U1001", CompileError(new string('(', 2000) + "1" + new string(')', 2000)).Code);
        Assert.Equal(201d, JsonataExpression.Compile("1" + string.Concat(Enumerable.Repeat("+1", 200))).Evaluate(null));
    }

    [Fact]
    public void Exception_text_includes_code_and_position()
    {
        var error = CompileError("payload +");
        Assert.Equal("S0207: Unexpected end of expression (position 9)", error.ToString());
    }
}
