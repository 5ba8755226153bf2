using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Client;

public sealed record UaClientOptions
{
    public required Uri EndpointUrl { get; init; }
    public MessageSecurityMode Mode { get; init; } = MessageSecurityMode.None;
    public string PolicyUri { get; init; } = SecurityPolicyUris.None;
    /// <summary>Null for anonymous login.</summary>
    public string? UserName { get; init; }
    public string? Password { get; init; }
    public X509Certificate2? ApplicationCertificate { get; init; }
    public string ApplicationUri { get; init; } = "urn:flowengine:client";
    public string ApplicationName { get; init; } = "FlowEngine";
    public string SessionName { get; init; } = "FlowEngine";
    /// <summary>Called with the server certificate before a secured channel opens; throw to refuse it (trust list).</summary>
    public Action<X509Certificate2>? ValidateServerCertificate { get; init; }
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// A session (Part 4 §5.6) on its own secure channel, with the attribute, view, method and subscription services.
/// Created by <see cref="ConnectAsync"/>: GetEndpoints, pick the endpoint, check the server certificate, open the
/// channel, CreateSession, ActivateSession, read the namespace table.
/// </summary>
public sealed class UaSession : IAsyncDisposable
{
    private readonly UaClientOptions _options;
    private SecureChannel _channel;
    private uint _requestHandle;

    private UaSession(UaClientOptions options, SecureChannel channel, EndpointDescription endpoint)
    {
        _options = options;
        _channel = channel;
        Endpoint = endpoint;
    }

    public EndpointDescription Endpoint { get; }
    public NodeId SessionId { get; private set; } = NodeId.Null;
    public NodeId AuthenticationToken { get; private set; } = NodeId.Null;
    public TimeSpan RevisedSessionTimeout { get; private set; }
    public IReadOnlyList<string> NamespaceUris { get; private set; } = ["http://opcfoundation.org/UA/"];
    public X509Certificate2? ServerCertificate { get; private set; }
    private byte[] _serverNonce = [];

    /// <summary>Completes when the channel under the session is gone.</summary>
    public Task<Exception> Closed => _channel.Closed;

    public static async Task<EndpointDescription[]> GetEndpointsAsync(UaClientOptions options, CancellationToken cancellationToken)
    {
        await using var channel = await SecureChannel.OpenAsync(ChannelOptions(options, MessageSecurityMode.None, SecurityPolicyUris.None, null), cancellationToken).ConfigureAwait(false);
        var endpoints = await GetEndpointsAsync(channel, options, cancellationToken).ConfigureAwait(false);
        await channel.CloseAsync().ConfigureAwait(false);
        return endpoints;
    }

