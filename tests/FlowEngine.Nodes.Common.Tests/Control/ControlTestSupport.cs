using System.Collections.Concurrent;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Common.Tests.Control;

/// <summary>Flow building and assertions shared by the control node tests.</summary>
internal static class ControlTestSupport
{
    public static readonly TestFlowOptions FakeClock = new() { FakeClock = true };

    /// <summary>A one-tab flow ("t1"); each node gets z, x, y and wires unless it names them.</summary>
    public static string OneTab(params string[] nodes) => Tabs(("t1", nodes));

    /// <summary>Several tabs; each node gets its tab's id as z unless it names one.</summary>
    public static string Tabs(params (string Tab, string[] Nodes)[] tabs)
    {
        var items = new List<object?>();
        foreach (var (tab, nodes) in tabs)
        {
            items.Add(new JsObject { ["id"] = tab, ["type"] = "tab", ["label"] = tab });
            foreach (var text in nodes)
            {
                var node = (JsObject)JsJson.Parse(text)!;
                node.TryAdd("z", tab);
                node.TryAdd("x", 100.0);
                node.TryAdd("y", 100.0);
                node.TryAdd("wires", new List<object?>());
                items.Add(node);
            }
        }
        return JsJson.Serialize(items);
    }

    public static Task<TestFlow> StartAsync(string flow, JsObject? settings = null, IExpressionEngine? expressions = null) =>
        TestFlow.StartAsync(flow, new TestFlowOptions { FakeClock = true, Settings = settings, Expressions = expressions });

    /// <summary>True when no message is waiting at the helper now (after the flow has settled).</summary>
    public static async Task<bool> NothingMoreAsync(this TestFlow flow, string helper)
    {
        await flow.SettleNodesAsync();
        return await flow.NothingArrivesAsync(helper, TimeSpan.FromMilliseconds(30));
    }

    /// <summary>Sends and waits until the flow has handled it, so a following clock advance applies to it.</summary>
    public static async Task SendAndSettleAsync(this TestFlow flow, string nodeId, string json)
    {
        flow.Send(nodeId, json);
        await flow.SettleNodesAsync();
    }

    public static Task AdvanceMsAsync(this TestFlow flow, double milliseconds) => flow.AdvanceSettledAsync(TimeSpan.FromMilliseconds(milliseconds));

    /// <summary>Moves the fake clock and waits until every node has run what the timers queued.</summary>
    public static async Task AdvanceSettledAsync(this TestFlow flow, TimeSpan by)
    {
        await flow.AdvanceAsync(by);
        await flow.SettleNodesAsync();
    }

    /// <summary>
    /// Waits until every node has finished what is queued for it. TestFlow.SettleAsync watches queue depth, which drops
    /// when a node takes an item, not when it has finished it (a first JSONata evaluation can take a while); a marker
    /// posted to each node's mailbox runs only after everything queued before it has been handled. Three rounds cover
    /// the short chains of these tests (what one node sends during a round is finished by the next).
    /// </summary>
    public static async Task SettleNodesAsync(this TestFlow flow)
    {
        for (var round = 0; round < 3; round++)
        {
            var markers = new List<Task>();
            foreach (var runner in flow.Runtime.Runners)
            {
                var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                runner.Node.Post(() =>
                {
                    handled.TrySetResult();
                    return ValueTask.CompletedTask;
                });
                markers.Add(handled.Task);
            }
            await Task.WhenAll(markers).WaitAsync(TestFlow.DefaultTimeout);
        }
    }

    public static IReadOnlyList<NodeStatus> StatusesOf(this TestFlow flow, string nodeId) =>
        flow.Statuses.Where(s => s.Node.Id == nodeId).Select(s => s.Status).ToList();

    public static NodeStatus? LastStatusOf(this TestFlow flow, string nodeId) => flow.StatusesOf(nodeId).LastOrDefault();

    public static T Node<T>(this TestFlow flow, string id) where T : FlowNode =>
        (T)(flow.Runtime.FindNode(id) ?? throw new InvalidOperationException($"no node {id}"));
}

/// <summary>A JSONata stand-in: each expression text maps to a function of the message given by the test.</summary>
internal sealed class StubExpressions(Dictionary<string, Func<JsObject, object?>> expressions) : IExpressionEngine
{
    public ICompiledExpression Compile(string expression) =>
        expressions.TryGetValue(expression, out var evaluate)
            ? new Compiled(evaluate)
            : throw new TypedValueException($"unknown test expression \"{expression}\"");

    private sealed class Compiled(Func<JsObject, object?> evaluate) : ICompiledExpression
    {
        public object? Evaluate(JsObject message, ExpressionScope scope) => evaluate(message);

        public bool TryEvaluate(JsObject message, ExpressionScope scope, out object? result)
        {
            result = evaluate(message);
            return true;
        }
    }
}

/// <summary>Keeps every log line, at every level.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
