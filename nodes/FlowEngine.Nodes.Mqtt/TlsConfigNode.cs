using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Core.Nodes;
using MQTTnet;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>
/// Node-RED's tls-config: a client certificate and key, a CA to trust, whether to verify the server, the SNI server
/// name and an ALPN protocol. Material comes from file paths (cert, key, ca), from uploaded PEM text kept as
/// credentials (certdata, keydata, cadata), from a PKCS#12 file or upload (certType "pfx"), or from environment
/// variables (certType "env").
/// </summary>
internal sealed class TlsConfigNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("tls-config")
    {
        Category = "config",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/tls",
        PaletteLabel = "TLS configuration",
        Help = """
            TLS settings shared by nodes that open secure connections (mqtt-broker, http request, websocket client, tcp).

            - **certType**: `files` (PEM certificate, key and CA, from paths or uploaded), `pfx` (one PKCS#12 file) or `env` (PEM text in environment variables).
            - **cert** / **key**: paths to the client certificate and its private key (PEM); both or neither. Uploaded text is kept in the credentials `certdata` / `keydata`.
            - **ca**: path to the CA certificate(s) the server certificate must chain to (PEM); uploaded text is kept in `cadata`. Without a CA the system trust store is used.
            - **p12**: path to a PKCS#12 file (certType `pfx`); uploaded content is kept, base64, in `p12data`.
            - **certEnv** / **keyEnv** / **caEnv**: names of environment variables holding PEM text (certType `env`).
            - **passphrase** (credential): password of the private key or of the PKCS#12 file.
            - **verifyservercert**: refuse a server whose certificate does not chain to the CA or does not match the host name (default true).
            - **servername**: the name sent for SNI and checked against the server certificate (default: the host connected to).
            - **alpnprotocol**: an ALPN protocol name to offer.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("certType", PropertyKind.Select) { Default = "files", Options = ["files", "pfx", "env"], Label = "Cert Type" },
            new PropertyDeclaration("cert", PropertyKind.String) { Default = "", Label = "Certificate" },
            new PropertyDeclaration("key", PropertyKind.String) { Default = "", Label = "Private Key" },
            new PropertyDeclaration("p12", PropertyKind.String) { Default = "", Label = "pfx or p12 file" },
            new PropertyDeclaration("p12name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("ca", PropertyKind.String) { Default = "", Label = "CA Certificate" },
            new PropertyDeclaration("certname", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("keyname", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("caname", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("servername", PropertyKind.String) { Default = "", Label = "Server Name" },
            new PropertyDeclaration("verifyservercert", PropertyKind.Bool) { Default = true, Label = "Verify server certificate" },
            new PropertyDeclaration("alpnprotocol", PropertyKind.String) { Default = "", Label = "ALPN Protocol" },
            new PropertyDeclaration("certEnv", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("keyEnv", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("caEnv", PropertyKind.String) { Default = "" },
        ],
        Credentials =
        [
            new CredentialDeclaration("certdata", false),
            new CredentialDeclaration("keydata", false),
            new CredentialDeclaration("cadata", false),
            new CredentialDeclaration("p12data", false),
            new CredentialDeclaration("passphrase", true, "Passphrase"),
        ],
    };

    private readonly string _certType;
    private readonly string? _certPath;
    private readonly string? _keyPath;
    private readonly string? _caPath;
    private readonly string? _p12Path;
    private readonly string? _certEnv;
    private readonly string? _keyEnv;
    private readonly string? _caEnv;
    private readonly string? _certData;
    private readonly string? _keyData;
    private readonly string? _caData;
    private readonly string? _p12Data;
    private readonly string? _passphrase;

    public TlsConfigNode(NodeSetup setup) : base(setup)
    {
        _certType = Config.GetString("certType", "files");
        if (_certType.Length == 0) _certType = "files";
        if (_certType is not ("files" or "pfx" or "env")) throw Config.Invalid("certType", $"expected files, pfx or env, got \"{_certType}\"");
        _certPath = Trimmed("cert");
        _keyPath = Trimmed("key");
        _caPath = Trimmed("ca");
        _p12Path = Trimmed("p12");
        _certEnv = Trimmed("certEnv");
        _keyEnv = Trimmed("keyEnv");
        _caEnv = Trimmed("caEnv");
        _certData = Credential("certdata");
        _keyData = Credential("keydata");
        _caData = Credential("cadata");
        _p12Data = Credential("p12data");
        _passphrase = Credential("passphrase");
        VerifyServerCertificate = Config.GetBool("verifyservercert", true);
        ServerName = Trimmed("servername");
        AlpnProtocol = Trimmed("alpnprotocol");
        if (_certType == "files")
        {
            // A certificate without its key (or the reverse) cannot be used: Node-RED's "No certificate/key file provided".
            if ((_certPath is null) != (_keyPath is null)) throw Config.Invalid(_certPath is null ? "cert" : "key", "No certificate/key file provided");
            if (_certPath is null && (_certData is null) != (_keyData is null) && _p12Data is null)
            {
                throw Config.Invalid(_certData is null ? "cert" : "key", "No certificate/key file provided");
            }
        }
    }

    public bool VerifyServerCertificate { get; }
    public string? ServerName { get; }
    public string? AlpnProtocol { get; }

    private string? Trimmed(string property)
    {
        var value = Config.GetString(property).Trim();
        return value.Length == 0 ? null : value;
    }

    private string? Credential(string name) => Credentials.Get(name) is string { Length: > 0 } s ? s : null;

    /// <summary>
    /// Builds MQTTnet TLS options for a connection to <paramref name="host"/>. Reads certificate files now (at connect,
    /// not at deploy), so a file fixed on disk is picked up by the next reconnect. Throws with a readable message when
    /// a file cannot be read or parsed.
    /// </summary>
    public MqttClientTlsOptions CreateClientOptions(string host)
    {
        var (ca, clientCertificates) = LoadMaterial();
        var builder = new MqttClientTlsOptionsBuilder()
            .UseTls()
            .WithTargetHost(ServerName ?? host)
            .WithCertificateValidationHandler(args => Validate(args.Certificate, args.SslPolicyErrors, ca, VerifyServerCertificate));
        if (clientCertificates is not null) builder.WithClientCertificates(clientCertificates);
        if (AlpnProtocol is not null) builder.WithApplicationProtocols([new SslApplicationProtocol(AlpnProtocol)]);
        return builder.Build();
    }

    /// <summary>TLS options without a tls-config node: system trust, verification as the broker's verifyservercert says.</summary>
    public static MqttClientTlsOptions DefaultClientOptions(string host, bool verify) =>
        new MqttClientTlsOptionsBuilder()
            .UseTls()
            .WithTargetHost(host)
            .WithCertificateValidationHandler(args => Validate(args.Certificate, args.SslPolicyErrors, null, verify))
            .Build();

    internal static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? ca, bool verify)
    {
        if (!verify) return true;
        if (certificate is null) return false;
        if (ca is null || ca.Count == 0) return errors == SslPolicyErrors.None;
        // With our own CA, only the chain is judged against it; the host name must still match.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }

    private (X509Certificate2Collection? Ca, X509Certificate2Collection? Client) LoadMaterial()
    {
        try
        {
            return _certType switch
            {
                "pfx" => (Ca(), Pkcs12()),
                "env" => (CaFrom(EnvText(_caEnv)), ClientFromPem(EnvText(_certEnv), EnvText(_keyEnv))),
                _ => (Ca(), ClientFromPem(_certPath is not null ? File.ReadAllText(_certPath) : _certData, _keyPath is not null ? File.ReadAllText(_keyPath) : _keyData)),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"TLS configuration {Id}: {ex.Message}", ex);
        }
    }

    private string? EnvText(string? name) => name is null ? null : GetEnv(name) as string ?? Environment.GetEnvironmentVariable(name);

    private X509Certificate2Collection? Ca() => CaFrom(_caPath is not null ? File.ReadAllText(_caPath) : _caData);

    private static X509Certificate2Collection? CaFrom(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem)) return null;
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        return collection;
    }

    private X509Certificate2Collection? ClientFromPem(string? certPem, string? keyPem)
    {
        if (string.IsNullOrWhiteSpace(certPem) || string.IsNullOrWhiteSpace(keyPem)) return null;
        using var pemCertificate = _passphrase is null
            ? X509Certificate2.CreateFromPem(certPem, keyPem)
            : X509Certificate2.CreateFromEncryptedPem(certPem, keyPem, _passphrase);
        // SslStream wants a certificate whose key is not ephemeral on some platforms: a PKCS#12 round trip gives one.
        var certificate = X509CertificateLoader.LoadPkcs12(pemCertificate.Export(X509ContentType.Pkcs12), null);
        return [certificate];
    }

    private X509Certificate2Collection? Pkcs12()
    {
        byte[]? data = _p12Path is not null ? File.ReadAllBytes(_p12Path) : _p12Data is not null ? Convert.FromBase64String(_p12Data) : null;
        if (data is null) return null;
        return X509CertificateLoader.LoadPkcs12Collection(data, _passphrase);
    }
}
