using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Security;

/// <summary>
/// The client's PKI folder: own/ (our application instance certificate, created once, RSA 2048 SHA-256 as
/// Basic256Sha256 asks), trusted/ (server certificates the user trusts) and rejected/ (certificates refused, kept
/// so the user can move them to trusted/).
/// </summary>
public sealed class CertificateStore(string root)
{
    private static readonly Lock CreateGate = new();

    public string Root { get; } = root;
    public string OwnDirectory => Path.Combine(Root, "own");
    public string TrustedDirectory => Path.Combine(Root, "trusted");
    public string RejectedDirectory => Path.Combine(Root, "rejected");
    public string OwnCertificatePath => OwnCertificatePathFor(ClientCertificateName);

    /// <summary>The client's certificate file stem; the OPC UA server keeps its own certificate beside it.</summary>
    public const string ClientCertificateName = "flowengine";
    public const string ServerCertificateName = "flowengine-server";

    public string OwnCertificatePathFor(string name) => Path.Combine(OwnDirectory, name + ".pfx");

    /// <summary>Loads our certificate, or creates and stores it the first time (Part 6 §6.2.2 application instance certificate).</summary>
    public X509Certificate2 GetOrCreateApplicationCertificate(string applicationUri, string applicationName) =>
        GetOrCreateApplicationCertificate(applicationUri, applicationName, ClientCertificateName, []);

    /// <summary>
    /// The certificate stored as own/<paramref name="name"/>.pfx (and .der), created when missing, expiring or made
    /// for another application URI. <paramref name="hostNames"/> are added to the subject alternative names.
    /// </summary>
    public X509Certificate2 GetOrCreateApplicationCertificate(string applicationUri, string applicationName, string name, IReadOnlyCollection<string> hostNames)
    {
        var path = OwnCertificatePathFor(name);
        lock (CreateGate)
        {
            if (File.Exists(path))
            {
                var existing = X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.Exportable);
                if (ApplicationUriOf(existing) == applicationUri && existing.NotAfter > DateTime.Now.AddDays(1)) return existing;
                existing.Dispose();
            }
            Directory.CreateDirectory(OwnDirectory);
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={applicationName}, O=FlowEngine", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(new Uri(applicationUri));
            var dnsNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Dns.GetHostName(), "localhost" };
            var addresses = new HashSet<IPAddress> { IPAddress.Loopback };
            foreach (var host in hostNames)
            {
                if (IPAddress.TryParse(host, out var address)) addresses.Add(address);
                else if (Uri.CheckHostName(host) == UriHostNameType.Dns) dnsNames.Add(host);
            }
            foreach (var dns in dnsNames) san.AddDnsName(dns);
            foreach (var address in addresses)
            {
                if (!address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)) san.AddIpAddress(address);
            }
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyCertSign, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
            var pfx = created.Export(X509ContentType.Pfx);
            var temporary = path + ".tmp";
            File.WriteAllBytes(temporary, pfx);
            File.Move(temporary, path, overwrite: true);
            File.WriteAllBytes(Path.Combine(OwnDirectory, name + ".der"), created.RawData);
            return X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.Exportable);
        }
    }

    public static string? ApplicationUriOf(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (extension is null) return null;
        try
        {
            // GeneralNames (RFC 5280 §4.2.1.6): uniformResourceIdentifier is the context-specific tag [6].
            var names = new System.Formats.Asn1.AsnReader(extension.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
            var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(uriTag)) return names.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag);
                names.ReadEncodedValue();
            }
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return null;
        }
        return null;
    }

    /// <summary>
    /// Accepts a server certificate found in trusted/ (or pinned by SHA-1 thumbprint); otherwise stores it in
    /// rejected/ and refuses with BadCertificateUntrusted and what to do about it.
    /// </summary>
    public void ValidateServerCertificate(X509Certificate2 certificate, IReadOnlyCollection<string> pinnedThumbprints) =>
        Validate(certificate, pinnedThumbprints, "server", "or set its thumbprint on the endpoint");

    /// <summary>
    /// The server side of the same trust list: a client certificate in trusted/ is accepted; an unknown one is saved
    /// in rejected/ and refused with BadCertificateUntrusted, unless <paramref name="trustAll"/> (an explicit opt-in).
    /// </summary>
    public void ValidateClientCertificate(X509Certificate2 certificate, bool trustAll)
    {
        if (trustAll)
        {
            CheckValidity(certificate, "client");
            return;
        }
        Validate(certificate, [], "client", "or set trust-all-client-certificates on the opcua-server (for trials only)");
    }

    private static void CheckValidity(X509Certificate2 certificate, string role)
    {
        if (DateTime.Now > certificate.NotAfter || DateTime.Now < certificate.NotBefore)
            throw new UaStatusException(StatusCodes.BadCertificateTimeInvalid, $"the {role} certificate {certificate.Subject} is valid only {certificate.NotBefore:u} to {certificate.NotAfter:u}");
    }

    private void Validate(X509Certificate2 certificate, IReadOnlyCollection<string> pinnedThumbprints, string role, string otherwise)
    {
        CheckValidity(certificate, role);
        var thumbprint = certificate.Thumbprint;
        if (pinnedThumbprints.Any(p => string.Equals(p.Replace(":", "", StringComparison.Ordinal).Trim(), thumbprint, StringComparison.OrdinalIgnoreCase))) return;
        Directory.CreateDirectory(TrustedDirectory);
        foreach (var file in Directory.EnumerateFiles(TrustedDirectory))
        {
            try
            {
                using var trusted = LoadAny(file);
                if (trusted.RawData.AsSpan().SequenceEqual(certificate.RawData)) return;
            }
            catch (CryptographicException)
            {
                // Not a certificate: ignore stray files in the folder.
            }
        }
        Directory.CreateDirectory(RejectedDirectory);
        var name = FileName(certificate);
        var rejected = Path.Combine(RejectedDirectory, name);
        if (!File.Exists(rejected)) File.WriteAllBytes(rejected, certificate.RawData);
        throw new UaStatusException(StatusCodes.BadCertificateUntrusted,
            $"{role} certificate {certificate.Subject} (SHA-1 {thumbprint}) is not trusted: move {rejected} to {TrustedDirectory}, {otherwise}");
    }

    /// <summary>Puts a certificate in trusted/ (what the user does by moving it from rejected/).</summary>
    public string Trust(X509Certificate2 certificate)
    {
        Directory.CreateDirectory(TrustedDirectory);
        var path = Path.Combine(TrustedDirectory, FileName(certificate));
        File.WriteAllBytes(path, certificate.RawData);
        var rejected = Path.Combine(RejectedDirectory, FileName(certificate));
        if (File.Exists(rejected)) File.Delete(rejected);
        return path;
    }

    private static string FileName(X509Certificate2 certificate)
    {
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var safe = new string(cn.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        return $"{safe}[{certificate.Thumbprint}].der";
    }

    private static X509Certificate2 LoadAny(string file)
    {
        var bytes = File.ReadAllBytes(file);
        if (bytes.Length > 0 && bytes[0] == (byte)'-')
            return X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(bytes));
        return X509CertificateLoader.LoadCertificate(bytes);
    }
}
