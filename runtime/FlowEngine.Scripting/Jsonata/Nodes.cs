using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

internal sealed class LiteralNode(object? value, int position) : Node(position)
{
    public object? Value { get; } = value;

    protected override object? EvaluateCore(object? input, Frame environment) => Value;
}

/// <summary>A field name step: looks the name up in the context object, or in each object of a context array.</summary>
internal sealed class NameNode(string name, int position) : Node(position)
{
    public string Name { get; } = name;

    protected override object? EvaluateCore(object? input, Frame environment) => Lookup(input, Name);

    public static object? Lookup(object? input, string key)
    {
        if (input is JsObject obj)
        {
            return obj.TryGetValue(key, out var value) ? value : Undefined.Value;
        }
        if (input is List<object?> list)
        {
            var result = JsonataList.NewSequence();
            foreach (var item in list)
            {
                var value = Lookup(item, key);
                if (value is Undefined)
                {
                    continue;
                }
                if (value is List<object?> values)
                {
                    result.AddRange(values);
                }
                else
                {
                    result.Add(value);
                }
            }
            return result;
        }
        return Undefined.Value;
    }
}

/// <summary><c>*</c>: the values of all fields of the context object, arrays flattened.</summary>
internal sealed class WildcardNode(int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        if (input is JsonataList { IsOuterWrapper: true, Count: > 0 } wrapper)
        {
            input = wrapper[0];
        }
        var results = JsonataList.NewSequence();
        switch (input)
        {
            case JsObject obj:
                foreach (var (_, value) in obj)
                {
                    AddValue(results, value);
                }
                break;
            case List<object?> list:
                // An array's "fields" are its elements (JavaScript's Object.keys on an array).
                foreach (var value in list)
                {
                    AddValue(results, value);
                }
                break;
        }
        return results;
    }

    private static void AddValue(JsonataList results, object? value)
    {
        if (value is List<object?> nested)
        {
            // Appending an array turns JSONata's result into a plain array, which is then no longer unwrapped as a sequence.
            results.IsSequence = false;
            Flatten(nested, results);
        }
        else
        {
            results.Add(value);
        }
    }

    private static void Flatten(List<object?> list, JsonataList results)
    {
        foreach (var item in list)
        {
            if (item is List<object?> nested)
            {
                Flatten(nested, results);
            }
            else
            {
                results.Add(item);
            }
        }
    }
}

/// <summary><c>**</c>: the context and all its descendants, depth first.</summary>
internal sealed class DescendantNode(int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        if (input is Undefined)
        {
            return Undefined.Value;
        }
        var results = JsonataList.NewSequence();
        Recurse(input, results, environment.Evaluation);
        return results.Count == 1 ? results[0] : results;
    }

    private static void Recurse(object? input, JsonataList results, Evaluation evaluation)
    {
        evaluation.Tick();
        if (input is List<object?> list)
        {
            foreach (var item in list)
            {
                Recurse(item, results, evaluation);
            }
            return;
        }
        results.Add(input);
        if (input is JsObject obj)
        {
            foreach (var (_, value) in obj)
            {
                Recurse(value, results, evaluation);
            }
        }
    }
}

/// <summary><c>%</c>: the parent of the current context, carried in the path's tuple stream under a hidden label.</summary>
internal sealed class ParentNode(AncestorSlot slot, int position) : Node(position)
{
    public AncestorSlot Slot { get; } = slot;

    protected override object? EvaluateCore(object? input, Frame environment) => environment.Lookup(Slot.Label);
}

internal sealed class VariableNode(string name, int position) : Node(position)
{
    public string Name { get; } = name;

    protected override object? EvaluateCore(object? input, Frame environment)
    {
        if (Name.Length == 0)
        {
            return input is JsonataList { IsOuterWrapper: true } wrapper ? wrapper[0] : input;
        }
        return environment.Lookup(Name);
    }
}

internal sealed class RegexNode(RegexFunction regex, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment) => regex;
}

internal sealed class NegateNode(Node operand, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var value = operand.Evaluate(input, environment);
        if (value is Undefined)
        {
            return value;
        }
        if (Values.IsNumeric(value))
        {
            return -(double)value!;
        }
        throw Errors.Create("D1002", Position, "-", value);
    }
}

