using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Server;

/// <summary>One security policy and mode the server offers as an endpoint.</summary>
public sealed record ServerSecurity(string PolicyUri, MessageSecurityMode Mode)
{
    public static readonly ServerSecurity None = new(SecurityPolicyUris.None, MessageSecurityMode.None);
    public static readonly ServerSecurity Sign = new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.Sign);
    public static readonly ServerSecurity SignAndEncrypt = new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt);
}

/// <summary>A client's write of a variable's value, already type-checked, before it is applied.</summary>
public sealed record ServerWrite(ServerVariable Variable, DataValue Value, string? UserName, string SessionName, string? ClientApplicationUri);

public sealed record UaServerOptions
{
    /// <summary>Address to listen on: 127.0.0.1 serves this machine only, 0.0.0.0 every interface.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 4840;
    /// <summary>The path of the endpoint URL, "" or "/flowengine".</summary>
    public string EndpointPath { get; init; } = "";
    public string ApplicationUri { get; init; } = "urn:flowengine:server";
    public string ApplicationName { get; init; } = "FlowEngine";
    public string ProductUri { get; init; } = "urn:flowengine";
    /// <summary>The namespace of the application's variables, index 1.</summary>
    public string NamespaceUri { get; init; } = "urn:flowengine:data";
    public IReadOnlyList<ServerSecurity> Security { get; init; } = [ServerSecurity.None];
    public bool AllowAnonymous { get; init; } = true;
    /// <summary>User names and passwords accepted by ActivateSession (offered only with a certificate to encrypt passwords).</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();
    /// <summary>The server's application instance certificate with its private key; required for Basic256Sha256 and user names.</summary>
    public X509Certificate2? Certificate { get; init; }
    /// <summary>Throws a <see cref="UaStatusException"/> to refuse a client certificate (trust list); null accepts all.</summary>
    public Action<X509Certificate2>? ValidateClientCertificate { get; init; }
    /// <summary>Decides whether a client's write is stored (true) or only reported (false, the flow confirms it later).</summary>
    public Func<ServerWrite, bool>? OnWrite { get; init; }
    /// <summary>Warnings worth a log line: refused certificates and logins, timed-out sessions, internal errors.</summary>
    public Action<string>? Log { get; init; }
    public int MaxConnections { get; init; } = 100;
    public int MaxSessions { get; init; } = 50;
    public int MaxSubscriptionsPerSession { get; init; } = 50;
    public int MaxMonitoredItemsPerSubscription { get; init; } = 100_000;
    public int MaxOperationsPerRequest { get; init; } = 100_000;
    public int MaxVariables { get; init; } = 100_000;
    public uint MaxQueueSize { get; init; } = 1000;
    public uint ReceiveBufferSize { get; init; } = 65535;
    public uint SendBufferSize { get; init; } = 65535;
    public uint MaxMessageSize { get; init; } = 16 << 20;
    public uint MaxChunkCount { get; init; } = 4096;
    public double MinPublishingInterval { get; init; } = 50;
    public TimeSpan MinSessionTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxSessionTimeout { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan MinChannelLifetime { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxChannelLifetime { get; init; } = TimeSpan.FromHours(1);
    /// <summary>How long writing one response may take before the client is taken for stuck and dropped.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a new connection may take to send Hello and OpenSecureChannel.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// An OPC UA server (UA TCP, UA Binary, security None and Basic256Sha256) for the application's variables:
/// discovery, session, attribute, view and subscription service sets (Part 4). Each connection runs on its own task;
/// a bad message gets an Error or a bad status for that client only. One timer drives every publishing cycle,
/// keep-alive, session timeout and Publish timeout.
/// </summary>
public sealed class UaServer : IServerChannelHost, IAsyncDisposable
{
    private const string TransportProfile = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(20);
    private readonly ConcurrentDictionary<ServerChannel, byte> _channels = new();
    private readonly ConcurrentDictionary<NodeId, ServerSession> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private Task? _tickLoop;
    private int _nextSubscriptionId;
    private int _nextMonitoredItemId;
    private int _disposed;

    public UaServer(UaServerOptions options)
    {
        if (options.Security.Count == 0) throw new ArgumentException("at least one security mode must be offered");
        if (options.Security.Any(s => s.PolicyUri != SecurityPolicyUris.None) && options.Certificate?.HasPrivateKey != true)
            throw new ArgumentException("Basic256Sha256 needs the server's certificate with its private key");
        if (options.Security.Any(s => (s.PolicyUri == SecurityPolicyUris.None) != (s.Mode == MessageSecurityMode.None) || s.Mode == MessageSecurityMode.Invalid))
            throw new ArgumentException("policy None goes with mode None, Basic256Sha256 with Sign or SignAndEncrypt");
        Options = options;
        AddressSpace = new AddressSpace(options.NamespaceUri, options.ApplicationUri, options.ProductUri, options.MaxVariables);
    }

    public UaServerOptions Options { get; }
    public AddressSpace AddressSpace { get; }
    public IPEndPoint? LocalEndPoint { get; private set; }
    public int ConnectionCount => _channels.Count;
    public int SessionCount => _sessions.Count;

    /// <summary>The URL clients use: opc.tcp://host:port/path (the machine's name when listening on every interface).</summary>
    public string EndpointUrl
    {
        get
        {
            var host = Options.Host is "0.0.0.0" or "::" or "" ? Dns.GetHostName() : Options.Host;
            if (host.Contains(':', StringComparison.Ordinal)) host = "[" + host + "]";
            var port = LocalEndPoint?.Port ?? Options.Port;
            return string.Create(CultureInfo.InvariantCulture, $"opc.tcp://{host}:{port}{Options.EndpointPath}");
        }
    }

    /// <summary>Binds the port and starts serving. A port in use throws a <see cref="UaStatusException"/> saying so.</summary>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("the server is already started");
        if (!IPAddress.TryParse(Options.Host.Length == 0 ? "0.0.0.0" : Options.Host, out var address))
            throw new UaStatusException(StatusCodes.BadConfigurationError, $"\"{Options.Host}\" is not an IP address to listen on");
        var listener = new TcpListener(address, Options.Port);
        try
        {
            listener.Start(64);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new UaStatusException(StatusCodes.BadResourceUnavailable,
                string.Create(CultureInfo.InvariantCulture, $"cannot listen on {Options.Host}:{Options.Port}: {(ex.SocketErrorCode == SocketError.AddressAlreadyInUse ? "the port is in use" : ex.Message)}"));
        }
        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndpoint;
        _acceptLoop = Task.Run(AcceptLoopAsync);
        _tickLoop = Task.Run(TickLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient tcp;
            try
            {
                tcp = await _listener!.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Options.Log?.Invoke("accepting a connection failed: " + ex.Message);
                continue;
            }
            var channel = new ServerChannel(tcp, this);
            if (_channels.Count >= Options.MaxConnections)
            {
                Options.Log?.Invoke($"refused a connection from {channel.RemoteEndPoint}: {Options.MaxConnections} connections are open (the limit)");
                _ = channel.SendErrorAsync(StatusCodes.BadTcpServerTooBusy, $"the server has {Options.MaxConnections} connections (its limit)");
                continue;
            }
            _channels[channel] = 0;
            _ = Task.Run(() => channel.RunAsync(_stop.Token));
        }
    }

    // ---------------------------------------------------------------- IServerChannelHost

    public bool Offers(string policyUri, MessageSecurityMode mode) => Options.Security.Any(s => s.PolicyUri == policyUri && s.Mode == mode);

    void IServerChannelHost.ValidateClientCertificate(X509Certificate2 certificate)
    {
        try
        {
            Options.ValidateClientCertificate?.Invoke(certificate);
        }
        catch (UaStatusException ex)
        {
            Options.Log?.Invoke("refused a client certificate: " + ex.Message);
            throw;
        }
    }

    void IServerChannelHost.OnChannelClosed(ServerChannel channel) => _channels.TryRemove(channel, out _);

    async Task IServerChannelHost.OnRequestAsync(ServerChannel channel, uint requestId, byte[] message)
    {
        var r = new UaBinaryReader(message);
        NodeId typeId;
        RequestHeader header;
        try
        {
            typeId = r.ReadNodeId();
            header = RequestHeader.Read(r);
        }
        catch (UaEncodingException)
        {
            await channel.SendFaultAsync(requestId, 0, StatusCodes.BadDecodingError).ConfigureAwait(false);
            return;
        }
        byte[]? response;
        try
        {
            var service = typeId.NamespaceIndex == 0 && typeId.IdType == NodeIdType.Numeric ? (uint)typeId.Identifier : 0;
            if (!Offers(channel.PolicyUri, channel.Mode) && service is not (ServiceIds.GetEndpointsRequest or ServiceIds.FindServersRequest))
                throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, "this channel's security is for discovery only; the server offers no endpoint with it");
            response = service switch
            {
                ServiceIds.GetEndpointsRequest => GetEndpoints(header, r),
                ServiceIds.FindServersRequest => FindServers(header, r),
                ServiceIds.CreateSessionRequest => CreateSession(channel, header, r),
                ServiceIds.ActivateSessionRequest => ActivateSession(channel, header, r),
                ServiceIds.CloseSessionRequest => CloseSession(channel, header, r),
                ServiceIds.ReadRequest => Read(channel, header, r),
                ServiceIds.WriteRequest => Write(channel, header, r),
                ServiceIds.BrowseRequest => Browse(channel, header, r),
                ServiceIds.BrowseNextRequest => BrowseNext(channel, header, r),
                ServiceIds.TranslateBrowsePathsToNodeIdsRequest => TranslateBrowsePaths(channel, header, r),
                ServiceIds.RegisterNodesRequest => RegisterNodes(channel, header, r),
                ServiceIds.UnregisterNodesRequest => UnregisterNodes(channel, header, r),
                ServiceIds.CreateSubscriptionRequest => CreateSubscription(channel, header, r),
                ServiceIds.ModifySubscriptionRequest => ModifySubscription(channel, header, r),
                ServiceIds.SetPublishingModeRequest => SetPublishingMode(channel, header, r),
                ServiceIds.DeleteSubscriptionsRequest => DeleteSubscriptions(channel, header, r),
                ServiceIds.TransferSubscriptionsRequest => TransferSubscriptions(channel, header, r),
                ServiceIds.CreateMonitoredItemsRequest => CreateMonitoredItems(channel, header, r),
                ServiceIds.ModifyMonitoredItemsRequest => ModifyMonitoredItems(channel, header, r),
                ServiceIds.SetMonitoringModeRequest => SetMonitoringMode(channel, header, r),
                ServiceIds.DeleteMonitoredItemsRequest => DeleteMonitoredItems(channel, header, r),
                ServiceIds.PublishRequest => Publish(channel, requestId, header, r),
                ServiceIds.RepublishRequest => Republish(channel, header, r),
                _ => throw new UaStatusException(StatusCodes.BadServiceUnsupported, $"service {typeId} is not supported"),
            };
        }
        catch (UaStatusException ex)
        {
            response = ServerMessages.Fault(header.RequestHandle, ex.Status.Code);
        }
        catch (UaEncodingException)
        {
            response = ServerMessages.Fault(header.RequestHandle, StatusCodes.BadDecodingError);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Options.Log?.Invoke($"internal error in service {typeId}: {ex}");
            response = ServerMessages.Fault(header.RequestHandle, StatusCodes.BadInternalError);
        }
        if (response is not null) await channel.SendResponseAsync(requestId, header.RequestHandle, response).ConfigureAwait(false);
    }

    private static byte[] Respond(uint responseId, RequestHeader header, Action<UaBinaryWriter> body)
    {
        var w = new UaBinaryWriter();
        w.WriteNodeId(new NodeId(0, responseId));
        ResponseHeader.Write(w, header.RequestHandle, StatusCodes.Good, DateTime.UtcNow);
        body(w);
        return w.ToArray();
    }

    private T[] ReadOperations<T>(UaBinaryReader r, Func<T> read)
    {
        var items = r.ReadArray(read);
        if (items is null || items.Length == 0) throw new UaStatusException(StatusCodes.BadNothingToDo, "no operations in the request");
        if (items.Length > Options.MaxOperationsPerRequest) throw new UaStatusException(StatusCodes.BadTooManyOperations, "too many operations in one request");
        return items;
    }

    // ---------------------------------------------------------------- discovery

    private ApplicationDescription Application => new(Options.ApplicationUri, Options.ProductUri, new LocalizedText(null, Options.ApplicationName), 0, [EndpointUrl]);

    private EndpointDescription[] Endpoints(string? requestedUrl)
    {
        // Answer with the URL the client used when it reached us; it knows that host name works.
        var url = !string.IsNullOrWhiteSpace(requestedUrl) && requestedUrl.StartsWith("opc.tcp://", StringComparison.OrdinalIgnoreCase) ? requestedUrl : EndpointUrl;
        var tokens = new List<UserTokenPolicy>();
        if (Options.AllowAnonymous) tokens.Add(new UserTokenPolicy("anonymous", UserTokenType.Anonymous, null));
        // Passwords always travel encrypted with the server certificate, also on a None channel.
        if (Options.Users.Count > 0 && Options.Certificate is not null) tokens.Add(new UserTokenPolicy("username_basic256sha256", UserTokenType.UserName, SecurityPolicyUris.Basic256Sha256));
        return Options.Security.Select(s => new EndpointDescription(url, Application, Options.Certificate?.RawData, s.Mode, s.PolicyUri, [.. tokens], TransportProfile,
            (byte)(s.Mode switch { MessageSecurityMode.SignAndEncrypt => 3, MessageSecurityMode.Sign => 2, _ => 0 }))).ToArray();
    }

    private byte[] GetEndpoints(RequestHeader header, UaBinaryReader r)
    {
        var url = r.ReadString();
        r.ReadArray(r.ReadString); // locale ids
        var profiles = r.ReadArray(r.ReadString) ?? [];
        var endpoints = profiles.Length > 0 && !profiles.Contains(TransportProfile) ? [] : Endpoints(url);
        return Respond(ServiceIds.GetEndpointsResponse, header, w => w.WriteArray(endpoints, e => e.Write(w)));
    }

    private byte[] FindServers(RequestHeader header, UaBinaryReader r)
    {
        r.ReadString(); // endpoint url
        r.ReadArray(r.ReadString); // locale ids
        var uris = r.ReadArray(r.ReadString) ?? [];
        var servers = uris.Length > 0 && !uris.Contains(Options.ApplicationUri) ? Array.Empty<ApplicationDescription>() : [Application];
        return Respond(ServiceIds.FindServersResponse, header, w => w.WriteArray(servers, s => s.Write(w)));
    }

    // ---------------------------------------------------------------- sessions

    private bool Secured(ServerChannel channel) => channel.PolicyUri != SecurityPolicyUris.None;

    private ServerSession Session(ServerChannel channel, RequestHeader header)
    {
        if (!_sessions.TryGetValue(header.AuthenticationToken, out var session) || session.Closed)
            throw new UaStatusException(StatusCodes.BadSessionIdInvalid, "no session has this authentication token");
        if (!session.Activated) throw new UaStatusException(StatusCodes.BadSessionNotActivated, "the session is not activated");
        if (session.Channel != channel) throw new UaStatusException(StatusCodes.BadSecureChannelIdInvalid, "the session belongs to another secure channel; activate it on this one first");
        session.Touch();
        return session;
    }

    private byte[] CreateSession(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var client = ApplicationDescription.Read(r);
        r.ReadString(); // server uri
        var endpointUrl = r.ReadString();
        var name = r.ReadString() ?? "";
        var clientNonce = r.ReadByteString() ?? [];
        var clientCertificate = r.ReadByteString();
        var requestedTimeout = r.ReadDouble();
        r.ReadUInt32(); // max response size: our responses are bounded by the channel's negotiated limits
        if (_sessions.Count >= Options.MaxSessions)
        {
            Options.Log?.Invoke($"refused a session from {channel.RemoteEndPoint}: {Options.MaxSessions} sessions are open (the limit)");
            throw new UaStatusException(StatusCodes.BadTooManySessions, "too many sessions");
        }
        var secured = Secured(channel);
        if (secured)
        {
            if (clientNonce.Length < Basic256Sha256.NonceLength) throw new UaStatusException(StatusCodes.BadNonceInvalid, "the client nonce is too short");
            if (clientCertificate is null || !channel.ClientCertificate!.RawData.AsSpan().SequenceEqual(LeafOf(clientCertificate)))
                throw new UaStatusException(StatusCodes.BadCertificateInvalid, "CreateSession names another certificate than the secure channel's");
            var uri = CertificateStore.ApplicationUriOf(channel.ClientCertificate);
            if (uri is not null && client.ApplicationUri is not null && uri != client.ApplicationUri)
                throw new UaStatusException(StatusCodes.BadCertificateUriInvalid, "the application URI differs from the one in the client certificate");
        }
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(double.IsNaN(requestedTimeout) ? 0 : requestedTimeout, Options.MinSessionTimeout.TotalMilliseconds, Options.MaxSessionTimeout.TotalMilliseconds));
        var session = new ServerSession(name, timeout, secured ? channel.ClientCertificate : null, client)
        {
            Channel = channel,
            ServerNonce = Basic256Sha256.NewNonce(),
        };
        _sessions[session.AuthenticationToken] = session;
        byte[]? signature = null;
        if (secured)
        {
            // Part 4 §5.6.2: the server proves it holds its key by signing the client's certificate and nonce.
            using var key = Options.Certificate!.GetRSAPrivateKey()!;
            signature = Basic256Sha256.AsymmetricSign(key, [.. channel.ClientCertificate!.RawData, .. clientNonce]);
        }
        var endpoints = Endpoints(endpointUrl);
        return Respond(ServiceIds.CreateSessionResponse, header, w =>
        {
            w.WriteNodeId(session.SessionId);
            w.WriteNodeId(session.AuthenticationToken);
            w.WriteDouble(timeout.TotalMilliseconds);
            w.WriteByteString(session.ServerNonce);
            w.WriteByteString(Options.Certificate?.RawData);
            w.WriteArray(endpoints, e => e.Write(w));
            w.WriteInt32(0); // server software certificates
            w.WriteString(signature is null ? null : Basic256Sha256.AsymmetricSignatureUri);
            w.WriteByteString(signature);
            w.WriteUInt32(Options.MaxMessageSize);
        });
    }

