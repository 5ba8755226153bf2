using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
namespace FlowEngine.TestKit.Peers;

/// <summary>
/// The node-opcua client of tests/peers/opcua/client.js as an external process (a SCADA, UaExpert or any other
/// client in the tests): it runs a plan of steps against an OPC UA server and prints one line per step. Lines are read as they come, so a test can act while the client
/// waits (change a value once "SUBSCRIBED" is printed). Kills exactly the process it started.
/// </summary>
public sealed class NodeOpcUaClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _all = [];

    private NodeOpcUaClient(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_all) return string.Join("\n", _all);
        }
    }

    public static async Task<NodeOpcUaClient> StartAsync(object plan)
    {
        var directory = NpmPeers.Directory("opcua");
        await NpmPeers.EnsureInstalledAsync(directory, "node_modules/node-opcua/package.json");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("client.js");
        start.ArgumentList.Add(JsonSerializer.Serialize(plan));
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var client = new NodeOpcUaClient(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line) client.Add(line);
            else client._lines.Writer.TryComplete();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) client.Add("stderr: " + line);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return client;
    }

    private void Add(string line)
    {
        lock (_all) _all.Add(line);
        if (!line.StartsWith("stderr: ", StringComparison.Ordinal)) _lines.Writer.TryWrite(line);
    }

    /// <summary>The JSON after the next line starting with <paramref name="prefix"/> (CONNECTED, SUBSCRIBED, STEP, FAILED, DONE).</summary>
    public async Task<JsonElement> NextAsync(string prefix, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cancel.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith("FAILED", StringComparison.Ordinal) && prefix != "FAILED")
                        throw new InvalidOperationException($"the node-opcua client failed while {prefix} was expected:\n{Output}");
                    if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
                    var json = line[prefix.Length..].Trim();
                    return json.Length == 0 ? default : JsonDocument.Parse(json).RootElement.Clone();
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the node-opcua client printed no {prefix} line:\n{Output}");
        }
        throw new InvalidOperationException($"the node-opcua client ended without a {prefix} line:\n{Output}");
    }

    /// <summary>The next STEP line's result; a failed step throws with the client's error.</summary>
    public async Task<JsonElement> StepAsync(TimeSpan? timeout = null)
    {
        var step = await NextAsync("STEP", timeout);
        if (!step.GetProperty("ok").GetBoolean()) throw new InvalidOperationException($"step {step.GetProperty("op")} failed: {step.GetProperty("error")}\n{Output}");
        return step.GetProperty("result");
    }

    public async Task<string> StepErrorAsync(TimeSpan? timeout = null)
    {
        var step = await NextAsync("STEP", timeout);
        if (step.GetProperty("ok").GetBoolean()) throw new InvalidOperationException("the step was expected to fail: " + step);
        return step.GetProperty("error").GetString() ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
        }
        await NpmPeers.StopAsync(_process);
    }
}
