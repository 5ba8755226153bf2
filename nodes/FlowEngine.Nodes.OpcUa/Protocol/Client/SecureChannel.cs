using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Client;

public sealed record SecureChannelOptions
{
    public required Uri Endpoint { get; init; }
    public MessageSecurityMode Mode { get; init; } = MessageSecurityMode.None;
    public string PolicyUri { get; init; } = SecurityPolicyUris.None;
    /// <summary>Our application instance certificate with its private key; required unless the policy is None.</summary>
    public X509Certificate2? ClientCertificate { get; init; }
    /// <summary>The server's certificate (from GetEndpoints, checked against the trust list); required unless the policy is None.</summary>
    public X509Certificate2? ServerCertificate { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Asked for in OpenSecureChannel; the channel renews its token at 75 % of what the server grants.</summary>
    public TimeSpan RequestedLifetime { get; init; } = TimeSpan.FromHours(1);
    public TransportLimits Limits { get; init; } = new(1 << 16, 1 << 16, 16 << 20, 0);
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// A secure channel (Part 6 §6.7): OpenSecureChannel with the asymmetric algorithms, then symmetric MSG chunks
/// signed and/or encrypted by the mode, responses matched to requests by request id, chunking both ways, token
/// renewal before the lifetime ends. Knows nothing of sessions.
/// </summary>
public sealed class SecureChannel : IAsyncDisposable
{
    private const int MessageHeaderSize = 12;
    private readonly SecureChannelOptions _options;
    private readonly UaTcpConnection _connection;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<byte[]>> _pending = new();
    private readonly Dictionary<uint, List<byte[]>> _partial = [];
    private readonly ConcurrentDictionary<uint, SymmetricKeys> _receiveKeys = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RSA? _clientKey;
    private readonly RSA? _serverKey;
    private readonly bool _secured;
    private uint _channelId;
    private uint _tokenId;
    private SymmetricKeys? _sendKeys;
    private uint _sequenceNumber;
    private uint _requestId;
    private Task? _receiveLoop;
    private Task? _renewLoop;
    private int _disposed;

    private SecureChannel(SecureChannelOptions options, UaTcpConnection connection)
    {
        _options = options;
        _connection = connection;
        _secured = options.PolicyUri != SecurityPolicyUris.None;
        if (_secured)
        {
            if (options.PolicyUri != SecurityPolicyUris.Basic256Sha256)
                throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, $"security policy {options.PolicyUri} is not supported");
            if (options.Mode is not (MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt))
                throw new UaStatusException(StatusCodes.BadSecurityModeRejected, $"security mode {options.Mode} does not fit policy Basic256Sha256");
            _clientKey = options.ClientCertificate?.GetRSAPrivateKey() ?? throw new UaStatusException(StatusCodes.BadCertificateInvalid, "a client certificate with a private key is required for Basic256Sha256");
            _serverKey = options.ServerCertificate?.GetRSAPublicKey() ?? throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the server certificate is required for Basic256Sha256");
        }
    }

    public uint ChannelId => _channelId;
    public TransportLimits Limits => _connection.Limits;
    public MessageSecurityMode Mode => _options.Mode;
    public string PolicyUri => _options.PolicyUri;

    /// <summary>Completes (with the reason) when the channel is gone: server closed it, the socket broke, or we closed it.</summary>
    public Task<Exception> Closed => _closed.Task;

    public static async Task<SecureChannel> OpenAsync(SecureChannelOptions options, CancellationToken cancellationToken)
    {
        var connection = await UaTcpConnection.ConnectAsync(options.Endpoint, options.Limits, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        SecureChannel? channel = null;
        try
        {
            channel = new SecureChannel(options, connection);
            channel._receiveLoop = Task.Run(channel.ReceiveLoopAsync, CancellationToken.None);
            var lifetime = await channel.OpenOrRenewAsync(renew: false, cancellationToken).ConfigureAwait(false);
            channel._renewLoop = Task.Run(() => channel.RenewLoopAsync(lifetime), CancellationToken.None);
            return channel;
        }
        catch
        {
            if (channel is not null) await channel.DisposeAsync().ConfigureAwait(false);
            else await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends one service request (already encoded: type id, header, body) and returns the response body.</summary>
    public async Task<byte[]> RequestAsync(ReadOnlyMemory<byte> message, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var (requestId, response) = await SendMessageAsync("MSG", message, cancellationToken).ConfigureAwait(false);
        return await AwaitResponseAsync(requestId, response, timeout ?? _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> AwaitResponseAsync(uint requestId, Task<byte[]> response, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await response.WaitAsync(timeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(requestId, out _);
            throw new UaStatusException(StatusCodes.BadTimeout, $"no response within {timeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(requestId, out _);
            throw;
        }
    }

    private async Task<(uint RequestId, Task<byte[]> Response)> SendMessageAsync(string type, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
        {
            var reason = await _closed.Task.ConfigureAwait(false);
            throw new UaStatusException(StatusCodes.BadSecureChannelClosed, "the secure channel is closed: " + reason.Message);
        }
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var requestId = ++_requestId;
            var completion = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (type != "CLO") _pending[requestId] = completion;
            var chunks = type == "OPN" ? EncodeAsymmetric(requestId, message.Span) : EncodeSymmetric(type, requestId, message.Span);
            if (_connection.Limits.MaxChunkCount != 0 && chunks.Count > _connection.Limits.MaxChunkCount)
            {
                _pending.TryRemove(requestId, out _);
                throw new UaStatusException(StatusCodes.BadRequestTooLarge, $"the request needs {chunks.Count} chunks; the server accepts {_connection.Limits.MaxChunkCount}");
            }
            try
            {
                await _connection.SendAsync(chunks, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _pending.TryRemove(requestId, out _);
                throw;
            }
            return (requestId, completion.Task);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task<TimeSpan> OpenOrRenewAsync(bool renew, CancellationToken cancellationToken)
    {
        var nonce = _secured ? Basic256Sha256.NewNonce() : [];
        var request = ServiceMessages.Encode(ServiceIds.OpenSecureChannelRequest, RequestHeader.Anonymous(0, _options.RequestTimeout), w =>
        {
            w.WriteUInt32(0); // client protocol version
            w.WriteInt32(renew ? 1 : 0); // SecurityTokenRequestType Issue / Renew
            w.WriteInt32((int)_options.Mode);
            w.WriteByteString(nonce);
            w.WriteUInt32((uint)_options.RequestedLifetime.TotalMilliseconds);
        });
        uint requestId;
        Task<byte[]> responseTask;
        (requestId, responseTask) = await SendMessageAsync("OPN", request, cancellationToken).ConfigureAwait(false);
        var response = await AwaitResponseAsync(requestId, responseTask, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        var reader = ServiceMessages.OpenResponse(response, ServiceIds.OpenSecureChannelResponse);
        reader.ReadUInt32(); // server protocol version
        var channelId = reader.ReadUInt32();
        var tokenId = reader.ReadUInt32();
        reader.ReadDateTime();
        var lifetime = reader.ReadUInt32();
        var serverNonce = reader.ReadByteString() ?? [];
        if (_secured)
        {
            if (serverNonce.Length != Basic256Sha256.NonceLength)
                throw new UaStatusException(StatusCodes.BadNonceInvalid, $"the server nonce has {serverNonce.Length} bytes; Basic256Sha256 needs {Basic256Sha256.NonceLength}");
            // Part 6 §6.7.5: each side's keys come from the other side's nonce as secret and its own as seed.
            _receiveKeys[tokenId] = Basic256Sha256.DeriveKeys(nonce, serverNonce);
            _sendKeys = Basic256Sha256.DeriveKeys(serverNonce, nonce);
        }
        else
        {
            _receiveKeys[tokenId] = new SymmetricKeys([], [], []);
        }
        _channelId = channelId;
        _tokenId = tokenId;
        return TimeSpan.FromMilliseconds(lifetime == 0 ? _options.RequestedLifetime.TotalMilliseconds : lifetime);
    }

    private async Task RenewLoopAsync(TimeSpan lifetime)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(lifetime * 0.75, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
                lifetime = await OpenOrRenewAsync(renew: true, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Fail(new UaStatusException(StatusCodes.BadSecureChannelTokenUnknown, "renewing the secure channel token failed: " + ex.Message));
        }
    }

    // ---------------------------------------------------------------- sending

    private byte[] AsymmetricSecurityHeader()
    {
        var w = new UaBinaryWriter();
        w.WriteString(_options.PolicyUri);
        if (_secured)
        {
            w.WriteByteString(_options.ClientCertificate!.RawData);
            w.WriteByteString(Basic256Sha256.Thumbprint(_options.ServerCertificate!));
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
        var (local, remote) = _secured ? (_clientKey, _serverKey) : (null, null);
        var maxBody = ChunkSecurity.MaxAsymmetricBody((int)_connection.Limits.SendBufferSize, securityHeader.Length, local, remote);
        return ChunkSecurity.Split(body, maxBody, (part, final) =>
            ChunkSecurity.Encode("OPN", final, _channelId, securityHeader, ++_sequenceNumber, requestId, part, true, local, remote, _options.Mode, null));
    }

    private List<byte[]> EncodeSymmetric(string type, uint requestId, ReadOnlySpan<byte> body)
    {
        var securityHeader = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(securityHeader, _tokenId);
        var mode = _secured ? _options.Mode : MessageSecurityMode.None;
        var maxBody = ChunkSecurity.MaxSymmetricBody((int)_connection.Limits.SendBufferSize, mode);
        return ChunkSecurity.Split(body, maxBody, (part, final) =>
            ChunkSecurity.Encode(type, final, _channelId, securityHeader, ++_sequenceNumber, requestId, part, false, null, null, mode, _sendKeys));
    }

    // ---------------------------------------------------------------- receiving

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var chunk = await _connection.ReceiveAsync(_stop.Token).ConfigureAwait(false);
                HandleChunk(chunk);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Fail(new UaStatusException(StatusCodes.BadSecureChannelClosed, "the secure channel was closed"));
        }
        catch (Exception ex)
        {
            Fail(ex is UaStatusException ? ex : new UaStatusException(StatusCodes.BadCommunicationError, "the secure channel failed: " + ex.Message));
        }
    }

    private void HandleChunk(UaChunk chunk)
    {
        var (requestId, body) = chunk.MessageType == "OPN" ? DecodeAsymmetric(chunk) : DecodeSymmetric(chunk);
        if (chunk.ChunkType == 'A')
        {
            _partial.Remove(requestId);
            var reader = new UaBinaryReader(body);
            var code = reader.ReadUInt32();
            var reason = reader.Remaining >= 4 ? reader.ReadString() : null;
            if (_pending.TryRemove(requestId, out var aborted))
                aborted.TrySetException(new UaStatusException(code, $"the server aborted the response: {StatusCodes.NameOf(code)} {reason}".TrimEnd()));
            return;
        }
        if (!_partial.TryGetValue(requestId, out var parts)) _partial[requestId] = parts = [];
        parts.Add(body);
        if (_connection.Limits.MaxChunkCount != 0 && parts.Count > _connection.Limits.MaxChunkCount)
            throw new UaStatusException(StatusCodes.BadTcpMessageTooLarge, $"a response has more than {_connection.Limits.MaxChunkCount} chunks");
        if (chunk.ChunkType != 'F') return;
        _partial.Remove(requestId);
        var whole = parts.Count == 1 ? parts[0] : parts.SelectMany(p => p).ToArray();
        if (_pending.TryRemove(requestId, out var completion)) completion.TrySetResult(whole);
    }

    private (uint RequestId, byte[] Body) DecodeAsymmetric(UaChunk chunk)
    {
        var reader = new UaBinaryReader(chunk.Bytes);
        reader.ReadRaw(MessageHeaderSize);
        var policy = reader.ReadString();
        var senderCertificate = reader.ReadByteString();
        reader.ReadByteString(); // receiver thumbprint
        if (policy != _options.PolicyUri)
            throw new UaStatusException(StatusCodes.BadSecurityPolicyRejected, $"the server answered with policy {policy}, not {_options.PolicyUri}");
        var headerLength = reader.Position;
        var rest = chunk.Bytes.AsSpan(headerLength);
        if (!_secured) return ReadSequenceHeader(rest);
        if (senderCertificate is null || !senderCertificate.AsSpan().SequenceEqual(_options.ServerCertificate!.RawData))
            throw new UaStatusException(StatusCodes.BadCertificateInvalid, "the server signed OpenSecureChannel with a certificate other than the one its endpoint announced");
        return ReadSequenceHeader(ChunkSecurity.OpenAsymmetric(chunk.Bytes, headerLength, _clientKey!, _serverKey!));
    }

    private (uint RequestId, byte[] Body) DecodeSymmetric(UaChunk chunk)
    {
        var tokenId = BinaryPrimitives.ReadUInt32LittleEndian(chunk.Bytes.AsSpan(MessageHeaderSize));
        const int headerLength = MessageHeaderSize + 4;
        if (!_receiveKeys.TryGetValue(tokenId, out var keys))
            throw new UaStatusException(StatusCodes.BadSecureChannelTokenUnknown, $"the server used token {tokenId}, which this channel never received");
        return ReadSequenceHeader(ChunkSecurity.OpenSymmetric(chunk.Bytes, headerLength, _secured ? _options.Mode : MessageSecurityMode.None, keys));
    }

    private static (uint RequestId, byte[] Body) ReadSequenceHeader(ReadOnlySpan<byte> content)
    {
        if (content.Length < 8) throw new UaStatusException(StatusCodes.BadDecodingError, "a chunk has no sequence header");
        var requestId = BinaryPrimitives.ReadUInt32LittleEndian(content[4..]);
        return (requestId, content[8..].ToArray());
    }

    private void Fail(Exception reason)
    {
        if (!_closed.TrySetResult(reason)) return;
        foreach (var (id, pending) in _pending)
        {
            if (_pending.TryRemove(id, out _)) pending.TrySetException(reason);
        }
    }

    /// <summary>Sends CloseSecureChannel (best effort: the server may already be gone) and closes the socket.</summary>
    public async Task CloseAsync()
    {
        if (!_closed.Task.IsCompleted)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var message = ServiceMessages.Encode(ServiceIds.CloseSecureChannelRequest, RequestHeader.Anonymous(0, TimeSpan.FromSeconds(2)), _ => { });
                await SendMessageAsync("CLO", message, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is UaStatusException or OperationCanceledException or IOException)
            {
                // The channel is being dropped anyway; a server that is gone cannot be told.
            }
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        Fail(new UaStatusException(StatusCodes.BadSecureChannelClosed, "the secure channel was closed"));
        if (_receiveLoop is not null) await _receiveLoop.ConfigureAwait(false);
        if (_renewLoop is not null) await _renewLoop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
