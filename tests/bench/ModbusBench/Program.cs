// Modbus polling benchmark: N devices of R holding registers each, every one polled by its own modbus-read node
// (R uint16 tags, merged into one request) every interval, on loopback. The devices are modbus-serial servers in a
// separate Node process (tests/peers/modbus/many-servers.js), so the CPU and memory measured here are FlowEngine's.
//
//   dotnet run -c Release --project tests/bench/ModbusBench -- [--devices 100] [--registers 100] [--interval 1000]
//       [--seconds 60] [--warmup 5]
//
// Reports: CPU of this process (% of one core), working set and GC heap, allocation rate, polls and skipped polls,
// tick lateness (how late each poll started against its fixed schedule) and the spread of intervals between
// consecutive values of one device at the flow's sink.
using System.Collections.Concurrent;
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
using FlowEngine.Nodes.Modbus;

var options = Options.Parse(args);
var peerDirectory = FindPeerDirectory();
await EnsureNpmAsync(peerDirectory);

var ports = FreePorts(options.Devices);
using var devices = await StartDevicesAsync(peerDirectory, ports, options.Registers);
Console.WriteLine($"{options.Devices} Modbus servers ready (node pid {devices.Id}), {options.Registers} registers each");

var arrivals = new ConcurrentDictionary<string, ConcurrentQueue<long>>();
var registry = new NodeRegistry();
ModbusNodes.Register(registry);
registry.Register(SinkNode.Declaration, s => new SinkNode(s, arrivals));

var userDir = Directory.CreateTempSubdirectory("flowengine-modbus-bench-").FullName;
await using var runtime = new FlowRuntime(new FlowRuntimeOptions
{
    Registry = registry,
    Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
});
await runtime.StartAsync();
await runtime.DeployAsync(JsJson.Parse(BuildFlow(ports, options)), DeploymentType.Full);
var readNodes = Enumerable.Range(0, options.Devices).Select(i => (ModbusReadNode)runtime.Services.Nodes.Find($"read{i}")!).ToList();

Console.WriteLine($"warming up {options.Warmup} s ...");
await Task.Delay(TimeSpan.FromSeconds(options.Warmup));
foreach (var queue in arrivals.Values) queue.Clear();
var pollsBefore = readNodes.Sum(n => n.Statistics.Polls);
var skippedBefore = readNodes.Sum(n => n.Statistics.Skipped);
var latenessBefore = readNodes.Select(n => n.Statistics.LatenessMs().Length).ToList();

var process = Process.GetCurrentProcess();
process.Refresh();
var cpuBefore = process.TotalProcessorTime;
var allocatedBefore = GC.GetTotalAllocatedBytes();
var gen0Before = GC.CollectionCount(0);
var gen2Before = GC.CollectionCount(2);
var watch = Stopwatch.StartNew();
long peakWorkingSet = 0;
Console.WriteLine($"measuring {options.Seconds} s ...");
while (watch.Elapsed < TimeSpan.FromSeconds(options.Seconds))
{
    await Task.Delay(1000);
    process.Refresh();
    peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
}
var elapsed = watch.Elapsed;
process.Refresh();
var cpu = process.TotalProcessorTime - cpuBefore;
var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;

var polls = readNodes.Sum(n => n.Statistics.Polls) - pollsBefore;
var skipped = readNodes.Sum(n => n.Statistics.Skipped) - skippedBefore;
var lateness = readNodes.SelectMany((n, i) => n.Statistics.LatenessMs().Skip(latenessBefore[i])).OrderBy(x => x).ToArray();
var intervals = new List<double>();
foreach (var queue in arrivals.Values)
{
    var times = queue.ToArray();
    for (var i = 1; i < times.Length; i++) intervals.Add(Stopwatch.GetElapsedTime(times[i - 1], times[i]).TotalMilliseconds);
}
var deviation = intervals.Select(x => Math.Abs(x - options.Interval)).OrderBy(x => x).ToArray();
var messages = arrivals.Values.Sum(q => q.Count);
var requestsPerSecond = polls / elapsed.TotalSeconds;
var errorStatuses = readNodes.Count(n => n.Status.Fill is "red" or "yellow");

