namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Order-by, context (@) and positional (#) variable binding and the parent operator (%), from docs.jsonata.org "Path Operators".</summary>
public class SortingAndBindingTests
{
    private const string Library = """
        {
          "library": {
            "books": [
              { "title": "Structure and Interpretation of Computer Programs", "authors": ["Abelson", "Sussman"], "isbn": "9780262510875", "price": 38.90, "copies": 2 },
              { "title": "The C Programming Language", "authors": ["Kernighan", "Richie"], "isbn": "9780131103627", "price": 33.59, "copies": 3 },
              { "title": "The AWK Programming Language", "authors": ["Aho", "Kernighan", "Weinberger"], "isbn": "9780201079814", "copies": 1 },
              { "title": "Compilers: Principles, Techniques, and Tools", "authors": ["Aho", "Lam", "Sethi", "Ullman"], "isbn": "9780201100884", "price": 23.38, "copies": 1 }
            ],
            "loans": [
              { "customer": "10001", "isbn": "9780262510875", "return": "2016-12-05" },
              { "customer": "10003", "isbn": "9780201100884", "return": "2016-10-22" },
              { "customer": "10003", "isbn": "9780262510875", "return": "2016-12-22" }
            ],
            "customers": [
              { "id": "10001", "name": "Joe Doe", "address": { "street": "2 Long Road", "city": "Winchester", "postcode": "SO22 5PU" } },
              { "id": "10002", "name": "Fred Bloggs", "address": { "street": "56 Letsby Avenue", "city": "Winchester", "postcode": "SO22 4WD" } },
              { "id": "10003", "name": "Jason Arthur", "address": { "street": "1 Preddy Gate", "city": "Southampton", "postcode": "SO14 0MG" } }
            ]
          }
        }
        """;

    [Fact]
    public void Order_by_sorts_ascending_and_descending()
    {
        Expect.Json("""["Trilby hat", "Bowler Hat", "Bowler Hat", "Cloak"]""", "Account.Order.Product^(Price).`Product Name`", Samples.Account);
        Expect.Json("""["Cloak", "Bowler Hat", "Bowler Hat", "Trilby hat"]""", "Account.Order.Product^(>Price).`Product Name`", Samples.Account);
        Expect.Json("[1, 4, 2, 1]", "Account.Order.Product^(>Price, >Quantity).Quantity", Samples.Account);
        Expect.Json("[1, 2, 4, 1]", "Account.Order.Product^(>Price, <Quantity).Quantity", Samples.Account);
    }

    [Fact]
    public void Order_by_is_stable_and_puts_undefined_last()
    {
        var input = Samples.Json("""[{"k": 2, "n": "a"}, {"n": "b"}, {"k": 1, "n": "c"}, {"k": 2, "n": "d"}]""");
        Expect.Json("""["c", "a", "d", "b"]""", "$^(k).n", input);
        Expect.Json("""["a", "d", "c", "b"]""", "$^(>k).n", input);
    }

    [Fact]
    public void Order_by_mixed_types_is_an_error()
    {
        Expect.Error("T2007", "[{'a': 1}, {'a': 'x'}]^(a)");
    }

    [Fact]
    public void Positional_binding_gives_each_item_its_index()
    {
        Expect.Json("""["1: 0203 544 1234", "2: 01962 001234", "3: 01962 001235", "4: 077 7700 1234"]""",
            "Phone#$i.($string($i + 1) & ': ' & number)", Samples.Address);
        Expect.Json("""[{"Product": "Bowler Hat", "Order": 0}, {"Product": "Trilby hat", "Order": 0}, {"Product": "Bowler Hat", "Order": 1}, {"Product": "Cloak", "Order": 1}]""",
            "Account.Order#$o.Product.{'Product': `Product Name`, 'Order': $o}", Samples.Account);
    }

    [Fact]
    public void Positional_binding_after_a_predicate_counts_the_filtered_items()
    {
        Expect.Json("""[{"i": 0, "n": "Bowler Hat"}, {"i": 1, "n": "Bowler Hat"}, {"i": 2, "n": "Cloak"}]""",
            "Account.Order.Product[Price > 30]#$i.{'i': $i, 'n': `Product Name`}", Samples.Account);
    }

    [Fact]
    public void Positional_binding_after_order_by_counts_the_sorted_items()
    {
        Expect.Json("""["0 Trilby hat", "1 Bowler Hat", "2 Bowler Hat", "3 Cloak"]""",
            "Account.Order.Product^(Price)#$i.($string($i) & ' ' & `Product Name`)", Samples.Account);
    }

    [Fact]
    public void Focus_binding_joins_two_arrays()
    {
        Expect.Json("""
            [
              { "title": "Structure and Interpretation of Computer Programs", "customer": "10001" },
              { "title": "Compilers: Principles, Techniques, and Tools", "customer": "10003" },
              { "title": "Structure and Interpretation of Computer Programs", "customer": "10003" }
            ]
            """,
            "library.loans@$l.books@$b[$l.isbn=$b.isbn].{ 'title': $b.title, 'customer': $l.customer }",
            Samples.Json(Library));
    }

    [Fact]
    public void Focus_binding_three_way_join()
    {
        Expect.Json("""
            [
              { "customer": "Joe Doe", "book": "Structure and Interpretation of Computer Programs", "due": "2016-12-05" },
              { "customer": "Jason Arthur", "book": "Compilers: Principles, Techniques, and Tools", "due": "2016-10-22" },
              { "customer": "Jason Arthur", "book": "Structure and Interpretation of Computer Programs", "due": "2016-12-22" }
            ]
            """,
            "library.loans@$L.books@$B[$L.isbn=$B.isbn].customers[$L.customer=id].{ 'customer': name, 'book': $B.title, 'due': $L.return }",
            Samples.Json(Library));
    }

    [Fact]
    public void Parent_operator_reaches_the_enclosing_object()
    {
        Expect.Json("""
            [
              { "Product": "Bowler Hat", "Order": "order103", "Account": "Firefly" },
              { "Product": "Trilby hat", "Order": "order103", "Account": "Firefly" },
              { "Product": "Bowler Hat", "Order": "order104", "Account": "Firefly" },
              { "Product": "Cloak", "Order": "order104", "Account": "Firefly" }
            ]
            """,
            "Account.Order.Product.{ 'Product': `Product Name`, 'Order': %.OrderID, 'Account': %.%.`Account Name` }",
            Samples.Account);
    }

    [Fact]
    public void Parent_operator_inside_a_predicate()
    {
        Expect.Json("""["Bowler Hat", "Cloak"]""", "Account.Order.Product[%.OrderID = 'order104'].`Product Name`", Samples.Account);
    }

    [Fact]
    public void Parent_at_top_level_is_a_syntax_error()
    {
        var error = Assert.Throws<FlowEngine.Scripting.Jsonata.JsonataException>(() => FlowEngine.Scripting.Jsonata.JsonataExpression.Compile("%.x"));
        Assert.Equal("S0217", error.Code);
    }

    [Fact]
    public void Focus_binding_keeps_the_context()
    {
        // After Order@$o the context is still Account, which has no Product field.
        Expect.Undefined("Account.Order@$o.Product", Samples.Account);
        Expect.Json("{}", "Account.Order@$o.Product{$o.OrderID: `Product Name`}", Samples.Account);
    }

    [Fact]
    public void Grouping_with_a_tuple_stream_keeps_bound_variables()
    {
        Expect.Json("""{"order103": ["Bowler Hat", "Trilby hat"], "order104": ["Bowler Hat", "Cloak"]}""",
            "Account.Order@$o.$o.Product{$o.OrderID: `Product Name`}", Samples.Account);
    }
}
