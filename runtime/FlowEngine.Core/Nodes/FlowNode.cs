using System.Runtime.CompilerServices;
using FlowEngine.Core.Context;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Nodes;

/// <summary>
/// Base class of every node type. The runtime constructs a node from its configuration (no side effects in the
/// constructor: a deploy that fails later must not have opened anything), calls <see cref="OnStartAsync"/>,
/// delivers messages one at a time through <see cref="OnInputAsync"/>, and calls <see cref="OnCloseAsync"/> on
/// redeploy or shutdown.
/// </summary>
/// <remarks>
/// Inputs, timer callbacks posted with <see cref="StartTimer"/> and <see cref="Post"/> all run on the node's own
/// serial mailbox, so node code never runs on two threads at once and needs no locks. Different nodes run in parallel.
/// </remarks>
public abstract class FlowNode
{
    private readonly Dictionary<ITimer, StrongBox<bool>> _timers = [];
    private NodeRunner? _runner;

    protected FlowNode(NodeSetup setup)
    {
        Setup = setup;
        Config = setup.Config;
        Id = setup.RuntimeId;
        Type = setup.Config.Type;
        Name = setup.Config.Name;
        Services = setup.Services;
    }

    public NodeSetup Setup { get; }
    public NodeConfig Config { get; }
    /// <summary>The runtime id: the configured id, or "instance-original" inside a subflow instance.</summary>
    public string Id { get; }
    public string Type { get; }
    public string Name { get; }
    public IRuntimeServices Services { get; }
    public JsObject Credentials => Setup.Credentials;
    protected TimeProvider Clock => Services.TimeProvider;
    protected ILogger Logger => Setup.Logger;

    internal NodeRunner Runner => _runner ?? throw new InvalidOperationException($"Node {Id} is not attached to the runtime.");

    internal void Attach(NodeRunner runner) => _runner = runner;

    /// <summary>The JSONata scope of this node (flow, global, env), made once: expressions cache their bindings by it.</summary>
    internal TypedInputs.ExpressionScope? ExpressionScope { get; set; }

    public ContextScope Context => Runner.NodeContext;
    public ContextScope FlowContext => Runner.FlowContext;
    public ContextScope GlobalContext => Runner.GlobalContext;

    /// <summary>The node's current status (last set).</summary>
    public NodeStatus Status { get; private set; } = NodeStatus.Clear;

    /// <summary>Number of output ports this node has in its configuration.</summary>
    public int OutputCount => Runner.OutputCount;

    protected virtual ValueTask OnStartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Handles one message. Returning (or completing the task) marks the message done, unless the node called
    /// <see cref="NodeInput.Defer"/>. Throwing reports the error to catch nodes with the message.
    /// </summary>
    protected virtual ValueTask OnInputAsync(NodeInput input) => ValueTask.CompletedTask;

    /// <summary>Stops the node. <paramref name="removed"/> is true when the node was deleted, not only restarted.</summary>
    protected virtual ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    internal ValueTask InvokeStartAsync(CancellationToken cancellationToken) => OnStartAsync(cancellationToken);
    internal ValueTask InvokeInputAsync(NodeInput input) => OnInputAsync(input);
    internal ValueTask InvokeCloseAsync(bool removed, CancellationToken cancellationToken) => OnCloseAsync(removed, cancellationToken);

    /// <summary>Sends a message on output 0.</summary>
    public void Send(JsObject message) => Runner.Send(0, message);

    /// <summary>Sends a message on one output.</summary>
    public void Send(int port, JsObject? message)
    {
        if (message is not null) Runner.Send(port, message);
    }

    /// <summary>
    /// Sends on output 0 from a protocol's receive loop. When the next node is idle it handles the message at once, on
    /// this thread, and hands on to idle nodes after it the same way: a batch of received messages goes through the
    /// flow before the loop reads again, as Node-RED's single thread runs it, with no thread-pool hop per message. A
    /// busy node gets the message queued, as with <see cref="Send(JsObject)"/>. For input nodes whose receive loop
    /// may be held up while the flow runs (the protocol's own housekeeping must not depend on it).
    /// </summary>
    public void SendFromReceiveLoop(JsObject message) => Runner.SendAsSource(0, message);

