using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Values;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>
/// The real program (flowengine.dll, copied next to the tests by the Host project reference) run as a child
/// process exactly as an example's README says: <c>flowengine -u USERDIR [-s settings.json] FLOWS</c>, on a free
/// loopback port, with the environment variables the example reads. Disposing kills it and deletes the user
/// directory.
/// </summary>
internal sealed class ExampleHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private ExampleHost(Process process, ConcurrentQueue<string> output, int port, string userDir)
    {
        _process = process;
        _output = output;
        Port = port;
        UserDir = userDir;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }
    public string UserDir { get; }
    public HttpClient Client { get; }
    /// <summary>Everything the program printed so far, for failure messages.</summary>
    public string Output => string.Join("\n", _output);

    /// <summary>The repository root (the folder holding examples/ and FlowEngine.sln), found upwards from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ExampleDirectory(string name) => Path.Combine(RepositoryRoot, "examples", name);

    /// <summary>Starts the program with an example's flows.json (copied into a temporary user directory) and waits for /readyz.</summary>
    /// <param name="waitForConnections">true: ready also means every connection node (MQTT, Modbus...) is connected.</param>
    public static async Task<ExampleHost> StartAsync(string example, IReadOnlyDictionary<string, string>? environment = null,
        IEnumerable<string>? extraArgs = null, bool waitForConnections = true)
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-example-").FullName;
        var flowFile = Path.Combine(userDir, "flows.json");
        File.Copy(Path.Combine(ExampleDirectory(example), "flows.json"), flowFile);
        var port = FreeTcpPort();
        var program = Path.Combine(AppContext.BaseDirectory, "flowengine.dll");
        // The same dotnet that runs the tests (the test host is started through it), else the one on PATH.
        var dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var arg in (string[])[program, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", userDir, .. extraArgs ?? [], flowFile])
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new ExampleHost(process, output, port, userDir);
        try
        {
            await host.WaitUntilReadyAsync(waitForConnections);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private async Task WaitUntilReadyAsync(bool waitForConnections)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"flowengine exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await Client.GetAsync(waitForConnections ? "readyz" : "readyz?connections=false");
                last = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"flowengine was not ready after {StartTimeout.TotalSeconds} s ({last}):\n{Output}");
    }

    public async Task<object?> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsJson.Parse(body);
    }

    /// <summary>Presses an inject node's button (POST /inject/:id).</summary>
    public async Task InjectAsync(string nodeId)
    {
        using var response = await Client.PostAsync("inject/" + nodeId, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Polls <paramref name="read"/> until it returns a value, or fails with what it saw last and the program's output.</summary>
    public async Task<T> WaitForAsync<T>(string what, Func<Task<T?>> read, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (await read() is { } found) return found;
            if (_process.HasExited) break;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{what}: not seen in time. Program output:\n{Output}");
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(UserDir, recursive: true);
        }
        catch (IOException)
        {
            // A store file still held for a moment; the OS cleans the temp directory later.
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlowEngine.sln")) && Directory.Exists(Path.Combine(dir.FullName, "examples"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no repository root (FlowEngine.sln and examples/) above {AppContext.BaseDirectory}");
    }
}
