using FlowEngine.Core.Context;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.TypedInputs;

/// <summary>The JSONata engine, implemented by the scripting layer and handed to the runtime at start.</summary>
public interface IExpressionEngine
{
    /// <summary>Compiles once per deploy. Throws <see cref="TypedValueException"/> for a syntax error.</summary>
    ICompiledExpression Compile(string expression);
}

public interface ICompiledExpression
{
    /// <summary>Evaluates against a message; null for no result (JSONata's undefined).</summary>
    object? Evaluate(JsObject message, ExpressionScope scope);

    bool TryEvaluate(JsObject message, ExpressionScope scope, out object? result);
}

/// <summary>What an expression may read besides the message: flow and global context, env, extra variables ($A, $I, $N).</summary>
public sealed class ExpressionScope(ContextScope? flow, Func<string, object?> env, ContextScope? global = null)
{
    public ContextScope? Flow { get; } = flow;
    public ContextScope? Global { get; } = global;
    public Func<string, object?> Env { get; } = env;
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }
}
