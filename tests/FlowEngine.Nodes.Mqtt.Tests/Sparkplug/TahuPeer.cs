using FlowEngine.TestKit.Peers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

/// <summary>
/// The independent Sparkplug B decoder and encoder of tests/peers/sparkplug/peer.js: Eclipse Tahu's npm
/// sparkplug-payload (protobufjs with its own copy of the schema) on an mqtt.js client. Installs the pinned npm
/// packages once (node_modules is git-ignored), and kills exactly the process it started.
/// </summary>
internal sealed class TahuPeer : IAsyncDisposable
{
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    public ConcurrentQueue<JsonObject> All { get; } = new();

    public static string PeerDirectory { get; } = NpmPeers.Directory("sparkplug");

    public static async Task<TahuPeer> StartAsync(int port, string filter)
    {
        await EnsureInstalledAsync();
        var peer = new TahuPeer();
        await peer.LaunchAsync(port, filter);
        return peer;
    }

    private async Task LaunchAsync(int port, string filter)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo("node", "peer.js")
        {
            WorkingDirectory = PeerDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["SPARKPLUG_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["SPARKPLUG_FILTER"] = filter;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            _output.Enqueue(line);
            if (line == "SPARKPLUG_PEER_READY") ready.TrySetResult();
            else if (line.StartsWith('{') && JsonNode.Parse(line) is JsonObject o && o.ContainsKey("topic"))
            {
                All.Enqueue(o);
                _messages.Writer.TryWrite(o);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) _output.Enqueue("stderr: " + line);
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the Sparkplug peer exited:\n" + string.Join("\n", _output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            await DisposeAsync();
            throw new TimeoutException("the Sparkplug peer did not get ready:\n" + string.Join("\n", _output));
        }
    }

    /// <summary>The next decoded message on a topic (others are skipped but stay in <see cref="All"/>).</summary>
    public async Task<JsonObject> NextAsync(string topic, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(cts.Token);
                if ((string?)message["topic"] == topic) return message;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the Sparkplug peer saw nothing on {topic}; it saw: {string.Join(" | ", All.Select(m => m["topic"]))}\n{string.Join("\n", _output.Where(l => !l.StartsWith('{')))}");
        }
    }

    /// <summary>Encodes a payload (Tahu's JSON form) with Tahu's encoder and publishes it.</summary>
    public Task PublishAsync(string topic, JsonObject payload) => WriteAsync(new JsonObject { ["topic"] = topic, ["payload"] = payload });

    public Task PublishRawAsync(string topic, byte[] bytes) => WriteAsync(new JsonObject { ["topic"] = topic, ["raw"] = Convert.ToHexStringLower(bytes) });

    private async Task WriteAsync(JsonObject request)
    {
        var process = _process ?? throw new InvalidOperationException("the peer is not running");
        await process.StandardInput.WriteLineAsync(request.ToJsonString());
        await process.StandardInput.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    private static Task EnsureInstalledAsync() =>
        NpmPeers.EnsureInstalledAsync(PeerDirectory, "node_modules/sparkplug-payload/package.json", "node_modules/mqtt/package.json");
}
