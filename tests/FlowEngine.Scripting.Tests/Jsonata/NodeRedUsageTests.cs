using System.Collections.Concurrent;
using System.Diagnostics;
using FlowEngine.Core.Values;
using FlowEngine.Scripting.Jsonata;

namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>How Node-RED flows use JSONata: expressions over msg, context functions bound by the runtime, limits.</summary>
public class NodeRedUsageTests
{
    private static JsObject Message(string json) => (JsObject)JsJson.Parse(json)!;

    [Fact]
    public void Payload_arithmetic()
    {
        Expect.Value(42d, "payload * 2", Message("""{"payload": 21, "topic": "t"}"""));
    }

    [Fact]
    public void Sum_over_payload_items()
    {
        Expect.Value(4d, "$sum(payload.items.price)", Message("""{"payload": {"items": [{"price": 1.5}, {"price": 2.5}]}}"""));
    }

    [Fact]
    public void Threshold_condition()
    {
        Expect.Value("hot", "payload.temperature > 30 ? \"hot\" : \"ok\"", Message("""{"payload": {"temperature": 31.5}}"""));
        Expect.Value("ok", "payload.temperature > 30 ? \"hot\" : \"ok\"", Message("""{"payload": {"temperature": 20}}"""));
    }

    [Fact]
    public void Builds_a_new_payload_object()
    {
        Expect.Json("""{"device": "pump-1", "value": 123.5, "alarm": false}""",
            """{"device": topic, "value": payload.raw / 10, "alarm": payload.raw > 2000}""",
            Message("""{"topic": "pump-1", "payload": {"raw": 1235}}"""));
    }

    [Fact]
    public void Formats_numbers_for_display()
    {
        Expect.Value("1,234.50 °C", "$formatNumber(payload, '#,##0.00') & ' °C'", Message("""{"payload": 1234.5}"""));
    }

    [Fact]
    public void Flow_context_function_from_bindings()
    {
        var store = new Dictionary<string, object?> { ["x"] = 5d, ["name"] = "line 1" };
        var bindings = new JsonataBindings()
            .SetFunction("flowContext", args => store.TryGetValue((string)args[0]!, out var value) ? value : JsonataFunction.Undefined, "<s-s?:x>")
            .SetFunction("globalContext", args => args.Count > 1 && args[1] as string == "file" ? "from file" : JsonataFunction.Undefined, "<s-s?:x>")
            .SetFunction("env", args => args[0] as string == "SITE" ? "plant-a" : JsonataFunction.Undefined, "<s-:s>");
        var msg = Message("""{"payload": 2}""");
        Expect.Value(10d, "$flowContext('x') * payload", msg, bindings);
        Expect.Value(false, "$exists($flowContext('missing'))", msg, bindings);
        Expect.Value("from file", "$globalContext('key', 'file')", msg, bindings);
        Expect.Value("plant-a/line 1", "$env('SITE') & '/' & $flowContext('name')", msg, bindings);
    }

    [Fact]
    public void Host_functions_get_null_for_undefined_and_values_are_normalised()
    {
        IReadOnlyList<object?>? seen = null;
        var bindings = new JsonataBindings().SetFunction("probe", args =>
        {
            seen = args;
            return new[] { 1, 2, 3 };
        });
        Expect.Json("[1, 2, 3]", "$probe(nothing, 'a')", Message("{}"), bindings);
        Assert.NotNull(seen);
        Assert.Null(seen![0]);
        Assert.Equal("a", seen[1]);
    }

    [Fact]
    public void Host_function_as_higher_order_callback()
    {
        var bindings = new JsonataBindings().SetFunction("double", args => (double)args[0]! * 2, "<n:n>");
        Expect.Json("[2, 4, 6]", "$map([1, 2, 3], $double)", null, bindings);
    }

    [Fact]
    public void Reduce_variables_and_child_bindings()
    {
        var node = new JsonataBindings().SetFunction("clone", args => JsValue.DeepClone(args[0]), "<x:x>");
        var perMessage = new JsonataBindings(node).Set("A", 10d).Set("$I", 2d).Set("N", 3d);
        Expect.Value(15d, "$A + payload", Message("""{"payload": 5}"""), perMessage);
        Expect.Value("3 of 3", "$string($I + 1) & ' of ' & $N", null, perMessage);
        Expect.Json("""{"a": [1]}""", "$clone({'a': [1]})", null, perMessage);
        Assert.True(perMessage.Contains("clone"));
        Assert.False(node.Contains("A"));
    }

