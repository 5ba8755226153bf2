// HTTP benchmark: the flowengine program (built next to this one) runs as its own process with the flow
// http in (GET /bench) -> change -> http response, and wrk drives it (Debian package wrk; autocannon from npm when wrk
// is missing). Reports requests/s, latency p50/p99 as the load generator measured them, and the CPU time the host
// process used per request (from its own process counters, so the load generator's CPU is not counted).
//
//   dotnet run -c Release --project tests/bench/HttpBench -- [--connections 50] [--threads 2] [--seconds 10]
//       [--warmup 3]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

var options = Options.Parse(args);
var userDir = Directory.CreateTempSubdirectory("flowengine-http-bench-").FullName;
await File.WriteAllTextAsync(Path.Combine(userDir, "flows.json"), """
    [{"id":"t1","type":"tab","label":"HTTP bench"},
     {"id":"in","type":"http in","z":"t1","x":100,"y":40,"url":"/bench","method":"get","wires":[["set"]]},
     {"id":"set","type":"change","z":"t1","x":260,"y":40,"rules":[{"t":"set","p":"payload","pt":"msg","to":"{\"ok\":true}","tot":"json"}],"wires":[["out"]]},
     {"id":"out","type":"http response","z":"t1","x":420,"y":40,"statusCode":"","headers":{},"wires":[]}]
    """);
var port = FreePort();
var program = Path.Combine(AppContext.BaseDirectory, "flowengine.dll");
using var host = Process.Start(new ProcessStartInfo("dotnet", ["exec", program, "-p", port.ToString(CultureInfo.InvariantCulture), "-u", userDir])
{
    RedirectStandardOutput = true,
    RedirectStandardError = true,
    UseShellExecute = false,
}) ?? throw new InvalidOperationException("could not start the flowengine program");
host.OutputDataReceived += (_, _) => { };
host.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("host: " + e.Data); };
host.BeginOutputReadLine();
host.BeginErrorReadLine();
var url = $"http://127.0.0.1:{port}/bench";
try
{
    await WaitUntilServingAsync(url);
    Console.WriteLine($"flowengine pid {host.Id} serving {url}; http in -> change -> http response");
    Console.WriteLine($"warming up {options.Warmup} s ...");
    await RunLoadAsync(url, options with { Seconds = options.Warmup });

    host.Refresh();
    var cpuBefore = host.TotalProcessorTime;
    var result = await RunLoadAsync(url, options);
    host.Refresh();
    var cpu = host.TotalProcessorTime - cpuBefore;
    var memory = host.WorkingSet64;

    Console.WriteLine($"tool            {result.Tool} -c {options.Connections} -t {options.Threads} -d {options.Seconds}s");
    Console.WriteLine($"requests        {result.Requests:N0} ({result.Errors:N0} errors / non-2xx)");
    Console.WriteLine($"requests/s      {result.RequestsPerSecond:N0}");
    Console.WriteLine($"latency p50     {result.P50Ms:0.00} ms");
    Console.WriteLine($"latency p99     {result.P99Ms:0.00} ms");
    Console.WriteLine($"host CPU        {cpu.TotalSeconds:0.00} s over {options.Seconds} s ({cpu.TotalSeconds / options.Seconds * 100:0} % of one core)");
    Console.WriteLine($"CPU per request {(result.Requests > 0 ? cpu.TotalMicroseconds / result.Requests : 0):0.0} µs");
    Console.WriteLine($"host working set {memory / (1024.0 * 1024):0} MB");
}
finally
{
    if (!host.HasExited) host.Kill(entireProcessTree: true);
    await host.WaitForExitAsync();
    try
    {
        Directory.Delete(userDir, recursive: true);
    }
    catch (IOException)
    {
        // The temp directory is cleaned by the OS later.
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitUntilServingAsync(string url)
{
    using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (true)
    {
        try
        {
            using var response = await client.GetAsync(url);
            if (response.StatusCode == HttpStatusCode.OK) return;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet.
        }
        if (DateTime.UtcNow > deadline) throw new TimeoutException($"{url} did not answer 200 within 60 s");
        await Task.Delay(200);
    }
}

static async Task<LoadResult> RunLoadAsync(string url, Options options)
{
    if (OnPath("wrk")) return ParseWrk(await RunAsync("wrk", ["--latency", "-c", Text(options.Connections), "-t", Text(options.Threads), "-d", Text(options.Seconds) + "s", url]));
    if (OnPath("npx")) return ParseAutocannon(await RunAsync("npx", ["--yes", "autocannon", "--json", "-c", Text(options.Connections), "-d", Text(options.Seconds), url]));
    throw new InvalidOperationException("neither wrk (apt-get install wrk) nor npx (for autocannon) is on the PATH");
}

static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

static bool OnPath(string tool) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, tool)));

