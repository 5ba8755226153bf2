using System.Diagnostics;

namespace FlowEngine.Nodes.Camera.Tests.Peers;

/// <summary>A real Debian mosquitto on a free loopback port (anonymous), started and stopped by the tests.</summary>
/// <remarks>Needs the Debian packages mosquitto and mosquitto-clients.</remarks>
public sealed class MosquittoFixture : IAsyncLifetime
{
    private Process? _process;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("flowengine-camera-mosquitto-").FullName;
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        // mosquitto started as root drops to user "mosquitto": its files must be readable by others.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        Port = PeerProcess.FreePort();
        var config = Path.Combine(Directory, "mosquitto.conf");
        File.WriteAllText(config, $"""
            persistence false
            log_dest stderr
            listener {Port} 127.0.0.1
            allow_anonymous true
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        _process = Process.Start(new ProcessStartInfo("mosquitto", ["-c", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("mosquitto did not start");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited ({_process.ExitCode}): {await _process.StandardError.ReadToEndAsync()}");
            var (code, _) = await PeerProcess.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "fixture/ready", "-m", "1"], check: false);
            if (code == 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("mosquitto did not answer");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
