using System.Collections.Concurrent;
using System.Threading.Channels;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Storage;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.TestKit;

public sealed class TestFlowOptions
{
    /// <summary>Extra node types to register besides the common set and the "helper" recorder.</summary>
    public Action<NodeRegistry>? Register { get; init; }
    /// <summary>Settings (Node-RED keys) for the runtime; userDir defaults to a fresh temporary directory.</summary>
    public JsObject? Settings { get; init; }
    /// <summary>Drive every timer from a fake clock (see <see cref="TestFlow.Clock"/>).</summary>
    public bool FakeClock { get; init; }
    /// <summary>The JSONata engine; defaults to the scripting layer's.</summary>
    public IExpressionEngine? Expressions { get; init; }
    /// <summary>Keep flows on disk (in userDir) so a second runtime can start from them.</summary>
    public bool PersistFlows { get; init; }
    public IServiceProvider? HostServices { get; init; }
}

/// <summary>
/// Runs a flow in-process for a test: deploys the JSON, records what reaches nodes of type "helper" (Node-RED's test
/// helper type), and records logs, status changes and debug output.
/// </summary>
public sealed class TestFlow : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Channel<JsObject>> _inboxes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<JsObject>> _received = new(StringComparer.Ordinal);
    private readonly Recorder _recorder;
    private readonly bool _ownsUserDir;

    private TestFlow(FlowRuntime runtime, FakeTimeProvider? clock, string userDir, bool ownsUserDir, Recorder recorder)
    {
        Runtime = runtime;
        Clock = clock;
        UserDir = userDir;
        _ownsUserDir = ownsUserDir;
        _recorder = recorder;
    }

    public FlowRuntime Runtime { get; }
    public FakeTimeProvider? Clock { get; }
    public string UserDir { get; }
    public ConcurrentQueue<NodeLogEvent> Logs => _recorder.Logs;
    public ConcurrentQueue<NodeStatusEvent> Statuses => _recorder.Statuses;
    public ConcurrentQueue<DebugEvent> DebugMessages => _recorder.Debug;
    public ConcurrentQueue<RuntimeNotification> Notifications => _recorder.Notifications;

    /// <summary>Default wait for an expected message. Generous: CI machines are busy; a passing test never waits this long.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(10);

    public static NodeRegistry CreateRegistry(Action<NodeRegistry>? register = null)
    {
        var registry = new NodeRegistry();
        CommonNodes.Register(registry);
        registry.Register(HelperNode.Declaration, s => new HelperNode(s));
        registry.Register(ThreadRecorderNode.Declaration, s => new ThreadRecorderNode(s));
        register?.Invoke(registry);
        return registry;
    }

    public static async Task<TestFlow> StartAsync(string flowsJson, TestFlowOptions? options = null)
    {
        options ??= new TestFlowOptions();
        var settingsObject = options.Settings is null ? new JsObject() : (JsObject)JsValue.DeepClone(options.Settings)!;
        var ownsUserDir = settingsObject.Get("userDir") is not string;
        var userDir = settingsObject.Get("userDir") as string ?? Directory.CreateTempSubdirectory("flowengine-test-").FullName;
        settingsObject["userDir"] = userDir;
        var settings = new RuntimeSettings(settingsObject);
        var clock = options.FakeClock ? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.Zero } : null;
        var recorder = new Recorder();
        var runtime = new FlowRuntime(new FlowRuntimeOptions
        {
            Settings = settings,
            Registry = CreateRegistry(options.Register),
            TimeProvider = (TimeProvider?)clock ?? TimeProvider.System,
            Expressions = options.Expressions ?? DefaultExpressions.Engine,
            Storage = options.PersistFlows ? new FileFlowStorage(settings) : null,
            HostServices = new RecorderServices(recorder, options.HostServices),
        });
        var flow = new TestFlow(runtime, clock, userDir, ownsUserDir && !options.PersistFlows, recorder);
        recorder.Owner = flow;
        runtime.Observers.Add(recorder);
        await runtime.StartAsync().ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(flowsJson))
        {
            await runtime.DeployAsync(JsJson.Parse(flowsJson), DeploymentType.Full).ConfigureAwait(false);
        }
        return flow;
    }

    public Task<DeployOutcome> DeployAsync(string flowsJson, DeploymentType type = DeploymentType.Full) =>
        Runtime.DeployAsync(JsJson.Parse(flowsJson), type);

    /// <summary>Delivers a message (JSON text or object) to a node's input.</summary>
    public void Send(string nodeId, string messageJson) => Send(nodeId, (JsObject)JsJson.Parse(messageJson)!);

    public void Send(string nodeId, JsObject message)
    {
        if (!Runtime.Deliver(nodeId, message)) throw new InvalidOperationException($"No running node {nodeId}");
    }

    /// <summary>
    /// Sends messages out of node <paramref name="nodeId"/> as a protocol's receive loop does
    /// (<see cref="FlowNode.SendFromReceiveLoop"/>), from a thread of its own; returns that thread's managed id.
    /// </summary>
    public int SendFromReceiveLoop(string nodeId, IEnumerable<JsObject> messages)
    {
        var source = Runtime.FindRunner(nodeId)?.Node ?? throw new InvalidOperationException($"No running node {nodeId}");
        var loopThread = 0;
        var receiveLoop = new Thread(() =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            foreach (var message in messages) source.SendFromReceiveLoop(message);
        });
        receiveLoop.Start();
        receiveLoop.Join();
        return loopThread;
    }

    internal void Record(string helperId, JsObject message)
    {
        _received.GetOrAdd(helperId, _ => new()).Enqueue(message);
        Inbox(helperId).Writer.TryWrite(message);
    }

    private Channel<JsObject> Inbox(string helperId) => _inboxes.GetOrAdd(helperId, _ => Channel.CreateUnbounded<JsObject>());

    /// <summary>Everything a helper node has received so far.</summary>
    public IReadOnlyList<JsObject> Received(string helperId) => _received.TryGetValue(helperId, out var q) ? q.ToList() : [];

    /// <summary>Waits for the next message at a helper node.</summary>
    public async Task<JsObject> NextAsync(string helperId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await Inbox(helperId).Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var errors = string.Join("\n", Logs.Select(l => $"{l.Level} {l.Node?.Type} {l.Node?.Id}: {l.Message}"));
            throw new TimeoutException($"No message reached helper \"{helperId}\" in time. Logged:\n{errors}");
        }
    }

    public async Task<List<JsObject>> NextAsync(string helperId, int count, TimeSpan? timeout = null)
    {
        var result = new List<JsObject>(count);
        for (var i = 0; i < count; i++) result.Add(await NextAsync(helperId, timeout).ConfigureAwait(false));
        return result;
    }

    /// <summary>True when no message reaches the helper within the wait (use short waits; this cannot prove a negative forever).</summary>
    public async Task<bool> NothingArrivesAsync(string helperId, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? TimeSpan.FromMilliseconds(200));
        try
        {
            await Inbox(helperId).Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Moves the fake clock forward and gives the nodes' mailboxes time to run what fired.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        if (Clock is null) throw new InvalidOperationException("This flow runs on the system clock; set FakeClock = true.");
        Clock.Advance(by);
        await SettleAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until every node's mailbox is empty (or a short time has passed).</summary>
    public async Task SettleAsync()
    {
        for (var i = 0; i < 200; i++)
        {
            await Task.Delay(5).ConfigureAwait(false);
            if (Runtime.Runners.All(r => r.QueueDepth == 0)) break;
        }
        await Task.Delay(10).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync().ConfigureAwait(false);
        if (_ownsUserDir)
        {
            try { Directory.Delete(UserDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private sealed class Recorder : IRuntimeObserver
    {
        public TestFlow? Owner { get; set; }
        public ConcurrentQueue<NodeLogEvent> Logs { get; } = new();
        public ConcurrentQueue<NodeStatusEvent> Statuses { get; } = new();
        public ConcurrentQueue<DebugEvent> Debug { get; } = new();
        public ConcurrentQueue<RuntimeNotification> Notifications { get; } = new();

        public void OnStatus(NodeStatusEvent e) => Statuses.Enqueue(e);
        public void OnDebug(DebugEvent e) => Debug.Enqueue(e);
        public void OnLog(NodeLogEvent e) => Logs.Enqueue(e);
        public void OnNotification(RuntimeNotification e) => Notifications.Enqueue(e);
    }

    private sealed class RecorderServices(Recorder recorder, IServiceProvider? inner) : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            serviceType == typeof(TestFlow) ? recorder.Owner : inner?.GetService(serviceType);
    }

    /// <summary>Node-RED's test "helper" node: records every message it receives.</summary>
    private sealed class HelperNode(NodeSetup setup) : FlowNode(setup)
    {
        public static readonly NodeDeclaration Declaration = new("helper") { Category = "hidden", Inputs = 1, Outputs = 1, Help = "Test helper: records messages." };

        protected override ValueTask OnInputAsync(NodeInput input)
        {
            (Services.HostServices.GetService(typeof(TestFlow)) as TestFlow)?.Record(Id, input.Message);
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Test node "thread-recorder": sets msg.thread to the managed id of the thread that handled it, and sends.</summary>
    private sealed class ThreadRecorderNode(NodeSetup setup) : FlowNode(setup)
    {
        public static readonly NodeDeclaration Declaration = new("thread-recorder") { Category = "hidden", Inputs = 1, Outputs = 1, Help = "Test node: records the handling thread in msg.thread." };

        protected override ValueTask OnInputAsync(NodeInput input)
        {
            input.Message["thread"] = (double)Environment.CurrentManagedThreadId;
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }
}