var report = new StringBuilder();
void Line(string label, string value) => report.AppendLine(CultureInfo.InvariantCulture, $"{label,-34} {value}");
report.AppendLine();
report.AppendLine(CultureInfo.InvariantCulture, $"Modbus polling: {options.Devices} devices x {options.Registers} registers, every {options.Interval} ms, {elapsed.TotalSeconds:0.0} s measured");
Line("machine", $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
Line("CPU (FlowEngine process)", Invariant($"{cpu.TotalMilliseconds / elapsed.TotalMilliseconds * 100:0.0} % of one core ({cpu.TotalSeconds:0.00} s CPU)"));
Line("working set (end / peak)", Invariant($"{process.WorkingSet64 / 1048576.0:0.0} MiB / {peakWorkingSet / 1048576.0:0.0} MiB"));
Line("GC heap after run", Invariant($"{GC.GetTotalMemory(false) / 1048576.0:0.0} MiB"));
Line("allocation rate", Invariant($"{allocated / elapsed.TotalSeconds / 1048576.0:0.00} MiB/s ({allocated / Math.Max(1, polls) / 1024.0:0.0} KiB per poll)"));
Line("GCs during run (gen0 / gen2)", Invariant($"{GC.CollectionCount(0) - gen0Before} / {GC.CollectionCount(2) - gen2Before}"));
Line("polls (requests) per second", Invariant($"{requestsPerSecond:0.0} (expected {options.Devices * 1000.0 / options.Interval:0.0})"));
Line("values per second", Invariant($"{requestsPerSecond * options.Registers:0}"));
Line("messages at sink", messages.ToString(CultureInfo.InvariantCulture));
Line("skipped polls", skipped.ToString(CultureInfo.InvariantCulture));
Line("nodes in error at end", errorStatuses.ToString(CultureInfo.InvariantCulture));
Line("tick lateness p50 / p99 / max", Invariant($"{Percentile(lateness, 0.5):0.00} / {Percentile(lateness, 0.99):0.00} / {Percentile(lateness, 1):0.00} ms"));
Line("interval deviation p50 / p99 / max", Invariant($"{Percentile(deviation, 0.5):0.00} / {Percentile(deviation, 0.99):0.00} / {Percentile(deviation, 1):0.00} ms"));
Console.WriteLine(report.ToString());

await runtime.DisposeAsync();
StopDevices(devices);
try { Directory.Delete(userDir, recursive: true); } catch (IOException) { }
return errorStatuses == 0 && skipped == 0 ? 0 : 1;

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

static string BuildFlow(IReadOnlyList<int> ports, Options options)
{
    var items = new List<string> { """{"id":"tab","type":"tab","label":"bench"}""", """{"id":"sink","type":"bench-sink","z":"tab","wires":[]}""" };
    var tags = string.Join(",", Enumerable.Range(0, options.Registers).Select(r => $$"""{"name":"r{{r}}","area":"holding","address":{{r}},"type":"uint16"}"""));
    for (var i = 0; i < ports.Count; i++)
    {
        items.Add($$"""{"id":"dev{{i}}","type":"modbus-device","host":"127.0.0.1","port":{{ports[i]}},"unitId":1,"timeout":1000}""");
        items.Add($$"""{"id":"read{{i}}","type":"modbus-read","z":"tab","device":"dev{{i}}","interval":{{options.Interval}},"output":"poll","topic":"dev{{i}}","tags":[{{tags}}],"wires":[["sink"]]}""");
    }
    return "[" + string.Join(",", items) + "]";
}

static List<int> FreePorts(int count)
{
    var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
    foreach (var listener in listeners) listener.Start();
    var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
    foreach (var listener in listeners) listener.Stop();
    return ports;
}

static async Task<Process> StartDevicesAsync(string directory, IReadOnlyList<int> ports, int registers)
{
    var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var start = new ProcessStartInfo("node", $"many-servers.js {string.Join(",", ports)} {registers}")
    {
        WorkingDirectory = directory,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
    process.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("MANY_READY", StringComparison.Ordinal) == true) ready.TrySetResult(); };
    process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine("devices: " + line); };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    try
    {
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
    catch (TimeoutException)
    {
        process.Kill(entireProcessTree: true);
        throw;
    }
    return process;
}

static void StopDevices(Process process)
{
    if (!process.HasExited) process.Kill(entireProcessTree: true);
    process.WaitForExit(5000);
}

static async Task EnsureNpmAsync(string directory)
{
    if (File.Exists(Path.Combine(directory, "node_modules", "modbus-serial", "package.json"))) return;
    var install = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error") { WorkingDirectory = directory })
        ?? throw new InvalidOperationException("npm did not start");
    await install.WaitForExitAsync();
    if (install.ExitCode != 0) throw new InvalidOperationException("npm ci failed in " + directory);
}

static string FindPeerDirectory()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "tests", "peers", "modbus");
        if (File.Exists(Path.Combine(candidate, "many-servers.js"))) return candidate;
    }
    throw new DirectoryNotFoundException("tests/peers/modbus not found");
}

internal sealed record Options(int Devices, int Registers, int Interval, int Seconds, int Warmup)
{
    public static Options Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        return new Options(Get("--devices", 100), Get("--registers", 100), Get("--interval", 1000), Get("--seconds", 60), Get("--warmup", 5));
    }
}

/// <summary>Records when each device's values arrive (monotonic timestamps), per topic.</summary>
internal sealed class SinkNode(NodeSetup setup, ConcurrentDictionary<string, ConcurrentQueue<long>> arrivals) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("bench-sink") { Category = "hidden", Inputs = 1, Outputs = 0, Help = "Benchmark sink." };

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var topic = input.Message.Get("topic") as string ?? "";
        arrivals.GetOrAdd(topic, _ => new ConcurrentQueue<long>()).Enqueue(Stopwatch.GetTimestamp());
        return ValueTask.CompletedTask;
    }
}