internal sealed class ArithmeticNode(char op, Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        var rhs = right.Evaluate(input, environment);
        if (lhs is not Undefined && !Values.IsNumeric(lhs))
        {
            throw Errors.Create("T2001", Position, op.ToString(), lhs);
        }
        if (rhs is not Undefined && !Values.IsNumeric(rhs))
        {
            throw Errors.Create("T2002", Position, op.ToString(), rhs);
        }
        if (lhs is Undefined || rhs is Undefined)
        {
            return Undefined.Value;
        }
        var a = (double)lhs!;
        var b = (double)rhs!;
        return op switch
        {
            '+' => a + b,
            '-' => a - b,
            '*' => a * b,
            '/' => a / b,
            // C#'s % on doubles is JavaScript's: truncated division, sign of the dividend.
            _ => a % b,
        };
    }
}

internal sealed class EqualityNode(bool notEqual, Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        var rhs = right.Evaluate(input, environment);
        if (lhs is Undefined || rhs is Undefined)
        {
            return Values.False;
        }
        return Values.Box(Values.DeepEquals(lhs, rhs) != notEqual);
    }
}

internal sealed class ComparisonNode(string op, Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        var rhs = right.Evaluate(input, environment);
        var leftComparable = lhs is Undefined or string or double;
        var rightComparable = rhs is Undefined or string or double;
        if (!leftComparable || !rightComparable)
        {
            throw Errors.Create("T2010", Position, op, lhs is string or double ? rhs : lhs);
        }
        if (lhs is Undefined || rhs is Undefined)
        {
            return Undefined.Value;
        }
        int comparison;
        if (lhs is double a && rhs is double b)
        {
            if (double.IsNaN(a) || double.IsNaN(b))
            {
                return Values.False;
            }
            comparison = a.CompareTo(b);
        }
        else if (lhs is string sa && rhs is string sb)
        {
            comparison = string.CompareOrdinal(sa, sb);
        }
        else
        {
            throw Errors.Create("T2009", Position, op, lhs, rhs);
        }
        return Values.Box(op switch
        {
            "<" => comparison < 0,
            "<=" => comparison <= 0,
            ">" => comparison > 0,
            _ => comparison >= 0,
        });
    }
}

internal sealed class AndNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment) =>
        Values.Box(Values.Truthy(left.Evaluate(input, environment)) && Values.Truthy(right.Evaluate(input, environment)));
}

internal sealed class OrNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment) =>
        Values.Box(Values.Truthy(left.Evaluate(input, environment)) || Values.Truthy(right.Evaluate(input, environment)));
}

internal sealed class ConcatNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        var rhs = right.Evaluate(input, environment);
        var a = lhs is Undefined ? "" : Library.ToJsonataString(lhs, false);
        var b = rhs is Undefined ? "" : Library.ToJsonataString(rhs, false);
        return string.Concat(a, b);
    }
}

internal sealed class InNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        var rhs = right.Evaluate(input, environment);
        if (lhs is Undefined || rhs is Undefined)
        {
            return Values.False;
        }
        if (rhs is List<object?> list)
        {
            foreach (var item in list)
            {
                if (Values.StrictEquals(item, lhs))
                {
                    return Values.True;
                }
            }
            return Values.False;
        }
        return Values.Box(Values.StrictEquals(rhs, lhs));
    }
}

internal sealed class RangeNode(Node left, Node right, int position) : Node(position)
{
    // JSONata's own cap: a range is materialised, so an accidental [1..1e12] must fail rather than exhaust memory.
    private const double MaxSize = 1e7;

    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        var rhs = right.Evaluate(input, environment);
        if (lhs is not Undefined && !Values.IsInteger(lhs))
        {
            throw Errors.Create("T2003", Position, "..", lhs);
        }
        if (rhs is not Undefined && !Values.IsInteger(rhs))
        {
            throw Errors.Create("T2004", Position, "..", rhs);
        }
        if (lhs is Undefined || rhs is Undefined)
        {
            return Undefined.Value;
        }
        var from = (double)lhs!;
        var to = (double)rhs!;
        if (from > to)
        {
            return Undefined.Value;
        }
        var size = to - from + 1;
        if (size > MaxSize)
        {
            throw Errors.Create("D2014", Position, "..", size);
        }
        var count = (int)size;
        var result = JsonataList.NewSequence(count);
        for (var i = 0; i < count; i++)
        {
            result.Add(from + i);
        }
        environment.Evaluation.CheckLimits();
        return result;
    }
}

