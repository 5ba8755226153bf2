using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common;

// In-process engine benchmarks: messages are pushed straight into the first node of a flow and counted by a sink,
// so the figures are the engine's alone (no broker, no HTTP). Usage: CoreBench [chain|junctions|switch|parallel] [messages]
var scenario = args.Length > 0 ? args[0] : "chain";
var total = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;

var result = scenario switch
{
    "chain" => await Bench.RunAsync("10 change nodes in a chain", Flows.ChangeChain(10), ["c0"], total, i => new JsObject { ["payload"] = (double)i, ["topic"] = "t" }),
    "junctions" => await Bench.RunAsync("10 junctions in a chain (scheduler only)", Flows.JunctionChain(10), ["c0"], total, i => new JsObject { ["payload"] = (double)i, ["topic"] = "t" }),
    "switch" => await Bench.RunAsync("switch with 10 rules to 10 change nodes", Flows.SwitchFanOut(10), ["sw"], total, i => new JsObject { ["payload"] = (double)i, ["k"] = (double)(i % 10) }),
    "parallel" => await Bench.RunAsync("8 independent flows of 10 change nodes each, fed round-robin", Flows.ParallelChains(8, 10), Enumerable.Range(0, 8).Select(f => $"f{f}c0").ToArray(), total, i => new JsObject { ["payload"] = (double)i, ["topic"] = "t" }),
    _ => throw new ArgumentException($"unknown scenario {scenario}"),
};
Console.WriteLine(result);

