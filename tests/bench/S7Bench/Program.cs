// S7 polling benchmark: N s7 endpoints, each with its own connection to the Snap7 S7Server of tests/peers/s7/server.js
// (a separate Node process, so the CPU measured here is FlowEngine's) and V variables of DB1/DB3, polled every cycle; one
// s7 in node per endpoint in "all" mode without diff sends one message per cycle to a counting sink.
//
//   dotnet run -c Release --project tests/bench/S7Bench -- [--endpoints 100] [--cycle 1000] [--seconds 30] [--warmup 5]
//
// Reports: CPU of this process (% of one core), working set, allocation rate, cycles, skipped cycles, messages, and
// cycle lateness (how late each cycle started against its fixed grid): p50, p99, max.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.S7;

var endpoints = Arg("--endpoints", 100);
var cycleMs = Arg("--cycle", 1000);
var seconds = Arg("--seconds", 30);
var warmup = Arg("--warmup", 5);

var peerDirectory = FindPeerDirectory();
if (!File.Exists(Path.Combine(peerDirectory, "node_modules", "node-snap7", "build", "Release", "node_snap7.node")))
{
    using var npm = Process.Start(new ProcessStartInfo("npm", "install --no-audit --no-fund --loglevel=error") { WorkingDirectory = peerDirectory })!;
    await npm.WaitForExitAsync();
}
var port = FreePort();
using var peer = await StartPeerAsync(peerDirectory, port);
Console.WriteLine($"Snap7 S7Server ready on 127.0.0.1:{port} (node pid {peer.Id})");

long messages = 0;
var registry = new NodeRegistry();
S7Nodes.Register(registry);
registry.Register(new NodeDeclaration("bench-sink") { Category = "hidden", Inputs = 1, Outputs = 0 }, s => new SinkNode(s, () => Interlocked.Increment(ref messages)));

var userDir = Directory.CreateTempSubdirectory("flowengine-s7-bench-").FullName;
await using var runtime = new FlowRuntime(new FlowRuntimeOptions { Registry = registry, Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }) });
await runtime.StartAsync();
await runtime.DeployAsync(JsJson.Parse(BuildFlow()), DeploymentType.Full);
var nodes = Enumerable.Range(0, endpoints).Select(i => (S7EndpointNode)runtime.Services.Nodes.Find($"plc{i}")!).ToList();

Console.WriteLine($"{endpoints} endpoints, 10 variables each, cycle {cycleMs} ms; warming up {warmup} s ...");
await Task.Delay(TimeSpan.FromSeconds(warmup));
var connected = nodes.Count(n => n.State == S7State.Connected);
var cyclesBefore = nodes.Sum(n => n.CyclesRun);
var skippedBefore = nodes.Sum(n => n.SkippedCycles);
var latenessBefore = nodes.Select(n => { lock (n.LatenessMs) return n.LatenessMs.Count; }).ToList();
var messagesBefore = Interlocked.Read(ref messages);
var process = Process.GetCurrentProcess();
process.Refresh();
var cpuBefore = process.TotalProcessorTime;
var allocatedBefore = GC.GetTotalAllocatedBytes();
var watch = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(seconds));
watch.Stop();
process.Refresh();
var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / watch.Elapsed.TotalMilliseconds * 100;
var allocatedPerSecond = (GC.GetTotalAllocatedBytes() - allocatedBefore) / watch.Elapsed.TotalSeconds;
var lateness = nodes.SelectMany((n, i) => { lock (n.LatenessMs) return n.LatenessMs.Skip(latenessBefore[i]).ToList(); }).Order().ToList();
double Percentile(double p) => lateness.Count == 0 ? double.NaN : lateness[(int)Math.Min(lateness.Count - 1, Math.Floor(p * lateness.Count))];