/// <summary><c>a ?: b</c>: a when its boolean value is true, otherwise b.</summary>
internal sealed class ElvisNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var value = left.Evaluate(input, environment);
        return Values.Truthy(value) ? value : right.Evaluate(input, environment);
    }
}

/// <summary><c>a ?? b</c>: a when it exists (is not undefined; null counts as existing), otherwise b.</summary>
internal sealed class CoalesceNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var value = left.Evaluate(input, environment);
        return value is not Undefined ? value : right.Evaluate(input, environment);
    }
}

internal sealed class ConditionNode(Node condition, Node then, Node? otherwise, int position) : Node(position)
{
    public Node Then { get; set; } = then;

    public Node? Otherwise { get; set; } = otherwise;

    protected override object? EvaluateCore(object? input, Frame environment)
    {
        if (Values.Truthy(condition.Evaluate(input, environment)))
        {
            return Then.Evaluate(input, environment);
        }
        return Otherwise is null ? Undefined.Value : Otherwise.Evaluate(input, environment);
    }
}

internal sealed class BlockNode(Node[] expressions, int position) : Node(position)
{
    public Node[] Expressions { get; } = expressions;

    /// <summary>Whether a := inside binds in this block's own scope; blocks without one share the enclosing frame.</summary>
    public bool NeedsFrame { get; set; }

    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var frame = NeedsFrame ? new Frame(environment) : environment;
        object? result = Undefined.Value;
        foreach (var expression in Expressions)
        {
            result = expression.Evaluate(input, frame);
        }
        return result;
    }
}

internal sealed class BindNode(string name, Node value, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var result = value.Evaluate(input, environment);
        environment.Bind(name, result);
        return result;
    }
}

internal sealed class ArrayConstructorNode(Node[] items, int position) : Node(position)
{
    public Node[] Items { get; } = items;

    protected override object? EvaluateCore(object? input, Frame environment)
    {
        List<object?> result = ConsArray ? new JsonataList(Items.Length) { IsConstructed = true } : new List<object?>(Items.Length);
        foreach (var item in Items)
        {
            var value = item.Evaluate(input, environment);
            if (value is Undefined)
            {
                continue;
            }
            // A nested array constructor stays nested; any other array value is spliced in (JSONata's append).
            if (item is ArrayConstructorNode || value is not List<object?> values)
            {
                result.Add(Values.Materialize(value));
            }
            else
            {
                result.EnsureCapacity(result.Count + values.Count);
                foreach (var element in values)
                {
                    result.Add(Values.Materialize(element));
                }
            }
        }
        return result;
    }
}

internal sealed class ObjectConstructorNode(GroupSpec spec, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment) => Grouping.Evaluate(spec, input, environment);
}

internal sealed class LambdaNode(string[] parameters, Signature? signature, Node body, int position) : Node(position)
{
    public string[] Parameters { get; } = parameters;

    public Signature? Signature { get; } = signature;

    public Node Body { get; } = body;

    protected override object? EvaluateCore(object? input, Frame environment) => new LambdaFunction(this, input, environment);
}

internal sealed class FunctionCallNode(Node procedure, Node[] arguments, int position) : Node(position)
{
    /// <summary>In tail position of a lambda body: return a <see cref="TailCall"/> for the trampoline instead of recursing.</summary>
    public bool IsTailCall { get; set; }

    protected override object? EvaluateCore(object? input, Frame environment) => Call(input, environment, Undefined.Value, false);

    /// <summary>Calls the function, with <paramref name="applyTo"/> as first argument for <c>value ~> $f(...)</c>.</summary>
    public object? Call(object? input, Frame environment, object? applyTo, bool hasApplyTo)
    {
        var function = ResolveFunction(procedure, input, environment, "T1005", "T1006", Position);
        var offset = hasApplyTo ? 1 : 0;
        var args = new object?[arguments.Length + offset];
        if (hasApplyTo)
        {
            args[0] = applyTo;
        }
        for (var i = 0; i < arguments.Length; i++)
        {
            args[i + offset] = arguments[i].Evaluate(input, environment);
        }
        if (IsTailCall)
        {
            return new TailCall(function, args, input);
        }
        try
        {
            return Invoker.Apply(function, args, input, environment);
        }
        catch (JsonataException ex) when (ex.Position < 0)
        {
            ex.Position = Position;
            ex.Token ??= function.Name;
            throw;
        }
    }

