using FlowEngine.Core.Values;
using FlowEngine.Scripting.Jsonata;

namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>The sample documents of the JSONata documentation, and assertion helpers.</summary>
internal static class Samples
{
    /// <summary>The "Address" document used throughout docs.jsonata.org (simple queries, predicates, wildcards).</summary>
    public const string AddressJson = """
        {
          "FirstName": "Fred",
          "Surname": "Smith",
          "Age": 28,
          "Address": {
            "Street": "Hursley Park",
            "City": "Winchester",
            "Postcode": "SO21 2JN"
          },
          "Phone": [
            { "type": "home", "number": "0203 544 1234" },
            { "type": "office", "number": "01962 001234" },
            { "type": "office", "number": "01962 001235" },
            { "type": "mobile", "number": "077 7700 1234" }
          ],
          "Email": [
            { "type": "work", "address": ["fred.smith@my-work.com", "fsmith@my-work.com"] },
            { "type": "home", "address": ["freddy@my-social.com", "frederic.smith@very-serious.com"] }
          ],
          "Other": {
            "Over 18 ?": true,
            "Misc": null,
            "Alternative.Address": {
              "Street": "Brick Lane",
              "City": "London",
              "Postcode": "E1 6RF"
            }
          }
        }
        """;

    /// <summary>The "Account" (invoice) document used in the documentation's expressions and grouping pages.</summary>
    public const string AccountJson = """
        {
          "Account": {
            "Account Name": "Firefly",
            "Order": [
              {
                "OrderID": "order103",
                "Product": [
                  {
                    "Product Name": "Bowler Hat",
                    "ProductID": 858383,
                    "SKU": "0406654608",
                    "Description": { "Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75 },
                    "Price": 34.45,
                    "Quantity": 2
                  },
                  {
                    "Product Name": "Trilby hat",
                    "ProductID": 858236,
                    "SKU": "0406634348",
                    "Description": { "Colour": "Orange", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.6 },
                    "Price": 21.67,
                    "Quantity": 1
                  }
                ]
              },
              {
                "OrderID": "order104",
                "Product": [
                  {
                    "Product Name": "Bowler Hat",
                    "ProductID": 858383,
                    "SKU": "040657863",
                    "Description": { "Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75 },
                    "Price": 34.45,
                    "Quantity": 4
                  },
                  {
                    "ProductID": 345664,
                    "SKU": "0406654603",
                    "Product Name": "Cloak",
                    "Description": { "Colour": "Black", "Width": 30, "Height": 20, "Depth": 210, "Weight": 2 },
                    "Price": 107.99,
                    "Quantity": 1
                  }
                ]
              }
            ]
          }
        }
        """;

    public static object? Address => JsJson.Parse(AddressJson);

    public static object? Account => JsJson.Parse(AccountJson);

    public static object? Json(string text) => JsJson.Parse(text);
}

internal static class Expect
{
    /// <summary>Evaluates and compares with the expected JSON (compared as JSON text so failures show both sides).</summary>
    public static void Json(string expectedJson, string expression, object? input = null, JsonataBindings? bindings = null)
    {
        var compiled = JsonataExpression.Compile(expression);
        Assert.True(compiled.TryEvaluate(input, bindings, out var result), $"{expression} gave undefined, expected {expectedJson}");
        Assert.Equal(JsJson.Serialize(JsJson.Parse(expectedJson)), JsJson.Serialize(result));
    }

    public static void Value(object? expected, string expression, object? input = null, JsonataBindings? bindings = null)
    {
        var compiled = JsonataExpression.Compile(expression);
        Assert.True(compiled.TryEvaluate(input, bindings, out var result), $"{expression} gave undefined, expected {expected}");
        Assert.Equal(expected, result);
    }

    public static void Undefined(string expression, object? input = null, JsonataBindings? bindings = null)
    {
        var compiled = JsonataExpression.Compile(expression);
        Assert.False(compiled.TryEvaluate(input, bindings, out var result), $"{expression} gave {JsJson.Serialize(result)}, expected undefined");
    }

    public static JsonataException Error(string code, string expression, object? input = null, JsonataBindings? bindings = null)
    {
        var error = Assert.Throws<JsonataException>(() => JsonataExpression.Compile(expression).Evaluate(input, bindings));
        Assert.Equal(code, error.Code);
        return error;
    }
}
