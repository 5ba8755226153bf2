namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// A host function callable from an expression, for example Node-RED's <c>$flowContext(key, store?)</c>.
/// Arguments arrive in the value model with JSONata's undefined as null; return <see cref="Undefined"/>
/// for "no value" (a missing context key), or any value (CLR numbers and collections are normalised).
/// </summary>
public sealed class JsonataFunction
{
    /// <param name="implementation">Called with the (validated) arguments.</param>
    /// <param name="signature">
    /// Optional JSONata signature such as <c>"&lt;s-s?:x&gt;"</c>; when given, arguments are checked and coerced
    /// as for built-in functions (T0410 on mismatch, "-" takes the context value when the argument is missing).
    /// </param>
    /// <param name="arity">
    /// How many arguments higher-order functions such as <c>$map</c> pass (value, index, array); defaults to the
    /// number of parameters in the signature, or 1.
    /// </param>
    public JsonataFunction(Func<IReadOnlyList<object?>, object?> implementation, string? signature = null, int? arity = null)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        Implementation = implementation;
        Signature = signature;
        var parsed = signature is null ? null : Jsonata.Signature.Parse(signature);
        Arity = arity ?? parsed?.DeclaredArity ?? 1;
        Adapter = new HostFunction(this, parsed);
    }

    /// <summary>Return this from a host function to mean JSONata's undefined (no value).</summary>
    public static object Undefined { get; } = new UndefinedMarker();

    public Func<IReadOnlyList<object?>, object?> Implementation { get; }

    public string? Signature { get; }

    public int Arity { get; }

    internal FunctionValue Adapter { get; }

    private sealed class UndefinedMarker
    {
        public override string ToString() => "undefined";
    }
}
