using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>
/// opcua-endpoint: one OPC UA server with its security and login. Every read, write, browse, method and subscribe
/// node naming it shares one session, kept alive and reconnected by <see cref="UaConnection"/>.
/// </summary>
internal sealed class OpcUaEndpointNode : FlowNode, IConnectionHealth
{
    public static readonly NodeDeclaration Declaration = new("opcua-endpoint")
    {
        Category = "config",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/opcua",
        DefaultLabel = "opcua endpoint",
        Help = """
            An OPC UA server. All OPC UA nodes that use this endpoint share **one session** on one secure channel.

            **endpoint**: the server URL, `opc.tcp://host:4840/path`.
            **securityPolicy** / **securityMode**: `None` / `None`, or `Basic256Sha256` with `Sign` or `SignAndEncrypt`.
            The client's application certificate is created on first use (RSA 2048, SHA-256, valid 5 years) and stored
            in `<userDir>/opcua/pki/own/flowengine.pfx`; the server must trust it (copy `own/flowengine.der` to its
            trusted list, or let it auto-accept).
            **Server certificates** are checked against `<userDir>/opcua/pki/trusted/`. An unknown certificate is
            refused with `BadCertificateUntrusted` and saved in `pki/rejected/`: move the file to `trusted/` to trust
            it, or put its SHA-1 thumbprint in **serverThumbprint**.
            **authentication**: `anonymous` or `username` (credentials **user** and **password**). The password is
            encrypted with the server certificate whenever the server asks for it, also on a None channel.
            **requestTimeout**, **connectTimeout**, **sessionTimeout** (ms): per request, per connection attempt, and
            how long the server keeps the session when the link breaks (subscriptions survive a break this long).
            **reconnectDelay**, **reconnectMaxDelay** (ms): after a lost connection the client retries after this
            delay, doubling up to the maximum. It first resumes the old session (subscriptions continue; missed
            notifications are fetched with Republish); if the server lost it (restart), a new session is made and
            the subscriptions are transferred or re-created — the subscribe nodes' status says which.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.String) { Default = "opc.tcp://127.0.0.1:4840", Required = true, Label = "Endpoint URL" },
            new PropertyDeclaration("securityPolicy", PropertyKind.Select) { Default = "None", Options = ["None", "Basic256Sha256"], Label = "Security policy" },
            new PropertyDeclaration("securityMode", PropertyKind.Select) { Default = "None", Options = ["None", "Sign", "SignAndEncrypt"], Label = "Security mode" },
            new PropertyDeclaration("authentication", PropertyKind.Select) { Default = "anonymous", Options = ["anonymous", "username"], Label = "Login" },
            new PropertyDeclaration("serverThumbprint", PropertyKind.String) { Default = "", Label = "Trusted server thumbprint (SHA-1)" },
            new PropertyDeclaration("requestTimeout", PropertyKind.Number) { Default = 10000, Label = "Request timeout (ms)" },
            new PropertyDeclaration("connectTimeout", PropertyKind.Number) { Default = 5000, Label = "Connect timeout (ms)" },
            new PropertyDeclaration("sessionTimeout", PropertyKind.Number) { Default = 60000, Label = "Session timeout (ms)" },
            new PropertyDeclaration("reconnectDelay", PropertyKind.Number) { Default = 1000, Label = "Reconnect delay (ms)" },
            new PropertyDeclaration("reconnectMaxDelay", PropertyKind.Number) { Default = 30000, Label = "Reconnect max delay (ms)" },
        ],
        Credentials = [new CredentialDeclaration("user", false, "User name"), new CredentialDeclaration("password", true, "Password")],
    };


    public OpcUaEndpointNode(NodeSetup setup) : base(setup)
    {
        var url = Config.GetString("endpoint").Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp")
            throw Config.Invalid("endpoint", $"\"{url}\" is not an opc.tcp://host:port/path URL");
        EndpointUrl = url;
        var policyName = Config.GetString("securityPolicy", "None");
        if (policyName is not ("None" or "Basic256Sha256")) throw Config.Invalid("securityPolicy", $"\"{policyName}\" is not None or Basic256Sha256");
        var modeName = Config.GetString("securityMode", "None");
        if (!Enum.TryParse<MessageSecurityMode>(modeName, out var mode) || mode == MessageSecurityMode.Invalid)
            throw Config.Invalid("securityMode", $"\"{modeName}\" is not None, Sign or SignAndEncrypt");
        if ((policyName == "None") != (mode == MessageSecurityMode.None))
            throw Config.Invalid("securityMode", $"policy {policyName} goes with {(policyName == "None" ? "mode None" : "mode Sign or SignAndEncrypt")}, not {modeName}");
        var authentication = Config.GetString("authentication", "anonymous");
        string? user = null;
        string? password = null;
        if (authentication == "username")
        {
            user = Credentials.Get("user") as string;
            password = Credentials.Get("password") as string ?? "";
            if (string.IsNullOrEmpty(user)) throw Config.Invalid("authentication", "user name login needs the user credential");
        }
        else if (authentication != "anonymous")
        {
            throw Config.Invalid("authentication", $"\"{authentication}\" is not anonymous or username");
        }
        var policy = SecurityPolicyUris.FromName(policyName);
        Store = new CertificateStore(Path.Combine(Services.Settings.UserDir, "opcua", "pki"));
        var applicationUri = "urn:" + System.Net.Dns.GetHostName() + ":FlowEngine";
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
        if (mode != MessageSecurityMode.None)
        {
            try
            {
                certificate = Store.GetOrCreateApplicationCertificate(applicationUri, "FlowEngine");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw Config.Invalid("securityPolicy", $"the application certificate in {Store.OwnDirectory} cannot be created or read: {ex.Message}");
            }
        }
        var pinned = Config.GetString("serverThumbprint").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries);
        var options = new UaClientOptions
        {
            EndpointUrl = uri,
            Mode = mode,
            PolicyUri = policy,
            UserName = user,
            Password = password,
            ApplicationCertificate = certificate,
            ApplicationUri = applicationUri,
            SessionName = "FlowEngine " + Id,
            ValidateServerCertificate = c => Store.ValidateServerCertificate(c, pinned),
            RequestTimeout = Milliseconds("requestTimeout", 10000, 100),
            ConnectTimeout = Milliseconds("connectTimeout", 5000, 100),
            SessionTimeout = Milliseconds("sessionTimeout", 60000, 1000),
            TimeProvider = TimeProvider.System,
        };
        Connection = new UaConnection(options, Milliseconds("reconnectDelay", 1000, 0), Milliseconds("reconnectMaxDelay", 30000, 0));
        Connection.Changed += OnChanged;
        Label = string.IsNullOrEmpty(Name) ? url : Name;
    }

    public string EndpointUrl { get; }
    public string Label { get; }
    public UaConnection Connection { get; }
    public CertificateStore Store { get; }
    public UaConnectionEvent? LastEvent { get; private set; }

    /// <summary>For /readyz: down while reconnecting (the link or the session was lost); not counted before first use.</summary>
    public bool? IsConnected => Connection.State switch
    {
        UaConnectionState.Connected => true,
        UaConnectionState.Reconnecting => false,
        _ => null,
    };

    public string ConnectionTarget => EndpointUrl;

    /// <summary>Raised for every connection change so the nodes using the endpoint can show it.</summary>
    public event Action<UaConnectionEvent>? Changed;

    private TimeSpan Milliseconds(string property, double fallback, double minimum)
    {
        var value = Config.GetNumber(property, fallback);
        if (double.IsNaN(value) || value < minimum || value > 86400000)
            throw Config.Invalid(property, string.Create(CultureInfo.InvariantCulture, $"{value} ms is outside {minimum}..86400000"));
        return TimeSpan.FromMilliseconds(value);
    }

    private void OnChanged(UaConnectionEvent change)
    {
        LastEvent = change;
        if (change.Status is { IsBad: true } status) Warn($"{EndpointUrl}: {change.Text}");
        else LogDebug($"{EndpointUrl}: {change.Text}");
        Changed?.Invoke(change);
    }

    public Task<UaSession> SessionAsync(CancellationToken cancellationToken = default) => Connection.GetSessionAsync(cancellationToken);

    /// <summary>The status line a node using this endpoint shows for a connection change.</summary>
    public static NodeStatus StatusFor(UaConnectionEvent change) => change.State switch
    {
        UaConnectionState.Connected => NodeStatus.Ok(change.Text),
        UaConnectionState.Closed => NodeStatus.Clear,
        _ when change.Status is { IsBad: true } status => NodeStatus.Error(Shorten(status.Name + ": " + change.Text)),
        _ => NodeStatus.Warning(Shorten(change.Text)),
    };

    public static NodeStatus StatusFor(Exception ex) => ex is UaStatusException status
        ? NodeStatus.Error(Shorten(status.Message.Contains(status.Status.Name, StringComparison.Ordinal) ? status.Message : status.Status.Name + ": " + status.Message))
        : NodeStatus.Error(Shorten(ex.Message));

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        Connection.Changed -= OnChanged;
        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>True for failures that belong to the server or the link (shown as status), not to the flow's code.</summary>
    public static bool IsServerError(Exception ex) => ex is UaStatusException or UaEncodingException or IOException or TimeoutException;
}