    private static async Task<EndpointDescription[]> GetEndpointsAsync(SecureChannel channel, UaClientOptions options, CancellationToken cancellationToken)
    {
        var request = ServiceMessages.Encode(ServiceIds.GetEndpointsRequest, RequestHeader.Anonymous(1, options.RequestTimeout), w =>
        {
            w.WriteString(options.EndpointUrl.OriginalString);
            w.WriteArray<string>([], w.WriteString);
            w.WriteArray<string>([], w.WriteString);
        });
        var response = await channel.RequestAsync(request, options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        var r = ServiceMessages.OpenResponse(response, ServiceIds.GetEndpointsResponse);
        return r.ReadArray(() => EndpointDescription.Read(r)) ?? [];
    }

    private static SecureChannelOptions ChannelOptions(UaClientOptions options, MessageSecurityMode mode, string policy, X509Certificate2? serverCertificate) => new()
    {
        Endpoint = options.EndpointUrl,
        Mode = mode,
        PolicyUri = policy,
        ClientCertificate = policy == SecurityPolicyUris.None ? null : options.ApplicationCertificate,
        ServerCertificate = serverCertificate,
        ConnectTimeout = options.ConnectTimeout,
        RequestTimeout = options.RequestTimeout,
        TimeProvider = options.TimeProvider,
    };

    public static async Task<UaSession> ConnectAsync(UaClientOptions options, CancellationToken cancellationToken)
    {
        var discovery = await SecureChannel.OpenAsync(ChannelOptions(options, MessageSecurityMode.None, SecurityPolicyUris.None, null), cancellationToken).ConfigureAwait(false);
        SecureChannel? channel = discovery;
        try
        {
            var endpoints = await GetEndpointsAsync(discovery, options, cancellationToken).ConfigureAwait(false);
            var endpoint = endpoints.FirstOrDefault(e => e.SecurityMode == options.Mode && e.SecurityPolicyUri == options.PolicyUri)
                ?? throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected,
                    $"the server offers no endpoint with {options.Mode} / {SecurityPolicyUris.ShortName(options.PolicyUri)}; it offers: {string.Join(", ", endpoints.Select(e => $"{e.SecurityMode}/{SecurityPolicyUris.ShortName(e.SecurityPolicyUri ?? "")}").Distinct())}");
            X509Certificate2? serverCertificate = endpoint.ServerCertificate is { Length: > 0 } der ? LoadLeafCertificate(der) : null;
            if (options.PolicyUri != SecurityPolicyUris.None)
            {
                if (serverCertificate is null) throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the server's secured endpoint has no certificate");
                options.ValidateServerCertificate?.Invoke(serverCertificate);
                await discovery.CloseAsync().ConfigureAwait(false);
                channel = null;
                channel = await SecureChannel.OpenAsync(ChannelOptions(options, options.Mode, options.PolicyUri, serverCertificate), cancellationToken).ConfigureAwait(false);
            }
            var session = new UaSession(options, channel, endpoint) { ServerCertificate = serverCertificate };
            await session.CreateAsync(cancellationToken).ConfigureAwait(false);
            await session.ActivateAsync(cancellationToken).ConfigureAwait(false);
            await session.ReadNamespacesAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            if (channel is not null) await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Moves this session onto a new secure channel after the old one broke (Part 4 §5.6.3): the server keeps the
    /// session and its subscriptions alive for the session timeout. Throws when the server no longer knows it.
    /// </summary>
    public async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        var old = _channel;
        var channel = await SecureChannel.OpenAsync(ChannelOptions(_options, _options.Mode, _options.PolicyUri, ServerCertificate), cancellationToken).ConfigureAwait(false);
        _channel = channel;
        await old.DisposeAsync().ConfigureAwait(false);
        try
        {
            await ActivateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The first certificate of a DER chain (some servers send the issuer chain concatenated).</summary>
    private static X509Certificate2 LoadLeafCertificate(byte[] der)
    {
        try
        {
            AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out var length);
            return X509CertificateLoader.LoadCertificate(der.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the server certificate cannot be read: " + ex.Message);
        }
    }

    private RequestHeader Header(TimeSpan? timeout = null) =>
        new(AuthenticationToken, Interlocked.Increment(ref _requestHandle), timeout ?? _options.RequestTimeout);

    private async Task<UaBinaryReader> CallAsync(uint requestId, uint responseId, Action<UaBinaryWriter> body, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var request = ServiceMessages.Encode(requestId, Header(timeout), body);
        var response = await _channel.RequestAsync(request, timeout ?? _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return ServiceMessages.OpenResponse(response, responseId);
    }

    private bool Secured => _options.PolicyUri != SecurityPolicyUris.None;

    /// <summary>
    /// Any service of the session by its encoding ids: writes the body after the request header, returns the reader
    /// at the response body. For services without a typed method here (ModifySubscription, SetMonitoringMode...).
    /// </summary>
    public Task<UaBinaryReader> CallServiceAsync(uint requestId, uint responseId, Action<UaBinaryWriter> body, CancellationToken cancellationToken) =>
        CallAsync(requestId, responseId, body, cancellationToken);

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var clientNonce = Basic256Sha256.NewNonce();
        var clientCertificate = _options.ApplicationCertificate?.RawData;
        var r = await CallAsync(ServiceIds.CreateSessionRequest, ServiceIds.CreateSessionResponse, w =>
        {
            new ApplicationDescription(_options.ApplicationUri, "urn:flowengine", new LocalizedText(null, _options.ApplicationName), 1, []).Write(w);
            w.WriteString(null); // server uri
            w.WriteString(_options.EndpointUrl.OriginalString);
            w.WriteString(_options.SessionName + " " + Guid.NewGuid().ToString("N")[..8]);
            w.WriteByteString(clientNonce);
            w.WriteByteString(Secured ? clientCertificate : null);
            w.WriteDouble(_options.SessionTimeout.TotalMilliseconds);
            w.WriteUInt32(16 << 20);
        }, cancellationToken).ConfigureAwait(false);
        SessionId = r.ReadNodeId();
        AuthenticationToken = r.ReadNodeId();
        RevisedSessionTimeout = TimeSpan.FromMilliseconds(r.ReadDouble());
        _serverNonce = r.ReadByteString() ?? [];
        r.ReadByteString(); // server certificate (already known from the endpoint)
        r.ReadArray(() => EndpointDescription.Read(r));
        r.ReadArray(() => (r.ReadByteString(), r.ReadByteString()));
        r.ReadString(); // signature algorithm
        var serverSignature = r.ReadByteString();
        if (Secured)
        {
            // Part 4 §5.6.2: the server proves it holds its key by signing our certificate and nonce.
            using var key = ServerCertificate!.GetRSAPublicKey()!;
            byte[] signed = [.. clientCertificate!, .. clientNonce];
            if (serverSignature is null || !Basic256Sha256.AsymmetricVerify(key, signed, serverSignature))
                throw new UaStatusException(StatusCodes.BadApplicationSignatureInvalid, "the server's CreateSession signature does not match its certificate");
            if (_serverNonce.Length < Basic256Sha256.NonceLength)
                throw new UaStatusException(StatusCodes.BadNonceInvalid, "the server's session nonce is too short");
        }
    }

    private async Task ActivateAsync(CancellationToken cancellationToken)
    {
        var identity = IdentityToken();
        var r = await CallAsync(ServiceIds.ActivateSessionRequest, ServiceIds.ActivateSessionResponse, w =>
        {
            if (Secured)
            {
                using var key = _options.ApplicationCertificate!.GetRSAPrivateKey()!;
                w.WriteString(Basic256Sha256.AsymmetricSignatureUri);
                w.WriteByteString(Basic256Sha256.AsymmetricSign(key, [.. ServerCertificate!.RawData, .. _serverNonce]));
            }
            else
            {
                w.WriteString(null);
                w.WriteByteString(null);
            }
            w.WriteArray<int>([], _ => { }); // client software certificates
            w.WriteArray<string>(["en"], w.WriteString);
            w.WriteExtensionObject(identity);
            w.WriteString(null); // user token signature (only for certificate tokens)
            w.WriteByteString(null);
        }, cancellationToken).ConfigureAwait(false);
        _serverNonce = r.ReadByteString() ?? _serverNonce;
    }

    /// <summary>
    /// The identity token for the endpoint's matching policy. A password is encrypted with the server certificate
    /// (Part 4 §7.41.3) whenever the token policy or the channel names a security policy, even on a None channel.
    /// </summary>
    private ExtensionObject IdentityToken()
    {
        var wanted = _options.UserName is null ? UserTokenType.Anonymous : UserTokenType.UserName;
        var policy = Endpoint.UserIdentityTokens.FirstOrDefault(p => p.TokenType == wanted)
            ?? throw new UaStatusException(StatusCodes.BadIdentityTokenRejected, $"the endpoint does not accept {(wanted == UserTokenType.Anonymous ? "anonymous" : "user name")} logins");
        var w = new UaBinaryWriter();
        if (wanted == UserTokenType.Anonymous)
        {
            w.WriteString(policy.PolicyId);
            return new ExtensionObject(new NodeId(0, ServiceIds.AnonymousIdentityToken), ExtensionObject.BinaryBody, w.ToArray());
        }
        var tokenPolicy = string.IsNullOrEmpty(policy.SecurityPolicyUri) ? _options.PolicyUri : policy.SecurityPolicyUri;
        var password = System.Text.Encoding.UTF8.GetBytes(_options.Password ?? "");
        w.WriteString(policy.PolicyId);
        w.WriteString(_options.UserName);
        if (tokenPolicy == SecurityPolicyUris.None)
        {
            w.WriteByteString(password);
            w.WriteString(null);
        }
        else
        {
            if (tokenPolicy != SecurityPolicyUris.Basic256Sha256)
                throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, $"the server wants the password encrypted with {tokenPolicy}, which is not supported");
            using var key = ServerCertificate?.GetRSAPublicKey()
                ?? throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the server has no certificate to encrypt the password with");
            var plain = new UaBinaryWriter();
            plain.WriteUInt32((uint)(password.Length + _serverNonce.Length));
            plain.WriteRaw(password);
            plain.WriteRaw(_serverNonce);
            w.WriteByteString(Basic256Sha256.AsymmetricEncrypt(key, plain.WrittenSpan));
            w.WriteString(Basic256Sha256.AsymmetricEncryptionUri);
        }
        return new ExtensionObject(new NodeId(0, ServiceIds.UserNameIdentityToken), ExtensionObject.BinaryBody, w.ToArray());
    }

    private async Task ReadNamespacesAsync(CancellationToken cancellationToken)
    {
        var values = await ReadAsync([new ReadValueId(WellKnownNodes.NamespaceArray)], cancellationToken).ConfigureAwait(false);
        if (values[0].Value is { IsArray: true, Value: object?[] items }) NamespaceUris = items.Select(i => i as string ?? "").ToArray();
    }

    /// <summary>Parses a NodeId, resolving "nsu=&lt;uri&gt;;..." through the server's namespace table.</summary>
    public NodeId ResolveNodeId(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("nsu=", StringComparison.Ordinal)) return NodeId.Parse(trimmed);
        var semicolon = trimmed.IndexOf(';', StringComparison.Ordinal);
        if (semicolon < 0) throw new FormatException($"\"{text}\" is not a NodeId: nsu=<uri>; is followed by i=, s=, g= or b=");
        var uri = trimmed[4..semicolon];
        var index = NamespaceUris.ToList().IndexOf(uri);
        if (index < 0) throw new UaStatusException(StatusCodes.BadNodeIdUnknown, $"the server has no namespace \"{uri}\"");
        var local = NodeId.Parse(trimmed[(semicolon + 1)..]);
        return local with { NamespaceIndex = (ushort)index };
    }

    // ---------------------------------------------------------------- services

    public async Task<DataValue[]> ReadAsync(IReadOnlyList<ReadValueId> items, CancellationToken cancellationToken, TimestampsToReturn timestamps = TimestampsToReturn.Both, double maxAge = 0)
    {
        var r = await CallAsync(ServiceIds.ReadRequest, ServiceIds.ReadResponse, w =>
        {
            w.WriteDouble(maxAge);
            w.WriteInt32((int)timestamps);
            w.WriteArray(items, i => i.Write(w));
        }, cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(r.ReadDataValue), items.Count, "Read");
    }

    public async Task<StatusCode[]> WriteAsync(IReadOnlyList<WriteValue> items, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.WriteRequest, ServiceIds.WriteResponse, w => w.WriteArray(items, i => i.Write(w)), cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(r.ReadStatusCode), items.Count, "Write");
    }