internal static class Flows
{
    public static string JunctionChain(int length)
    {
        var sb = new StringBuilder("""[{"id":"t","type":"tab","label":"bench"}""");
        for (var i = 0; i < length; i++)
        {
            var next = i == length - 1 ? "sink" : $"c{i + 1}";
            sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"c{{i}}","type":"junction","z":"t","x":0,"y":0,"wires":[["{{next}}"]]}""");
        }
        sb.Append(""",{"id":"sink","type":"bench-sink","z":"t","x":0,"y":0,"wires":[]}]""");
        return sb.ToString();
    }

    public static string SwitchFanOut(int branches)
    {
        var rules = string.Join(",", Enumerable.Range(0, branches).Select(b => $$"""{"t":"eq","v":"{{b}}","vt":"num"}"""));
        var wires = string.Join(",", Enumerable.Range(0, branches).Select(b => $$"""["b{{b}}"]"""));
        var sb = new StringBuilder($$"""[{"id":"t","type":"tab","label":"bench"},{"id":"sw","type":"switch","z":"t","property":"k","propertyType":"msg","rules":[{{rules}}],"checkall":"false","outputs":{{branches}},"x":0,"y":0,"wires":[{{wires}}]}""");
        for (var b = 0; b < branches; b++)
        {
            sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"b{{b}}","type":"change","z":"t","rules":[{"t":"set","p":"branch","pt":"msg","to":"{{b}}","tot":"num"}],"x":0,"y":0,"wires":[["sink"]]}""");
        }
        sb.Append(""",{"id":"sink","type":"bench-sink","z":"t","x":0,"y":0,"wires":[]}]""");
        return sb.ToString();
    }

    /// <summary>Independent flows (one tab each) sharing nothing but the counter: how the engine spreads over the cores.</summary>
    public static string ParallelChains(int flows, int length)
    {
        var sb = new StringBuilder("[");
        for (var f = 0; f < flows; f++)
        {
            sb.Append(CultureInfo.InvariantCulture, $$"""{"id":"t{{f}}","type":"tab","label":"bench {{f}}"},""");
            for (var i = 0; i < length; i++)
            {
                var next = i == length - 1 ? $"sink{f}" : $"f{f}c{i + 1}";
                sb.Append(CultureInfo.InvariantCulture, $$"""{"id":"f{{f}}c{{i}}","type":"change","z":"t{{f}}","rules":[{"t":"set","p":"step{{i}}","pt":"msg","to":"{{i}}","tot":"num"}],"x":0,"y":0,"wires":[["{{next}}"]]},""");
            }
            sb.Append(CultureInfo.InvariantCulture, $$"""{"id":"sink{{f}}","type":"bench-sink","z":"t{{f}}","x":0,"y":0,"wires":[]}""");
            if (f < flows - 1) sb.Append(',');
        }
        sb.Append(']');
        return sb.ToString();
    }

    public static string ChangeChain(int length)
    {
        var sb = new StringBuilder("""[{"id":"t","type":"tab","label":"bench"}""");
        for (var i = 0; i < length; i++)
        {
            var next = i == length - 1 ? "sink" : $"c{i + 1}";
            sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"c{{i}}","type":"change","z":"t","rules":[{"t":"set","p":"step{{i}}","pt":"msg","to":"{{i}}","tot":"num"}],"x":0,"y":0,"wires":[["{{next}}"]]}""");
        }
        sb.Append(""",{"id":"sink","type":"bench-sink","z":"t","x":0,"y":0,"wires":[]}]""");
        return sb.ToString();
    }
}

internal static class Bench
{
    public static async Task<string> RunAsync(string name, string flowJson, string[] entryNodes, int total, Func<int, JsObject> makeMessage)
    {
        var registry = new NodeRegistry();
        CommonNodes.Register(registry);
        var sink = new SinkCounter(total);
        registry.Register(new NodeDeclaration("bench-sink") { Outputs = 0 }, s => new SinkNode(s, sink));
        var userDir = Directory.CreateTempSubdirectory("flowengine-bench-").FullName;
        await using var runtime = new FlowRuntime(new FlowRuntimeOptions
        {
            Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
            Registry = registry,
        });
        await runtime.StartAsync();
        await runtime.DeployAsync(JsJson.Parse(flowJson), DeploymentType.Full);
        var entries = entryNodes.Select(id => runtime.FindRunner(id) ?? throw new InvalidOperationException($"entry node {id} missing")).ToArray();

        // Warm-up so the JIT's tiering does not count against the measurement.
        var warmup = Math.Min(50_000, total / 10);
        sink.Reset(warmup, entries.Length);
        for (var i = 0; i < warmup; i++) entries[i % entries.Length].Enqueue(makeMessage(i));
        await sink.Done.Task;

        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        sink.Reset(total, entries.Length);
        var clock = Stopwatch.StartNew();
        long peakWorkingSet = 0;
        for (var i = 0; i < total; i++)
        {
            // Back-pressure at the source, as a real input node has it (a TCP window, a broker's in-flight limit): a
            // credit per batch, returned by the sink as the batch comes out. Waiting on a credit costs nothing while
            // the flow is busy; the spinning loop this replaced took a third of a core from the engine it measured.
            if (i % SinkCounter.CreditBatch == 0) await sink.Credits.WaitAsync().ConfigureAwait(false);
            entries[i % entries.Length].Enqueue(makeMessage(i));
            if ((i & 0xFFFF) == 0)
            {
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
            }
        }
        await sink.Done.Task;
        clock.Stop();
        process.Refresh();
        peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)total;
        var collections = $"{GC.CollectionCount(0) - gcBefore.Item1}/{GC.CollectionCount(1) - gcBefore.Item2}/{GC.CollectionCount(2) - gcBefore.Item3}";
        var rate = total / clock.Elapsed.TotalSeconds;
        Directory.Delete(userDir, true);
        return string.Create(CultureInfo.InvariantCulture,
            $"{name}: {total:N0} messages in {clock.Elapsed.TotalSeconds:F2} s = {rate:N0} msg/s; CPU {cpu.TotalMicroseconds / total:F2} µs per message; {allocated:F0} bytes allocated per message; GCs gen0/1/2 {collections}; {(GCSettings.IsServerGC ? "server" : "workstation")} GC; peak working set {peakWorkingSet / 1048576.0:F0} MB (process peak {process.PeakWorkingSet64 / 1048576.0:F0} MB); {Environment.ProcessorCount} cores");
    }

    private sealed class SinkCounter(int target)
    {
        private int _count;
        private int _target = target;
        public TaskCompletionSource Done { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Messages per credit. <see cref="Reset"/> hands out 4 credits per entry node: about 1,000 messages in flight at each.</summary>
        public const int CreditBatch = 256;

        public SemaphoreSlim Credits { get; private set; } = new(0);

        public void Reset(int newTarget, int entryCount)
        {
            _count = 0;
            _target = newTarget;
            Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Credits = new SemaphoreSlim(4 * entryCount);
        }

        public void Hit()
        {
            var count = Interlocked.Increment(ref _count);
            if (count % CreditBatch == 0) Credits.Release();
            if (count == _target) Done.TrySetResult();
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
