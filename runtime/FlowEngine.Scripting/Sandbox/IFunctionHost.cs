using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>Which context a script reads or writes: <c>context</c>, <c>flow</c> or <c>global</c>.</summary>
public enum ScriptContextScope
{
    Node = 0,
    Flow = 1,
    Global = 2,
}

/// <summary>
/// What a <see cref="FunctionSandbox"/> needs from the node that runs it. The function node implements it over
/// its <see cref="FlowNode"/> API; tests implement it with fakes.
/// </summary>
/// <remarks>
/// Timer callbacks must run on the node's serial mailbox (never at the same time as its inputs), driven by the
/// runtime's clock, and be disposed when the node closes.
/// </remarks>
public interface IFunctionHost
{
    string NodeId { get; }
    string NodeName { get; }
    /// <summary>Node-RED's <c>node.path</c> (e.g. "tab1/fn1").</summary>
    string NodePath { get; }
    /// <summary>The configured number of outputs (<c>node.outputCount</c>).</summary>
    int OutputCount { get; }
    TimeProvider Clock { get; }

    /// <summary>Sends one message on one output.</summary>
    void Send(int port, JsObject message);

    /// <summary>Node-RED's send(array): element i to output i; null sends nothing; a list sends several messages.</summary>
    void Send(IReadOnlyList<object?> perPort);

    void Log(LogLevel level, string text);

    /// <summary>Reports an error: to catch nodes when a message is given, to the log otherwise.</summary>
    void ReportError(string text, JsObject? message);

    void SetStatus(NodeStatus status);

    ITimer StartTimer(TimeSpan dueTime, TimeSpan period, Func<ValueTask> callback);

    void StopTimer(ITimer timer);

    object? GetEnv(string name);

    object? ContextGet(ScriptContextScope scope, string key, string? store);

    void ContextSet(ScriptContextScope scope, string key, object? value, string? store);

    void ContextDelete(ScriptContextScope scope, string key, string? store);

    IReadOnlyList<string> ContextKeys(ScriptContextScope scope, string? store);

    /// <summary>RED.util.evaluateNodeProperty: a typed input (msg, flow, global, str, num, json, env, jsonata...).</summary>
    object? EvaluateProperty(string value, string type, JsObject message);

    /// <summary>RED.util.evaluateJSONataExpression. Throws when no JSONata engine is available.</summary>
    object? EvaluateJsonata(string expression, JsObject message);
}
