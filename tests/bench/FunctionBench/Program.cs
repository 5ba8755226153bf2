using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common;
using FlowEngine.Scripting.Sandbox;

// Function node benchmarks through a real FlowRuntime: messages are pushed into the first node and counted by a sink.
// Usage: FunctionBench [all|chain|trivial|sandbox] [messages]
//   chain   - three function nodes in a chain, each doing a small transform: messages per second.
//   trivial - one "return msg;" function node, against one junction (the scheduler alone): cost per message.
//   sandbox - the sandbox alone, called in a loop on one thread (no runtime, no scheduler): cost per message.
var scenario = args.Length > 0 ? args[0] : "all";
var total = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;

// Messages arrive with an id, as they do from any upstream node: the runtime's id generator is not what is measured.
static JsObject Message(int i) => new() { ["_msgid"] = i.ToString("x16", CultureInfo.InvariantCulture), ["payload"] = (double)i, ["topic"] = "sensor/1" };

if (scenario is "all" or "chain")
{
    var chain = await Bench.RunAsync(Flows.Chain(
        "msg.payload = msg.payload * 2; return msg;",
        "msg.topic = msg.topic.toUpperCase(); msg.ok = msg.payload >= 0; return msg;",
        "return { payload: { value: msg.payload, topic: msg.topic }, _msgid: msg._msgid };"), "n0", total, Message);
    Console.WriteLine(chain.Describe("3 function nodes in a chain (small transforms)"));
}
if (scenario is "all" or "trivial")
{
    var junction = await Bench.RunAsync(Flows.Junction(), "n0", total, Message);
    Console.WriteLine(junction.Describe("1 junction (scheduler only, baseline)"));
    var trivial = await Bench.RunAsync(Flows.Chain("return msg;"), "n0", total, Message);
    Console.WriteLine(trivial.Describe("1 trivial function node (return msg;)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"trivial function node cost above the scheduler: {trivial.CpuMicrosecondsPerMessage - junction.CpuMicrosecondsPerMessage:F2} µs CPU per message"));
}

if (scenario is "all" or "sandbox")
{
    foreach (var (name, body) in new[] { ("return msg;", "return msg;"), ("small transform", "msg.payload = msg.payload * 2; msg.topic = msg.topic.toUpperCase(); return msg;"), ("node.warn + node.send", "if (msg.payload < 0) node.warn('negative'); node.send(msg); return null;"),
        ("Modbus float decode with Buffer", "const buf = Buffer.alloc(4); buf.writeUInt16BE(16840, 0); buf.writeUInt16BE(msg.payload & 0xffff, 2); msg.payload = buf.readFloatBE(0); return msg;") })
    {
        var host = new NullHost();
        var sandbox = new FunctionSandbox(FunctionScript.Compile(body), host, SandboxLimits.Default);
        sandbox.Start();
        Action done = () => { };
        for (var i = 0; i < 50_000; i++) sandbox.Invoke(Message(i), () => done);
        GC.Collect();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++) sandbox.Invoke(Message(i), () => done);
        clock.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        sandbox.Close(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sandbox alone, {name}: {clock.Elapsed.TotalMicroseconds / total:F2} µs wall, {cpu.TotalMicroseconds / total:F2} µs CPU per message ({host.Sent:N0} sent)"));
    }
}

internal sealed class NullHost : IFunctionHost
{
    public int Sent;
    public string NodeId => "bench";
    public string NodeName => "bench";
    public string NodePath => "t/bench";
    public int OutputCount => 1;
    public TimeProvider Clock => TimeProvider.System;
    public void Send(int port, JsObject message) => Sent++;
    public void Send(IReadOnlyList<object?> perPort) => Sent++;
    public void Log(Microsoft.Extensions.Logging.LogLevel level, string text) { }
    public void ReportError(string text, JsObject? message) => throw new InvalidOperationException(text);
    public void SetStatus(NodeStatus status) { }
    public ITimer StartTimer(TimeSpan dueTime, TimeSpan period, Func<ValueTask> callback) => throw new NotSupportedException();
    public void StopTimer(ITimer timer) { }
    public object? GetEnv(string name) => null;
    public object? ContextGet(ScriptContextScope scope, string key, string? store) => null;
    public void ContextSet(ScriptContextScope scope, string key, object? value, string? store) { }
    public void ContextDelete(ScriptContextScope scope, string key, string? store) { }
    public IReadOnlyList<string> ContextKeys(ScriptContextScope scope, string? store) => [];
    public object? EvaluateProperty(string value, string type, JsObject message) => null;
    public object? EvaluateJsonata(string expression, JsObject message) => null;
}

internal static class Flows
{
    public static string Chain(params string[] bodies)
    {
        var sb = new StringBuilder("""[{"id":"t","type":"tab","label":"bench"}""");
        for (var i = 0; i < bodies.Length; i++)
        {
            var next = i == bodies.Length - 1 ? "sink" : $"n{i + 1}";
            sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"n{{i}}","type":"function","z":"t","func":{{JsJson.Serialize(bodies[i])}},"outputs":1,"x":0,"y":0,"wires":[["{{next}}"]]}""");
        }
        sb.Append(""",{"id":"sink","type":"bench-sink","z":"t","x":0,"y":0,"wires":[]}]""");
        return sb.ToString();
    }

    public static string Junction() =>
        """[{"id":"t","type":"tab","label":"bench"},{"id":"n0","type":"junction","z":"t","x":0,"y":0,"wires":[["sink"]]},{"id":"sink","type":"bench-sink","z":"t","x":0,"y":0,"wires":[]}]""";
}

internal sealed record BenchResult(int Messages, TimeSpan Elapsed, TimeSpan Cpu, long PeakWorkingSet)
{
    public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;
    public double CpuMicrosecondsPerMessage => Cpu.TotalMicroseconds / Messages;
    public double WallMicrosecondsPerMessage => Elapsed.TotalMicroseconds / Messages;

    public string Describe(string name) => string.Create(CultureInfo.InvariantCulture,
        $"{name}: {Messages:N0} messages in {Elapsed.TotalSeconds:F2} s = {MessagesPerSecond:N0} msg/s; {WallMicrosecondsPerMessage:F2} µs wall and {CpuMicrosecondsPerMessage:F2} µs CPU per message; peak working set {PeakWorkingSet / 1048576.0:F0} MB; {Environment.ProcessorCount} cores");
}

internal static class Bench
{
    public static async Task<BenchResult> RunAsync(string flowJson, string entryNode, int total, Func<int, JsObject> makeMessage)
    {
        var registry = new NodeRegistry();
        CommonNodes.Register(registry);
        var sink = new SinkCounter(total);
        registry.Register(new NodeDeclaration("bench-sink") { Outputs = 0 }, s => new SinkNode(s, sink));
        var userDir = Directory.CreateTempSubdirectory("flowengine-fnbench-").FullName;
        try
        {
            await using var runtime = new FlowRuntime(new FlowRuntimeOptions
            {
                Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
                Registry = registry,
            });
            await runtime.StartAsync();
            await runtime.DeployAsync(JsJson.Parse(flowJson), DeploymentType.Full);
            var entry = runtime.FindRunner(entryNode) ?? throw new InvalidOperationException("entry node missing");

            // Warm-up: JIT tiering and the interpreter's per-node caches engage on repeated runs.
            var warmup = Math.Min(50_000, Math.Max(1, total / 4));
            sink.Reset(warmup);
            for (var i = 0; i < warmup; i++) entry.Enqueue(makeMessage(i));
            await sink.Done.Task;

            GC.Collect();
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            sink.Reset(total);
            var clock = Stopwatch.StartNew();
            long peakWorkingSet = 0;
            for (var i = 0; i < total; i++)
            {
                entry.Enqueue(makeMessage(i));
                // Back-pressure at the source, as a real input node would have: keep at most 20k waiting.
                if ((i & 1023) == 0)
                {
                    while (entry.QueueDepth > 20_000) await Task.Yield();
                    if ((i & 0xFFFF) == 0)
                    {
                        process.Refresh();
                        peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                    }
                }
            }
            await sink.Done.Task;
            clock.Stop();
            process.Refresh();
            peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
            return new BenchResult(total, clock.Elapsed, process.TotalProcessorTime - cpuBefore, peakWorkingSet);
        }
        finally
        {
            Directory.Delete(userDir, true);
        }
    }

    private sealed class SinkCounter(int target)
    {
        private int _count;
        private int _target = target;
        public TaskCompletionSource Done { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Reset(int newTarget)
        {
            _count = 0;
            _target = newTarget;
            Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // The sink is one node: its mailbox calls this one message at a time.
        public void Hit()
        {
            if (++_count == _target) Done.TrySetResult();
        }
    }

    private sealed class SinkNode(NodeSetup setup, SinkCounter counter) : FlowNode(setup)
    {
        protected override ValueTask OnInputAsync(NodeInput input)
        {
            counter.Hit();
            return ValueTask.CompletedTask;
        }
    }
}
