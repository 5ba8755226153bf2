using FlowEngine.Core.Values;
using FlowEngine.Scripting.Jsonata;

namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>The transform operator <c>|pattern|update, delete|</c>, from docs.jsonata.org "Other Operators".</summary>
public class TransformTests
{
    [Fact]
    public void Transform_updates_matching_objects_in_a_copy()
    {
        var input = Samples.Account;
        Expect.Json("[68.9, 43.34, 68.9, 215.98]", "($ ~> |Account.Order.Product|{'Price': Price * 2}|).Account.Order.Product.Price", input);
        // The input itself is untouched.
        Expect.Json("[34.45, 21.67, 34.45, 107.99]", "Account.Order.Product.Price", input);
    }

    [Fact]
    public void Transform_deletes_fields()
    {
        Expect.Json("""["Product Name", "ProductID", "Price", "Quantity"]""",
            "$keys(($ ~> |Account.Order.Product|{}, ['SKU', 'Description']|).Account.Order.Product[0])", Samples.Account);
        Expect.Json("""{"b": 2}""", "{'a': 1, 'b': 2} ~> |$|{}, 'a'|");
    }

    [Fact]
    public void Transform_adds_fields_at_the_root()
    {
        Expect.Json("""{"payload": 1, "topic": "t"}""", "$ ~> |$|{'topic': 't'}|", Samples.Json("""{"payload": 1}"""));
    }

    [Fact]
    public void Transform_is_a_function_value()
    {
        Expect.Json("""[{"a": 1, "done": true}, {"a": 2, "done": true}]""",
            "($mark := |$|{'done': true}|; [{'a': 1}, {'a': 2}].$mark($))");
    }

    [Fact]
    public void Transform_update_must_be_an_object()
    {
        Expect.Error("T2011", "{'a': 1} ~> |$|5|");
    }

    [Fact]
    public void Transform_does_not_change_the_caller_input()
    {
        var input = (JsObject)Samples.Json("""{"a": {"b": 1}}""")!;
        JsonataExpression.Compile("$ ~> |a|{'b': 2}|").Evaluate(input);
        Assert.Equal(1d, ((JsObject)input["a"]!)["b"]);
    }
}
