using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FlowEngine.Core.Context;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// Runs one node: its mailbox (inputs, timer callbacks and posted actions, handled one at a time, in order), its
/// outgoing wires, and its links to the flow's catch, status and complete nodes.
/// </summary>
/// <remarks>
/// The mailbox is unbounded on purpose: a flow may wire a node back into itself, and a bounded queue with a blocking
/// writer would deadlock such a loop. Queue depth is exposed as a metric instead, and nodes that hold messages
/// (delay, join, batch) enforce nodeMessageBufferMaxLength themselves. The mailbox is scheduled on the thread pool
/// only while it has work, so thousands of idle nodes cost nothing.
/// </remarks>
public sealed class NodeRunner : IThreadPoolWorkItem
{
    private const int BatchBeforeYield = 256;

    /// <summary>How many runners may nest on one thread's stack by handing messages on inline.</summary>
    private const int MaxInlineDepth = 16;

    /// <summary>Runners whose handler is on this thread's stack right now (see <see cref="Deliver"/>).</summary>
    [ThreadStatic]
    private static int t_runnersOnStack;

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly ILogger _logger;
    private int _scheduled;
    private int _depth;
    private bool _deferred;
    private volatile bool _closed;
    private TaskCompletionSource? _drained;

    internal NodeRunner(FlowNode node, NodeIdentity identity, FlowScope? scope, RuntimeCore runtime, bool isConfig)
    {
        Node = node;
        Identity = identity;
        Scope = scope;
        Runtime = runtime;
        IsConfig = isConfig;
        _logger = runtime.LoggerFactory.CreateLogger("FlowEngine.Node");
        node.Attach(this);
    }

    public FlowNode Node { get; }
    public NodeIdentity Identity { get; }
    public string Id => Identity.Id;
    public bool IsConfig { get; }
    internal RuntimeCore Runtime { get; }
    internal FlowScope? Scope { get; set; }

    /// <summary>Targets per output port, swapped atomically on redeploy.</summary>
    internal NodeRunner[][] Wires { get; set; } = [];

    /// <summary>Complete nodes whose scope lists this node.</summary>
    internal NodeRunner[] CompleteListeners { get; set; } = [];

    /// <summary>Group chain of the node, innermost first (for group-scoped catch and status).</summary>
    internal string[] Groups { get; set; } = [];

    internal int OutputCount => Wires.Length;

    public long MessagesIn;
    public long MessagesOut;
    public long Errors;
    public int QueueDepth => Volatile.Read(ref _depth);
    public long DroppedOnClose { get; private set; }

    internal ContextScope NodeContext => field ??= Runtime.Contexts.Node(Identity.Alias ?? Identity.Id, Identity.FlowId);
    internal ContextScope FlowContext => Scope?.Context ?? Runtime.GlobalFlowContext;
    internal ContextScope GlobalContext => Runtime.GlobalContext;

    private readonly record struct WorkItem(JsObject? Message, Func<ValueTask>? Action);

    /// <summary>Queues a message for this node. Messages for a closed node are counted as dropped.</summary>
    public void Enqueue(JsObject message)
    {
        if (_closed)
        {
            DroppedOnClose++;
            return;
        }
        _queue.Enqueue(new WorkItem(message, null));
        Interlocked.Increment(ref _depth);
        Schedule();
    }

    internal void Post(Func<ValueTask> action)
    {
        if (_closed) return;
        _queue.Enqueue(new WorkItem(null, action));
        Interlocked.Increment(ref _depth);
        Schedule();
    }

    private void Schedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            // The global queue, not the calling thread's local one: a protocol client's receive loop delivers from a
            // pool thread that stays busy while data keeps arriving, and node work queued behind it stalled the
            // whole pipeline with the CPU idle (side-by-side benchmark: mqtt in → 10 change → mqtt out went from
            // 4,800 to 14,900 msg/s over a 100,000-message backlog).
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = RunAsync();

    private async Task RunAsync()
    {
        var processed = 0;
        while (_queue.TryDequeue(out var item))
        {
            var task = StartOnThisThread(item.Message, item.Action);
            if (!task.IsCompletedSuccessfully) await task.ConfigureAwait(false);
            // Counted out only once handled, so a depth of zero means the node has finished its work.
            Interlocked.Decrement(ref _depth);
            if (++processed >= BatchBeforeYield) break;
        }
        Release();
    }

    /// <summary>Starts handling one item, marking this thread as running a node until the handler returns or awaits.</summary>
    private ValueTask StartOnThisThread(JsObject? message, Func<ValueTask>? action)
    {
        t_runnersOnStack++;
        try
        {
            return message is not null ? ProcessAsync(message) : RunActionAsync(action!);
        }
        finally
        {
            t_runnersOnStack--;
        }
    }