    private static byte[] LeafOf(byte[] der)
    {
        try
        {
            System.Formats.Asn1.AsnDecoder.ReadEncodedValue(der, System.Formats.Asn1.AsnEncodingRules.DER, out _, out _, out var length);
            return der[..length];
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the client certificate cannot be read");
        }
    }

    private byte[] ActivateSession(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        if (!_sessions.TryGetValue(header.AuthenticationToken, out var session) || session.Closed)
            throw new UaStatusException(StatusCodes.BadSessionIdInvalid, "no session has this authentication token");
        r.ReadString(); // client signature algorithm
        var clientSignature = r.ReadByteString();
        r.ReadArray(() => (r.ReadByteString(), r.ReadByteString())); // software certificates
        r.ReadArray(r.ReadString); // locale ids
        var token = r.ReadExtensionObject();
        r.ReadString(); // user token signature: only for X.509 tokens, which are refused
        r.ReadByteString();
        var secured = Secured(channel);
        if (secured)
        {
            if (session.ClientCertificate is null || !session.ClientCertificate.RawData.AsSpan().SequenceEqual(channel.ClientCertificate!.RawData))
                throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "the session was created by another application certificate");
            using var key = channel.ClientCertificate.GetRSAPublicKey()!;
            if (clientSignature is null || !Basic256Sha256.AsymmetricVerify(key, [.. Options.Certificate!.RawData, .. session.ServerNonce], clientSignature))
                throw new UaStatusException(StatusCodes.BadApplicationSignatureInvalid, "the client signature does not match its certificate");
        }
        else if (session.ClientCertificate is not null)
        {
            throw new UaStatusException(StatusCodes.BadSecurityModeRejected, "a session created on a secured channel cannot move to an unsecured one");
        }
        var user = Authenticate(channel, session, token);
        lock (session.Gate)
        {
            if (session.Channel != channel && session.Channel is { IsOpen: true })
                Options.Log?.Invoke($"{session} moved from {session.Channel} to {channel}");
            session.Channel = channel;
            session.Activated = true;
            session.UserName = user;
            session.ServerNonce = Basic256Sha256.NewNonce();
        }
        session.Touch();
        return Respond(ServiceIds.ActivateSessionResponse, header, w =>
        {
            w.WriteByteString(session.ServerNonce);
            w.WriteInt32(0); // results
            w.WriteInt32(0); // diagnostic infos
        });
    }

    /// <summary>Checks the identity token (Part 4 §7.41); returns the user name, null for anonymous.</summary>
    private string? Authenticate(ServerChannel channel, ServerSession session, ExtensionObject token)
    {
        var type = token.TypeId.IdType == NodeIdType.Numeric && token.TypeId.NamespaceIndex == 0 ? (uint)token.TypeId.Identifier : uint.MaxValue;
        if (token.TypeId.IsNull || type == ServiceIds.AnonymousIdentityToken)
        {
            if (!Options.AllowAnonymous)
            {
                Options.Log?.Invoke($"refused an anonymous login from {channel.RemoteEndPoint}: anonymous access is off");
                throw new UaStatusException(StatusCodes.BadIdentityTokenRejected, "anonymous login is not allowed");
            }
            return null;
        }
        if (type != ServiceIds.UserNameIdentityToken || token.Body is null)
            throw new UaStatusException(StatusCodes.BadIdentityTokenInvalid, "only anonymous and user name logins are supported");
        var r = new UaBinaryReader(token.Body);
        r.ReadString(); // policy id
        var userName = r.ReadString() ?? "";
        var secret = r.ReadByteString() ?? [];
        var algorithm = r.ReadString();
        byte[] password;
        if (string.IsNullOrEmpty(algorithm))
        {
            // A clear-text password is only acceptable inside an encrypted channel.
            if (channel.Mode != MessageSecurityMode.SignAndEncrypt)
                throw new UaStatusException(StatusCodes.BadIdentityTokenRejected, "the password must be encrypted with the server certificate");
            password = secret;
        }
        else
        {
            if (algorithm != Basic256Sha256.AsymmetricEncryptionUri || Options.Certificate is null)
                throw new UaStatusException(StatusCodes.BadIdentityTokenInvalid, $"password encryption {algorithm} is not supported");
            byte[] plain;
            try
            {
                using var key = Options.Certificate.GetRSAPrivateKey()!;
                plain = Basic256Sha256.AsymmetricDecrypt(key, secret);
            }
            catch (CryptographicException)
            {
                throw new UaStatusException(StatusCodes.BadIdentityTokenInvalid, "the password cannot be decrypted with the server key");
            }
            // Part 4 §7.41.2.3: length, password, then the server nonce of the last CreateSession/ActivateSession.
            if (plain.Length < 4) throw new UaStatusException(StatusCodes.BadIdentityTokenInvalid, "the decrypted password is too short");
            var length = (int)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(plain), int.MaxValue);
            var nonceLength = session.ServerNonce.Length;
            if (length != plain.Length - 4 || length < nonceLength || !plain.AsSpan(4 + length - nonceLength, nonceLength).SequenceEqual(session.ServerNonce))
                throw new UaStatusException(StatusCodes.BadIdentityTokenInvalid, "the encrypted password does not carry this session's nonce");
            password = plain[4..(4 + length - nonceLength)];
        }
        if (!Options.Users.TryGetValue(userName, out var expected) ||
            !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(expected), password))
        {
            Options.Log?.Invoke($"refused the login of user \"{userName}\" from {channel.RemoteEndPoint}: wrong user name or password");
            throw new UaStatusException(StatusCodes.BadUserAccessDenied, "wrong user name or password");
        }
        return userName;
    }

    private byte[] CloseSession(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        r.ReadBoolean(); // delete subscriptions: they go with the session either way (no transfer after close)
        EndSession(session, StatusCodes.BadSessionClosed);
        return Respond(ServiceIds.CloseSessionResponse, header, _ => { });
    }

    private void EndSession(ServerSession session, uint publishStatus)
    {
        _sessions.TryRemove(session.AuthenticationToken, out _);
        var outputs = new List<(PendingPublish Publish, uint Status)>();
        lock (session.Gate)
        {
            session.Closed = true;
            foreach (var subscription in session.Subscriptions.Values) RemoveItems(subscription);
            session.Subscriptions.Clear();
            while (session.TryTakePublish(out var publish)) outputs.Add((publish, publishStatus));
        }
        foreach (var (publish, status) in outputs) Fire(publish.Channel.SendFaultAsync(publish.RequestId, publish.RequestHandle, status));
    }

    private void RemoveItems(ServerSubscription subscription)
    {
        foreach (var item in subscription.Items.Values)
        {
            if (item.Node is ServerVariable variable) AddressSpace.RemoveMonitor(variable, item);
        }
        subscription.Clear();
    }

    private void Fire(Task task) => task.ContinueWith(t => Options.Log?.Invoke("sending failed: " + t.Exception?.GetBaseException().Message), CancellationToken.None,
        TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    // ---------------------------------------------------------------- attribute services

    private static (NodeId NodeId, uint AttributeId, string? IndexRange, QualifiedName Encoding) ReadValueIdFrom(UaBinaryReader r) =>
        (r.ReadNodeId(), r.ReadUInt32(), r.ReadString(), r.ReadQualifiedName());

    private static TimestampsToReturn TimestampsFrom(UaBinaryReader r)
    {
        var value = r.ReadInt32();
        if (value is < 0 or > 3) throw new UaStatusException(StatusCodes.BadTimestampsToReturnInvalid, $"TimestampsToReturn {value} is invalid");
        return (TimestampsToReturn)value;
    }

    private DataValue ReadOne((NodeId NodeId, uint AttributeId, string? IndexRange, QualifiedName Encoding) item, TimestampsToReturn timestamps)
    {
        if (AddressSpace.Find(item.NodeId) is not { } node) return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadNodeIdUnknown));
        if (!string.IsNullOrEmpty(item.Encoding.Name) && item.Encoding.Name != "Default Binary")
            return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadDataEncodingInvalid));
        var value = AddressSpace.ReadAttribute(node, item.AttributeId, item.IndexRange);
        if (item.AttributeId != AttributeIds.Value) return value with { SourceTimestamp = null, ServerTimestamp = null };
        return ServerSubscription.Stamped(value with { ServerTimestamp = DateTime.UtcNow }, timestamps);
    }

    private byte[] Read(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        Session(channel, header);
        var maxAge = r.ReadDouble();
        if (maxAge < 0) throw new UaStatusException(StatusCodes.BadMaxAgeInvalid, "maxAge is negative");
        var timestamps = TimestampsFrom(r);
        var items = ReadOperations(r, () => ReadValueIdFrom(r));
        var results = items.Select(i => ReadOne(i, timestamps)).ToArray();
        return Respond(ServiceIds.ReadResponse, header, w =>
        {
            w.WriteArray(results, w.WriteDataValue);
            w.WriteInt32(0);
        });
    }

    private byte[] Write(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var items = ReadOperations(r, () => (NodeId: r.ReadNodeId(), AttributeId: r.ReadUInt32(), IndexRange: r.ReadString(), Value: r.ReadDataValue()));
        var results = new uint[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            var node = AddressSpace.Find(item.NodeId);
            results[i] = AddressSpace.CheckWrite(node, item.AttributeId, item.IndexRange, item.Value);
            if (results[i] != StatusCodes.Good) continue;
            var variable = (ServerVariable)node!;
            var apply = true;
            try
            {
                if (Options.OnWrite is { } onWrite) apply = onWrite(new ServerWrite(variable, item.Value, session.UserName, session.Name, session.Client.ApplicationUri));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Options.Log?.Invoke($"the write of {variable.NodeId} failed in the application: {ex.Message}");
                results[i] = StatusCodes.BadInternalError;
                continue;
            }
            if (apply) AddressSpace.Apply(variable, item.Value with { ServerTimestamp = null });
        }
        return Respond(ServiceIds.WriteResponse, header, w =>
        {
            w.WriteArray(results, w.WriteUInt32);
            w.WriteInt32(0);
        });
    }

    // ---------------------------------------------------------------- view services

    private sealed record BrowseRequest(NodeId NodeId, int Direction, NodeId ReferenceType, bool IncludeSubtypes, uint NodeClassMask, uint ResultMask);

    private byte[] Browse(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var view = r.ReadNodeId();
        r.ReadDateTime();
        r.ReadUInt32();
        if (!view.IsNull) throw new UaStatusException(StatusCodes.BadViewIdUnknown, $"view {view} is unknown");
        var maxReferences = r.ReadUInt32();
        var requests = ReadOperations(r, () => new BrowseRequest(r.ReadNodeId(), r.ReadInt32(), r.ReadNodeId(), r.ReadBoolean(), r.ReadUInt32(), r.ReadUInt32()));
        var results = requests.Select(b => BrowseOne(session, b, maxReferences)).ToArray();
        return Respond(ServiceIds.BrowseResponse, header, w =>
        {
            w.WriteArray(results, res => WriteBrowseResult(w, res));
            w.WriteInt32(0);
        });
    }

    private (uint Status, byte[]? ContinuationPoint, List<ReferenceDescription> References) BrowseOne(ServerSession session, BrowseRequest request, uint maxReferences)
    {
        if (AddressSpace.Find(request.NodeId) is not { } node) return (StatusCodes.BadNodeIdUnknown, null, []);
        if (request.Direction is < 0 or > 2) return (StatusCodes.BadBrowseDirectionInvalid, null, []);
        if (!request.ReferenceType.IsNull && AddressSpace.Find(request.ReferenceType) is not { NodeClass: NodeClass.ReferenceType })
            return (StatusCodes.BadReferenceTypeIdInvalid, null, []);
        var references = new List<ReferenceDescription>();
        foreach (var reference in AddressSpace.ReferencesOf(node))
        {
            if (request.Direction == 0 && !reference.IsForward) continue;
            if (request.Direction == 1 && reference.IsForward) continue;
            if (!request.ReferenceType.IsNull && reference.ReferenceType != request.ReferenceType &&
                !(request.IncludeSubtypes && AddressSpace.IsSubtypeOf(reference.ReferenceType, request.ReferenceType))) continue;
            if (AddressSpace.Find(reference.Target) is not { } target) continue;
            if (request.NodeClassMask != 0 && (request.NodeClassMask & (uint)target.NodeClass) == 0) continue;
            var mask = request.ResultMask;
            references.Add(new ReferenceDescription(
                (mask & 1) != 0 ? reference.ReferenceType : NodeId.Null,
                reference.IsForward,
                new ExpandedNodeId(target.NodeId),
                (mask & 8) != 0 ? target.BrowseName : new QualifiedName(0, null),
                (mask & 16) != 0 ? target.DisplayName : new LocalizedText(null, null),
                (mask & 4) != 0 ? target.NodeClass : NodeClass.Unspecified,
                new ExpandedNodeId((mask & 32) != 0 && target.NodeClass is NodeClass.Object or NodeClass.Variable && target.TypeDefinition is { } type ? type : NodeId.Null)));
        }
        return Page(session, request.NodeId, references, maxReferences);
    }

    private static (uint Status, byte[]? ContinuationPoint, List<ReferenceDescription> References) Page(ServerSession session, NodeId node, List<ReferenceDescription> references, uint maxReferences)
    {
        if (maxReferences == 0 || references.Count <= maxReferences) return (StatusCodes.Good, null, references);
        var first = references.GetRange(0, (int)maxReferences);
        var rest = references.GetRange((int)maxReferences, references.Count - (int)maxReferences);
        lock (session.Gate)
        {
            if (session.ContinuationPoints.Count >= ServerSession.MaxContinuationPoints) return (StatusCodes.BadNoContinuationPoints, null, []);
            var point = RandomNumberGenerator.GetBytes(16);
            session.ContinuationPoints[Convert.ToBase64String(point)] = (node, rest, maxReferences);
            return (StatusCodes.Good, point, first);
        }
    }

    private static void WriteBrowseResult(UaBinaryWriter w, (uint Status, byte[]? ContinuationPoint, List<ReferenceDescription> References) result)
    {
        w.WriteUInt32(result.Status);
        w.WriteByteString(result.ContinuationPoint);
        w.WriteArray(result.References, reference =>
        {
            w.WriteNodeId(reference.ReferenceTypeId);
            w.WriteBoolean(reference.IsForward);
            w.WriteExpandedNodeId(reference.NodeId);
            w.WriteQualifiedName(reference.BrowseName);
            w.WriteLocalizedText(reference.DisplayName);
            w.WriteInt32((int)reference.NodeClass);
            w.WriteExpandedNodeId(reference.TypeDefinition);
        });
    }

    private byte[] BrowseNext(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var release = r.ReadBoolean();
        var points = ReadOperations(r, () => r.ReadByteString() ?? []);
        var results = new List<(uint, byte[]?, List<ReferenceDescription>)>();
        foreach (var point in points)
        {
            (NodeId Node, List<ReferenceDescription> Remaining, uint PageSize) entry;
            lock (session.Gate)
            {
                var key = Convert.ToBase64String(point);
                if (!session.ContinuationPoints.Remove(key, out entry))
                {
                    results.Add((StatusCodes.BadContinuationPointInvalid, null, []));
                    continue;
                }
            }
            if (release)
            {
                results.Add((StatusCodes.Good, null, []));
                continue;
            }
            // The page size stays the one of the Browse call that made the continuation point.
            results.Add(Page(session, entry.Node, entry.Remaining, entry.PageSize));
        }
        return Respond(ServiceIds.BrowseNextResponse, header, w =>
        {
            w.WriteArray(results, res => WriteBrowseResult(w, res));
            w.WriteInt32(0);
        });
    }

    private byte[] TranslateBrowsePaths(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        Session(channel, header);
        var paths = ReadOperations(r, () => (Start: r.ReadNodeId(), Elements: r.ReadArray(() => (ReferenceType: r.ReadNodeId(), IsInverse: r.ReadBoolean(), IncludeSubtypes: r.ReadBoolean(), Name: r.ReadQualifiedName())) ?? []));
        var results = paths.Select((uint Status, List<NodeId> Targets) (p) =>
        {
            if (AddressSpace.Find(p.Start) is null) return (StatusCodes.BadNodeIdUnknown, []);
            if (p.Elements.Length == 0) return (StatusCodes.BadNothingToDo, []);
            var current = new List<NodeId> { p.Start };
            foreach (var element in p.Elements)
            {
                if (string.IsNullOrEmpty(element.Name.Name)) return (StatusCodes.BadBrowseNameInvalid, []);
                var next = new List<NodeId>();
                foreach (var id in current)
                {
                    if (AddressSpace.Find(id) is not { } node) continue;
                    foreach (var reference in AddressSpace.ReferencesOf(node))
                    {
                        if (reference.IsForward == element.IsInverse) continue;
                        if (!element.ReferenceType.IsNull && reference.ReferenceType != element.ReferenceType &&
                            !(element.IncludeSubtypes && AddressSpace.IsSubtypeOf(reference.ReferenceType, element.ReferenceType))) continue;
                        if (AddressSpace.Find(reference.Target) is { } target && target.BrowseName == element.Name && !next.Contains(target.NodeId)) next.Add(target.NodeId);
                    }
                }
                if (next.Count == 0) return (StatusCodes.BadNoMatch, []);
                current = next;
            }
            return (StatusCodes.Good, current);
        }).ToArray();
        return Respond(ServiceIds.TranslateBrowsePathsToNodeIdsResponse, header, w =>
        {
            w.WriteArray(results, res =>
            {
                w.WriteUInt32(res.Status);
                w.WriteArray(res.Targets, t =>
                {
                    w.WriteExpandedNodeId(new ExpandedNodeId(t));
                    w.WriteUInt32(uint.MaxValue);
                });
            });
            w.WriteInt32(0);
        });
    }

    private byte[] RegisterNodes(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        Session(channel, header);
        var nodes = ReadOperations(r, r.ReadNodeId);
        return Respond(ServiceIds.RegisterNodesResponse, header, w => w.WriteArray(nodes, w.WriteNodeId));
    }

    private byte[] UnregisterNodes(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        Session(channel, header);
        ReadOperations(r, r.ReadNodeId);
        return Respond(ServiceIds.UnregisterNodesResponse, header, _ => { });
    }

    // ---------------------------------------------------------------- subscriptions

    private DateTime Now => Options.TimeProvider.GetUtcNow().UtcDateTime;

    private (double Interval, uint Lifetime, uint KeepAlive) Revise(double interval, uint lifetime, uint keepAlive)
    {
        var revisedInterval = double.IsNaN(interval) || interval < Options.MinPublishingInterval ? Options.MinPublishingInterval : Math.Min(interval, 3_600_000);
        var revisedKeepAlive = keepAlive == 0 ? 10 : Math.Min(keepAlive, 10_000u);
        var revisedLifetime = Math.Clamp(lifetime, revisedKeepAlive * 3, 1_000_000u);
        return (revisedInterval, revisedLifetime, revisedKeepAlive);
    }

    private byte[] CreateSubscription(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var (interval, lifetime, keepAlive) = Revise(r.ReadDouble(), r.ReadUInt32(), r.ReadUInt32());
        var maxNotifications = r.ReadUInt32();
        var enabled = r.ReadBoolean();
        var priority = r.ReadByte();
        ServerSubscription subscription;
        lock (session.Gate)
        {
            if (session.Subscriptions.Count >= Options.MaxSubscriptionsPerSession)
                throw new UaStatusException(StatusCodes.BadTooManySubscriptions, "too many subscriptions in this session");
            subscription = new ServerSubscription((uint)Interlocked.Increment(ref _nextSubscriptionId), session)
            {
                PublishingInterval = interval,
                LifetimeCount = lifetime,
                MaxKeepAliveCount = keepAlive,
                MaxNotificationsPerPublish = maxNotifications,
                PublishingEnabled = enabled,
                Priority = priority,
                NextCycle = Now.AddMilliseconds(interval),
            };
            session.Subscriptions[subscription.Id] = subscription;
        }
        return Respond(ServiceIds.CreateSubscriptionResponse, header, w =>
        {
            w.WriteUInt32(subscription.Id);
            w.WriteDouble(interval);
            w.WriteUInt32(lifetime);
            w.WriteUInt32(keepAlive);
        });
    }

    private static ServerSubscription SubscriptionOf(ServerSession session, uint id) =>
        session.Subscriptions.GetValueOrDefault(id) ?? throw new UaStatusException(StatusCodes.BadSubscriptionIdInvalid, $"subscription {id} is unknown in this session");

    private byte[] ModifySubscription(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var id = r.ReadUInt32();
        var (interval, lifetime, keepAlive) = Revise(r.ReadDouble(), r.ReadUInt32(), r.ReadUInt32());
        var maxNotifications = r.ReadUInt32();
        var priority = r.ReadByte();
        lock (session.Gate)
        {
            var subscription = SubscriptionOf(session, id);
            subscription.PublishingInterval = interval;
            subscription.LifetimeCount = lifetime;
            subscription.MaxKeepAliveCount = keepAlive;
            subscription.MaxNotificationsPerPublish = maxNotifications;
            subscription.Priority = priority;
            subscription.NextCycle = Now.AddMilliseconds(interval);
        }
        return Respond(ServiceIds.ModifySubscriptionResponse, header, w =>
        {
            w.WriteDouble(interval);
            w.WriteUInt32(lifetime);
            w.WriteUInt32(keepAlive);
        });
    }

    private byte[] SetPublishingMode(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var enabled = r.ReadBoolean();
        var ids = ReadOperations(r, r.ReadUInt32);
        uint[] results;
        lock (session.Gate)
        {
            results = ids.Select(id =>
            {
                if (!session.Subscriptions.TryGetValue(id, out var subscription)) return StatusCodes.BadSubscriptionIdInvalid;
                subscription.PublishingEnabled = enabled;
                return StatusCodes.Good;
            }).ToArray();
        }
        return Respond(ServiceIds.SetPublishingModeResponse, header, w =>
        {
            w.WriteArray(results, w.WriteUInt32);
            w.WriteInt32(0);
        });
    }

    private byte[] DeleteSubscriptions(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var ids = ReadOperations(r, r.ReadUInt32);
        uint[] results;
        var orphans = new List<PendingPublish>();
        lock (session.Gate)
        {
            results = ids.Select(id =>
            {
                if (!session.Subscriptions.Remove(id, out var subscription)) return StatusCodes.BadSubscriptionIdInvalid;
                RemoveItems(subscription);
                return StatusCodes.Good;
            }).ToArray();
            if (session.Subscriptions.Count == 0)
            {
                while (session.TryTakePublish(out var publish)) orphans.Add(publish);
            }
        }
        foreach (var publish in orphans) Fire(publish.Channel.SendFaultAsync(publish.RequestId, publish.RequestHandle, StatusCodes.BadNoSubscription));
        return Respond(ServiceIds.DeleteSubscriptionsResponse, header, w =>
        {
            w.WriteArray(results, w.WriteUInt32);
            w.WriteInt32(0);
        });
    }

    /// <summary>Moves subscriptions of another session (of the same user) to this one, as a client does after reconnecting.</summary>
    private byte[] TransferSubscriptions(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var ids = ReadOperations(r, r.ReadUInt32);
        var sendInitialValues = r.ReadBoolean();
        var results = new List<(uint Status, uint[] Available)>();
        foreach (var id in ids)
        {
            var owner = _sessions.Values.FirstOrDefault(s => { lock (s.Gate) return s.Subscriptions.ContainsKey(id); });
            if (owner is null)
            {
                results.Add((StatusCodes.BadSubscriptionIdInvalid, []));
                continue;
            }
            if (owner.UserName != session.UserName)
            {
                results.Add((StatusCodes.BadUserAccessDenied, []));
                continue;
            }
            ServerSubscription? moved;
            lock (owner.Gate)
            {
                owner.Subscriptions.Remove(id, out moved);
            }
            if (moved is null)
            {
                results.Add((StatusCodes.BadSubscriptionIdInvalid, []));
                continue;
            }
            lock (session.Gate)
            {
                moved.Session = session;
                session.Subscriptions[id] = moved;
                if (sendInitialValues) moved.ResendCurrentValues(AddressSpace);
                results.Add((StatusCodes.Good, moved.Available.ToArray()));
            }
        }
        return Respond(ServiceIds.TransferSubscriptionsResponse, header, w =>
        {
            w.WriteArray(results, res =>
            {
                w.WriteUInt32(res.Status);
                w.WriteArray(res.Available, w.WriteUInt32);
            });
            w.WriteInt32(0);
        });
    }

    private sealed record MonitoringParameters(uint ClientHandle, double SamplingInterval, ExtensionObject Filter, uint QueueSize, bool DiscardOldest);

    private static MonitoringParameters ParametersFrom(UaBinaryReader r) => new(r.ReadUInt32(), r.ReadDouble(), r.ReadExtensionObject(), r.ReadUInt32(), r.ReadBoolean());

    /// <summary>Applies sampling, queue and filter to an item; returns Good or the status that refuses them.</summary>
    private uint Configure(MonitoredItem item, MonitoringParameters parameters, ServerSubscription subscription)
    {
        DataChangeTrigger trigger = DataChangeTrigger.StatusValue;
        var deadbandType = DeadbandType.None;
        double deadband = 0;
        var filter = parameters.Filter;
        if (!filter.TypeId.IsNull)
        {
            if (filter.TypeId != new NodeId(0, ServiceIds.DataChangeFilter) || filter.Body is null) return StatusCodes.BadMonitoredItemFilterUnsupported;
            if (item.AttributeId != AttributeIds.Value) return StatusCodes.BadFilterNotAllowed;
            var f = new UaBinaryReader(filter.Body);
            var triggerValue = f.ReadInt32();
            var typeValue = f.ReadUInt32();
            deadband = f.ReadDouble();
            if (triggerValue is < 0 or > 2) return StatusCodes.BadMonitoredItemFilterInvalid;
            trigger = (DataChangeTrigger)triggerValue;
            if (typeValue > 2 || double.IsNaN(deadband) || deadband < 0) return StatusCodes.BadDeadbandFilterInvalid;
            deadbandType = (DeadbandType)typeValue;
            // Percent deadbands need an EURange, which the variables of this server do not have.
            if (deadbandType == DeadbandType.Percent) return StatusCodes.BadMonitoredItemFilterUnsupported;
            if (deadbandType == DeadbandType.Absolute && item.Node is ServerVariable { ElementType: { } type } &&
                type is not (BuiltInType.SByte or BuiltInType.Byte or BuiltInType.Int16 or BuiltInType.UInt16 or BuiltInType.Int32 or BuiltInType.UInt32 or BuiltInType.Int64 or BuiltInType.UInt64 or BuiltInType.Float or BuiltInType.Double))
                return StatusCodes.BadFilterNotAllowed;
        }
        var minimum = item.Node is ServerVariable variable && item.AttributeId == AttributeIds.Value ? variable.MinimumSamplingInterval : 0;
        var sampling = parameters.SamplingInterval < 0 || double.IsNaN(parameters.SamplingInterval) ? subscription.PublishingInterval : parameters.SamplingInterval;
        item.SamplingInterval = Math.Min(Math.Max(sampling, minimum), 3_600_000);
        item.QueueSize = Math.Clamp(parameters.QueueSize, 1, Options.MaxQueueSize);
        item.DiscardOldest = parameters.DiscardOldest;
        item.ClientHandle = parameters.ClientHandle;
        item.Trigger = trigger;
        item.DeadbandType = deadbandType;
        item.Deadband = deadband;
        return StatusCodes.Good;
    }

    private byte[] CreateMonitoredItems(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var subscriptionId = r.ReadUInt32();
        var timestamps = TimestampsFrom(r);
        var requests = ReadOperations(r, () => (Item: ReadValueIdFrom(r), Mode: r.ReadInt32(), Parameters: ParametersFrom(r)));
        var results = new List<(uint Status, uint Id, double Sampling, uint Queue)>();
        lock (session.Gate)
        {
            var subscription = SubscriptionOf(session, subscriptionId);
            foreach (var (itemId, mode, parameters) in requests)
            {
                if (subscription.Items.Count >= Options.MaxMonitoredItemsPerSubscription)
                {
                    results.Add((StatusCodes.BadTooManyMonitoredItems, 0, 0, 0));
                    continue;
                }
                if (AddressSpace.Find(itemId.NodeId) is not { } node)
                {
                    results.Add((StatusCodes.BadNodeIdUnknown, 0, 0, 0));
                    continue;
                }
                var check = AddressSpace.ReadAttribute(node, itemId.AttributeId, null);
                if (check.Status.Code == StatusCodes.BadAttributeIdInvalid)
                {
                    results.Add((StatusCodes.BadAttributeIdInvalid, 0, 0, 0));
                    continue;
                }
                if (mode is < 0 or > 2)
                {
                    results.Add((StatusCodes.BadMonitoringModeInvalid, 0, 0, 0));
                    continue;
                }
                var item = new MonitoredItem
                {
                    Id = (uint)Interlocked.Increment(ref _nextMonitoredItemId),
                    Node = node,
                    AttributeId = itemId.AttributeId,
                    IndexRange = itemId.IndexRange,
                    Timestamps = timestamps,
                    NextSample = Now,
                };
                var status = Configure(item, parameters, subscription);
                if (status != StatusCodes.Good)
                {
                    results.Add((status, 0, 0, 0));
                    continue;
                }
                item.SetMode((MonitoringMode)mode);
                subscription.Add(item);
                if (item.AttributeId == AttributeIds.Value && node is ServerVariable variable) AddressSpace.AddMonitor(variable, item);
                else item.Offer(check);
                results.Add((StatusCodes.Good, item.Id, item.SamplingInterval, item.QueueSize));
            }
        }
        return Respond(ServiceIds.CreateMonitoredItemsResponse, header, w =>
        {
            w.WriteArray(results, res =>
            {
                w.WriteUInt32(res.Status);
                w.WriteUInt32(res.Id);
                w.WriteDouble(res.Sampling);
                w.WriteUInt32(res.Queue);
                w.WriteExtensionObject(ExtensionObject.Null);
            });
            w.WriteInt32(0);
        });
    }

    private byte[] ModifyMonitoredItems(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var subscriptionId = r.ReadUInt32();
        var timestamps = TimestampsFrom(r);
        var requests = ReadOperations(r, () => (Id: r.ReadUInt32(), Parameters: ParametersFrom(r)));
        var results = new List<(uint Status, double Sampling, uint Queue)>();
        lock (session.Gate)
        {
            var subscription = SubscriptionOf(session, subscriptionId);
            foreach (var (id, parameters) in requests)
            {
                if (!subscription.Items.TryGetValue(id, out var item))
                {
                    results.Add((StatusCodes.BadMonitoredItemIdInvalid, 0, 0));
                    continue;
                }
                var status = Configure(item, parameters, subscription);
                if (status == StatusCodes.Good) item.Timestamps = timestamps;
                results.Add((status, item.SamplingInterval, item.QueueSize));
            }
        }
        return Respond(ServiceIds.ModifyMonitoredItemsResponse, header, w =>
        {
            w.WriteArray(results, res =>
            {
                w.WriteUInt32(res.Status);
                w.WriteDouble(res.Sampling);
                w.WriteUInt32(res.Queue);
                w.WriteExtensionObject(ExtensionObject.Null);
            });
            w.WriteInt32(0);
        });
    }

    private byte[] SetMonitoringMode(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var subscriptionId = r.ReadUInt32();
        var mode = r.ReadInt32();
        if (mode is < 0 or > 2) throw new UaStatusException(StatusCodes.BadMonitoringModeInvalid, $"monitoring mode {mode} is invalid");
        var ids = ReadOperations(r, r.ReadUInt32);
        uint[] results;
        lock (session.Gate)
        {
            var subscription = SubscriptionOf(session, subscriptionId);
            results = ids.Select(id =>
            {
                if (!subscription.Items.TryGetValue(id, out var item)) return StatusCodes.BadMonitoredItemIdInvalid;
                var wasDisabled = item.Mode == MonitoringMode.Disabled;
                item.SetMode((MonitoringMode)mode);
                // Re-enabled items start again from the current value (Part 4 §5.12.1.3).
                if (wasDisabled && mode != 0) ServerSubscription.Resend(AddressSpace, item);
                return StatusCodes.Good;
            }).ToArray();
        }
        return Respond(ServiceIds.SetMonitoringModeResponse, header, w =>
        {
            w.WriteArray(results, w.WriteUInt32);
            w.WriteInt32(0);
        });
    }

    private byte[] DeleteMonitoredItems(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var subscriptionId = r.ReadUInt32();
        var ids = ReadOperations(r, r.ReadUInt32);
        uint[] results;
        lock (session.Gate)
        {
            var subscription = SubscriptionOf(session, subscriptionId);
            results = ids.Select(id =>
            {
                if (!subscription.Remove(id, out var item)) return StatusCodes.BadMonitoredItemIdInvalid;
                if (item.Node is ServerVariable variable) AddressSpace.RemoveMonitor(variable, item);
                return StatusCodes.Good;
            }).ToArray();
        }
        return Respond(ServiceIds.DeleteMonitoredItemsResponse, header, w =>
        {
            w.WriteArray(results, w.WriteUInt32);
            w.WriteInt32(0);
        });
    }

    /// <summary>Publish (Part 4 §5.13.5): acknowledges, then waits in the session's queue for the next notification or keep-alive.</summary>
    private byte[]? Publish(ServerChannel channel, uint requestId, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var acknowledgements = r.ReadArray(() => (Subscription: r.ReadUInt32(), Sequence: r.ReadUInt32())) ?? [];
        var outputs = new List<PublishOutput>();
        PendingPublish? dropped = null;
        lock (session.Gate)
        {
            var results = acknowledgements.Select(a =>
                !session.Subscriptions.TryGetValue(a.Subscription, out var subscription) ? StatusCodes.BadSubscriptionIdInvalid
                : subscription.Acknowledge(a.Sequence) ? StatusCodes.Good
                : StatusCodes.BadSequenceNumberUnknown).ToArray();
            if (session.Subscriptions.Count == 0) throw new UaStatusException(StatusCodes.BadNoSubscription, "the session has no subscription");
            var timeout = header.TimeoutHint > TimeSpan.Zero ? header.TimeoutHint : TimeSpan.FromHours(1);
            session.Publishes.AddLast(new PendingPublish(channel, requestId, header.RequestHandle, Now + timeout, results));
            if (session.Publishes.Count > ServerSession.MaxQueuedPublishes)
            {
                dropped = session.Publishes.First!.Value;
                session.Publishes.RemoveFirst();
            }
            var now = Now;
            foreach (var subscription in session.Subscriptions.Values.OrderByDescending(s => s.Priority))
            {
                subscription.LifetimeCounter = 0;
                if (subscription.Late) subscription.TrySend(now, outputs);
            }
        }
        if (dropped is not null) Fire(dropped.Channel.SendFaultAsync(dropped.RequestId, dropped.RequestHandle, StatusCodes.BadTooManyPublishRequests));
        foreach (var output in outputs) Fire(output.Request.Channel.SendResponseAsync(output.Request.RequestId, output.Request.RequestHandle, output.Response));
        return null;
    }

    private byte[] Republish(ServerChannel channel, RequestHeader header, UaBinaryReader r)
    {
        var session = Session(channel, header);
        var subscriptionId = r.ReadUInt32();
        var sequence = r.ReadUInt32();
        byte[] message;
        lock (session.Gate)
        {
            message = SubscriptionOf(session, subscriptionId).Retransmit(sequence)
                ?? throw new UaStatusException(StatusCodes.BadMessageNotAvailable, $"notification {sequence} is no longer available");
        }
        return Respond(ServiceIds.RepublishResponse, header, w => w.WriteRaw(message));
    }

    // ---------------------------------------------------------------- the timer

    private async Task TickLoopAsync()
    {
        using var timer = new PeriodicTimer(TickPeriod, Options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    Tick();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Options.Log?.Invoke("the publishing timer failed: " + ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Tick()
    {
        var now = Now;
        var outputs = new List<PublishOutput>();
        var expired = new List<PendingPublish>();
        foreach (var session in _sessions.Values)
        {
            if (session.TimedOut)
            {
                Options.Log?.Invoke($"{session} timed out after {session.Timeout.TotalSeconds:0} s without a request; closed with its subscriptions");
                EndSession(session, StatusCodes.BadSessionClosed);
                continue;
            }
            lock (session.Gate)
            {
                for (var node = session.Publishes.First; node is not null;)
                {
                    var next = node.Next;
                    if (!node.Value.Channel.IsOpen)
                    {
                        session.Publishes.Remove(node);
                    }
                    else if (node.Value.Deadline < now)
                    {
                        session.Publishes.Remove(node);
                        expired.Add(node.Value);
                    }
                    node = next;
                }
                List<uint>? gone = null;
                foreach (var subscription in session.Subscriptions.Values)
                {
                    subscription.Cycle(now, outputs);
                    if (subscription.Expired) (gone ??= []).Add(subscription.Id);
                }
                foreach (var id in gone ?? [])
                {
                    if (session.Subscriptions.Remove(id, out var subscription)) RemoveItems(subscription);
                    Options.Log?.Invoke($"subscription {id} of {session} expired: no Publish request for its lifetime");
                }
            }
        }
        foreach (var publish in expired) Fire(publish.Channel.SendFaultAsync(publish.RequestId, publish.RequestHandle, StatusCodes.BadTimeout));
        foreach (var output in outputs) Fire(output.Request.Channel.SendResponseAsync(output.Request.RequestId, output.Request.RequestHandle, output.Response));
    }

    /// <summary>Stops listening, tells connected clients with Error BadShutdown, drops every session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        AddressSpace.ServerState = 4;
        _listener?.Stop();
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var channel in _channels.Keys) await channel.SendErrorAsync(StatusCodes.BadShutdown, "the server is shutting down").ConfigureAwait(false);
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        if (_tickLoop is not null) await _tickLoop.ConfigureAwait(false);
        _sessions.Clear();
        _listener?.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Responses the server sends without a service body.</summary>
internal static class ServerMessages
{
    /// <summary>ServiceFault (Part 4 §7.36): only a response header carrying the bad status.</summary>
    public static byte[] Fault(uint requestHandle, uint code)
    {
        var w = new UaBinaryWriter(64);
        w.WriteNodeId(new NodeId(0, ServiceIds.ServiceFault));
        ResponseHeader.Write(w, requestHandle, code, DateTime.UtcNow);
        return w.ToArray();
    }
}
