using System.Globalization;
using System.Net;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Server;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>
/// opcua-server: FlowEngine's own OPC UA server, started once and shared by the `opcua server out` nodes that publish
/// flow values into it and the `opcua server in` nodes that receive what clients (a SCADA) write.
/// </summary>
internal sealed class OpcUaServerNode : FlowNode, IConnectionHealth
{
    public static readonly NodeDeclaration Declaration = new("opcua-server")
    {
        Category = "config",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/opcua",
        DefaultLabel = "opcua server",
        Help = """
            An OPC UA server run by FlowEngine, so a SCADA or HMI can read, subscribe to and write flow values.
            `opcua server out` nodes publish values as variables in a folder tree under Objects
            (`Line1/Oven/Temperature` is node id `ns=1;s=Line1/Oven/Temperature`); `opcua server in` nodes turn the
            clients' writes into messages. The server starts with the flows and stops on redeploy.

            **host** / **port** / **endpointPath**: where it listens. `127.0.0.1` (default) serves this machine only;
            `0.0.0.0` every interface (for a SCADA on the network). The endpoint URL is
            `opc.tcp://<host>:<port><endpointPath>`; the port in use gives an error status on the nodes, not a crash.
            **applicationUri**: the server's identity (also in its certificate). **namespaceUri**: namespace index 1,
            where the variables live.
            **Security**: offer `None`, `Basic256Sha256 Sign` and/or `Basic256Sha256 SignAndEncrypt` endpoints.
            The server certificate is created once (RSA 2048, SHA-256, 5 years) in
            `<userDir>/opcua/pki/own/flowengine-server.pfx` (`.der` beside it: give that to the clients to trust).
            **Client certificates** (secured endpoints) must be in `<userDir>/opcua/pki/trusted/`: an unknown one is
            refused with `BadCertificateUntrusted` and saved in `pki/rejected/`; move it to `trusted/` to accept it.
            **trustAllClients** accepts any client certificate: for trials only.
            **Logins**: **allowAnonymous**, and/or one user name (**user**) with its **password** (credential).
            Passwords always travel encrypted with the server certificate, also on the None endpoint. A wrong password
            gets `BadUserAccessDenied`.
            **maxSessions**: sessions open at once (more get `BadTooManySessions`); **maxVariables**: variables the
            flows may create. A client that stops talking loses its session after its session timeout.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("host", PropertyKind.String) { Default = "127.0.0.1", Label = "Listen on", Help = "IP address to listen on: 127.0.0.1 this machine only, 0.0.0.0 every interface." },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = 4840, Label = "Port", Help = "TCP port (OPC UA uses 4840).", Validate = v => Range(v, 1, 65535) },
            new PropertyDeclaration("endpointPath", PropertyKind.String) { Default = "/UA/FlowEngine", Label = "Endpoint path", Help = "Path part of the endpoint URL, for example /UA/FlowEngine." },
            new PropertyDeclaration("applicationUri", PropertyKind.String) { Default = "", Label = "Application URI", Help = "The server's application URI; empty: urn:<machine name>:FlowEngine:Server." },
            new PropertyDeclaration("namespaceUri", PropertyKind.String) { Default = "urn:flowengine:data", Label = "Namespace URI", Help = "URI of namespace 1, which holds the variables." },
            new PropertyDeclaration("securityNone", PropertyKind.Bool) { Default = true, Label = "Offer security None", Help = "An endpoint without signing or encryption." },
            new PropertyDeclaration("securitySign", PropertyKind.Bool) { Default = false, Label = "Offer Basic256Sha256 Sign", Help = "An endpoint whose messages are signed." },
            new PropertyDeclaration("securitySignAndEncrypt", PropertyKind.Bool) { Default = true, Label = "Offer Basic256Sha256 SignAndEncrypt", Help = "An endpoint whose messages are signed and encrypted." },
            new PropertyDeclaration("allowAnonymous", PropertyKind.Bool) { Default = true, Label = "Allow anonymous", Help = "Clients may open a session without a user name." },
            new PropertyDeclaration("user", PropertyKind.String) { Default = "", Label = "User name", Help = "A user name clients may log in with (password in the credentials); empty: none." },
            new PropertyDeclaration("trustAllClients", PropertyKind.Bool) { Default = false, Label = "Trust all client certificates", Help = "Accept any client certificate on secured endpoints. For trials only." },
            new PropertyDeclaration("maxSessions", PropertyKind.Number) { Default = 20, Label = "Max sessions", Help = "Sessions open at once.", Validate = v => Range(v, 1, 1000) },
            new PropertyDeclaration("maxVariables", PropertyKind.Number) { Default = 100000, Label = "Max variables", Help = "Variables the flows may create.", Validate = v => Range(v, 1, 1000000) },
        ],
        Credentials = [new CredentialDeclaration("password", true, "Password")],
    };

    private readonly UaServerOptions _options;
    private readonly List<OpcUaServerInNode> _listeners = [];
    private readonly Lock _listenersGate = new();
    private UaServer? _server;

    public OpcUaServerNode(NodeSetup setup) : base(setup)
    {
        var host = Config.GetString("host", "127.0.0.1").Trim();
        if (host.Length == 0) host = "127.0.0.1";
        if (!IPAddress.TryParse(host, out _)) throw Config.Invalid("host", $"\"{host}\" is not an IP address to listen on (127.0.0.1, 0.0.0.0...)");
        var port = Config.GetNumber("port", 4840);
        if (port is < 0 or > 65535 || Math.Floor(port) != port) throw Config.Invalid("port", $"{port} is not a TCP port");
        var path = Config.GetString("endpointPath", "/UA/FlowEngine").Trim();
        if (path.Length > 0 && !path.StartsWith('/')) path = "/" + path;
        if (path.Any(char.IsWhiteSpace)) throw Config.Invalid("endpointPath", $"\"{path}\" contains spaces");
        var applicationUri = Config.GetString("applicationUri").Trim();
        if (applicationUri.Length == 0) applicationUri = "urn:" + Dns.GetHostName() + ":FlowEngine:Server";
        if (!Uri.TryCreate(applicationUri, UriKind.Absolute, out _)) throw Config.Invalid("applicationUri", $"\"{applicationUri}\" is not a URI (for example urn:plant:flowengine)");
        var namespaceUri = Config.GetString("namespaceUri", "urn:flowengine:data").Trim();
        if (namespaceUri.Length == 0) throw Config.Invalid("namespaceUri", "a namespace URI is required");
        var security = new List<ServerSecurity>();
        if (Config.GetBool("securityNone", true)) security.Add(ServerSecurity.None);
        if (Config.GetBool("securitySign", false)) security.Add(ServerSecurity.Sign);
        if (Config.GetBool("securitySignAndEncrypt", true)) security.Add(ServerSecurity.SignAndEncrypt);
        if (security.Count == 0) throw Config.Invalid("securityNone", "offer at least one security mode");
        var allowAnonymous = Config.GetBool("allowAnonymous", true);
        var user = Config.GetString("user").Trim();
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        if (user.Length > 0)
        {
            var password = Credentials.Get("password") as string;
            if (string.IsNullOrEmpty(password)) throw Config.Invalid("user", $"user \"{user}\" needs a password (credential)");
            users[user] = password;
        }
        if (!allowAnonymous && users.Count == 0) throw Config.Invalid("allowAnonymous", "with anonymous access off, a user name and password are required or nobody can log in");
        var maxSessions = Config.GetNumber("maxSessions", 20);
        if (maxSessions is < 1 or > 1000) throw Config.Invalid("maxSessions", $"{maxSessions} is outside 1..1000");
        var maxVariables = Config.GetNumber("maxVariables", 100000);
        if (maxVariables is < 1 or > 1000000) throw Config.Invalid("maxVariables", $"{maxVariables} is outside 1..1000000");
        var trustAll = Config.GetBool("trustAllClients", false);

        Store = new CertificateStore(Path.Combine(Services.Settings.UserDir, "opcua", "pki"));
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
        try
        {
            certificate = Store.GetOrCreateApplicationCertificate(applicationUri, "FlowEngine OPC UA server", CertificateStore.ServerCertificateName, [host]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw Config.Invalid("securitySignAndEncrypt", $"the server certificate in {Store.OwnDirectory} cannot be created or read: {ex.Message}");
        }
        _options = new UaServerOptions
        {
            Host = host,
            Port = (int)port,
            EndpointPath = path,
            ApplicationUri = applicationUri,
            ApplicationName = string.IsNullOrEmpty(Name) ? "FlowEngine" : Name,
            NamespaceUri = namespaceUri,
            Security = security,
            AllowAnonymous = allowAnonymous,
            Users = users,
            Certificate = certificate,
            ValidateClientCertificate = c => Store.ValidateClientCertificate(c, trustAll),
            OnWrite = OnClientWrite,
            Log = line => Warn(line),
            MaxSessions = (int)maxSessions,
            MaxVariables = (int)maxVariables,
        };
        _trustAll = trustAll;
    }

    private readonly bool _trustAll;

    public CertificateStore Store { get; }
    public UaServer? Server => _server;
    /// <summary>Why the server is not running (port in use...), or null.</summary>
    public string? Failure { get; private set; }
    public string EndpointUrl => _server?.EndpointUrl ?? string.Create(CultureInfo.InvariantCulture, $"opc.tcp://{_options.Host}:{_options.Port}{_options.EndpointPath}");

    /// <summary>Listening: true; could not listen: false (the readiness probe names it).</summary>
    public bool? IsConnected => _server is not null ? true : Failure is null ? null : false;

    public string ConnectionTarget => "OPC UA server " + EndpointUrl;

    /// <summary>The status line of the nodes using this server.</summary>
    public NodeStatus StatusLine => _server is not null ? NodeStatus.Ok("listening on " + EndpointUrl) : NodeStatus.Error(Failure ?? "not started");

    private static string? Range(object? value, double min, double max) =>
        value is double d && (d < min || d > max || Math.Floor(d) != d) ? string.Create(CultureInfo.InvariantCulture, $"must be a whole number {min}..{max}") : null;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        var server = new UaServer(_options);
        try
        {
            server.Start();
        }
        catch (UaStatusException ex)
        {
            Failure = ex.Message;
            SetStatus(NodeStatus.Error(ex.Message));
            throw new InvalidOperationException($"opcua-server {ex.Message}", ex);
        }
        _server = server;
        Log("OPC UA server listening on " + server.EndpointUrl);
        if (_trustAll) Warn("trustAllClients is on: any client certificate is accepted (for trials only)");
        SetStatus(StatusLine);
        return ValueTask.CompletedTask;
    }

    /// <summary>The running server, or an error that says why it is not running.</summary>
    public UaServer RequireServer() =>
        _server ?? throw new InvalidOperationException($"the OPC UA server {EndpointUrl} is not running: {Failure ?? "not started"}");

    internal void AddListener(OpcUaServerInNode node)
    {
        lock (_listenersGate) _listeners.Add(node);
    }

    internal void RemoveListener(OpcUaServerInNode node)
    {
        lock (_listenersGate) _listeners.Remove(node);
    }

    /// <summary>
    /// A client's write: audited, handed to every `opcua server in` node whose path covers the variable, and stored
    /// at once unless one of them waits for the flow to confirm it.
    /// </summary>
    private bool OnClientWrite(ServerWrite write)
    {
        List<OpcUaServerInNode> matched;
        lock (_listenersGate) matched = _listeners.Where(l => l.Covers(write.Variable.Path)).ToList();
        var value = OpcUaValues.ToJs(write.Value.Value);
        var shown = value is byte[] bytes ? "Buffer " + Convert.ToHexString(bytes) : JsJson.Serialize(value);
        var apply = matched.TrueForAll(l => l.ApplyImmediately);
        Services.AuditLog()?.Record("opcua.server.write", write.UserName ?? "anonymous", new JsObject
        {
            ["server"] = EndpointUrl,
            ["nodeId"] = write.Variable.NodeId.ToString(),
            ["path"] = write.Variable.Path,
            ["value"] = value is byte[] ? shown : JsValue.DeepClone(value),
            ["dataType"] = AddressSpace.TypeName(write.Variable),
            ["session"] = write.SessionName,
            ["client"] = write.ClientApplicationUri,
            ["applied"] = apply,
            ["node"] = Id,
        });
        Log($"audit: OPC UA client write by {write.UserName ?? "anonymous"} ({write.ClientApplicationUri}) to {write.Variable.Path} = {shown}{(apply ? "" : " (waits for the flow to confirm)")}");
        foreach (var listener in matched) listener.Deliver(write, value);
        return apply;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>What the server out and in nodes share: the opcua-server they use and its state in their status.</summary>
internal abstract class OpcUaServerUserNode : FlowNode
{
    protected OpcUaServerUserNode(NodeSetup setup) : base(setup)
    {
        ServerNode = Setup.ConfigNode<OpcUaServerNode>("server") ?? throw Config.Invalid("server", "an opcua-server is required");
    }

    protected OpcUaServerNode ServerNode { get; }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        SetStatus(ServerNode.StatusLine);
        return ValueTask.CompletedTask;
    }

    protected static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";
}