    /// <summary>Gives up the right to run (held since <see cref="Schedule"/> or an inline hand-on) and reschedules if work came in.</summary>
    private void Release()
    {
        Volatile.Write(ref _scheduled, 0);
        if (!_queue.IsEmpty)
        {
            Schedule();
        }
        else if (_drained is { } drained)
        {
            drained.TrySetResult();
        }
    }

    /// <summary>
    /// Hands a message to this node. From inside another node's handler, when this node is idle with nothing queued,
    /// the message is handled at once on the same thread: no queue, no thread-pool hop, and the message is not kept
    /// alive across a scheduling round (in-process chain of 10 change nodes: see tests/bench/CoreBench). Otherwise,
    /// and always from protocol threads, it is queued. Either way this node still handles one message at a time, in
    /// the order each sender sent them: a message only goes inline when nothing is queued before it.
    /// </summary>
    internal void Deliver(JsObject message, bool inlineAllowed = true)
    {
        // With too little stack left (a handler sending from deep inside its own calls), the message is queued instead.
        // Senders that know they run deep (a script engine's node.send) pass inlineAllowed: false.
        if (inlineAllowed && t_runnersOnStack is > 0 and < MaxInlineDepth && !_closed && _queue.IsEmpty
            && RuntimeHelpers.TryEnsureSufficientExecutionStack()
            && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            RunInline(message);
            return;
        }
        Enqueue(message);
    }

    private void RunInline(JsObject message)
    {
        Interlocked.Increment(ref _depth);
        var task = StartOnThisThread(message, null);
        if (task.IsCompletedSuccessfully)
        {
            Interlocked.Decrement(ref _depth);
            Release();
        }
        else
        {
            _ = FinishInlineAsync(task);
        }
    }

    /// <summary>The handler went asynchronous: wait for it off the sender's stack, then carry on as a scheduled run.</summary>
    private async Task FinishInlineAsync(ValueTask task)
    {
        await task.ConfigureAwait(false);
        Interlocked.Decrement(ref _depth);
        await RunAsync().ConfigureAwait(false);
    }

    private ValueTask ProcessAsync(JsObject message)
    {
        MessagesIn++;
        _deferred = false;
        ValueTask pending;
        try
        {
            pending = Node.InvokeInputAsync(new NodeInput(this, message));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ReportError(ex.Message, ex, message);
            return ValueTask.CompletedTask;
        }
        if (pending.IsCompletedSuccessfully)
        {
            if (!_deferred) CompleteMessage(message);
            return ValueTask.CompletedTask;
        }
        return AwaitInputAsync(pending, message);
    }

