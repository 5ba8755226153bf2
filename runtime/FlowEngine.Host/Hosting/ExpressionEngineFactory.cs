using FlowEngine.Core.TypedInputs;
using FlowEngine.Scripting;

namespace FlowEngine.Host.Hosting;

/// <summary>The one place the host chooses the JSONata engine for typed inputs, change/switch rules and env values.</summary>
internal static class ExpressionEngineFactory
{
    public static IExpressionEngine Create(TimeProvider clock) => new JsonataExpressionEngine { TimeProvider = clock };
}