    /// <summary>
    /// Node-RED's send(array): element i goes to output i; null sends nothing there; a nested list sends several
    /// messages in order. The first delivery of the call gets the original, the rest get clones.
    /// </summary>
    public void SendToPorts(IReadOnlyList<object?> perPort) => Runner.SendToPorts(perPort);

    /// <summary>
    /// <see cref="Send(int, JsObject?)"/> through the next node's queue, never handing the message on inline on this
    /// thread: for senders deep in a call stack of their own (a script engine's node.send), where the next node's own
    /// depth would be added on top.
    /// </summary>
    public void SendQueued(int port, JsObject? message)
    {
        if (message is not null) Runner.Send(port, message, inlineAllowed: false);
    }

    /// <summary><see cref="SendToPorts"/> through the next nodes' queues (see <see cref="SendQueued"/>).</summary>
    public void SendToPortsQueued(IReadOnlyList<object?> perPort) => Runner.SendToPorts(perPort, inlineAllowed: false);

    public void SetStatus(NodeStatus status)
    {
        Status = status;
        Runner.PublishStatus(status);
    }

    /// <summary>Reports an error: offered to catch nodes when a message is given, logged when nobody handles it.</summary>
    public void ReportError(string message, JsObject? msg = null) => Runner.ReportError(message, null, msg);

    public void ReportError(Exception exception, JsObject? msg = null) => Runner.ReportError(exception.Message, exception, msg);

    public void Warn(string message) => Runner.Log(LogLevel.Warning, message);

    public void Log(string message) => Runner.Log(LogLevel.Information, message);

    public void LogDebug(string message) => Runner.Log(LogLevel.Debug, message);

    /// <summary>Environment variable lookup through the node's group, flow, subflow and global chain (Node-RED §2.10).</summary>
    public object? GetEnv(string name) => Setup.Environment.Get(name);

    /// <summary>Runs an action on this node's mailbox, after the inputs already queued.</summary>
    public void Post(Func<ValueTask> action) => Runner.Post(action);

    /// <summary>
    /// A timer whose callback runs on this node's mailbox (never concurrently with its inputs), driven by the
    /// runtime's <see cref="TimeProvider"/>, and disposed when the node closes.
    /// </summary>
    protected ITimer StartTimer(TimeSpan dueTime, TimeSpan period, Func<ValueTask> callback)
    {
        ITimer? timer = null;
        var stopped = new StrongBox<bool>(false);
        timer = Clock.CreateTimer(_ => Runner.Post(async () =>
        {
            // A tick already queued when the timer was stopped must not run: nodes rely on StopTimer being final.
            if (stopped.Value) return;
            if (period == Timeout.InfiniteTimeSpan && timer is not null)
            {
                lock (_timers) _timers.Remove(timer);
            }
            await callback().ConfigureAwait(false);
        }), null, dueTime, period);
        lock (_timers) _timers[timer] = stopped;
        return timer;
    }

    protected void StopTimer(ITimer? timer)
    {
        if (timer is null) return;
        timer.Dispose();
        lock (_timers)
        {
            if (_timers.Remove(timer, out var stopped)) stopped.Value = true;
        }
    }

    internal void DisposeTimers()
    {
        lock (_timers)
        {
            foreach (var (timer, stopped) in _timers)
            {
                stopped.Value = true;
                timer.Dispose();
            }
            _timers.Clear();
        }
    }

    /// <summary>Called by the runtime for the inject button and POST /inject/:id. Only inject-like nodes override it.</summary>
    public virtual ValueTask<bool> TriggerAsync(JsObject? overrides, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    /// <summary>Whether messages from this node are shown by debug (debug nodes override to allow toggling).</summary>
    public virtual bool SetActive(bool active) => false;

    /// <summary>Config nodes only: called when another node starts using it or stops (reference counting).</summary>
    public override string ToString() => $"{Type} {Id}";
}