    private async ValueTask AwaitInputAsync(ValueTask pending, JsObject message)
    {
        try
        {
            await pending.ConfigureAwait(false);
            if (!_deferred) CompleteMessage(message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ReportError(ex.Message, ex, message);
        }
    }

    private async ValueTask RunActionAsync(Func<ValueTask> action)
    {
        try
        {
            var pending = action();
            if (!pending.IsCompletedSuccessfully) await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ReportError(ex.Message, ex, null);
        }
    }

    internal InputCompletion DeferCurrent(JsObject message)
    {
        _deferred = true;
        return new InputCompletion(this, message);
    }

    /// <summary>done(): fires the complete nodes scoped to this node (only for nodes that report completion).</summary>
    internal void CompleteMessage(JsObject message)
    {
        var listeners = CompleteListeners;
        if (listeners.Length == 0 || !Runtime.Registry.ReportsCompletion(Identity.Type)) return;
        foreach (var listener in listeners)
        {
            var copy = (JsObject)JsValue.DeepClone(message)!;
            copy["complete"] = new JsObject { ["source"] = SourceObject() };
            listener.Emit(copy);
        }
    }

    private JsObject SourceObject() => new()
    {
        ["id"] = Identity.Id,
        ["type"] = Identity.Type,
        ["name"] = Identity.Name,
    };

    /// <summary>Sends from a node with no inputs (catch, status, complete, inject) as if it produced the message.</summary>
    internal void Emit(JsObject message) => Send(0, message);

    internal void Send(int port, JsObject message, bool inlineAllowed = true)
    {
        if (_closed && !IsConfig) return;
        var wires = Wires;
        if ((uint)port >= (uint)wires.Length) return;
        var targets = wires[port];
        if (targets.Length == 0) return;
        if (!message.ContainsKey("_msgid")) message["_msgid"] = MessageIds.NewId();
        MessagesOut++;
        if (targets.Length == 1)
        {
            targets[0].Deliver(message, inlineAllowed);
            return;
        }
        // Every delivery after the first gets a deep clone, and all clones are taken before any delivery: the first
        // receiver may start changing the original on another core at once.
        var clones = new JsObject[targets.Length - 1];
        for (var i = 0; i < clones.Length; i++) clones[i] = CloneMessage(message);
        targets[0].Deliver(message, inlineAllowed);
        for (var i = 1; i < targets.Length; i++) targets[i].Deliver(clones[i - 1], inlineAllowed);
    }

    /// <summary>Sends as if this node's handler were running on this thread, so idle next nodes run inline (see <see cref="Deliver"/>).</summary>
    internal void SendAsSource(int port, JsObject message)
    {
        t_runnersOnStack++;
        try
        {
            Send(port, message);
        }
        finally
        {
            t_runnersOnStack--;
        }
    }

    internal void SendToPorts(IReadOnlyList<object?> perPort, bool inlineAllowed = true)
    {
        if (_closed && !IsConfig) return;
        var wires = Wires;
        var deliveries = new List<(NodeRunner Target, JsObject Message)>();
        string? firstId = null;
        for (var port = 0; port < perPort.Count && port < wires.Length; port++)
        {
            var messages = perPort[port] switch
            {
                null => [],
                JsObject single => [single],
                List<object?> many => many,
                _ => throw new InvalidOperationException("non-message-returned: a node can only send message objects"),
            };
            foreach (var target in wires[port])
            {
                foreach (var item in messages)
                {
                    if (item is null) continue;
                    if (item is not JsObject message) throw new InvalidOperationException("non-message-returned: a node can only send message objects");
                    firstId ??= message.Get("_msgid") as string;
                    deliveries.Add((target, message));
                }
            }
        }
        if (deliveries.Count == 0) return;
        firstId ??= MessageIds.NewId();
        for (var i = 0; i < deliveries.Count; i++)
        {
            var (target, message) = deliveries[i];
            if (!message.ContainsKey("_msgid")) message["_msgid"] = firstId;
            // The first delivery of the whole call gets the original; every later one a clone, taken up front.
            deliveries[i] = (target, i == 0 ? message : CloneMessage(message));
        }
        MessagesOut += deliveries.Count;
        foreach (var (target, message) in deliveries) target.Deliver(message, inlineAllowed);
    }

    /// <summary>Deep clone except msg.req and msg.res, which are shared (Node-RED's cloneMessage).</summary>
    public static JsObject CloneMessage(JsObject message)
    {
        // Room for a few more properties: the next nodes usually add some, and growing rehashes.
        var copy = new JsObject(message.Count + 4);
        foreach (var (key, value) in message)
        {
            copy.Add(key, key is "req" or "res" ? value : JsValue.DeepClone(value));
        }
        return copy;
    }

    internal void PublishStatus(NodeStatus status) => Runtime.PublishStatus(this, status);

    internal void ReportError(string text, Exception? exception, JsObject? message)
    {
        Interlocked.Increment(ref Errors);
        Runtime.RouteError(this, text, exception, message);
    }

    internal void Log(LogLevel level, string text) => Runtime.NodeLog(this, level, text);

    /// <summary>
    /// Stops taking work. Messages already queued are finished first (up to the deadline) so a redeploy loses
    /// nothing it could have handled; what is left after the deadline is counted in <see cref="DroppedOnClose"/>.
    /// </summary>
    internal async Task<long> DrainAndCloseAsync(bool removed, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (!_queue.IsEmpty || Volatile.Read(ref _scheduled) == 1)
        {
            var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drained = drained;
            if (_queue.IsEmpty && Volatile.Read(ref _scheduled) == 0) drained.TrySetResult();
            await Task.WhenAny(drained.Task, Task.Delay(deadline, Runtime.TimeProvider, cancellationToken)).ConfigureAwait(false);
        }
        _closed = true;
        var dropped = 0L;
        while (_queue.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref _depth);
            if (item.Message is not null) dropped++;
        }
        DroppedOnClose += dropped;
        Node.DisposeTimers();
        try
        {
            var closing = Node.InvokeCloseAsync(removed, cancellationToken).AsTask();
            var finished = await Task.WhenAny(closing, Task.Delay(Runtime.Settings.NodeCloseTimeout, Runtime.TimeProvider, cancellationToken)).ConfigureAwait(false);
            if (finished != closing) Log(LogLevel.Error, "Error stopping node: Close timed out");
            else await closing.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log(LogLevel.Error, $"Error stopping node: {ex.Message}");
        }
        return dropped;
    }

    public override string ToString() => $"{Identity.Type} {Identity.Id}";
}
