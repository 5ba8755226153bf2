using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx;

/// <summary>
/// One InfluxDB server, shared by every write and query node that names it: FlowEngine's <c>influx server</c> and
/// node-red-contrib-influxdb's <c>influxdb</c> (same class, two property sets). Holds the one HTTP client.
/// </summary>
internal sealed class InfluxServerNode : FlowNode
{
    public const string OwnType = "influx server";
    public const string NodeRedType = "influxdb";

    private static readonly CredentialDeclaration[] CredentialFields =
    [
        new("username", false, "Username"),
        new("password", true, "Password"),
        new("token", true, "Token"),
    ];

    public static readonly NodeDeclaration Declaration = new(OwnType)
    {
        Category = "config",
        Color = "#C0DEED",
        Icon = "db.svg",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Set = "flowengine/influx",
        DefaultLabel = "influx server",
        Help = """
            An InfluxDB server. `influx out`, `influx batch` and `influx query` nodes that use it share one HTTP client.

            **version**: `1.x` (HTTP API /write and /query, InfluxQL, user and password), `2.x` (/api/v2/write and
            /api/v2/query, Flux, org, bucket and token; also InfluxDB 1.8 with Flux, token `user:password`) or `3.x`
            (writes through /api/v2/write with the database as bucket, queries in InfluxQL through the v1-compatible /query, token).
            **url**: the server, e.g. `http://127.0.0.1:8086`; `https://` turns TLS on.
            **database**, **retentionPolicy** (1.x, 3.x) and **org**, **bucket** (2.x): defaults for nodes that leave theirs empty.
            **tls**: a `tls-config` node (CA, client certificate and key, verify flag). **rejectUnauthorized**: refuse a server
            certificate that does not verify (default true; false only for test servers).
            **timeout**: seconds to wait for each request.

            Credentials: **username** / **password** (1.x, sent as HTTP Basic authentication), **token** (2.x, 3.x).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("version", PropertyKind.Select) { Default = "1.x", Options = ["1.x", "2.x", "3.x"], Label = "Version" },
            new PropertyDeclaration("url", PropertyKind.String) { Default = "http://127.0.0.1:8086", Required = true, Label = "URL" },
            new PropertyDeclaration("database", PropertyKind.String) { Default = "", Label = "Database", Help = "1.x and 3.x" },
            new PropertyDeclaration("retentionPolicy", PropertyKind.String) { Default = "", Label = "Retention policy", Help = "1.x; empty for the database's default" },
            new PropertyDeclaration("org", PropertyKind.String) { Default = "", Label = "Organization", Help = "2.x" },
            new PropertyDeclaration("bucket", PropertyKind.String) { Default = "", Label = "Bucket", Help = "2.x" },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { ConfigType = "tls-config", Label = "TLS configuration" },
            new PropertyDeclaration("rejectUnauthorized", PropertyKind.Bool) { Default = true, Label = "Verify server certificate" },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = 10, Label = "Timeout (s)", Validate = v => Range(v, 0.1, 3600) },
        ],
        Credentials = CredentialFields,
    };

    public static readonly NodeDeclaration NodeRedDeclaration = new(NodeRedType)
    {
        Category = "config",
        Color = "#C0DEED",
        Icon = "db.svg",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "node-red-contrib-influxdb",
        Set = "node-red-contrib-influxdb/influxdb",
        DefaultLabel = "influxdb",
        Help = """
            node-red-contrib-influxdb's server configuration, so imported flows run unchanged. Same behaviour as `influx server`.

            **influxdbVersion**: `1.x` uses **protocol** (`http`/`https`), **hostname**, **port** and **database**, with the
            credentials **username** / **password**. `1.8-flux` and `2.0` use **url** and the **token** credential (for
            1.8-flux the token is made from username and password, as InfluxDB 1.8 expects).
            **usetls** / **tls**: TLS with a `tls-config` node. **rejectUnauthorized**: verify the server certificate.
            **timeout**: seconds.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("hostname", PropertyKind.String) { Default = "127.0.0.1", Label = "Host" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = 8086, Label = "Port", Validate = v => Range(v, 1, 65535) },
            new PropertyDeclaration("protocol", PropertyKind.Select) { Default = "http", Options = ["http", "https"], Label = "Protocol" },
            new PropertyDeclaration("database", PropertyKind.String) { Default = "database", Label = "Database" },
            new PropertyDeclaration("usetls", PropertyKind.Bool) { Default = false, Label = "Enable secure (SSL/TLS) connection" },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { ConfigType = "tls-config", Label = "TLS Configuration" },
            new PropertyDeclaration("influxdbVersion", PropertyKind.Select) { Default = "1.x", Options = ["1.x", "1.8-flux", "2.0"], Label = "Version" },
            new PropertyDeclaration("url", PropertyKind.String) { Default = "http://localhost:8086", Label = "URL" },
            new PropertyDeclaration("rejectUnauthorized", PropertyKind.Bool) { Default = true, Label = "Verify server certificate" },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = 10, Label = "Timeout (s)", Validate = v => Range(v, 0.1, 3600) },
        ],
        Credentials = CredentialFields,
    };

    private readonly InfluxClientOptions _options;
    private readonly bool _rejectUnauthorized;
    private InfluxClient? _client;

    public InfluxServerNode(NodeSetup setup) : base(setup)
    {
        var username = Credentials.Get("username") as string;
        var password = Credentials.Get("password") as string;
        var token = Credentials.Get("token") as string;
        var timeoutSeconds = Config.GetNumber("timeout", 10);
        if (!(timeoutSeconds > 0)) throw Config.Invalid("timeout", $"{timeoutSeconds} s must be more than 0");
        _rejectUnauthorized = Config.GetBool("rejectUnauthorized", true);
        string url;
        if (Type == NodeRedType)
        {
            var version = Config.GetString("influxdbVersion", "1.x");
            Database = Config.GetString("database", "");
            if (version == "1.x")
            {
                Version = InfluxApiVersion.V1;
                var hostname = Config.GetString("hostname", "127.0.0.1").Trim();
                var port = Config.GetNumber("port", 8086);
                if (port is < 1 or > 65535) throw Config.Invalid("port", $"{port} is not a TCP port 1..65535");
                var scheme = Config.GetString("protocol", "http") == "https" || Config.GetBool("usetls", false) ? "https" : "http";
                url = string.Create(CultureInfo.InvariantCulture, $"{scheme}://{(hostname.Contains(':', StringComparison.Ordinal) ? "[" + hostname + "]" : hostname)}:{port}");
            }
            else if (version is "1.8-flux" or "2.0")
            {
                Version = InfluxApiVersion.V2;
                Flux18 = version == "1.8-flux";
                url = Config.GetString("url", "http://localhost:8086");
                // InfluxDB 1.8's Flux endpoint takes "username:password" as its token.
                if (Flux18) token = (username ?? "") + ":" + (password ?? "");
            }
            else throw Config.Invalid("influxdbVersion", $"\"{version}\" is not 1.x, 1.8-flux or 2.0");
        }
        else
        {
            var version = Config.GetString("version", "1.x");
            Version = version switch
            {
                "1.x" or "1" => InfluxApiVersion.V1,
                "2.x" or "2" or "2.0" => InfluxApiVersion.V2,
                "3.x" or "3" => InfluxApiVersion.V3,
                _ => throw Config.Invalid("version", $"\"{version}\" is not 1.x, 2.x or 3.x"),
            };
            url = Config.GetString("url", "http://127.0.0.1:8086");
            Database = Config.GetString("database", "");
            RetentionPolicy = Config.GetString("retentionPolicy", "");
            Org = Config.GetString("org", "");
            Bucket = Config.GetString("bucket", "");
        }
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw Config.Invalid(Type == NodeRedType && Version == InfluxApiVersion.V1 ? "hostname" : "url", $"\"{url}\" is not an http:// or https:// URL");
        // A base address must end with '/' so relative paths (write, api/v2/write) keep a path prefix such as /influx/.
        if (!uri.AbsolutePath.EndsWith('/')) uri = new Uri(uri.GetLeftPart(UriPartial.Path) + "/");
        _options = new InfluxClientOptions
        {
            BaseUri = uri,
            Version = Version,
            Username = username,
            Password = password,
            Token = token,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        };
    }

    public InfluxApiVersion Version { get; }
    /// <summary>node-red-contrib-influxdb's "1.8-flux": v2 API on InfluxDB 1.8, bucket = database/retention policy.</summary>
    public bool Flux18 { get; }
    public string Database { get; } = "";
    public string RetentionPolicy { get; } = "";
    public string Org { get; } = "";
    public string Bucket { get; } = "";
    public Uri BaseUri => _options.BaseUri;
    public string Label => string.IsNullOrEmpty(Name) ? _options.BaseUri.ToString() : Name;

    public InfluxClient Client => _client ?? throw new InvalidOperationException($"{Type} {Label} is not started");

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = _options.Timeout };
        if (_options.BaseUri.Scheme == "https") handler.SslOptions = TlsOptions();
        _client = new InfluxClient(new InfluxClientOptions
        {
            BaseUri = _options.BaseUri,
            Version = _options.Version,
            Username = _options.Username,
            Password = _options.Password,
            Token = _options.Token,
            Timeout = _options.Timeout,
            Handler = handler,
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>TLS from the tls-config node: a CA to trust (file or uploaded PEM), a client certificate, and the verify flag.</summary>
    private SslClientAuthenticationOptions TlsOptions()
    {
        var ssl = new SslClientAuthenticationOptions();
        var verify = _rejectUnauthorized;
        X509Certificate2Collection? trusted = null;
        if (Config.GetStringOrNull("tls") is { Length: > 0 } && Setup.ConfigNode<FlowNode>("tls") is { } tls)
        {
            verify = verify && tls.Config.GetBool("verifyservercert", true);
            var caPem = tls.Credentials.Get("cadata") as string;
            if (string.IsNullOrEmpty(caPem) && tls.Config.GetString("ca") is { Length: > 0 } caPath) caPem = File.ReadAllText(caPath);
            if (!string.IsNullOrEmpty(caPem))
            {
                trusted = [];
                trusted.ImportFromPem(caPem);
            }
            var certPem = tls.Credentials.Get("certdata") as string;
            var keyPem = tls.Credentials.Get("keydata") as string;
            if (string.IsNullOrEmpty(certPem) && tls.Config.GetString("cert") is { Length: > 0 } certPath) certPem = File.ReadAllText(certPath);
            if (string.IsNullOrEmpty(keyPem) && tls.Config.GetString("key") is { Length: > 0 } keyPath) keyPem = File.ReadAllText(keyPath);
            if (!string.IsNullOrEmpty(certPem) && !string.IsNullOrEmpty(keyPem))
            {
                ssl.ClientCertificates = [X509Certificate2.CreateFromPem(certPem, keyPem)];
            }
            if (tls.Config.GetString("servername") is { Length: > 0 } serverName) ssl.TargetHost = serverName;
        }
        ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            if (!verify) return true;
            if (errors == SslPolicyErrors.None) return true;
            if (trusted is null || certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return custom.Build(new X509Certificate2(certificate));
        };
        return ssl;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _client?.Dispose();
        _client = null;
        return ValueTask.CompletedTask;
    }

    internal static string? Range(object? value, double min, double max)
    {
        var number = value switch
        {
            double d => d,
            string s when s.StartsWith("${", StringComparison.Ordinal) => double.NaN,
            string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : double.NaN,
            _ => double.NaN,
        };
        if (double.IsNaN(number)) return null;
        return number < min || number > max ? string.Create(CultureInfo.InvariantCulture, $"{number} is outside {min}..{max}") : null;
    }
}
