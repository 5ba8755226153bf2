using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>
/// A real Debian mosquitto on loopback, started by the tests themselves: a temporary directory with a CA, a server
/// certificate (localhost, 127.0.0.1), a client certificate, a second CA the server does not use, a password file,
/// and four listeners on free ports: plain anonymous, plain with password, TLS (anonymous), TLS requiring a client
/// certificate. Stops (and can restart, on the same ports) only its own process.
/// </summary>
/// <remarks>Needs the Debian packages mosquitto, mosquitto-clients and openssl.</remarks>
public sealed class MosquittoFixture : IAsyncLifetime
{
    public const string User = "user1";
    public const string Password = "password1";

    private Process? _process;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("flowengine-mosquitto-").FullName;
    public int PlainPort { get; private set; }
    public int AuthPort { get; private set; }
    public int TlsPort { get; private set; }
    public int MutualTlsPort { get; private set; }
    public string CaFile => Path.Combine(Directory, "ca.crt");
    public string OtherCaFile => Path.Combine(Directory, "other-ca.crt");
    public string ClientCertFile => Path.Combine(Directory, "client.crt");
    public string ClientKeyFile => Path.Combine(Directory, "client.key");
    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
    private string LogFile => Path.Combine(Directory, "mosquitto.log");
    private string ConfigFile => Path.Combine(Directory, "mosquitto.conf");

    public async Task InitializeAsync()
    {
        // mosquitto started as root drops to user "mosquitto": every file it reads must be readable by others.
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("mosquitto tests run on Linux");
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await MakeCertificatesAsync();
        await RunAsync("mosquitto_passwd", $"-c -b {Quote(Path.Combine(Directory, "passwd"))} {User} {Password}");
        await RunAsync("mosquitto_passwd", $"-b {Quote(Path.Combine(Directory, "passwd"))} sensor s3cret");
        foreach (var file in System.IO.Directory.GetFiles(Directory)) if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
        PlainPort = FreePort();
        AuthPort = FreePort();
        TlsPort = FreePort();
        MutualTlsPort = FreePort();
        File.WriteAllText(ConfigFile, $"""
            per_listener_settings true
            persistence false
            log_dest file {LogFile}
            log_type error
            log_type warning
            log_type notice
            log_type information
            connection_messages true
            max_queued_messages 100000

            listener {PlainPort} 127.0.0.1
            allow_anonymous true

            listener {AuthPort} 127.0.0.1
            allow_anonymous false
            password_file {Path.Combine(Directory, "passwd")}

            listener {TlsPort} 127.0.0.1
            allow_anonymous true
            cafile {CaFile}
            certfile {Path.Combine(Directory, "server.crt")}
            keyfile {Path.Combine(Directory, "server.key")}

            listener {MutualTlsPort} 127.0.0.1
            allow_anonymous true
            cafile {CaFile}
            certfile {Path.Combine(Directory, "server.crt")}
            keyfile {Path.Combine(Directory, "server.key")}
            require_certificate true
            use_identity_as_username true
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(ConfigFile, (UnixFileMode)0b110_100_100);
        await StartAsync();
    }

    /// <summary>Starts mosquitto (again) on the same ports and waits until a real publish succeeds.</summary>
    public async Task StartAsync()
    {
        if (File.Exists(LogFile)) File.Delete(LogFile);
        _process = Process.Start(new ProcessStartInfo("mosquitto", $"-c {Quote(ConfigFile)}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("mosquitto did not start");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited ({_process.ExitCode}): {await _process.StandardError.ReadToEndAsync()} {Log}");
            var (code, _) = await RunAsync("mosquitto_pub", $"-h 127.0.0.1 -p {PlainPort} -t fixture/ready -m 1", check: false);
            if (code == 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("mosquitto did not answer: " + Log);
            await Task.Delay(50);
        }
    }

    /// <summary>Stops mosquitto (SIGKILL: an abrupt outage, nothing flushed).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task MakeCertificatesAsync()
    {
        var d = Directory;
        await RunAsync("openssl", $"req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=FlowEngine-Test-CA -keyout {Quote(Path.Combine(d, "ca.key"))} -out {Quote(CaFile)}");
        await RunAsync("openssl", $"req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=Other-CA -keyout {Quote(Path.Combine(d, "other-ca.key"))} -out {Quote(OtherCaFile)}");
        await RunAsync("openssl", $"req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout {Quote(Path.Combine(d, "server.key"))} -out {Quote(Path.Combine(d, "server.csr"))}");
        File.WriteAllText(Path.Combine(d, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        await RunAsync("openssl", $"x509 -req -in {Quote(Path.Combine(d, "server.csr"))} -CA {Quote(CaFile)} -CAkey {Quote(Path.Combine(d, "ca.key"))} -CAcreateserial -days 3650 -extfile {Quote(Path.Combine(d, "server.ext"))} -out {Quote(Path.Combine(d, "server.crt"))}");
        await RunAsync("openssl", $"req -newkey rsa:2048 -nodes -subj /CN=testclient -keyout {Quote(ClientKeyFile)} -out {Quote(Path.Combine(d, "client.csr"))}");
        File.WriteAllText(Path.Combine(d, "client.ext"), "extendedKeyUsage=clientAuth\n");
        await RunAsync("openssl", $"x509 -req -in {Quote(Path.Combine(d, "client.csr"))} -CA {Quote(CaFile)} -CAkey {Quote(Path.Combine(d, "ca.key"))} -CAcreateserial -days 3650 -extfile {Quote(Path.Combine(d, "client.ext"))} -out {Quote(ClientCertFile)}");
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string arguments, bool check = true)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await error}");
        return (process.ExitCode, await output + await error);
    }

    private static string Quote(string path) => "\"" + path + "\"";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class MosquittoCollection : ICollectionFixture<MosquittoFixture>
{
    public const string Name = "mosquitto";
}