    public async Task<BrowseResult[]> BrowseAsync(IReadOnlyList<BrowseDescription> nodes, uint maxReferencesPerNode, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.BrowseRequest, ServiceIds.BrowseResponse, w =>
        {
            w.WriteNodeId(NodeId.Null); // view
            w.WriteDateTime(null);
            w.WriteUInt32(0);
            w.WriteUInt32(maxReferencesPerNode);
            w.WriteArray(nodes, n => n.Write(w));
        }, cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(() => BrowseResult.Read(r)), nodes.Count, "Browse");
    }

    public async Task<BrowseResult[]> BrowseNextAsync(IReadOnlyList<byte[]> continuationPoints, bool release, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.BrowseNextRequest, ServiceIds.BrowseNextResponse, w =>
        {
            w.WriteBoolean(release);
            w.WriteArray(continuationPoints, c => w.WriteByteString(c));
        }, cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(() => BrowseResult.Read(r)), continuationPoints.Count, "BrowseNext");
    }

    /// <summary>Browses one node completely: Browse, then BrowseNext while the server hands out continuation points.</summary>
    public async Task<(StatusCode Status, List<ReferenceDescription> References)> BrowseAllAsync(BrowseDescription node, uint maxReferencesPerCall, CancellationToken cancellationToken)
    {
        var result = (await BrowseAsync([node], maxReferencesPerCall, cancellationToken).ConfigureAwait(false))[0];
        var references = new List<ReferenceDescription>(result.References);
        var status = result.Status;
        var guard = 0;
        while (status.IsGood && result.ContinuationPoint is { Length: > 0 } point)
        {
            if (++guard > 100000) throw new UaStatusException(StatusCodes.BadTooManyOperations, "browse does not end: over 100000 continuation points");
            result = (await BrowseNextAsync([point], false, cancellationToken).ConfigureAwait(false))[0];
            status = result.Status;
            references.AddRange(result.References);
        }
        return (status, references);
    }

    public async Task<BrowsePathResult[]> TranslateBrowsePathsAsync(IReadOnlyList<BrowsePath> paths, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.TranslateBrowsePathsToNodeIdsRequest, ServiceIds.TranslateBrowsePathsToNodeIdsResponse,
            w => w.WriteArray(paths, p => p.Write(w)), cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(() => BrowsePathResult.Read(r)), paths.Count, "TranslateBrowsePathsToNodeIds");
    }

    public async Task<CallMethodResult[]> CallMethodsAsync(IReadOnlyList<CallMethodRequest> calls, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.CallRequest, ServiceIds.CallResponse, w => w.WriteArray(calls, c => c.Write(w)), cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(() => CallMethodResult.Read(r)), calls.Count, "Call");
    }

    public async Task<SubscriptionCreated> CreateSubscriptionAsync(SubscriptionParameters parameters, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.CreateSubscriptionRequest, ServiceIds.CreateSubscriptionResponse, w =>
        {
            w.WriteDouble(parameters.PublishingInterval);
            w.WriteUInt32(parameters.LifetimeCount);
            w.WriteUInt32(parameters.MaxKeepAliveCount);
            w.WriteUInt32(parameters.MaxNotificationsPerPublish);
            w.WriteBoolean(true);
            w.WriteByte(parameters.Priority);
        }, cancellationToken).ConfigureAwait(false);
        return new SubscriptionCreated(r.ReadUInt32(), r.ReadDouble(), r.ReadUInt32(), r.ReadUInt32());
    }

    public async Task<MonitoredItemCreateResult[]> CreateMonitoredItemsAsync(uint subscriptionId, IReadOnlyList<MonitoredItemRequest> items, TimestampsToReturn timestamps, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.CreateMonitoredItemsRequest, ServiceIds.CreateMonitoredItemsResponse, w =>
        {
            w.WriteUInt32(subscriptionId);
            w.WriteInt32((int)timestamps);
            w.WriteArray(items, i => i.Write(w));
        }, cancellationToken).ConfigureAwait(false);
        return CheckCount(r.ReadArray(() => MonitoredItemCreateResult.Read(r)), items.Count, "CreateMonitoredItems");
    }

    public async Task<StatusCode[]> DeleteSubscriptionsAsync(IReadOnlyList<uint> ids, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.DeleteSubscriptionsRequest, ServiceIds.DeleteSubscriptionsResponse, w => w.WriteArray(ids, w.WriteUInt32), cancellationToken).ConfigureAwait(false);
        return r.ReadArray(r.ReadStatusCode) ?? [];
    }

    /// <summary>Publish (Part 4 §5.13.5) with the acknowledgements of what was received; waits up to <paramref name="timeout"/>.</summary>
    public async Task<PublishResult> PublishAsync(IReadOnlyList<(uint SubscriptionId, uint Sequence)> acknowledgements, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.PublishRequest, ServiceIds.PublishResponse, w => w.WriteArray(acknowledgements, a =>
        {
            w.WriteUInt32(a.SubscriptionId);
            w.WriteUInt32(a.Sequence);
        }), cancellationToken, timeout).ConfigureAwait(false);
        var subscription = r.ReadUInt32();
        var available = r.ReadArray(r.ReadUInt32) ?? [];
        var more = r.ReadBoolean();
        var message = NotificationMessage.Read(r);
        var results = r.ReadArray(r.ReadStatusCode) ?? [];
        return new PublishResult(subscription, available, more, message, results);
    }

    public async Task<NotificationMessage> RepublishAsync(uint subscriptionId, uint sequenceNumber, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.RepublishRequest, ServiceIds.RepublishResponse, w =>
        {
            w.WriteUInt32(subscriptionId);
            w.WriteUInt32(sequenceNumber);
        }, cancellationToken).ConfigureAwait(false);
        return NotificationMessage.Read(r);
    }

    public async Task<StatusCode[]> TransferSubscriptionsAsync(IReadOnlyList<uint> ids, bool sendInitialValues, CancellationToken cancellationToken)
    {
        var r = await CallAsync(ServiceIds.TransferSubscriptionsRequest, ServiceIds.TransferSubscriptionsResponse, w =>
        {
            w.WriteArray(ids, w.WriteUInt32);
            w.WriteBoolean(sendInitialValues);
        }, cancellationToken).ConfigureAwait(false);
        return r.ReadArray(() =>
        {
            var status = r.ReadStatusCode();
            r.ReadArray(r.ReadUInt32);
            return status;
        }) ?? [];
    }

    private static T[] CheckCount<T>(T[]? results, int expected, string service)
    {
        if (results is null || results.Length != expected)
            throw new UaStatusException(StatusCodes.BadUnknownResponse, $"{service} returned {results?.Length ?? 0} results for {expected} operations");
        return results;
    }

    /// <summary>CloseSession (deleting its subscriptions) and CloseSecureChannel, best effort.</summary>
    public async Task CloseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await CallAsync(ServiceIds.CloseSessionRequest, ServiceIds.CloseSessionResponse, w => w.WriteBoolean(true), timeout.Token, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UaStatusException or OperationCanceledException or UaEncodingException)
        {
            // The server is gone or the session already expired: nothing left to close there.
        }
        await _channel.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the channel without closing the session, so it can be resumed (and so a dead link is noticed at once).</summary>
    public ValueTask DropChannelAsync() => _channel.DisposeAsync();

    public ValueTask DisposeAsync() => new(CloseAsync());
}
