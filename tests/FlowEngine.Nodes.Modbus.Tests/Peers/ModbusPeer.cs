using FlowEngine.TestKit.Peers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlowEngine.Nodes.Modbus.Tests.Peers;

/// <summary>
/// The npm Modbus TCP server of tests/peers/modbus/server.js, started on a free loopback port. Installs the pinned
/// npm packages once (tests/peers/modbus/node_modules, git-ignored), records the REQ lines the server prints, and
/// kills exactly the process it started.
/// </summary>
public sealed class ModbusPeer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private ModbusPeer(int port, int unit)
    {
        Port = port;
        Unit = unit;
    }

    public int Port { get; }
    public int Unit { get; }

    /// <summary>Request lines ("REQ unit=1 fc=3 addr=0 qty=4") the server received since it started or since <see cref="ClearRequests"/>.</summary>
    public IReadOnlyList<string> Requests => _requests.ToList();

    public void ClearRequests() => _requests.Clear();

    public static string PeerDirectory { get; } = NpmPeers.Directory("modbus");

    public static async Task<ModbusPeer> StartAsync(int unit = 1)
    {
        await EnsureInstalledAsync();
        var peer = new ModbusPeer(FreePort(), unit);
        await peer.LaunchAsync();
        return peer;
    }

    /// <summary>Kills the server (it "disappears"); <see cref="RestartAsync"/> brings it back on the same port.</summary>
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
            ["MODBUS_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MODBUS_UNIT"] = Unit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _process = await NpmPeers.StartScriptAsync(PeerDirectory, "server.js", environment, "MODBUS_PEER_READY", line =>
        {
            if (line.StartsWith("REQ ", StringComparison.Ordinal)) _requests.Enqueue(line);
            else _output.Enqueue(line);
        }, TimeSpan.FromSeconds(20));
    }

    /// <summary>Lines with the function code, e.g. Count(fc: 3).</summary>
    public int Count(int fc) => _requests.Count(line => line.Contains($" fc={fc} ", StringComparison.Ordinal));

    public async ValueTask DisposeAsync() => await StopAsync();

    public static int FreePort() => NpmPeers.FreePort();

    /// <summary>npm install of tests/peers/modbus/package.json, once; later runs find node_modules in place.</summary>
    public static Task EnsureInstalledAsync() => NpmPeers.EnsureInstalledAsync(PeerDirectory, "node_modules/modbus-serial/package.json");

    /// <summary>Runs a program to completion; returns exit code and stdout + stderr.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string directory, TimeSpan timeout) =>
        NpmPeers.RunAsync(file, arguments, directory, timeout);
}

/// <summary>One npm peer shared by the tests of a class (they use distinct addresses when they write).</summary>
public sealed class ModbusPeerFixture : IAsyncLifetime
{
    public ModbusPeer Peer { get; private set; } = null!;

    public async Task InitializeAsync() => Peer = await ModbusPeer.StartAsync();

    public async Task DisposeAsync() => await Peer.DisposeAsync();
}
