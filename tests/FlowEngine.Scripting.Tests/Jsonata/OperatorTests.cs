namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Operators, from docs.jsonata.org "Numeric Operators", "Comparison Operators", "Boolean Operators" and "Other Operators".</summary>
public class OperatorTests
{
    [Theory]
    [InlineData("5 + 2", 7d)]
    [InlineData("5 - 2", 3d)]
    [InlineData("5 * 2", 10d)]
    [InlineData("5 / 2", 2.5d)]
    [InlineData("5 % 2", 1d)]
    [InlineData("-5 % 2", -1d)]
    [InlineData("-(5 + 2)", -7d)]
    [InlineData("2 + 3 * 4", 14d)]
    [InlineData("(2 + 3) * 4", 20d)]
    [InlineData("1.5e3 + 1", 1501d)]
    public void Arithmetic_follows_precedence(string expression, double expected)
    {
        Expect.Value(expected, expression);
    }

    [Fact]
    public void Arithmetic_with_undefined_operand_is_undefined()
    {
        Expect.Undefined("nothing + 1", Samples.Address);
        Expect.Undefined("-nothing", Samples.Address);
    }

    [Fact]
    public void Arithmetic_on_a_string_is_an_error()
    {
        Expect.Error("T2001", "FirstName + 1", Samples.Address);
        Expect.Error("T2002", "1 + FirstName", Samples.Address);
        Expect.Error("D1002", "-FirstName", Samples.Address);
    }

    [Theory]
    [InlineData("1 = 1", true)]
    [InlineData("1 = 2", false)]
    [InlineData("'a' != 'b'", true)]
    [InlineData("1 < 2", true)]
    [InlineData("2 <= 2", true)]
    [InlineData("3 > 4", false)]
    [InlineData("'abc' < 'abd'", true)]
    [InlineData("'b' >= 'a'", true)]
    [InlineData("[1, 2] = [1, 2]", true)]
    [InlineData("{'a': 1} = {'a': 1}", true)]
    [InlineData("{'a': 1} != {'a': 2}", true)]
    [InlineData("null = null", true)]
    public void Comparison_operators(string expression, bool expected)
    {
        Expect.Value(expected, expression);
    }

    [Fact]
    public void Equality_with_undefined_is_false_and_ordering_with_undefined_is_undefined()
    {
        Expect.Value(false, "nothing = 1", Samples.Address);
        Expect.Value(false, "nothing != 1", Samples.Address);
        Expect.Undefined("nothing < 1", Samples.Address);
    }

    [Fact]
    public void Ordering_different_types_is_an_error()
    {
        Expect.Error("T2009", "1 < 'a'");
        Expect.Error("T2010", "true < 1");
    }

    [Fact]
    public void Boolean_operators_use_effective_boolean_values()
    {
        Expect.Value(true, "Age > 18 and FirstName = 'Fred'", Samples.Address);
        Expect.Value(true, "false or 'x'");
        Expect.Value(false, "'' or 0 or null or [] or {}");
        Expect.Value(false, "nothing and true", Samples.Address);
    }

    [Fact]
    public void Boolean_operators_short_circuit()
    {
        Expect.Value(false, "false and $error('not evaluated')");
        Expect.Value(true, "true or $error('not evaluated')");
    }

    [Fact]
    public void In_tests_array_membership()
    {
        Expect.Value(true, "'01962 001234' in Phone.number", Samples.Address);
        Expect.Value(false, "'999' in Phone.number", Samples.Address);
        Expect.Value(true, "'home' in 'home'");
    }

    [Fact]
    public void Concatenation_converts_values_to_strings()
    {
        Expect.Value("Fred Smith", "FirstName & ' ' & Surname", Samples.Address);
        Expect.Value("Age: 28", "'Age: ' & Age", Samples.Address);
        Expect.Value("x", "'x' & nothing", Samples.Address);
        Expect.Value("[1,2]true", "[1,2] & true");
        Expect.Value("0.3", "0.1 + 0.2 & ''");
    }

    [Fact]
    public void Conditional_chooses_a_branch()
    {
        Expect.Json("""["Cheap", "Cheap", "Cheap", "Expensive"]""",
            "Account.Order.Product.(Price > 50 ? 'Expensive' : 'Cheap')", Samples.Account);
        Expect.Undefined("false ? 1");
    }

    [Fact]
    public void Elvis_operator_defaults_falsy_values()
    {
        Expect.Value("Winchester", "Address.City ?: 'Unknown'", Samples.Address);
        Expect.Value("Unknown", "Address.Town ?: 'Unknown'", Samples.Address);
        Expect.Value("x", "Other.Misc ?: 'x'", Samples.Address);
        Expect.Value("default", "0 ?: 'default'");
    }

    [Fact]
    public void Coalescing_operator_defaults_only_undefined()
    {
        Expect.Value("default", "Other.Nothing ?? 'default'", Samples.Address);
        Assert.Null(FlowEngine.Scripting.Jsonata.JsonataExpression.Compile("Other.Misc ?? 'default'").Evaluate(Samples.Address));
        Expect.Value(0d, "0 ?? 1");
    }

    [Fact]
    public void Range_builds_a_sequence_of_integers()
    {
        Expect.Json("[1, 2, 3, 4, 5]", "[1..5]");
        Expect.Json("[1, 2, 3, 7, 8, 9]", "[1..3, 7..9]");
        Expect.Json("[]", "[5..1]");
        Expect.Json("[0, 1, 2]", "[0..$count(Phone) - 2]", Samples.Address);
        Expect.Error("T2003", "[1.5..3]");
    }

    [Fact]
    public void Predicate_filters_an_array_constructor()
    {
        Expect.Json("[2, 4, 6, 8, 10]", "[1..10][$ % 2 = 0]");
    }

    [Fact]
    public void Variable_binding_and_blocks()
    {
        Expect.Value(10d, "($x := 5; $x * 2)");
        Expect.Value(3d, "($a := 1; ($a := 2); $a + 2)");
        Expect.Value(12d, "$x := 12");
    }

    [Fact]
    public void Comments_are_ignored()
    {
        Expect.Value(3d, "/* add */ 1 + /* two */ 2");
    }
}
