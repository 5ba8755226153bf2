namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// A compiled JSONata 2.x expression. Compile once (per deploy), evaluate per message: a compiled expression is
/// immutable and may be evaluated from many threads at the same time.
/// </summary>
/// <remarks>
/// Values follow the runtime's value model (null, bool, double, string, byte[], DateTime, List&lt;object?&gt;, JsObject).
/// JSONata's "undefined" (no match) is reported as <c>false</c> from <see cref="TryEvaluate"/> and as null from
/// <see cref="Evaluate"/>. Results may share arrays and objects with the input, as in JSONata; copy before changing them.
/// </remarks>
public sealed class JsonataExpression
{
    private readonly Node _root;

    private JsonataExpression(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The expression's source text.</summary>
    public string Text { get; }

    /// <summary>Parses an expression. Throws <see cref="JsonataException"/> (S0xxx codes) with the position of a syntax error.</summary>
    public static JsonataExpression Compile(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new JsonataExpression(text, Builder.Build(Parser.Parse(text)));
    }

    /// <summary>
    /// Evaluates against <paramref name="input"/> (bound to <c>$</c> and <c>$$</c>; null means no input document,
    /// JSONata's undefined, rather than a document that is JSON null). Returns false when the result is
    /// undefined (nothing matched). Throws <see cref="JsonataException"/> for evaluation errors and limits (U1001),
    /// and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public bool TryEvaluate(object? input, JsonataBindings? bindings, out object? result, CancellationToken cancellationToken = default)
    {
        var value = EvaluateInternal(input, bindings, cancellationToken);
        result = Values.ToPublic(value);
        return value is not Undefined;
    }

    /// <summary>Evaluates; null when the result is undefined (see <see cref="TryEvaluate"/> to tell undefined from null).</summary>
    public object? Evaluate(object? input, JsonataBindings? bindings = null, CancellationToken cancellationToken = default)
    {
        TryEvaluate(input, bindings, out var result, cancellationToken);
        return result;
    }

    public override string ToString() => Text;

    private object? EvaluateInternal(object? input, JsonataBindings? bindings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // No document at all (JSONata's undefined input): $ and $$ are undefined, so $string() gives no result.
        var document = input ?? Undefined.Value;
        var evaluation = new Evaluation(document, bindings, cancellationToken);
        var context = document;
        if (input is List<object?> list and not JsonataList { IsSequence: true })
        {
            // An array document is one item to the first path step, which then maps over its elements.
            var wrapper = JsonataList.SequenceOf(list);
            wrapper.IsOuterWrapper = true;
            context = wrapper;
        }
        return _root.Evaluate(context, evaluation);
    }
}