var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"endpoints connected     {connected}/{endpoints}");
report.AppendLine(CultureInfo.InvariantCulture, $"measured                {watch.Elapsed.TotalSeconds:0.0} s");
report.AppendLine(CultureInfo.InvariantCulture, $"cycles                  {nodes.Sum(n => n.CyclesRun) - cyclesBefore} (expected ~{endpoints * seconds * 1000 / cycleMs})");
report.AppendLine(CultureInfo.InvariantCulture, $"skipped cycles          {nodes.Sum(n => n.SkippedCycles) - skippedBefore}");
report.AppendLine(CultureInfo.InvariantCulture, $"messages                {Interlocked.Read(ref messages) - messagesBefore}");
report.AppendLine(CultureInfo.InvariantCulture, $"CPU                     {cpu:0.0} % of one core");
report.AppendLine(CultureInfo.InvariantCulture, $"working set             {process.WorkingSet64 / 1048576.0:0.0} MB, GC heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MB");
report.AppendLine(CultureInfo.InvariantCulture, $"allocations             {allocatedPerSecond / 1048576.0:0.00} MB/s");
report.AppendLine(CultureInfo.InvariantCulture, $"cycle lateness ms       p50 {Percentile(0.5):0.00}  p99 {Percentile(0.99):0.00}  max {(lateness.Count > 0 ? lateness[^1] : double.NaN):0.00}  (n={lateness.Count})");
var phases = nodes.Select(n => n.Phase.TotalMilliseconds).ToList();
report.AppendLine(CultureInfo.InvariantCulture, $"first-cycle phases ms   min {phases.Min():0} max {phases.Max():0} distinct {phases.Distinct().Count()}");
Console.Write(report.ToString());

await runtime.DisposeAsync();
peer.Kill(entireProcessTree: true);
await peer.WaitForExitAsync();
Directory.Delete(userDir, recursive: true);
return;

int Arg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

string BuildFlow()
{
    const string vartable = """
        [{"addr":"DB1,REAL0","name":"temperature"},{"addr":"DB1,INT4","name":"counter"},{"addr":"DB1,X6.0","name":"running"},
         {"addr":"DB1,X6.1","name":"toggle"},{"addr":"DB1,DINT8","name":"total"},{"addr":"DB1,S12.20","name":"line"},
         {"addr":"DB3,WORD2","name":"word"},{"addr":"DB3,LREAL18","name":"lreal"},{"addr":"MB0","name":"flags"},{"addr":"IW2","name":"input"}]
        """;
    var nodes = new List<string> { """{"id":"t1","type":"tab","label":"S7 bench"}""", """{"id":"sink","type":"bench-sink","z":"t1","wires":[]}""" };
    for (var i = 0; i < endpoints; i++)
    {
        nodes.Add($$"""{"id":"plc{{i}}","type":"s7 endpoint","address":"127.0.0.1","port":{{port}},"rack":0,"slot":1,"cycletime":{{cycleMs}},"timeout":5000,"vartable":{{vartable}}}""");
        nodes.Add($$"""{"id":"in{{i}}","type":"s7 in","z":"t1","endpoint":"plc{{i}}","mode":"all","diff":false,"wires":[["sink"]]}""");
    }
    return "[" + string.Join(",", nodes) + "]";
}

static async Task<Process> StartPeerAsync(string directory, int port)
{
    var start = new ProcessStartInfo("node", "server.js") { WorkingDirectory = directory, RedirectStandardOutput = true, UseShellExecute = false };
    start.Environment["S7_PORT"] = port.ToString(CultureInfo.InvariantCulture);
    var process = Process.Start(start)!;
    while (await process.StandardOutput.ReadLineAsync() is { } line)
    {
        if (line.StartsWith("S7_READY", StringComparison.Ordinal)) return process;
    }
    throw new InvalidOperationException("the S7 peer exited before S7_READY");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string FindPeerDirectory()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "tests", "peers", "s7");
        if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
    }
    throw new DirectoryNotFoundException("tests/peers/s7 not found");
}

/// <summary>Counts the messages that reach it.</summary>
internal sealed class SinkNode(NodeSetup setup, Action onMessage) : FlowNode(setup)
{
    protected override ValueTask OnInputAsync(NodeInput input)
    {
        onMessage();
        return ValueTask.CompletedTask;
    }
}
