using FlowEngine.Core.TypedInputs;

namespace FlowEngine.TestKit;

/// <summary>The JSONata engine tests use unless they pass their own.</summary>
public static class DefaultExpressions
{
    public static IExpressionEngine? Engine { get; } = new FlowEngine.Scripting.JsonataExpressionEngine();
}
