using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;

// Deadband and alarm nodes over many tags through a real FlowRuntime (system clock, LiteDB alarm history on disk).
// Each tag does a random walk; messages go round-robin over the tags into the node's mailbox as fast as the node
// takes them (the producer waits when more than 50,000 are queued, so the figure is a sustained rate, not a burst).
// Usage: IndustrialBench [deadband|alarm|all] [messages] [tags] [nodes]
//   nodes > 1 shards the tags over that many node instances (every sample of a tag always reaches the same one),
//   as DESIGN.md's scale section dispatches by tag.
var scenario = args.Length > 0 ? args[0] : "all";
var total = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000_000;
var tags = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
var shards = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;

Console.WriteLine($"IndustrialBench: {total:N0} messages over {tags:N0} tags, {shards} node(s), {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (scenario is "deadband" or "all")
{
    Console.WriteLine(await Bench.RunAsync("deadband (band 0.5 absolute, heartbeat 60 s)", "deadband",
        """{"band":0.5,"bandType":"absolute","compareTo":"sent","maxInterval":60}""", total, tags, shards));
}
if (scenario is "alarm" or "all")
{
    // No ROC rule here: its result depends on the wall-clock time between samples, which would make runs differ.
    Console.WriteLine(await Bench.RunAsync("alarm (HIHI, HI, LO, LOLO with hysteresis, BAD on every tag; states and history to LiteDB)", "alarm",
        """{"rules":[{"type":"HIHI","limit":95},{"type":"HI","limit":80,"hysteresis":2},{"type":"LO","limit":20,"hysteresis":2},{"type":"LOLO","limit":5},{"type":"BAD"}]}""",
        total, tags, shards));
}

internal static class Bench
{
    private const int MaxQueued = 50_000;

    public static async Task<string> RunAsync(string title, string type, string properties, int total, int tagCount, int shards)
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-industrial-bench-").FullName;
        using var services = new IndustrialServices(Path.Combine(userDir, IndustrialServices.DatabaseFileName));
        var registry = new NodeRegistry();
        IndustrialNodes.Register(registry, services);
        var sink = new Counter();
        registry.Register(new NodeDeclaration("bench-sink") { Outputs = 0 }, s => new SinkNode(s, sink));
        await using var runtime = new FlowRuntime(new FlowRuntimeOptions
        {
            Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
            Registry = registry,
        });
        await runtime.StartAsync();
        await runtime.DeployAsync(JsJson.Parse(FlowJson(type, properties, shards)), DeploymentType.Full);
        var runners = Enumerable.Range(0, shards).Select(i => runtime.FindRunner($"n{i}") ?? throw new InvalidOperationException("node missing")).ToArray();
        var tagNames = Enumerable.Range(0, tagCount).Select(i => $"plant/area{i % 10}/TT-{i:D5}").ToArray();
        var values = new double[tagCount];
        var random = new Random(42);
        for (var i = 0; i < tagCount; i++) values[i] = 50;

        // Warm-up (JIT tiers, first sight of every tag) is not measured.
        await PumpAsync(runners, tagNames, values, random, Math.Max(tagCount * 2, total / 10));
        await DrainAsync(runners);
        sink.Value = 0;
        var before = runners.Sum(r => Interlocked.Read(ref r.MessagesIn));
        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await PumpAsync(runners, tagNames, values, random, total);
        await DrainAsync(runners);
        clock.Stop();
        process.Refresh();
        var processed = runners.Sum(r => Interlocked.Read(ref r.MessagesIn)) - before;
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        var history = type == "alarm" ? services.Alarms.History(new AlarmHistoryQuery { PageSize = 1 }).Total : 0;
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        var line = new StringBuilder();
        line.AppendLine(CultureInfo.InvariantCulture, $"{title}");
        line.AppendLine(CultureInfo.InvariantCulture, $"  {processed:N0} messages in {clock.Elapsed.TotalSeconds:F2} s = {processed / clock.Elapsed.TotalSeconds:N0} msg/s; CPU {cpu:F2} s = {processed / cpu:N0} msg per CPU-second");
        line.AppendLine(CultureInfo.InvariantCulture, $"  outputs: {sink.Value:N0}{(type == "alarm" ? $" events, alarm history entries: {history:N0}, active alarms: {services.Alarms.Active().Count:N0}" : "")}");
        line.Append(CultureInfo.InvariantCulture, $"  peak working set {process.PeakWorkingSet64 / 1048576.0:F0} MB, managed heap after run {heap / 1048576.0:F0} MB");
        await runtime.StopAsync();
        try { Directory.Delete(userDir, recursive: true); } catch (IOException) { }
        return line.ToString();
    }

    private static async Task PumpAsync(NodeRunner[] runners, string[] tags, double[] values, Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var tag = i % tags.Length;
            // A random walk with rare jumps, so deadbands pass about half the samples and alarms change state now and then.
            var step = random.NextDouble() - 0.5;
            if (random.Next(1000) == 0) step *= 60;
            values[tag] = Math.Clamp(values[tag] + step, 0, 100);
            var message = new JsObject { ["topic"] = tags[tag], ["payload"] = values[tag] };
            if (random.Next(10_000) == 0) message["quality"] = "bad";
            var runner = runners[tag % runners.Length];
            runner.Enqueue(message);
            if ((i & 1023) == 0)
            {
                while (runner.QueueDepth > MaxQueued) await Task.Delay(1);
            }
        }
    }

    private static async Task DrainAsync(NodeRunner[] runners)
    {
        while (runners.Any(r => r.QueueDepth > 0)) await Task.Delay(1);
        await Task.Delay(20);
    }

    private static string FlowJson(string type, string properties, int shards)
    {
        var inner = properties.Trim()[1..^1];
        var sb = new StringBuilder("""[{"id":"t","type":"tab","label":"bench"}""");
        for (var i = 0; i < shards; i++)
        {
            // The alarm's pass-through output is left unwired: a sink that receives every message measures the
            // scheduler's hand-off (CoreBench does that), not the alarm node.
            var wires = type == "alarm" ? """[["sink"],[]]""" : """[["sink"]]""";
            sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"n{{i}}","type":"{{type}}","z":"t",{{inner}},"wires":{{wires}}}""");
        }
        sb.Append(""",{"id":"sink","type":"bench-sink","z":"t","wires":[]}]""");
        return sb.ToString();
    }
}

internal sealed class Counter
{
    public long Value;
}

internal sealed class SinkNode(NodeSetup setup, Counter counter) : FlowNode(setup)
{
    protected override ValueTask OnInputAsync(NodeInput input)
    {
        Interlocked.Increment(ref counter.Value);
        return ValueTask.CompletedTask;
    }
}
