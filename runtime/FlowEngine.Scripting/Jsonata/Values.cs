using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// JSONata's undefined ("no match"), which the value model does not have: JSON null is a real value in JSONata
/// (<c>Other.Misc</c> is null, <c>Other.Nothing</c> is undefined), so the evaluator needs a separate marker.
/// It never ends up inside arrays or objects: constructors skip it, and the public API turns it into "no result".
/// </summary>
internal sealed class Undefined
{
    public static readonly Undefined Value = new();

    private Undefined()
    {
    }

    public override string ToString() => "undefined";
}

/// <summary>
/// An array the evaluator made, with the flags JSONata keeps on its arrays. Being a <see cref="List{T}"/> of values
/// it is still an ordinary array to the rest of the runtime.
/// </summary>
internal sealed class JsonataList : List<object?>
{
    public JsonataList()
    {
    }

    public JsonataList(int capacity) : base(capacity)
    {
    }

    /// <summary>A result sequence: empty means undefined and one item means that item (unless kept as an array).</summary>
    public bool IsSequence { get; set; }

    /// <summary>Set by the <c>[]</c> suffix: a one-item sequence stays an array.</summary>
    public bool KeepSingleton { get; set; }

    /// <summary>Built by an array constructor at the start or end of a path: path steps must not flatten it.</summary>
    public bool IsConstructed { get; set; }

    /// <summary>Wraps an array input document so that the path's first step sees the whole array as one item.</summary>
    public bool IsOuterWrapper { get; set; }

    /// <summary>Holds <see cref="TupleBinding"/>s (paths with <c>@</c>, <c>#</c> or <c>%</c>), not values.</summary>
    public bool IsTupleStream { get; set; }

    public static JsonataList NewSequence() => new() { IsSequence = true };

    public static JsonataList NewSequence(int capacity) => new(capacity) { IsSequence = true };

    public static JsonataList SequenceOf(object? item)
    {
        var list = new JsonataList(1) { IsSequence = true };
        list.Add(item);
        return list;
    }
}

/// <summary>One item of a tuple stream: the context item plus the variables bound along the path so far.</summary>
internal sealed class TupleBinding
{
    public TupleBinding(object? context)
    {
        Context = context;
        Variables = new Dictionary<string, object?>(StringComparer.Ordinal);
    }

    private TupleBinding(object? context, Dictionary<string, object?> variables)
    {
        Context = context;
        Variables = variables;
    }

    public object? Context { get; set; }

    public Dictionary<string, object?> Variables { get; }

    public TupleBinding Clone() => new(Context, new Dictionary<string, object?>(Variables, StringComparer.Ordinal));
}

/// <summary>A call in tail position of a lambda body, returned instead of made so that recursion does not grow the stack.</summary>
internal sealed class TailCall(FunctionValue function, object?[] arguments, object? input)
{
    public FunctionValue Function { get; } = function;

    public object?[] Arguments { get; } = arguments;

    public object? Input { get; } = input;
}

/// <summary>The <c>?</c> in a partial application such as <c>$substring(?, 0, 5)</c>.</summary>
internal sealed class Placeholder
{
    public static readonly Placeholder Value = new();

    private Placeholder()
    {
    }
}

/// <summary>Type tests and conversions shared by the evaluator and the function library.</summary>
internal static class Values
{
    public static bool IsSequence(object? value) => value is JsonataList { IsSequence: true };

    /// <summary>JSONata's isNumeric: a finite number; infinities are an error (D1001), NaN is not a number.</summary>
    public static bool IsNumeric(object? value)
    {
        if (value is not double d || double.IsNaN(d))
        {
            return false;
        }
        if (double.IsInfinity(d))
        {
            throw Errors.Create("D1001", value: d);
        }
        return true;
    }

    public static bool IsInteger(object? value) => value is double d && double.IsFinite(d) && Math.Floor(d) == d;

    /// <summary>JSONata's effective boolean value; undefined stays undefined.</summary>
    public static object ToBoolean(object? value)
    {
        if (value is Undefined)
        {
            return Undefined.Value;
        }
        return Truthy(value) ? True : False;
    }

