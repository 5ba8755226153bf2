using FlowEngine.Core.Context;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Runtime;

/// <summary>Runtime-wide services a node may use. One instance per runtime; nothing here is static.</summary>
public interface IRuntimeServices
{
    RuntimeSettings Settings { get; }
    /// <summary>The one clock: every timer, poll, delay and timeout uses it, so tests can drive time.</summary>
    TimeProvider TimeProvider { get; }
    ILoggerFactory LoggerFactory { get; }
    ContextManager Contexts { get; }
    RuntimeObservers Observers { get; }
    /// <summary>JSONata, when the scripting layer registered it.</summary>
    IExpressionEngine? Expressions { get; }
    /// <summary>Finds running nodes (link call targets, config nodes, inject by id).</summary>
    INodeDirectory Nodes { get; }
    /// <summary>
    /// Queues a message on a node's input as if a wire delivered it (link call, link out return). False when the node
    /// is not running.
    /// </summary>
    bool Deliver(string runtimeId, Values.JsObject message);

    /// <summary>Services registered by the host (HTTP routing for http in, audit log...). May be empty.</summary>
    IServiceProvider HostServices { get; }
}

public interface INodeDirectory
{
    FlowNode? Find(string runtimeId);
    IEnumerable<FlowNode> All();
}
