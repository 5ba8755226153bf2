using FlowEngine.TestKit.Peers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlowEngine.Nodes.OpcUa.Tests.Peers;

/// <summary>
/// The node-opcua server of tests/peers/opcua/server.js on a free loopback port, with its own PKI folder. Installs
/// the pinned npm package once (node_modules is git-ignored), and kills exactly the process it started.
/// </summary>
public sealed class OpcUaPeer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private OpcUaPeer(int port, string pki)
    {
        Port = port;
        PkiDirectory = pki;
    }

    public int Port { get; }
    public string PkiDirectory { get; }
    public string EndpointUrl => string.Create(CultureInfo.InvariantCulture, $"opc.tcp://127.0.0.1:{Port}/UA/TestPeer");
    public string ServerCertificatePath => Path.Combine(PkiDirectory, "server", "own", "certs", "certificate.pem");
    public const string User = "user1";
    public const string Password = "password1";

    public static string PeerDirectory { get; } = NpmPeers.Directory("opcua");

    public static async Task<OpcUaPeer> StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        await EnsureInstalledAsync();
        var pki = Path.Combine(Path.GetTempPath(), "flowengine-opcua-pki-" + Guid.NewGuid().ToString("N")[..8]);
        var peer = new OpcUaPeer(FreePort(), pki) { _environment = environment };
        await peer.LaunchAsync();
        return peer;
    }

    private IReadOnlyDictionary<string, string>? _environment;

    public string Output => string.Join("\n", _output);

    /// <summary>Kills the server; <see cref="RestartAsync"/> brings it back on the same port with the same certificate.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        await NpmPeers.StopAsync(process);
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    private async Task LaunchAsync()
    {
        var environment = new Dictionary<string, string>
        {
            ["OPCUA_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["OPCUA_PKI"] = PkiDirectory,
            ["OPCUA_USER"] = User,
            ["OPCUA_PASSWORD"] = Password,
        };
        foreach (var (key, value) in _environment ?? new Dictionary<string, string>()) environment[key] = value;
        _process = await NpmPeers.StartScriptAsync(PeerDirectory, "server.js", environment, "OPCUA_READY", _output.Enqueue, TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(PkiDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreePort() => NpmPeers.FreePort();

    /// <summary>npm install of tests/peers/opcua/package.json, once; later runs find node_modules in place.</summary>
    public static Task EnsureInstalledAsync() => NpmPeers.EnsureInstalledAsync(PeerDirectory, "node_modules/node-opcua/package.json");
}

/// <summary>One server shared by the tests of a class (tests that write use distinct variables or restore them).</summary>
public sealed class OpcUaPeerFixture : IAsyncLifetime
{
    public OpcUaPeer Peer { get; private set; } = null!;

    public async Task InitializeAsync() => Peer = await OpcUaPeer.StartAsync();

    public async Task DisposeAsync() => await Peer.DisposeAsync();
}