    /// <summary>The effective boolean value with undefined as false, as used by conditions and filters.</summary>
    public static bool Truthy(object? value)
    {
        switch (value)
        {
            case null:
            case Undefined:
                return false;
            case bool b:
                return b;
            case string s:
                return s.Length > 0;
            case double d:
                return d != 0 && !double.IsNaN(d);
            case List<object?> list:
                if (list.Count == 1)
                {
                    return Truthy(list[0]);
                }
                foreach (var item in list)
                {
                    if (Truthy(item))
                    {
                        return true;
                    }
                }
                return false;
            case JsObject obj:
                return obj.Count > 0;
            case FunctionValue:
                return false;
            case byte[] bytes:
                return bytes.Length > 0;
            default:
                // Dates and host objects have no enumerable keys in JavaScript, so they count as empty objects.
                return false;
        }
    }

    public static readonly object True = true;
    public static readonly object False = false;

    public static object Box(bool value) => value ? True : False;

    /// <summary>$type: the JSONata type name, or undefined.</summary>
    public static object TypeName(object? value) => value switch
    {
        Undefined => Undefined.Value,
        null => "null",
        double => "number",
        string => "string",
        bool => "boolean",
        List<object?> => "array",
        FunctionValue => "function",
        _ => "object",
    };

    /// <summary>The signature-matching symbol of a value (JSONata's getSymbol).</summary>
    public static char Symbol(object? value) => value switch
    {
        Undefined => 'm',
        FunctionValue => 'f',
        string => 's',
        double => 'n',
        bool => 'b',
        null => 'l',
        List<object?> => 'a',
        _ => 'o',
    };

    /// <summary>JSONata's append: concatenates, treating non-arrays as one-item arrays; undefined is ignored.</summary>
    public static object? Append(object? first, object? second)
    {
        if (first is Undefined)
        {
            return second;
        }
        if (second is Undefined)
        {
            return first;
        }
        var firstList = first as List<object?>;
        var secondList = second as List<object?>;
        var result = new List<object?>((firstList?.Count ?? 1) + (secondList?.Count ?? 1));
        if (firstList is not null)
        {
            result.AddRange(firstList);
        }
        else
        {
            result.Add(first);
        }
        if (secondList is not null)
        {
            result.AddRange(secondList);
        }
        else
        {
            result.Add(second);
        }
        return result;
    }

    /// <summary>Strict equality (JavaScript ===): values by value, containers by reference.</summary>
    public static bool StrictEquals(object? a, object? b) => a switch
    {
        null => b is null,
        double da => b is double db && da == db,
        string sa => b is string sb && string.Equals(sa, sb, StringComparison.Ordinal),
        bool ba => b is bool bb && ba == bb,
        _ => ReferenceEquals(a, b),
    };

    /// <summary>Deep equality as used by = and != and $distinct.</summary>
    public static bool DeepEquals(object? a, object? b) => JsValue.DeepEquals(a, b);

    /// <summary>Turns an evaluator result into a value the caller can keep: undefined as null, sequences as plain lists.</summary>
    public static object? ToPublic(object? value) => value switch
    {
        Undefined => null,
        JsonataList { IsTupleStream: true } tuples => TupleContexts(tuples),
        _ => Materialize(value),
    };

    /// <summary>
    /// Replaces the evaluator's flagged lists with plain <see cref="List{T}"/>s where a value is stored into a result,
    /// so results hold only the value model's types and later evaluations cannot change their flags. Only lists the
    /// evaluator made are copied; input arrays and objects are shared, never walked.
    /// </summary>
    public static object? Materialize(object? value)
    {
        if (value is not JsonataList list || list.IsTupleStream)
        {
            return value;
        }
        var plain = new List<object?>(list.Count);
        foreach (var item in list)
        {
            plain.Add(Materialize(item));
        }
        return plain;
    }

    private static List<object?> TupleContexts(JsonataList tuples)
    {
        var list = new List<object?>(tuples.Count);
        foreach (var item in tuples)
        {
            list.Add(item is TupleBinding binding ? binding.Context : item);
        }
        return list;
    }

    /// <summary>Host values in, evaluator values out: the host's undefined marker becomes <see cref="Undefined"/>.</summary>
    public static object? FromHost(object? value) =>
        ReferenceEquals(value, JsonataFunction.Undefined) ? Undefined.Value :
        value is JsonataFunction function ? function.Adapter : JsValue.Normalize(value);
}