static async Task<string> RunAsync(string tool, string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
        ?? throw new InvalidOperationException($"could not start {tool}");
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {await error}");
    return await output;
}

// wrk --latency prints "Latency Distribution" with "50%  1.23ms" lines, "N requests in 10.00s",
// "Non-2xx or 3xx responses: N", "Socket errors: ..." and "Requests/sec: N".
static LoadResult ParseWrk(string output)
{
    double? p50 = null, p99 = null, perSecond = null;
    long requests = 0, errors = 0;
    foreach (var raw in output.Split('\n'))
    {
        var line = raw.Trim();
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[0] == "50%") p50 = Milliseconds(parts[1]);
        else if (parts.Length == 2 && parts[0] == "99%") p99 = Milliseconds(parts[1]);
        else if (line.StartsWith("Requests/sec:", StringComparison.Ordinal)) perSecond = double.Parse(parts[1], CultureInfo.InvariantCulture);
        else if (parts.Length > 2 && parts[1] == "requests" && parts[2] == "in") requests = long.Parse(parts[0], CultureInfo.InvariantCulture);
        else if (line.StartsWith("Non-2xx", StringComparison.Ordinal)) errors += long.Parse(parts[^1], CultureInfo.InvariantCulture);
        else if (line.StartsWith("Socket errors:", StringComparison.Ordinal))
        {
            // "Socket errors: connect 0, read 0, write 0, timeout 0"
            foreach (var count in line["Socket errors:".Length..].Split(',')) errors += long.Parse(count.Trim().Split(' ')[^1], CultureInfo.InvariantCulture);
        }
    }
    if (p50 is null || p99 is null || perSecond is null) throw new InvalidOperationException("could not read wrk's output:\n" + output);
    return new LoadResult("wrk", requests, errors, perSecond.Value, p50.Value, p99.Value);
}

static double Milliseconds(string text)
{
    var unit = text.TrimStart("0123456789.".ToCharArray());
    var value = double.Parse(text[..^unit.Length], CultureInfo.InvariantCulture);
    return unit switch
    {
        "us" => value / 1000,
        "ms" => value,
        "s" => value * 1000,
        "m" => value * 60_000,
        _ => throw new FormatException($"unknown wrk time unit in \"{text}\""),
    };
}

static LoadResult ParseAutocannon(string output)
{
    using var json = JsonDocument.Parse(output);
    var root = json.RootElement;
    var latency = root.GetProperty("latency");
    var requests = root.GetProperty("requests");
    var errors = root.GetProperty("errors").GetInt64() + root.GetProperty("non2xx").GetInt64();
    return new LoadResult("autocannon", requests.GetProperty("total").GetInt64(), errors, requests.GetProperty("average").GetDouble(),
        latency.GetProperty("p50").GetDouble(), latency.GetProperty("p99").GetDouble());
}

internal sealed record LoadResult(string Tool, long Requests, long Errors, double RequestsPerSecond, double P50Ms, double P99Ms);

internal sealed record Options(int Connections, int Threads, int Seconds, int Warmup)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(50, 2, 10, 3);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--connections" => options with { Connections = value },
                "--threads" => options with { Threads = value },
                "--seconds" => options with { Seconds = value },
                "--warmup" => options with { Warmup = value },
                _ => throw new ArgumentException($"unknown option {args[i]} (expected --connections, --threads, --seconds, --warmup)"),
            };
        }
        return options;
    }
}