    [Fact]
    public void Legacy_msg_reference_is_left_to_the_caller()
    {
        // Node-RED evaluates against {msg: msg} when the expression mentions msg; here the caller does that wrapping.
        var msg = Message("""{"payload": 3}""");
        Expect.Value(6d, "msg.payload * 2", new JsObject { ["msg"] = msg });
    }

    [Fact]
    public void Undefined_result_is_reported_as_false_and_null()
    {
        var expression = JsonataExpression.Compile("payload.missing");
        Assert.False(expression.TryEvaluate(Message("""{"payload": {}}"""), null, out var result));
        Assert.Null(result);
        Assert.Null(expression.Evaluate(Message("""{"payload": {}}""")));
    }

    [Fact]
    public void Results_are_plain_lists()
    {
        var result = JsonataExpression.Compile("payload.v").Evaluate(Message("""{"payload": [{"v": 1}, {"v": 2}]}"""));
        Assert.IsType<List<object?>>(result);
        var nested = (JsObject)JsonataExpression.Compile("{'values': payload.v, 'pairs': payload.[v, v], 'kept': payload[0].v[]}")
            .Evaluate(Message("""{"payload": [{"v": 1}, {"v": 2}]}"""))!;
        Assert.IsType<List<object?>>(nested["values"]);
        var pairs = Assert.IsType<List<object?>>(nested["pairs"]);
        Assert.IsType<List<object?>>(pairs[0]);
        Assert.IsType<List<object?>>(nested["kept"]);
        Assert.Equal("""{"values":[1,2],"pairs":[[1,1],[2,2]],"kept":[1]}""", JsJson.Serialize(nested));
    }

    [Fact]
    public void Time_limit_stops_an_endless_loop()
    {
        var bindings = new JsonataBindings { TimeLimit = TimeSpan.FromMilliseconds(100) };
        var watch = Stopwatch.StartNew();
        Expect.Error("U1001", "($loop := function($x){ $loop($x + 1) }; $loop(0))", null, bindings);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Depth_limit_stops_deep_recursion()
    {
        var bindings = new JsonataBindings { MaxDepth = 20 };
        const string Sum = "($sum1 := function($n){ $n = 0 ? 0 : $n + $sum1($n - 1) }; $sum1(N))";
        Expect.Value(55d, Sum.Replace("N", "10", StringComparison.Ordinal), null, bindings);
        Expect.Error("U1001", Sum.Replace("N", "50", StringComparison.Ordinal), null, bindings);
    }

    [Fact]
    public void Stack_probe_stops_recursion_before_a_small_thread_stack_overflows()
    {
        // A stack overflow would end the process, so even a depth limit set too high must end in U1001.
        var bindings = new JsonataBindings { MaxDepth = 1_000_000 };
        var expression = JsonataExpression.Compile("($sum1 := function($n){ $n = 0 ? 0 : $n + $sum1($n - 1) }; $sum1(1000000))");
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                expression.Evaluate(null, bindings);
            }
            catch (JsonataException ex)
            {
                caught = ex;
            }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Equal("U1001", Assert.IsType<JsonataException>(caught).Code);
    }

    [Fact]
    public void Default_limits_allow_moderate_recursion()
    {
        Expect.Value(125250d, "($sum1 := function($n){ $n = 0 ? 0 : $n + $sum1($n - 1) }; $sum1(500))");
    }

    [Fact]
    public void Cancellation_is_honoured()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var expression = JsonataExpression.Compile("($loop := function($x){ $loop($x + 1) }; $loop(0))");
        Assert.ThrowsAny<OperationCanceledException>(() => expression.Evaluate(null, null, cancellation.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => JsonataExpression.Compile("payload").Evaluate(Message("{}"), null, cancellation.Token));
    }

    [Fact]
    public void One_compiled_expression_is_safe_to_evaluate_from_many_threads()
    {
        var expression = JsonataExpression.Compile(
            "($total := $sum(payload.items.(price * qty)); {'id': payload.id, 'total': $total, 'names': payload.items^(>price).name, 'first': payload.items[0].name})");
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var msg = Message($$$"""{"payload": {"id": {{{i}}}, "items": [{"name": "a", "price": {{{i}}}, "qty": 2}, {"name": "b", "price": 1, "qty": 3}]}}""");
            var result = (JsObject)expression.Evaluate(msg)!;
            var expectedNames = i >= 1 ? "[\"a\",\"b\"]" : "[\"b\",\"a\"]";
            if (!Equals(result["id"], (double)i) || !Equals(result["total"], i * 2d + 3) ||
                JsJson.Serialize(result["names"]) != expectedNames || !Equals(result["first"], "a"))
            {
                failures.Add($"{i}: {JsJson.Serialize(result)}");
            }
        });
        Assert.Empty(failures);
    }
}
