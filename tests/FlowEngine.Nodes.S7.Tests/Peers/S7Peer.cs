using FlowEngine.TestKit.Peers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlowEngine.Nodes.S7.Tests.Peers;

/// <summary>
/// The node-snap7 S7Server of tests/peers/s7/server.js on a free loopback port. Installs the pinned npm package once
/// (tests/peers/s7/node_modules, git-ignored; node-snap7 builds Snap7 from its bundled sources with node-gyp when no
/// prebuilt binary can be downloaded) and kills exactly the process it started.
/// </summary>
public sealed class S7Peer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private S7Peer(int port) => Port = port;

    public int Port { get; }

    public static string PeerDirectory { get; } = NpmPeers.Directory("s7");

    public static async Task<S7Peer> StartAsync()
    {
        await EnsureInstalledAsync();
        var peer = new S7Peer(FreePort());
        await peer.LaunchAsync();
        return peer;
    }

    /// <summary>Kills the server (the PLC "disappears"); <see cref="LaunchAsync"/> brings it back on the same port.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async Task LaunchAsync()
    {
        var start = new ProcessStartInfo("node", "server.js")
        {
            WorkingDirectory = PeerDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["S7_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            _output.Enqueue(line);
            if (line.StartsWith("S7_READY", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line) _output.Enqueue("stderr: " + line);
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the S7 peer exited:\n" + string.Join("\n", _output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            await StopAsync();
            throw new TimeoutException("the S7 peer did not print S7_READY:\n" + string.Join("\n", _output));
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public static int FreePort() => NpmPeers.FreePort();

    /// <summary>npm install of tests/peers/s7/package.json, once; later runs find the built addon in place.</summary>
    public static Task EnsureInstalledAsync() =>
        NpmPeers.EnsureInstalledAsync(PeerDirectory, "node_modules/node-snap7/build/Release/node_snap7.node");
}

/// <summary>One S7 peer shared by the tests of a class (tests that write use distinct addresses).</summary>
public sealed class S7PeerFixture : IAsyncLifetime
{
    public S7Peer Peer { get; private set; } = null!;

    public async Task InitializeAsync() => Peer = await S7Peer.StartAsync();

    public async Task DisposeAsync() => await Peer.DisposeAsync();
}
