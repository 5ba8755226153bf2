using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>
/// An MQTT broker inside the FlowEngine process (MQTTnet's server), for a quick start or a small site with nothing
/// else installed. Off unless the settings turn it on:
/// <code>
/// "mqttBroker": {
///   "enabled": true,
///   "host": "127.0.0.1",        // address to listen on (default loopback only)
///   "port": 1883,               // 0 picks a free port (see Port)
///   "tls": { "port": 8883, "cert": "server.crt", "key": "server.key", "passphrase": "…" }  // or "pfx": "server.p12"
///   "users": [ { "username": "u", "password": "plain text or a bcrypt hash" } ],
///   "allowAnonymous": false     // default: true when no users are listed, false otherwise
/// }
/// </code>
/// </summary>
/// <remarks>The host creates one at start (<see cref="StartAsync"/>) and disposes it at shutdown.</remarks>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    /// <summary>The settings key.</summary>
    public const string SettingsKey = "mqttBroker";

    private MqttServer? _server;
    private IReadOnlyList<(string User, string Password)> _users = [];
    private bool _allowAnonymous = true;

    /// <summary>The plain listener's port once started (the chosen one when the settings said 0).</summary>
    public int? Port { get; private set; }

    /// <summary>The TLS listener's port once started, or null without TLS.</summary>
    public int? TlsPort { get; private set; }

    public string Host { get; private set; } = "127.0.0.1";

    public bool IsRunning => _server?.IsStarted == true;

    /// <summary>
    /// Starts the broker when <c>settings.mqttBroker.enabled</c> is true; returns false (and does nothing) otherwise.
    /// Throws <see cref="InvalidOperationException"/> with a readable message when the settings are wrong or a port is taken.
    /// </summary>
    public async Task<bool> StartAsync(RuntimeSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Raw.Get(SettingsKey) is not JsObject options || options.Get("enabled") is not (true or "true")) return false;
        if (_server is not null) throw new InvalidOperationException("The embedded MQTT broker is already started.");

        Host = options.Get("host") as string is { Length: > 0 } h ? h : "127.0.0.1";
        var address = Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(Host, out var parsed) ? parsed
            : throw new InvalidOperationException($"{SettingsKey}.host: \"{Host}\" is not an IP address");
        var port = Port0(options.Get("port"), 1883, "port");
        if (port == 0) port = FreePort(address);

        var builder = new MqttServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointPort(port);
        // MQTTnet listens on IPv4 and IPv6 "any" unless told otherwise: bind exactly the configured address, nothing else.
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            builder.WithDefaultEndpointBoundIPAddress(IPAddress.None).WithDefaultEndpointBoundIPV6Address(address);
        }
        else
        {
            builder.WithDefaultEndpointBoundIPAddress(address).WithDefaultEndpointBoundIPV6Address(IPAddress.None);
        }

        if (options.Get("tls") is JsObject tls)
        {
            var certificate = LoadCertificate(tls, settings.UserDir);
            var tlsPort = Port0(tls.Get("port"), 8883, "tls.port");
            if (tlsPort == 0) tlsPort = FreePort(address);
            builder.WithEncryptedEndpoint().WithEncryptedEndpointPort(tlsPort).WithEncryptionCertificate(certificate);
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                builder.WithEncryptedEndpointBoundIPAddress(IPAddress.None).WithEncryptedEndpointBoundIPV6Address(address);
            }
            else
            {
                builder.WithEncryptedEndpointBoundIPAddress(address).WithEncryptedEndpointBoundIPV6Address(IPAddress.None);
            }
            TlsPort = tlsPort;
        }

        _users = (options.Get("users") as List<object?> ?? [])
            .OfType<JsObject>()
            .Select(u => (u.Get("username") as string ?? u.Get("user") as string ?? "", u.Get("password") as string ?? ""))
            .Where(u => u.Item1.Length > 0)
            .ToList();
        _allowAnonymous = options.Get("allowAnonymous") is bool allow ? allow : _users.Count == 0;

        var server = new MqttServerFactory().CreateMqttServer(builder.Build());
        server.ValidatingConnectionAsync += ValidateAsync;
        try
        {
            await server.StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            server.Dispose();
            throw new InvalidOperationException($"The embedded MQTT broker cannot listen on {Host}:{port}: {ex.Message}", ex);
        }
        _server = server;
        Port = port;
        return true;
    }

    private Task ValidateAsync(ValidatingConnectionEventArgs e)
    {
        var user = e.UserName ?? "";
        if (user.Length == 0)
        {
            if (!_allowAnonymous) e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            return Task.CompletedTask;
        }
        var password = e.Password ?? "";
        var known = _users.FirstOrDefault(u => u.User == user);
        if (known.User is null || !PasswordMatches(password, known.Password)) e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        return Task.CompletedTask;
    }

    private static bool PasswordMatches(string given, string expected)
    {
        if (expected.StartsWith("$2", StringComparison.Ordinal))
        {
            try
            {
                return BCrypt.Net.BCrypt.Verify(given, expected);
            }
            catch (BCrypt.Net.SaltParseException)
            {
                return false;
            }
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
    }

    private static int Port0(object? value, int defaultPort, string name)
    {
        if (value is null) return defaultPort;
        var port = MqttMessages.Integer(value, 0, 65535) ?? throw new InvalidOperationException($"{SettingsKey}.{name}: expected a port number, got {JsValue.ToJsString(value)}");
        return (int)port;
    }

    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static X509Certificate2 LoadCertificate(JsObject tls, string userDir)
    {
        string PathOf(string p) => Path.IsPathRooted(p) ? p : Path.Combine(userDir, p);
        var passphrase = tls.Get("passphrase") as string;
        try
        {
            if (tls.Get("pfx") is string { Length: > 0 } pfx) return X509CertificateLoader.LoadPkcs12FromFile(PathOf(pfx), passphrase);
            if (tls.Get("cert") is not string { Length: > 0 } cert || tls.Get("key") is not string { Length: > 0 } key)
            {
                throw new InvalidOperationException($"{SettingsKey}.tls needs \"cert\" and \"key\" (PEM files) or \"pfx\"");
            }
            using var pem = passphrase is null
                ? X509Certificate2.CreateFromPemFile(PathOf(cert), PathOf(key))
                : X509Certificate2.CreateFromEncryptedPemFile(PathOf(cert), passphrase, PathOf(key));
            // SslStream needs a certificate with a persisted key: a PKCS#12 round trip gives one on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{SettingsKey}.tls: {ex.Message}", ex);
        }
    }

    /// <summary>Stops listening and disconnects every client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
            server.Dispose();
        }
    }
}
