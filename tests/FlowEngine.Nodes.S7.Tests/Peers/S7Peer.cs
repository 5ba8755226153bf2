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
        await NpmPeers.StopAsync(process);
    }

    public async Task LaunchAsync()
    {
        var environment = new Dictionary<string, string> { ["S7_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        _process = await NpmPeers.StartScriptAsync(PeerDirectory, "server.js", environment, "S7_READY", _output.Enqueue, TimeSpan.FromSeconds(20));
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
