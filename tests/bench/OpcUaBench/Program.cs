// OPC UA benchmark: one subscription of N monitored items (default 10,000) on the node-opcua peer of
// tests/peers/opcua, every item changing once a second. Measures, in this process only (the peer is a separate
// node process): notifications per second, CPU, managed heap and working set, and the delay from the server's
// source timestamp to the moment the client decoded the notification.
// Usage: dotnet run -c Release --project tests/bench/OpcUaBench -- [items=10000] [seconds=60] [mode=None|SignAndEncrypt]
// Server mode (FlowEngine's own OPC UA server, see ServerMode.cs):
//        dotnet run -c Release --project tests/bench/OpcUaBench -- server [items=10000] [seconds=60] [mode] [publishingMs=100]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;

if (args.Length > 0 && args[0] == "server")
{
    await ServerMode.RunAsync(args[1..]);
    return;
}

var items = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10000;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
var secure = args.Length > 2 && args[2] == "SignAndEncrypt";

var peerDirectory = FindPeerDirectory();
var port = FreePort();
var pki = Path.Combine(Path.GetTempPath(), "opcua-bench-pki-" + Guid.NewGuid().ToString("N")[..8]);
var start = new ProcessStartInfo("node", "server.js") { WorkingDirectory = peerDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
start.Environment["OPCUA_PORT"] = port.ToString(CultureInfo.InvariantCulture);
start.Environment["OPCUA_PKI"] = pki;
start.Environment["OPCUA_BENCH_ITEMS"] = items.ToString(CultureInfo.InvariantCulture);
using var peer = Process.Start(start)!;
var ready = new TaskCompletionSource();
peer.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("OPCUA_READY", StringComparison.Ordinal) == true) ready.TrySetResult(); };
peer.ErrorDataReceived += (_, _) => { };
peer.BeginOutputReadLine();
peer.BeginErrorReadLine();
await ready.Task.WaitAsync(TimeSpan.FromMinutes(2));
Console.WriteLine($"peer ready on port {port} with {items} bench items");

try
{
    var options = new UaClientOptions
    {
        EndpointUrl = new Uri($"opc.tcp://127.0.0.1:{port}/UA/TestPeer"),
        Mode = secure ? MessageSecurityMode.SignAndEncrypt : MessageSecurityMode.None,
        PolicyUri = secure ? SecurityPolicyUris.Basic256Sha256 : SecurityPolicyUris.None,
        ApplicationCertificate = secure ? new CertificateStore(Path.Combine(pki, "client")).GetOrCreateApplicationCertificate("urn:bench:FlowEngine", "FlowEngineBench") : null,
        ApplicationUri = "urn:bench:FlowEngine",
        ValidateServerCertificate = _ => { }, // the bench trusts its own peer
        RequestTimeout = TimeSpan.FromSeconds(60),
    };
    await using var connection = new UaConnection(options, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    var handler = new Handler();
    var specs = Enumerable.Range(0, items).Select(i => new MonitoredItemSpec($"ns=1;s=Bench.{i}", 1000, 1)).ToList();
    var setup = Stopwatch.StartNew();
    await using var subscription = connection.Subscribe(new UaSubscriptionOptions(1000, 10, 30), specs, handler);
    // Wait for the initial values of all items.
    while (handler.Count < items && setup.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(100);
    Console.WriteLine($"subscribed: {items} items, initial values after {setup.Elapsed.TotalSeconds:0.0} s; status: {handler.LastStatus}");
    await Task.Delay(3000); // settle
    GC.Collect();
    var process = Process.GetCurrentProcess();
    var cpuStart = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    handler.Reset();
    var peakWorkingSet = 0L;
    var peakHeap = 0L;
    while (wall.Elapsed < TimeSpan.FromSeconds(seconds))
    {
        await Task.Delay(1000);
        process.Refresh();
        peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
    }
    process.Refresh();
    var cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds / wall.Elapsed.TotalSeconds;
    var delays = handler.Delays();
    Console.WriteLine($"items {items}, run {wall.Elapsed.TotalSeconds:0} s, security {(secure ? "Basic256Sha256 SignAndEncrypt" : "None")}");
    Console.WriteLine($"notifications: {handler.Count} ({handler.Count / wall.Elapsed.TotalSeconds:0} /s, expected ~{items}/s)");
    Console.WriteLine($"client CPU: {cpu * 100:0.0} % of one core");
    Console.WriteLine($"managed heap peak: {peakHeap / 1048576.0:0.0} MB, working set peak: {peakWorkingSet / 1048576.0:0.0} MB");
    if (delays.Length > 0)
        Console.WriteLine($"delay source timestamp -> decoded: p50 {Percentile(delays, 0.5):0} ms, p99 {Percentile(delays, 0.99):0} ms, max {delays[^1]:0} ms (includes up to one publishing interval, 1000 ms, of server-side batching)");
    Console.WriteLine($"final status: {handler.LastStatus}");
}
finally
{
    if (!peer.HasExited) peer.Kill(entireProcessTree: true);
    await peer.WaitForExitAsync();
    try { Directory.Delete(pki, true); } catch (IOException) { }
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * p))];

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
        var candidate = Path.Combine(dir.FullName, "tests", "peers", "opcua");
        if (File.Exists(Path.Combine(candidate, "node_modules", "node-opcua", "package.json"))) return candidate;
    }
    throw new DirectoryNotFoundException("tests/peers/opcua with node_modules not found (run npm install --no-audit --no-fund there)");
}

internal sealed class Handler : IUaSubscriptionHandler
{
    private readonly ConcurrentQueue<double> _delays = new();
    private long _count;

    public long Count => Interlocked.Read(ref _count);
    public string LastStatus { get; private set; } = "";

    public void Reset()
    {
        Interlocked.Exchange(ref _count, 0);
        _delays.Clear();
    }

    public void OnDataChange(MonitoredItemSpec item, NodeId nodeId, DataValue value)
    {
        Interlocked.Increment(ref _count);
        if (value.SourceTimestamp is { } source && _delays.Count < 2_000_000) _delays.Enqueue((DateTime.UtcNow - source).TotalMilliseconds);
    }

    public void OnItemError(MonitoredItemSpec item, StatusCode status, string text) => LastStatus = "item error " + text;

    public void OnStatus(string text, bool healthy, StatusCode? status) => LastStatus = text;

    public double[] Delays()
    {
        var array = _delays.ToArray();
        Array.Sort(array);
        return array;
    }
}
