using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>
/// mosquitto stopped and restarted in the middle of a stream. Its own broker (so other tests are not disturbed),
/// with persistence on: a broker that is stopped keeps what it had accepted for a persistent session, as a
/// production broker must; FlowEngine's part is to buffer what it could not send, retransmit what was not
/// acknowledged, and resume its session.
/// </summary>
public sealed class OutageTests : IAsyncLifetime
{
    private readonly PersistentMosquitto _mosquitto = new();

    public Task InitializeAsync() => _mosquitto.StartAsync();

    public Task DisposeAsync() => _mosquitto.DisposeAsync().AsTask();

    [Fact]
    public async Task Broker_restart_in_the_middle_of_10000_qos1_messages_loses_none_and_keeps_their_order()
    {
        const int total = 10_000;
        var topic = Mqtt.Topic("outage");
        var session = $",\"clientid\":\"fe-outage-{Guid.NewGuid():N}\",\"cleansession\":false";
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(_mosquitto.Port, extra: session), Mqtt.In("in", topic, "utf8", "1"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")),
            new JsObject { ["mqttReconnectTime"] = 500.0 });
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");

        for (var i = 0; i < total; i++) flow.Send("out", new JsObject { ["payload"] = i.ToString(CultureInfo.InvariantCulture) });

        var received = new List<int>(total + 100);
        received.AddRange((await flow.NextAsync("h", 1500, TimeSpan.FromSeconds(60))).Select(m => int.Parse((string)m["payload"]!, CultureInfo.InvariantCulture)));
        await _mosquitto.StopAsync();
        await flow.StatusAsync("out", s => s.Fill == "red");
        await Task.Delay(300);
        await _mosquitto.StartAsync();

        var distinct = new HashSet<int>(received);
        while (distinct.Count < total)
        {
            var value = int.Parse((string)(await flow.NextAsync("h", TimeSpan.FromSeconds(60)))["payload"]!, CultureInfo.InvariantCulture);
            received.Add(value);
            distinct.Add(value);
        }
        await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(500));

        // QoS 1 is "at least once": a message whose acknowledgement was lost in the outage may come again. None may
        // be missing, and the first arrival of each must be in publishing order.
        var firstArrivals = new List<int>(total);
        var seen = new HashSet<int>();
        foreach (var value in received) if (seen.Add(value)) firstArrivals.Add(value);
        Assert.Equal(Enumerable.Range(0, total), firstArrivals);
        var duplicates = received.Count - total;
        Assert.True(duplicates <= 100, $"{duplicates} duplicates: more than the messages in flight at the outage");
    }

    /// <summary>mosquitto on one free loopback port with persistence in a temporary directory; stopped with SIGTERM.</summary>
    private sealed class PersistentMosquitto : IAsyncDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("flowengine-mosquitto-outage-").FullName;
        private Process? _process;

        public int Port { get; } = FreePort();

        public async Task StartAsync()
        {
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("mosquitto tests run on Linux");
            // mosquitto started as root drops to user "mosquitto", which must write the persistence file.
            File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);
            var config = Path.Combine(_directory, "mosquitto.conf");
            await File.WriteAllTextAsync(config, $"""
                persistence true
                persistence_location {_directory}/
                autosave_interval 0
                max_queued_messages 0
                max_inflight_messages 20
                listener {Port} 127.0.0.1
                allow_anonymous true
                """);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
            _process = Process.Start(new ProcessStartInfo("mosquitto", $"-c \"{config}\"") { RedirectStandardError = true, RedirectStandardOutput = true })
                ?? throw new InvalidOperationException("mosquitto did not start");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (true)
            {
                if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited ({_process.ExitCode}): {await _process.StandardError.ReadToEndAsync()}");
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, Port);
                    return;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }

        /// <summary>A clean stop (SIGTERM), as for maintenance: mosquitto writes its persistence file and exits.</summary>
        public async Task StopAsync()
        {
            if (_process is null) return;
            if (!_process.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await _process.WaitForExitAsync(timeout.Token);
            }
            _process.Dispose();
            _process = null;
        }

        public async ValueTask DisposeAsync()
        {
            if (_process is { HasExited: false }) _process.Kill();
            _process?.Dispose();
            _process = null;
            await Task.Yield();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
