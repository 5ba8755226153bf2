using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>
/// A real InfluxDB 1.x (Debian's influxd, listed in tests/apt-packages.txt) with an empty temporary state, HTTP
/// and RPC on free loopback ports. Queries go straight to its HTTP API, never through FlowEngine.
/// </summary>
internal sealed class InfluxDaemon : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _directory;
    private Process? _process;

    private InfluxDaemon(string directory, int httpPort)
    {
        _directory = directory;
        Url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{httpPort}");
    }

    public string Url { get; }

    public static async Task<InfluxDaemon> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("flowengine-example-influx-").FullName;
        var httpPort = ExampleHost.FreeTcpPort();
        var daemon = new InfluxDaemon(directory, httpPort);
        var state = Path.Combine(directory, "state");
        var config = Path.Combine(directory, "influxdb.conf");
        // Only the HTTP API is needed; the RPC port still has to be free, and nothing runs in the background.
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            reporting-enabled = false
            bind-address = "127.0.0.1:{ExampleHost.FreeTcpPort()}"
            [meta]
              dir = "{state}/meta"
            [data]
              dir = "{state}/data"
              wal-dir = "{state}/wal"
              query-log-enabled = false
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            [http]
              bind-address = "127.0.0.1:{httpPort}"
              auth-enabled = false
              log-enabled = false
            [logging]
              level = "warn"
            """));
        try
        {
            await daemon.LaunchAsync(config);
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
        return daemon;
    }

    private async Task LaunchAsync(string config)
    {
        var start = new ProcessStartInfo("influxd", ["run", "-config", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("influxd is not installed (apt-get install influxdb, see tests/apt-packages.txt)", ex);
        }
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("influxd exited:\n" + string.Join("\n", _log));
            try
            {
                using var response = await _http.GetAsync(Url + "/ping");
                if (response.StatusCode == HttpStatusCode.NoContent) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("influxd did not answer /ping in 30 s:\n" + string.Join("\n", _log));
    }

    /// <summary>Runs one InfluxQL statement; returns the first series' rows as value arrays (empty when there is no series).</summary>
    public async Task<List<JsonElement[]>> QueryAsync(string query, string? database = null)
    {
        var form = new Dictionary<string, string> { ["q"] = query };
        if (database is not null) form["db"] = database;
        using var response = await _http.PostAsync(Url + "/query", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"influx query {query}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var result = json.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error)) throw new InvalidOperationException($"influx query {query}: {error}");
        if (!result.TryGetProperty("series", out var series)) return [];
        return series[0].GetProperty("values").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.Clone()).ToArray()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // influxd may hold a file for a moment after exit; the OS cleans temp later.
        }
    }
}
