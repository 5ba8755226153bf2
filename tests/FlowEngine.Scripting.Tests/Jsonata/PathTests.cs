namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Path navigation, from docs.jsonata.org "Simple Queries", "Predicate Queries" and "Path Operators".</summary>
public class PathTests
{
    [Fact]
    public void Field_name_selects_the_value()
    {
        Expect.Value("Smith", "Surname", Samples.Address);
        Expect.Value(28d, "Age", Samples.Address);
    }

    [Fact]
    public void Dotted_path_walks_into_objects()
    {
        Expect.Value("Winchester", "Address.City", Samples.Address);
    }

    [Fact]
    public void Json_null_is_a_value_but_a_missing_field_is_undefined()
    {
        Assert.True(FlowEngine.Scripting.Jsonata.JsonataExpression.Compile("Other.Misc").TryEvaluate(Samples.Address, null, out var result));
        Assert.Null(result);
        Expect.Undefined("Other.Nothing", Samples.Address);
    }

    [Fact]
    public void Backquoted_names_allow_spaces_and_punctuation()
    {
        Expect.Value(true, "Other.`Over 18 ?`", Samples.Address);
        Expect.Value("London", "Other.`Alternative.Address`.City", Samples.Address);
    }

    [Fact]
    public void Array_index_selects_an_item_and_negative_counts_from_the_end()
    {
        Expect.Json("""{ "type": "home", "number": "0203 544 1234" }""", "Phone[0]", Samples.Address);
        Expect.Json("""{ "type": "office", "number": "01962 001234" }""", "Phone[1]", Samples.Address);
        Expect.Json("""{ "type": "mobile", "number": "077 7700 1234" }""", "Phone[-1]", Samples.Address);
        Expect.Json("""{ "type": "office", "number": "01962 001235" }""", "Phone[-2]", Samples.Address);
        Expect.Undefined("Phone[8]", Samples.Address);
        Expect.Value("0203 544 1234", "Phone[0].number", Samples.Address);
    }

    [Fact]
    public void Path_over_array_maps_and_flattens()
    {
        Expect.Json("""["0203 544 1234", "01962 001234", "01962 001235", "077 7700 1234"]""", "Phone.number", Samples.Address);
        Expect.Json("""["fred.smith@my-work.com", "fsmith@my-work.com", "freddy@my-social.com", "frederic.smith@very-serious.com"]""",
            "Email.address", Samples.Address);
    }

    [Fact]
    public void Index_binds_to_the_step_not_the_whole_path()
    {
        // [0] applies to each number (a single string), so all four come back.
        Expect.Json("""["0203 544 1234", "01962 001234", "01962 001235", "077 7700 1234"]""", "Phone.number[0]", Samples.Address);
        Expect.Value("0203 544 1234", "(Phone.number)[0]", Samples.Address);
    }

    [Fact]
    public void Range_predicate_selects_several_items()
    {
        Expect.Json("""[{ "type": "home", "number": "0203 544 1234" }, { "type": "office", "number": "01962 001234" }]""",
            "Phone[[0..1]]", Samples.Address);
    }

    [Fact]
    public void Boolean_predicate_filters()
    {
        Expect.Json("""{ "type": "mobile", "number": "077 7700 1234" }""", "Phone[type='mobile']", Samples.Address);
        Expect.Value("077 7700 1234", "Phone[type='mobile'].number", Samples.Address);
        Expect.Json("""["01962 001234", "01962 001235"]""", "Phone[type='office'].number", Samples.Address);
    }

    [Fact]
    public void Singleton_sequence_is_unwrapped_unless_kept_with_empty_brackets()
    {
        Expect.Value("077 7700 1234", "Phone[type='mobile'].number", Samples.Address);
        Expect.Json("""["077 7700 1234"]""", "Phone[type='mobile'].number[]", Samples.Address);
        Expect.Json("""[{ "type": "mobile", "number": "077 7700 1234" }]""", "Phone[type='mobile'][]", Samples.Address);
    }

    [Fact]
    public void Wildcard_selects_all_fields()
    {
        Expect.Json("""["Hursley Park", "Winchester", "SO21 2JN"]""", "Address.*", Samples.Address);
        Expect.Value("SO21 2JN", "*.Postcode", Samples.Address);
    }

    [Fact]
    public void Descendant_wildcard_searches_every_level()
    {
        Expect.Json("""["SO21 2JN", "E1 6RF"]""", "**.Postcode", Samples.Address);
    }

    [Fact]
    public void Top_level_array_input_is_mapped_and_dollar_is_the_array()
    {
        var input = Samples.Json("""[{ "a": 1 }, { "a": 2 }]""");
        Expect.Json("[1, 2]", "a", input);
        Expect.Json("""{ "a": 1 }""", "$[0]", input);
        Expect.Value(2d, "$count($)", input);
        Expect.Json("""[{ "a": 1 }, { "a": 2 }]""", "$$", input);
    }

    [Fact]
    public void Nested_arrays_are_flattened_one_level_per_step()
    {
        var input = Samples.Json("""{ "nest0": [ { "nest1": [ { "nest2": [1, 2] }, { "nest2": [3] } ] }, { "nest1": [ { "nest2": [4] } ] } ] }""");
        Expect.Json("[1, 2, 3, 4]", "nest0.nest1.nest2", input);
    }

    [Fact]
    public void Last_step_returning_an_array_keeps_it_whole()
    {
        var input = Samples.Json("""{ "a": { "b": [[1, 2], [3]] } }""");
        Expect.Json("[[1, 2], [3]]", "a.b", input);
        Expect.Json("[1, 2]", "a.b[0]", input);
    }

    [Fact]
    public void Array_constructor_as_last_step_is_not_flattened()
    {
        Expect.Json("""[["fred.smith@my-work.com", "fsmith@my-work.com"], ["freddy@my-social.com", "frederic.smith@very-serious.com"]]""",
            "Email.[address]", Samples.Address);
        Expect.Json("""[["home", "0203 544 1234"], ["office", "01962 001234"], ["office", "01962 001235"], ["mobile", "077 7700 1234"]]""",
            "Phone.[type, number]", Samples.Address);
    }

    [Fact]
    public void Array_constructor_as_first_step_iterates_its_items()
    {
        Expect.Json("""["Winchester", "London"]""", "[Address, Other.`Alternative.Address`].City", Samples.Address);
    }

    [Fact]
    public void Parenthesised_expression_can_be_a_step()
    {
        Expect.Value("Hursley Park, Winchester", "Address.(Street & ', ' & City)", Samples.Address);
    }

    [Fact]
    public void Quoted_string_in_a_path_is_a_field_name()
    {
        Expect.Value("Firefly", "Account.\"Account Name\"", Samples.Account);
    }

    [Fact]
    public void Context_dollar_refers_to_the_current_item()
    {
        Expect.Json("[34.45, 21.67, 34.45, 107.99]", "Account.Order.Product.Price.$", Samples.Account);
        Expect.Json("""["Bowler Hat", "Trilby hat", "Bowler Hat", "Cloak"]""", "Account.Order.Product.$.`Product Name`", Samples.Account);
    }

    [Fact]
    public void Root_dollar_dollar_reaches_the_document_from_inside_a_path()
    {
        Expect.Json("""["Firefly", "Firefly"]""", "Account.Order.$$.Account.`Account Name`", Samples.Account);
    }

    [Fact]
    public void Predicate_on_nested_field_filters_objects()
    {
        Expect.Json("""["Bowler Hat", "Bowler Hat"]""", "Account.Order.Product[Description.Colour = 'Purple'].`Product Name`", Samples.Account);
    }
}
