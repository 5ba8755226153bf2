namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Array and object construction and grouping, from docs.jsonata.org "Constructing Output" and "Sorting, Grouping and Aggregation".</summary>
public class ConstructionTests
{
    [Fact]
    public void Array_constructor_collects_and_flattens_values()
    {
        Expect.Json("""["0203 544 1234", "01962 001234", "01962 001235", "077 7700 1234"]""", "[Phone.number]", Samples.Address);
        Expect.Json("""["fred.smith@my-work.com", "fsmith@my-work.com", "freddy@my-social.com", "frederic.smith@very-serious.com"]""",
            "[Email.address]", Samples.Address);
    }

    [Fact]
    public void Nested_array_constructors_stay_nested()
    {
        Expect.Json("[[1, 2], [3]]", "[[1, 2], [3]]");
        Expect.Json("[1, [2, 3]]", "[1, [2, 3]]");
        Expect.Json("[]", "[]");
        Expect.Json("[1, 3]", "[1, nothing, 3]", Samples.Address);
    }

    [Fact]
    public void Object_constructor_builds_an_object_per_item()
    {
        Expect.Json("""[{"home": "0203 544 1234"}, {"office": "01962 001234"}, {"office": "01962 001235"}, {"mobile": "077 7700 1234"}]""",
            "Phone.{type: number}", Samples.Address);
    }

    [Fact]
    public void Object_constructor_after_a_path_groups_by_key()
    {
        Expect.Json("""{"home": "0203 544 1234", "office": ["01962 001234", "01962 001235"], "mobile": "077 7700 1234"}""",
            "Phone{type: number}", Samples.Address);
        Expect.Json("""{"home": ["0203 544 1234"], "office": ["01962 001234", "01962 001235"], "mobile": ["077 7700 1234"]}""",
            "Phone{type: number[]}", Samples.Address);
    }

    [Fact]
    public void Grouping_evaluates_values_over_each_group()
    {
        Expect.Json("""{"Bowler Hat": [34.45, 34.45], "Trilby hat": 21.67, "Cloak": 107.99}""",
            "Account.Order.Product{`Product Name`: Price}", Samples.Account);
        Expect.Json("""{"Bowler Hat": {"Price": [34.45, 34.45], "Qty": [2, 4]}, "Trilby hat": {"Price": 21.67, "Qty": 1}, "Cloak": {"Price": 107.99, "Qty": 1}}""",
            "Account.Order.Product{`Product Name`: {'Price': Price, 'Qty': Quantity}}", Samples.Account);
        Expect.Json("""{"Bowler Hat": 206.7, "Trilby hat": 21.67, "Cloak": 107.99}""",
            "Account.Order.Product{`Product Name`: $round($sum($.(Price * Quantity)), 2)}", Samples.Account);
    }

    [Fact]
    public void Aggregation_over_a_computed_path()
    {
        Expect.Value(336.36, "$sum(Account.Order.Product.(Price * Quantity))", Samples.Account);
        Expect.Json("""["order103: 90.57", "order104: 245.79"]""",
            "Account.Order.(OrderID & ': ' & $sum(Product.(Price*Quantity)))", Samples.Account);
    }

    [Fact]
    public void Literal_object_with_expressions()
    {
        Expect.Json("""{"name": "Fred Smith", "mobile": "077 7700 1234", "age": 28, "tags": ["a", "b"]}""",
            "{'name': FirstName & ' ' & Surname, 'mobile': Phone[type='mobile'].number, 'age': Age, 'tags': ['a', 'b'], 'none': nothing}",
            Samples.Address);
    }

    [Fact]
    public void Object_keys_must_be_strings()
    {
        Expect.Error("T1003", "{1: 'a'}");
    }

    [Fact]
    public void Duplicate_keys_from_different_pairs_are_an_error()
    {
        Expect.Error("D1009", "Phone{type: number, 'home': 1}", Samples.Address);
    }

    [Fact]
    public void Empty_object_constructor_and_undefined_values()
    {
        Expect.Json("{}", "{}");
        Expect.Json("{}", "{'a': nothing}", Samples.Address);
    }
}
