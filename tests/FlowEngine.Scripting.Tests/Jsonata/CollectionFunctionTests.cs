namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Boolean, array, object and higher-order functions, with the examples of docs.jsonata.org.</summary>
public class CollectionFunctionTests
{
    [Theory]
    [InlineData("$boolean('')", false)]
    [InlineData("$boolean('0')", true)]
    [InlineData("$boolean(0)", false)]
    [InlineData("$boolean(10)", true)]
    [InlineData("$boolean(null)", false)]
    [InlineData("$boolean([])", false)]
    [InlineData("$boolean([0])", false)]
    [InlineData("$boolean([0, 1])", true)]
    [InlineData("$boolean({})", false)]
    [InlineData("$boolean({'a': 1})", true)]
    [InlineData("$boolean(function(){1})", false)]
    [InlineData("$not(true)", false)]
    [InlineData("$not('')", true)]
    [InlineData("$exists(Surname)", true)]
    [InlineData("$exists(Other.Misc)", true)]
    [InlineData("$exists(Other.Nothing)", false)]
    public void Boolean_functions(string expression, bool expected)
    {
        Expect.Value(expected, expression, Samples.Address);
    }

    [Fact]
    public void Count_append_reverse()
    {
        Expect.Value(4d, "$count([1, 2, 3, 1])");
        Expect.Value(1d, "$count('hello')");
        Expect.Value(0d, "$count(nothing)", Samples.Address);
        Expect.Json("[1, 2, 3, 4, 5, 6]", "$append([1, 2, 3], [4, 5, 6])");
        Expect.Json("[1, 2, 3, 4]", "$append([1, 2, 3], 4)");
        Expect.Json("""["Hello", "World"]""", "$append('Hello', 'World')");
        Expect.Json("""["World", "Hello"]""", "$reverse(['Hello', 'World'])");
        Expect.Json("[5, 4, 3, 2, 1]", "[1..5] ~> $reverse()");
    }

    [Fact]
    public void Sort_natural_order_and_with_a_comparator()
    {
        Expect.Json("[1, 2, 3, 5, 8]", "$sort([5, 3, 8, 1, 2])");
        Expect.Json("""["a", "b", "c"]""", "$sort(['c', 'a', 'b'])");
        Expect.Json("""["Trilby hat", "Bowler Hat", "Bowler Hat", "Cloak"]""",
            "$sort(Account.Order.Product, function($l, $r){ $l.Description.Weight > $r.Description.Weight }).`Product Name`", Samples.Account);
        Expect.Error("D3070", "$sort([1, 'a'])");
    }

    [Fact]
    public void Shuffle_keeps_the_items()
    {
        Expect.Json("[1, 2, 3, 4, 5]", "$sort($shuffle([1..5]))");
    }

    [Fact]
    public void Distinct_and_zip()
    {
        Expect.Json("[1, 2, 3, 4, 5]", "$distinct([1, 2, 3, 3, 4, 3, 5])");
        Expect.Json("""["Purple", "Orange", "Black"]""", "$distinct(Account.Order.Product.Description.Colour)", Samples.Account);
        Expect.Json("""[{"a": 1}]""", "$distinct([{'a': 1}, {'a': 1}])");
        Expect.Json("[[1, 4], [2, 5], [3, 6]]", "$zip([1, 2, 3], [4, 5, 6])");
        Expect.Json("[[1, 4, 7], [2, 5, 8]]", "$zip([1, 2, 3], [4, 5], [7, 8, 9])");
    }

    [Fact]
    public void Keys_lookup_spread_merge()
    {
        Expect.Json("""["FirstName", "Surname", "Age", "Address", "Phone", "Email", "Other"]""", "$keys($)", Samples.Address);
        Expect.Json("""["type", "number"]""", "$keys(Phone)", Samples.Address);
        Expect.Value("Winchester", "$lookup(Address, 'City')", Samples.Address);
        Expect.Json("""[{"Street": "Hursley Park"}, {"City": "Winchester"}, {"Postcode": "SO21 2JN"}]""", "$spread(Address)", Samples.Address);
        Expect.Json("""{"a": 1, "b": 3, "c": 4}""", "$merge([{'a': 1, 'b': 2}, {'b': 3}, {'c': 4}])");
    }

    [Fact]
    public void Each_and_sift_iterate_object_entries()
    {
        Expect.Json("""["Street: Hursley Park", "City: Winchester", "Postcode: SO21 2JN"]""",
            "$each(Address, function($v, $k){ $k & ': ' & $v })", Samples.Address);
        Expect.Json("""{"Product Name": "Bowler Hat", "ProductID": 858383}""",
            "Account.Order[0].Product[0].$sift(function($v, $k){ $k ~> /^Product/ })", Samples.Account);
        Expect.Undefined("$sift({'a': 1}, function($v){ $v > 5 })");
    }

    [Theory]
    [InlineData("$type(1)", "number")]
    [InlineData("$type('a')", "string")]
    [InlineData("$type(true)", "boolean")]
    [InlineData("$type(null)", "null")]
    [InlineData("$type([])", "array")]
    [InlineData("$type({})", "object")]
    public void Type_names(string expression, string expected)
    {
        Expect.Value(expected, expression);
    }

    [Fact]
    public void Error_and_assert_raise_user_errors()
    {
        var error = Expect.Error("D3137", "$error('Stop here')");
        Assert.Equal("Stop here", error.Message);
        Expect.Error("D3141", "$assert(1 = 2, 'not equal')");
        Expect.Undefined("$assert(1 = 1, 'fine')");
    }

    [Fact]
    public void Map_passes_value_index_and_array()
    {
        Expect.Json("""["1", "2", "3", "4", "5"]""", "$map([1..5], $string)");
        Expect.Json("""
            ["Item 1 of 4: fred.smith@my-work.com", "Item 2 of 4: fsmith@my-work.com", "Item 3 of 4: freddy@my-social.com", "Item 4 of 4: frederic.smith@very-serious.com"]
            """, "$map(Email.address, function($v, $i, $a){ 'Item ' & ($i + 1) & ' of ' & $count($a) & ': ' & $v })", Samples.Address);
    }

    [Fact]
    public void Filter_single_and_reduce()
    {
        Expect.Value("Cloak", "$filter(Account.Order.Product, function($v, $i, $a){ $v.Price > $average($a.Price) }).`Product Name`", Samples.Account);
        Expect.Value("Cloak", "$single(Account.Order.Product, function($v, $i, $a){ $v.Price = $max($a.Price) }).`Product Name`", Samples.Account);
        Expect.Error("D3138", "$single([1, 2, 3], function($v){ $v > 1 })");
        Expect.Error("D3139", "$single([1, 2, 3], function($v){ $v > 5 })");
        Expect.Value(120d, "$reduce([1..5], function($i, $j){ $i * $j })");
        Expect.Value(240d, "$reduce([1..5], function($i, $j){ $i * $j }, 2)");
        Expect.Json("[2, 1, 4, 1]", "$reduce(Account.Order.Product.Quantity, $append)", Samples.Account);
        Expect.Error("D3050", "$reduce([1, 2], function($x){ $x })");
    }
}
