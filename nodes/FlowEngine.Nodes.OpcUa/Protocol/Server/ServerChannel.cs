using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Server;

/// <summary>What a server channel needs from the server it belongs to.</summary>
internal interface IServerChannelHost
{
    UaServerOptions Options { get; }

    /// <summary>Is this security policy and mode offered by one of the endpoints?</summary>
    bool Offers(string policyUri, MessageSecurityMode mode);

    /// <summary>Throws a <see cref="UaStatusException"/> (BadCertificateUntrusted...) for a client certificate not to accept.</summary>
    void ValidateClientCertificate(X509Certificate2 certificate);

    /// <summary>One whole service request (type id, header, body). Called one at a time per channel, in order.</summary>
    Task OnRequestAsync(ServerChannel channel, uint requestId, byte[] message);

    void OnChannelClosed(ServerChannel channel);
}

/// <summary>
/// The server end of one UA TCP connection and its secure channel (Part 6 §7.1 and §6.7): Hello/Acknowledge with
/// negotiated limits, OpenSecureChannel Issue and Renew, then MSG chunks decrypted, verified and reassembled into
/// requests; responses signed, encrypted and split into chunks the client accepts. Anything wrong on the wire ends
/// with an Error message and the connection closed, for this client only.
/// </summary>
internal sealed class ServerChannel : IAsyncDisposable
{
    private const int HeaderSize = 8;
    private const int MessageHeaderSize = 12;
    private const uint MinBufferSize = 8192;
    private static int _nextChannelId;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly IServerChannelHost _host;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly Dictionary<uint, SymmetricKeys> _receiveKeys = [];
    private readonly Dictionary<uint, (List<byte[]> Parts, long Size, bool TooLarge)> _partial = [];
    private readonly ConcurrentDictionary<uint, DateTime> _tokenExpiry = new();
    private readonly CancellationTokenSource _stop = new();
    private RSA? _serverKey;
    private RSA? _clientKey;
    private bool _secured;
    private uint _tokenId;
    private uint _sendTokenId;
    private SymmetricKeys? _sendKeys;
    private readonly Dictionary<uint, SymmetricKeys> _sendKeysByToken = [];
    private uint _sendSequence;
    private uint? _lastReceivedSequence;
    private uint? _switchToToken;
    private TimeSpan _tokenLifetime;
    private int _closed;

    public ServerChannel(TcpClient tcp, IServerChannelHost host)
    {
        _tcp = tcp;
        _tcp.NoDelay = true;
        _stream = tcp.GetStream();
        _host = host;
        RemoteEndPoint = tcp.Client.RemoteEndPoint as IPEndPoint;
    }

    public uint ChannelId { get; private set; }
    public IPEndPoint? RemoteEndPoint { get; }
    public string PolicyUri { get; private set; } = SecurityPolicyUris.None;
    public MessageSecurityMode Mode { get; private set; } = MessageSecurityMode.None;
    public X509Certificate2? ClientCertificate { get; private set; }
    public string? EndpointUrl { get; private set; }
    public bool IsOpen => ChannelId != 0 && _closed == 0;

    /// <summary>What the client accepts from us (its receive buffer, message size and chunk count).</summary>
    private TransportLimits _sendLimits = new(MinBufferSize, MinBufferSize, 0, 0);
    private TransportLimits _receiveLimits = new(MinBufferSize, MinBufferSize, 0, 0);