    public static FunctionValue ResolveFunction(Node procedure, object? input, Frame environment, string forgotDollarCode, string notFunctionCode, int position)
    {
        var value = procedure.Evaluate(input, environment);
        if (value is FunctionValue function)
        {
            return function;
        }
        var name = ProcedureName(procedure);
        if (value is Undefined && procedure is PathNode { Steps: [NameNode step, ..] } && environment.Lookup(step.Name) is not Undefined)
        {
            // The user wrote sum(x) for $sum(x).
            throw Errors.Create(forgotDollarCode, position, step.Name);
        }
        var description = value is Undefined ? $"{name} is not defined" : $"{name} is {Describe(value)}, not a function";
        throw Errors.Create(notFunctionCode, position, description);
    }

    private static string ProcedureName(Node procedure) => procedure switch
    {
        VariableNode variable => "$" + variable.Name,
        PathNode { Steps: [NameNode name] } => name.Name,
        _ => "the expression",
    };

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string => "a string",
        double => "a number",
        bool => "a boolean",
        List<object?> => "an array",
        _ => "an object",
    };
}

internal sealed class PartialNode(Node procedure, Node?[] arguments, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var bound = new object?[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            bound[i] = arguments[i] is { } argument ? argument.Evaluate(input, environment) : Placeholder.Value;
        }
        var function = FunctionCallNode.ResolveFunction(procedure, input, environment, "T1007", "T1008", Position);
        return new PartialFunction(function, bound);
    }
}

/// <summary><c>value ~> $f(args)</c> calls $f(value, args); <c>$f ~> $g</c> composes.</summary>
internal sealed class ApplyNode(Node left, Node right, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment)
    {
        var lhs = left.Evaluate(input, environment);
        if (right is FunctionCallNode call)
        {
            return call.Call(input, environment, lhs, true);
        }
        var function = right.Evaluate(input, environment) as FunctionValue ?? throw Errors.Create("T2006", Position, "~>");
        if (lhs is FunctionValue first)
        {
            return new ChainFunction(first, function);
        }
        return Invoker.Apply(function, [lhs], input, environment);
    }
}

/// <summary><c>|pattern|update, delete|</c>: evaluates to a function that returns a changed deep copy of its argument.</summary>
internal sealed class TransformNode(Node pattern, Node update, Node? delete, int position) : Node(position)
{
    protected override object? EvaluateCore(object? input, Frame environment) => new TransformFunction(this, environment);

    public object? Transform(object? value, Frame environment)
    {
        if (value is Undefined)
        {
            return Undefined.Value;
        }
        var clone = environment.Lookup("clone");
        object? result;
        if (clone is BuiltinFunction or Undefined)
        {
            result = JsValue.DeepClone(value);
        }
        else if (clone is FunctionValue cloneFunction)
        {
            result = Invoker.Apply(cloneFunction, [value], Undefined.Value, environment);
        }
        else
        {
            throw Errors.Create("T2013", Position);
        }
        var matches = pattern.Evaluate(result, environment);
        if (matches is Undefined)
        {
            return result;
        }
        var list = matches as List<object?> ?? [matches];
        foreach (var match in list)
        {
            var changes = update.Evaluate(match, environment);
            if (changes is not Undefined)
            {
                if (changes is not JsObject changeObject)
                {
                    throw Errors.Create("T2011", update.Position, value: changes);
                }
                if (match is JsObject target)
                {
                    foreach (var (key, changed) in changeObject)
                    {
                        target[key] = changed;
                    }
                }
            }
            if (delete is null)
            {
                continue;
            }
            var deletions = delete.Evaluate(match, environment);
            if (deletions is Undefined)
            {
                continue;
            }
            var keys = deletions as List<object?> ?? [deletions];
            foreach (var key in keys)
            {
                if (key is not string)
                {
                    throw Errors.Create("T2012", delete.Position, value: deletions);
                }
            }
            if (match is JsObject deleteFrom)
            {
                foreach (var key in keys)
                {
                    deleteFrom.Remove((string)key!);
                }
            }
        }
        return result;
    }
}
