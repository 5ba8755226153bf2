using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace FlowEngine.Nodes.Influx.Tests.Peers;

/// <summary>
/// A real Debian influxd (InfluxDB 1.x, package "influxdb", see tests/apt-packages.txt) on free loopback ports, with
/// its data in a fresh temporary directory. <see cref="StopAsync"/> kills it (the "database goes away");
/// <see cref="RestartAsync"/> brings it back on the same port with its data. Kills only the process it started.
/// </summary>
public sealed class InfluxPeer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private Process? _process;

    private InfluxPeer(string directory, int httpPort, int rpcPort)
    {
        Directory = directory;
        HttpPort = httpPort;
        RpcPort = rpcPort;
    }

    public string Directory { get; }
    public int HttpPort { get; }
    public int RpcPort { get; }
    public string Url => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{HttpPort}");

    public static async Task<InfluxPeer> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("influx-peer-").FullName;
        var peer = new InfluxPeer(directory, FreePort(), FreePort());
        peer.WriteConfig();
        await peer.LaunchAsync();
        return peer;
    }

    private string ConfigPath => Path.Combine(Directory, "influxdb.conf");

    private void WriteConfig()
    {
        var state = Path.Combine(Directory, "state");
        File.WriteAllText(ConfigPath, string.Create(CultureInfo.InvariantCulture, $"""
            reporting-enabled = false
            bind-address = "127.0.0.1:{RpcPort}"
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
              enabled = true
              bind-address = "127.0.0.1:{HttpPort}"
              auth-enabled = false
              log-enabled = false
            [logging]
              level = "warn"
            """));
    }

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo("influxd", ["run", "-config", ConfigPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("influxd is not installed: apt-get install influxdb (listed in tests/apt-packages.txt)", ex);
        }
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) _output.Enqueue(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) _output.Enqueue(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException("influxd exited:\n" + string.Join("\n", _output));
            try
            {
                using var response = await _http.GetAsync(Url + "/ping");
                if (response.StatusCode == HttpStatusCode.NoContent) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        await StopAsync();
        throw new TimeoutException("influxd did not answer /ping:\n" + string.Join("\n", _output));
    }

    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Runs InfluxQL directly (not through the code under test) and returns the JSON.</summary>
    public async Task<JsonDocument> QueryAsync(string query, string? database = null)
    {
        var form = new Dictionary<string, string> { ["q"] = query };
        if (database is not null) form["db"] = database;
        using var response = await _http.PostAsync(Url + "/query", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }

    public async Task CreateDatabaseAsync(string name) => (await QueryAsync($"CREATE DATABASE \"{name}\"")).Dispose();

    /// <summary>The first value of the first series of the first statement, or null when there is no series.</summary>
    public async Task<JsonElement?> ScalarAsync(string query, string database)
    {
        using var doc = await QueryAsync(query, database);
        var result = doc.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error)) throw new InvalidOperationException(error.ToString());
        if (!result.TryGetProperty("series", out var series)) return null;
        return series[0].GetProperty("values")[0][1].Clone();
    }

    /// <summary>Rows of the first statement as column → value.</summary>
    public async Task<List<Dictionary<string, JsonElement>>> RowsAsync(string query, string database)
    {
        using var doc = await QueryAsync(query, database);
        var rows = new List<Dictionary<string, JsonElement>>();
        var result = doc.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error)) throw new InvalidOperationException(error.ToString());
        if (!result.TryGetProperty("series", out var series)) return rows;
        foreach (var s in series.EnumerateArray())
        {
            var columns = s.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
            foreach (var values in s.GetProperty("values").EnumerateArray())
            {
                var row = new Dictionary<string, JsonElement>();
                var i = 0;
                foreach (var v in values.EnumerateArray()) row[columns[i++]] = v.Clone();
                if (s.TryGetProperty("tags", out var tags))
                {
                    foreach (var t in tags.EnumerateObject()) row[t.Name] = t.Value.Clone();
                }
                rows.Add(row);
            }
        }
        return rows;
    }

    /// <summary>Polls a count query until it reaches <paramref name="expected"/> or the wait ends; returns the last count.</summary>
    public async Task<long> WaitForCountAsync(string query, string database, long expected, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        long last = 0;
        while (true)
        {
            var value = await ScalarAsync(query, database);
            last = value is { } v ? v.GetInt64() : 0;
            if (last >= expected || DateTime.UtcNow > deadline) return last;
            await Task.Delay(100);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One influxd for a whole test class (each test uses its own database).</summary>
public sealed class InfluxPeerFixture : IAsyncLifetime
{
    private InfluxPeer? _peer;

    public InfluxPeer Peer => _peer ?? throw new InvalidOperationException("the peer is not started");

    public async Task InitializeAsync() => _peer = await InfluxPeer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_peer is not null) await _peer.DisposeAsync();
    }
}