    private UaServerOptions Options => _host.Options;

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _stop.Token);
        var token = linked.Token;
        try
        {
            await HelloAsync(token).ConfigureAwait(false);
            while (!token.IsCancellationRequested)
            {
                // A channel that stays silent past its token lifetime (and so far past any keep-alive) is dead.
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                idle.CancelAfter(IdleLimit());
                byte[] chunk;
                try
                {
                    chunk = await ReceiveChunkAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    throw new UaStatusException(StatusCodes.BadTimeout, "the client sent nothing within the channel lifetime");
                }
                await HandleChunkAsync(chunk).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            if (stopping.IsCancellationRequested) await SendErrorAsync(StatusCodes.BadShutdown, "the server is shutting down").ConfigureAwait(false);
        }
        catch (UaStatusException ex) when (ex.Status.Code is StatusCodes.BadConnectionClosed)
        {
            // The client went away: nothing to tell it.
        }
        catch (UaStatusException ex)
        {
            await SendErrorAsync(ex.Status.Code, ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UaEncodingException or CryptographicException or AsnContentException or FormatException or ArgumentException)
        {
            var code = ex is CryptographicException ? StatusCodes.BadSecurityChecksFailed : StatusCodes.BadDecodingError;
            await SendErrorAsync(code, ex.Message).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
        catch (SocketException)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A fault of ours must cost this connection only, never the server or the runtime.
            Options.Log?.Invoke($"internal error on {this}: {ex}");
            await SendErrorAsync(StatusCodes.BadTcpInternalError, "internal server error").ConfigureAwait(false);
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    private TimeSpan IdleLimit()
    {
        if (ChannelId == 0) return Options.HandshakeTimeout;
        // A client renews at 75 % of the token lifetime at the latest; past 125 % without a word it is gone.
        return TimeSpan.FromMilliseconds(Math.Max(_tokenLifetime.TotalMilliseconds * 1.25, 5000));
    }

    // ---------------------------------------------------------------- transport

    private async Task<byte[]> ReceiveChunkAsync(CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        await ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        var limit = Math.Max(_receiveLimits.ReceiveBufferSize, MinBufferSize);
        if (size < HeaderSize || size > limit)
            throw new UaStatusException(StatusCodes.BadTcpMessageTooLarge, $"a chunk of {size} bytes exceeds the receive buffer of {limit}");
        var bytes = new byte[size];
        header.CopyTo(bytes, 0);
        await ReadExactlyAsync(bytes.AsMemory(HeaderSize), cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new UaStatusException(StatusCodes.BadConnectionClosed, "the client closed the connection");
        }
        catch (IOException ex)
        {
            throw new UaStatusException(StatusCodes.BadConnectionClosed, "the connection was lost: " + ex.Message);
        }
    }

    private async Task HelloAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.HandshakeTimeout);
        byte[] hello;
        try
        {
            hello = await ReceiveChunkAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UaStatusException(StatusCodes.BadTimeout, "no Hello message within " + Options.HandshakeTimeout);
        }
        if (hello[0] != 'H' || hello[1] != 'E' || hello[2] != 'L' || hello[3] != 'F')
            throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, "the first message must be Hello");
        var r = new UaBinaryReader(hello.AsMemory(HeaderSize));
        r.ReadUInt32(); // protocol version: we speak version 0, which every later version accepts
        var clientReceive = r.ReadUInt32();
        var clientSend = r.ReadUInt32();
        var clientMaxMessage = r.ReadUInt32();
        var clientMaxChunks = r.ReadUInt32();
        EndpointUrl = r.ReadString();
        if (EndpointUrl is { Length: > 4096 }) throw new UaStatusException(StatusCodes.BadTcpEndpointUrlInvalid, "the endpoint URL is longer than 4096 bytes");
        if (clientReceive < MinBufferSize || clientSend < MinBufferSize)
            throw new UaStatusException(StatusCodes.BadTcpNotEnoughResources, $"buffers of {clientReceive}/{clientSend} bytes are below the 8192 Part 6 requires");
        var receive = Math.Min(Options.ReceiveBufferSize, clientSend);
        var send = Math.Min(Options.SendBufferSize, clientReceive);
        _receiveLimits = new TransportLimits(receive, send, Options.MaxMessageSize, Options.MaxChunkCount);
        _sendLimits = new TransportLimits(receive, send, clientMaxMessage, clientMaxChunks);
        var ack = new UaBinaryWriter();
        ack.WriteUInt32(0);
        ack.WriteUInt32(receive);
        ack.WriteUInt32(send);
        ack.WriteUInt32(Options.MaxMessageSize);
        ack.WriteUInt32(Options.MaxChunkCount);
        await WriteFramedAsync("ACKF", ack.WrittenSpan.ToArray()).ConfigureAwait(false);
    }

    private async Task WriteFramedAsync(string typeAndChunk, byte[] body)
    {
        var frame = new byte[HeaderSize + body.Length];
        System.Text.Encoding.ASCII.GetBytes(typeAndChunk, frame);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)frame.Length);
        body.CopyTo(frame, HeaderSize);
        await _sendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(frame).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Sends an Error message (Part 6 §7.1.2.5) and closes; the server goes on serving the others.</summary>
    public async Task SendErrorAsync(uint code, string reason)
    {
        if (_closed != 0) return;
        try
        {
            var w = new UaBinaryWriter();
            w.WriteUInt32(code);
            w.WriteString(reason.Length > 1000 ? reason[..1000] : reason);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await WriteFramedAsync("ERRF", w.ToArray()).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone already.
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- receiving

    private async Task HandleChunkAsync(byte[] chunk)
    {
        var type = System.Text.Encoding.ASCII.GetString(chunk, 0, 3);
        var chunkType = (char)chunk[3];
        if (chunkType is not ('F' or 'C' or 'A')) throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, $"chunk type '{chunkType}' is unknown");
        if (chunk.Length < MessageHeaderSize + 4) throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, $"a {type} chunk of {chunk.Length} bytes is too short");
        var channelId = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(HeaderSize));
        switch (type)
        {
            case "OPN":
                if (chunkType != 'F') throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, "OpenSecureChannel must fit in one chunk");
                await OpenAsync(chunk, channelId).ConfigureAwait(false);
                return;
            case "MSG":
            case "CLO":
                if (ChannelId == 0) throw new UaStatusException(StatusCodes.BadSecureChannelIdInvalid, "no secure channel is open");
                if (channelId != ChannelId) throw new UaStatusException(StatusCodes.BadTcpSecureChannelUnknown, $"channel {channelId} is not this connection's channel {ChannelId}");
                var (requestId, body) = DecodeSymmetric(chunk);
                if (_switchToToken is { } newToken)
                {
                    _switchToToken = null;
                    await SwitchSendTokenAsync(newToken).ConfigureAwait(false);
                }
                if (type == "CLO")
                {
                    await DisposeAsync().ConfigureAwait(false);
                    return;
                }
                await CollectAsync(requestId, chunkType, body).ConfigureAwait(false);
                return;
            case "HEL":
                throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, "Hello was already received");
            default:
                throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, $"message type \"{type}\" is unknown");
        }
    }

    private async Task CollectAsync(uint requestId, char chunkType, byte[] body)
    {
        if (chunkType == 'A')
        {
            _partial.Remove(requestId);
            return;
        }
        if (!_partial.TryGetValue(requestId, out var entry))
        {
            if (_partial.Count >= 16) throw new UaStatusException(StatusCodes.BadTcpMessageTooLarge, "more than 16 requests are being sent in chunks at once");
            entry = ([], 0, false);
        }
        entry.Size += body.Length;
        if (_partial.Values.Sum(p => p.TooLarge ? 0 : p.Size) + body.Length > (long)Options.MaxMessageSize * 2)
            throw new UaStatusException(StatusCodes.BadTcpMessageTooLarge, "the requests being sent in chunks exceed the message size limit together");
        var maxChunks = Options.MaxChunkCount;
        if (!entry.TooLarge && (entry.Size > Options.MaxMessageSize || (maxChunks != 0 && entry.Parts.Count + 1 > maxChunks)))
        {
            // Keep the first chunk (it holds the request handle for the fault) and drop the rest.
            entry.TooLarge = true;
            entry.Parts.RemoveRange(1, Math.Max(0, entry.Parts.Count - 1));
        }
        if (!entry.TooLarge || entry.Parts.Count == 0) entry.Parts.Add(body);
        _partial[requestId] = entry;
        if (chunkType != 'F') return;
        _partial.Remove(requestId);
        if (entry.TooLarge)
        {
            var handle = 0u;
            try
            {
                var r = new UaBinaryReader(entry.Parts[0]);
                r.ReadNodeId();
                handle = RequestHeader.Read(r).RequestHandle;
            }
            catch (UaEncodingException)
            {
            }
            await SendFaultAsync(requestId, handle, StatusCodes.BadRequestTooLarge).ConfigureAwait(false);
            return;
        }
        var message = entry.Parts.Count == 1 ? entry.Parts[0] : entry.Parts.SelectMany(p => p).ToArray();
        await _host.OnRequestAsync(this, requestId, message).ConfigureAwait(false);
    }

    private async Task OpenAsync(byte[] chunk, uint channelId)
    {
        var renew = ChannelId != 0;
        if (renew && channelId != ChannelId) throw new UaStatusException(StatusCodes.BadTcpSecureChannelUnknown, $"renewal names channel {channelId}, this connection has {ChannelId}");
        var reader = new UaBinaryReader(chunk);
        reader.ReadRaw(MessageHeaderSize);
        var policy = reader.ReadString() ?? "";
        var senderCertificate = reader.ReadByteString();
        var receiverThumbprint = reader.ReadByteString();
        var headerLength = reader.Position;
        if (renew && policy != PolicyUri) throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, "a renewal must keep the channel's security policy");
        if (policy != SecurityPolicyUris.None && policy != SecurityPolicyUris.Basic256Sha256)
            throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, $"security policy {policy} is not supported");
        // Part 4 §5.4: discovery (GetEndpoints) works on an unsecured channel even when no None endpoint is offered.
        if (!renew && policy != SecurityPolicyUris.None && !_host.Offers(policy, MessageSecurityMode.Sign) && !_host.Offers(policy, MessageSecurityMode.SignAndEncrypt))
            throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, $"security policy {SecurityPolicyUris.ShortName(policy)} is not offered by this server");

        ReadOnlySpan<byte> content;
        var rest = chunk.AsSpan(headerLength);
        if (policy == SecurityPolicyUris.None)
        {
            content = rest;
        }
        else
        {
            if (senderCertificate is null) throw new UaStatusException(StatusCodes.BadCertificateInvalid, "OpenSecureChannel has no client certificate");
            var certificate = LoadLeaf(senderCertificate);
            if (receiverThumbprint is null || Options.Certificate is null || !receiverThumbprint.AsSpan().SequenceEqual(Basic256Sha256.Thumbprint(Options.Certificate)))
                throw new UaStatusException(StatusCodes.BadCertificateInvalid, "OpenSecureChannel is encrypted for another certificate than this server's");
            if (renew)
            {
                if (!certificate.RawData.AsSpan().SequenceEqual(ClientCertificate!.RawData))
                    throw new UaStatusException(StatusCodes.BadCertificateInvalid, "a renewal must come from the same client certificate");
                content = ChunkSecurity.OpenAsymmetric(chunk, headerLength, _serverKey!, _clientKey!);
            }
            else
            {
                var clientKey = certificate.GetRSAPublicKey() ?? throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the client certificate has no RSA key");
                if (clientKey.KeySize is < 2048 or > 4096) throw new UaStatusException(StatusCodes.BadCertificateUseNotAllowed, $"Basic256Sha256 needs an RSA key of 2048 to 4096 bits, not {clientKey.KeySize}");
                var serverKey = Options.Certificate.GetRSAPrivateKey() ?? throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, "the server certificate has no private key");
                // The signature proves the client holds the key before its certificate is looked at (or stored in rejected/).
                content = ChunkSecurity.OpenAsymmetric(chunk, headerLength, serverKey, clientKey);
                _host.ValidateClientCertificate(certificate);
                ClientCertificate = certificate;
                _clientKey = clientKey;
                _serverKey = serverKey;
                _secured = true;
            }
        }
        if (content.Length < 8) throw new UaStatusException(StatusCodes.BadDecodingError, "OpenSecureChannel has no sequence header");
        CheckSequence(BinaryPrimitives.ReadUInt32LittleEndian(content));
        var requestId = BinaryPrimitives.ReadUInt32LittleEndian(content[4..]);
        var r = new UaBinaryReader(content[8..].ToArray());
        var typeId = r.ReadNodeId();
        if (typeId != new NodeId(0, ServiceIds.OpenSecureChannelRequest)) throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, $"an OPN message carries {typeId}, not OpenSecureChannel");
        var header = RequestHeader.Read(r);
        r.ReadUInt32(); // client protocol version
        var requestType = r.ReadInt32();
        var mode = (MessageSecurityMode)r.ReadInt32();
        var clientNonce = r.ReadByteString() ?? [];
        var requestedLifetime = r.ReadUInt32();
        if (requestType != (renew ? 1 : 0))
            throw new UaStatusException(StatusCodes.BadRequestTypeInvalid, renew ? "the channel is open: expected Renew" : "a new channel must be Issued, not Renewed");
        if (renew && mode != Mode) throw new UaStatusException(StatusCodes.BadSecurityModeRejected, "a renewal must keep the channel's security mode");
        if (!_host.Offers(policy, mode) && !(policy == SecurityPolicyUris.None && mode == MessageSecurityMode.None)) throw new UaStatusException(StatusCodes.BadSecurityModeRejected, $"{mode} with {SecurityPolicyUris.ShortName(policy)} is not offered by this server");
        if (_secured && clientNonce.Length != Basic256Sha256.NonceLength)
            throw new UaStatusException(StatusCodes.BadNonceInvalid, $"the client nonce has {clientNonce.Length} bytes; Basic256Sha256 needs {Basic256Sha256.NonceLength}");

        PolicyUri = policy;
        Mode = mode;
        if (!renew) ChannelId = (uint)Interlocked.Increment(ref _nextChannelId);
        var tokenId = ++_tokenId;
        var lifetime = (uint)Math.Clamp(requestedLifetime == 0 ? Options.MaxChannelLifetime.TotalMilliseconds : requestedLifetime,
            Options.MinChannelLifetime.TotalMilliseconds, Options.MaxChannelLifetime.TotalMilliseconds);
        var serverNonce = _secured ? Basic256Sha256.NewNonce() : [];
        _tokenLifetime = TimeSpan.FromMilliseconds(lifetime);
        await _sendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            // Part 6 §6.7.5: each side's keys derive from the other side's nonce as secret and its own as seed.
            _receiveKeys[tokenId] = _secured ? Basic256Sha256.DeriveKeys(serverNonce, clientNonce) : new SymmetricKeys([], [], []);
            _sendKeysByToken[tokenId] = _secured ? Basic256Sha256.DeriveKeys(clientNonce, serverNonce) : new SymmetricKeys([], [], []);
            _tokenExpiry[tokenId] = DateTime.UtcNow.AddMilliseconds(lifetime * 1.25);
            if (!renew)
            {
                _sendTokenId = tokenId;
                _sendKeys = _sendKeysByToken[tokenId];
            }
        }
        finally
        {
            _sendGate.Release();
        }

        var response = new UaBinaryWriter();
        response.WriteNodeId(new NodeId(0, ServiceIds.OpenSecureChannelResponse));
        ResponseHeader.Write(response, header.RequestHandle, StatusCodes.Good, DateTime.UtcNow);
        response.WriteUInt32(0); // server protocol version
        response.WriteUInt32(ChannelId);
        response.WriteUInt32(tokenId);
        response.WriteDateTime(DateTime.UtcNow);
        response.WriteUInt32(lifetime);
        response.WriteByteString(serverNonce);
        await SendAsymmetricAsync(requestId, response.ToArray()).ConfigureAwait(false);
    }

    /// <summary>The first certificate of a DER chain (clients may send their issuer chain concatenated).</summary>
    private static X509Certificate2 LoadLeaf(byte[] der)
    {
        try
        {
            AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out var length);
            return X509CertificateLoader.LoadCertificate(der.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the client certificate cannot be read: " + ex.Message);
        }
    }

    private void CheckSequence(uint sequence)
    {
        // Part 6 §6.7.2.4: strictly increasing; it may wrap to a small number after passing 4294966271.
        if (_lastReceivedSequence is { } last && sequence != last + 1 && !(last > 4294966271u && sequence < 1024))
            throw new UaStatusException(StatusCodes.BadSequenceNumberInvalid, $"sequence number {sequence} does not follow {last}");
        _lastReceivedSequence = sequence;
    }

    private (uint RequestId, byte[] Body) DecodeSymmetric(byte[] chunk)
    {
        var tokenId = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(MessageHeaderSize));
        const int headerLength = MessageHeaderSize + 4;
        if (!_receiveKeys.TryGetValue(tokenId, out var keys))
            throw new UaStatusException(StatusCodes.BadSecureChannelTokenUnknown, $"token {tokenId} is not one of this channel's tokens");
        if (_tokenExpiry.TryGetValue(tokenId, out var expiry) && DateTime.UtcNow > expiry)
            throw new UaStatusException(StatusCodes.BadSecureChannelTokenUnknown, $"token {tokenId} has expired; the client did not renew it in time");
        if (tokenId != _sendTokenId && tokenId == _tokenId) _switchToToken = tokenId;
        var content = ChunkSecurity.OpenSymmetric(chunk, headerLength, _secured ? Mode : MessageSecurityMode.None, keys);
        if (content.Length < 8) throw new UaStatusException(StatusCodes.BadDecodingError, "a chunk has no sequence header");
        CheckSequence(BinaryPrimitives.ReadUInt32LittleEndian(content));
        return (BinaryPrimitives.ReadUInt32LittleEndian(content[4..]), content[8..].ToArray());
    }

    /// <summary>Part 6 §6.7.6: after a renewal the server keeps sending with the old token until the client uses the new one.</summary>
    private async Task SwitchSendTokenAsync(uint tokenId)
    {
        await _sendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _sendTokenId = tokenId;
            _sendKeys = _sendKeysByToken[tokenId];
            foreach (var old in _receiveKeys.Keys.Where(k => k < tokenId - 1).ToList()) _receiveKeys.Remove(old);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    // ---------------------------------------------------------------- sending

    /// <summary>
    /// Sends one response (type id, header, body) in as many chunks as the client's buffer needs. A response beyond
    /// the client's message size or chunk count becomes a ServiceFault BadResponseTooLarge.
    /// </summary>
    public async Task SendResponseAsync(uint requestId, uint requestHandle, byte[] message)
    {
        if (_closed != 0) return;
        var maxMessage = _sendLimits.MaxMessageSize;
        if (maxMessage != 0 && message.Length > maxMessage)
        {
            await SendFaultAsync(requestId, requestHandle, StatusCodes.BadResponseTooLarge).ConfigureAwait(false);
            return;
        }
        var stalled = false;
        await _sendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed != 0) return;
            var chunks = EncodeSymmetric("MSG", requestId, message);
            if (_sendLimits.MaxChunkCount != 0 && chunks.Count > _sendLimits.MaxChunkCount)
            {
                chunks = EncodeSymmetric("MSG", requestId, ServerMessages.Fault(requestHandle, StatusCodes.BadResponseTooLarge));
            }
            // A client that stops reading must not hold the server's memory: after the timeout it is dropped.
            using var timeout = new CancellationTokenSource(Options.SendTimeout);
            foreach (var chunk in chunks) await _stream.WriteAsync(chunk, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            stalled = true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away; the receive loop ends the channel.
        }
        finally
        {
            _sendGate.Release();
        }
        if (stalled) await DisposeAsync().ConfigureAwait(false);
    }

    public Task SendFaultAsync(uint requestId, uint requestHandle, uint code) => SendResponseAsync(requestId, requestHandle, ServerMessages.Fault(requestHandle, code));

    private async Task SendAsymmetricAsync(uint requestId, byte[] message)
    {
        await _sendGate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var chunk in EncodeAsymmetric(requestId, message)) await _stream.WriteAsync(chunk).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private byte[] AsymmetricSecurityHeader()
    {
        var w = new UaBinaryWriter();
        w.WriteString(PolicyUri);
        if (_secured)
        {
            w.WriteByteString(Options.Certificate!.RawData);
            w.WriteByteString(Basic256Sha256.Thumbprint(ClientCertificate!));
        }
        else
        {
            w.WriteByteString(null);
            w.WriteByteString(null);
        }
        return w.ToArray();
    }

    private List<byte[]> EncodeAsymmetric(uint requestId, ReadOnlySpan<byte> body)
    {
        var securityHeader = AsymmetricSecurityHeader();
        var (local, remote) = _secured ? (_serverKey, _clientKey) : (null, null);
        var maxBody = ChunkSecurity.MaxAsymmetricBody((int)_sendLimits.SendBufferSize, securityHeader.Length, local, remote);
        return ChunkSecurity.Split(body, maxBody, (part, final) =>
            ChunkSecurity.Encode("OPN", final, ChannelId, securityHeader, ++_sendSequence, requestId, part, true, local, remote, Mode, null));
    }

    private List<byte[]> EncodeSymmetric(string type, uint requestId, ReadOnlySpan<byte> body)
    {
        var securityHeader = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(securityHeader, _sendTokenId);
        var mode = _secured ? Mode : MessageSecurityMode.None;
        var maxBody = ChunkSecurity.MaxSymmetricBody((int)_sendLimits.SendBufferSize, mode);
        return ChunkSecurity.Split(body, maxBody, (part, final) =>
            ChunkSecurity.Encode(type, final, ChannelId, securityHeader, ++_sendSequence, requestId, part, false, null, null, mode, _sendKeys));
    }

    /// <summary>Closes the socket without a word (the client closed the channel, or the server stops).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        _host.OnChannelClosed(this);
    }

    public override string ToString() => $"channel {ChannelId} from {RemoteEndPoint}";
}
