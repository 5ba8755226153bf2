using FlowEngine.Scripting.Jsonata;

namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Lambdas, closures, recursion, partial application and chaining, from docs.jsonata.org "Programming Constructs".</summary>
public class FunctionDefinitionTests
{
    [Fact]
    public void Lambda_can_be_invoked_directly_or_through_a_variable()
    {
        Expect.Value(500d, "function($l, $w, $h){ $l * $w * $h }(10, 10, 5)");
        Expect.Value(500d, "($volume := function($l, $w, $h){ $l * $w * $h }; $volume(10, 10, 5))");
        Expect.Value(6d, "λ($x){ $x * 2 }(3)");
    }

    [Fact]
    public void Missing_arguments_are_undefined()
    {
        Expect.Value("none", "function($a, $b){ $exists($b) ? 'some' : 'none' }(1)");
    }

    [Fact]
    public void Recursive_function()
    {
        Expect.Value(24d, "($factorial := function($x){ $x <= 1 ? 1 : $x * $factorial($x - 1) }; $factorial(4))");
    }

    [Fact]
    public void Tail_calls_do_not_grow_the_stack()
    {
        Expect.Value(2432902008176640000d, "($factorial := function($x, $acc){ $x <= 1 ? $acc : $factorial($x - 1, $x * $acc) }; $factorial(20, 1))");
        Expect.Value(100000d, "($count := function($n, $acc){ $n = 0 ? $acc : $count($n - 1, $acc + 1) }; $count(100000, 0))");
    }

    [Fact]
    public void Runaway_recursion_is_stopped_with_U1001()
    {
        Expect.Error("U1001", "($f := function($x){ 1 + $f($x + 1) }; $f(0))");
    }

    [Fact]
    public void Closures_see_their_defining_scope()
    {
        Expect.Value(13d, "($twice := function($f){ function($x){ $f($f($x)) } }; $add3 := function($x){ $x + 3 }; $add6 := $twice($add3); $add6(7))");
        Expect.Value(21d, "($x := 10; $f := function($y){ $x + $y }; $x := 20; $f(1))");
    }

    [Fact]
    public void Lambda_body_sees_the_context_where_it_was_defined()
    {
        Expect.Json("[68.9, 21.67, 137.8, 107.99]", "Account.Order.Product.($f := function($x){ $x * Quantity }; $f(Price))", Samples.Account);
    }

    [Fact]
    public void Partial_application_fixes_some_arguments()
    {
        Expect.Value("Hello", "($first5 := $substring(?, 0, 5); $first5('Hello World'))");
        Expect.Value("Hello", "($firstN := $substring(?, 0, ?); $first5 := $firstN(?, 5); $first5('Hello, World'))");
        Expect.Value(8d, "($add := function($a, $b){ $a + $b }; $add5 := $add(5, ?); $add5(3))");
    }

    [Fact]
    public void Function_application_operator_passes_the_left_side_as_first_argument()
    {
        Expect.Value("BOWLER HAT", "Account.Order[0].Product[0].`Product Name` ~> $uppercase()", Samples.Account);
        Expect.Value("WORLD", "'Hello world' ~> $substringAfter(' ') ~> $uppercase()");
        Expect.Value("00100011", "$formatBase(35, 2) ~> $pad(-8, '0')");
    }

    [Fact]
    public void Chaining_two_functions_composes_them()
    {
        Expect.Value("HELLO WORLD", "($uppertrim := $trim ~> $uppercase; $uppertrim('   Hello    World   '))");
    }

    [Fact]
    public void Signature_checks_lambda_arguments()
    {
        Expect.Value(6d, "function($x)<n:n>{ $x * 2 }(3)");
        Expect.Error("T0410", "function($x)<n:n>{ $x * 2 }('a')");
        Expect.Value(3d, "function($x)<a<n>:n>{ $count($x) }([1, 2, 3])");
        Expect.Value(1d, "function($x)<a<n>:n>{ $count($x) }(7)");
    }

    [Fact]
    public void Context_argument_is_used_when_omitted()
    {
        Expect.Json("""["1", "2", "3", "4", "5"]""", "[1..5].$string()");
        Expect.Json("[1, 2, 3]", "['1', '2', '3'].$number()");
        Expect.Value("HURSLEY PARK", "Address.Street.$uppercase()", Samples.Address);
    }

    [Fact]
    public void Calling_a_name_without_dollar_suggests_the_fix()
    {
        var error = Expect.Error("T1005", "sum([1, 2])");
        Assert.Contains("$sum", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calling_an_unknown_function_is_a_clear_error()
    {
        var error = Expect.Error("T1006", "$foo(1)");
        Assert.Contains("$foo is not defined", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, error.Position);
        var notAFunction = Expect.Error("T1006", "($x := 5; $x())");
        Assert.Contains("$x is a number", notAFunction.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Functions_convert_to_empty_string_and_have_type_function()
    {
        Expect.Value("function", "$type(function(){1})");
        Expect.Value("function", "$type($sum)");
        Expect.Value("", "$string($sum)");
    }

    [Fact]
    public void Eval_evaluates_an_expression_string()
    {
        Expect.Json("[1, 2, 3]", "$eval('[1,2,3]')");
        Expect.Json("""[1, "2", 3]""", "$eval('[1,$string(2),3]')");
        Expect.Value(28d, "$eval('Age')", Samples.Address);
        Expect.Value(5d, "$eval('a + b', {'a': 2, 'b': 3})");
        Expect.Error("D3120", "$eval('1 +')");
    }
}
