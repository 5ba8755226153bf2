namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Numeric and aggregation functions, with the examples of docs.jsonata.org "Numeric Functions" and "Aggregation Functions".</summary>
public class NumericFunctionTests
{
    [Fact]
    public void Number_casts_strings_and_booleans()
    {
        Expect.Value(5d, "$number('5')");
        Expect.Value(-1.5e3, "$number('-1.5e3')");
        Expect.Value(255d, "$number('0xFF')");
        Expect.Value(1d, "$number(true)");
        Expect.Error("D3030", "$number('5 apples')");
    }

    [Theory]
    [InlineData("$abs(-5)", 5d)]
    [InlineData("$floor(5.8)", 5d)]
    [InlineData("$floor(-5.3)", -6d)]
    [InlineData("$ceil(5.3)", 6d)]
    [InlineData("$ceil(-5.3)", -5d)]
    [InlineData("$power(2, 8)", 256d)]
    [InlineData("$power(2, -2)", 0.25d)]
    [InlineData("$sqrt(4)", 2d)]
    public void Basic_numeric_functions(string expression, double expected)
    {
        Expect.Value(expected, expression);
    }

    [Theory]
    [InlineData("$round(123.456)", 123d)]
    [InlineData("$round(123.456, 2)", 123.46d)]
    [InlineData("$round(123.456, -1)", 120d)]
    [InlineData("$round(123.456, -2)", 100d)]
    [InlineData("$round(11.5)", 12d)]
    [InlineData("$round(12.5)", 12d)]
    [InlineData("$round(125, -1)", 120d)]
    [InlineData("$round(-12.5)", -12d)]
    [InlineData("$round(2.675, 2)", 2.68d)]
    public void Round_is_half_to_even_at_a_precision(string expression, double expected)
    {
        Expect.Value(expected, expression);
    }

    [Fact]
    public void Sqrt_of_negative_and_power_overflow_are_errors()
    {
        Expect.Error("D3060", "$sqrt(-1)");
        Expect.Error("D3061", "$power(10, 400)");
    }

    [Fact]
    public void Random_is_between_zero_and_one()
    {
        var value = (double)FlowEngine.Scripting.Jsonata.JsonataExpression.Compile("$random()").Evaluate(null)!;
        Assert.InRange(value, 0, 1);
    }

    [Fact]
    public void Aggregation_functions()
    {
        Expect.Value(20d, "$sum([5, 1, 3, 7, 4])");
        Expect.Value(7d, "$max([5, 1, 3, 7, 4])");
        Expect.Value(1d, "$min([5, 1, 3, 7, 4])");
        Expect.Value(4d, "$average([5, 1, 3, 7, 4])");
        Expect.Value(0d, "$sum([])");
        Expect.Undefined("$max([])");
        Expect.Value(5d, "$sum(5)");
        Expect.Error("T0412", "$sum([1, 'a'])");
    }

    [Fact]
    public void Format_number_with_pictures()
    {
        Expect.Value("12,345.60", "$formatNumber(12345.6, '#,###.00')");
        Expect.Value("12.346e2", "$formatNumber(1234.5678, '00.000e0')");
        Expect.Value("34.56", "$formatNumber(34.555, '#0.00;(#0.00)')");
        Expect.Value("(34.56)", "$formatNumber(-34.555, '#0.00;(#0.00)')");
        Expect.Value("14%", "$formatNumber(0.14, '01%')");
        Expect.Value("140pm", "$formatNumber(0.14, '###pm', {'per-mille': 'pm'})");
        Expect.Value("①②.③④⑥e②", "$formatNumber(1234.5678, '①①.①①①e①', {'zero-digit': '\\u245f'})");
    }

    [Fact]
    public void Format_number_padding_grouping_and_negatives()
    {
        Expect.Value("0124", "$formatNumber(123.9, '9999')");
        Expect.Value("12,345,678.90", "$formatNumber(12345678.9, '9,999.99')");
        Expect.Value("123412345,6,78.90", "$formatNumber(123412345678.9, '9,9,99.99')");
        Expect.Value("1,234.567,890", "$formatNumber(1234.56789, '9,999.999,999')");
        Expect.Value("87,504.4812", "$formatNumber(2392.14*(-36.58), '000,000.000###;###,###.000###')");
        Expect.Value("PREFIX185.2812SUFFIX", "$formatNumber(2.14*86.58, 'PREFIX##00.000###SUFFIX')");
        Expect.Value("002.000", "$formatNumber(2, '000.000')");
        Expect.Value("-006", "$formatNumber(-6, '000')");
        Expect.Value("21.50", "$formatNumber(21.5, '#0.00')");
        Expect.Value("1,000", "$formatNumber(1000, '#,##0')");
    }

    [Fact]
    public void Format_number_exponent_pictures()
    {
        Expect.Value("2.3e-1", "$formatNumber(0.234, '0.0e0')");
        Expect.Value("0.23e0", "$formatNumber(0.234, '#.00e0')");
        Expect.Value(".23e0", "$formatNumber(0.234, '.00e0')");
        Expect.Value("0.1e0", "$formatNumber(0.123, '#.e9')");
    }

    [Fact]
    public void Format_number_rejects_bad_pictures()
    {
        Expect.Error("D3086", "$formatNumber(42, '%%')");
        Expect.Error("D3092", "$formatNumber(20, '#0.0e0%')");
        Expect.Error("D3080", "$formatNumber(1, '0;0;0')");
        Expect.Error("D3081", "$formatNumber(1, '0.0.0')");
    }

    [Fact]
    public void Format_base_and_integer()
    {
        Expect.Value("1100100", "$formatBase(100, 2)");
        Expect.Value("9fb", "$formatBase(2555, 16)");
        Expect.Error("D3100", "$formatBase(10, 40)");
        Expect.Value("two thousand, seven hundred and eighty-nine", "$formatInteger(2789, 'w')");
        Expect.Value("MCMXCIX", "$formatInteger(1999, 'I')");
        Expect.Value("007", "$formatInteger(7, '000')");
        Expect.Value("1,234,567", "$formatInteger(1234567, '#,##0')");
        Expect.Value("aa", "$formatInteger(27, 'a')");
        Expect.Value("21st", "$formatInteger(21, '1;o')");
        Expect.Value("Twenty-First", "$formatInteger(21, 'Ww;o')");
        Expect.Value("ten billion trillion trillion trillion", "$formatInteger(1e46, 'w')");
    }

    [Fact]
    public void Parse_integer_reverses_format_integer()
    {
        Expect.Value(12476d, "$parseInteger('twelve thousand, four hundred and seventy-six', 'w')");
        Expect.Value(12345678d, "$parseInteger('12,345,678', '#,##0')");
        Expect.Value(1999d, "$parseInteger('MCMXCIX', 'I')");
        Expect.Value(27d, "$parseInteger('aa', 'a')");
        Expect.Value(1e15, "$parseInteger('one thousand trillion', 'w')");
    }
}
