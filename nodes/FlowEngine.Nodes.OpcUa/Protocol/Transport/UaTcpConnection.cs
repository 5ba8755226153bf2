using System.Buffers.Binary;
using System.Net.Sockets;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;

namespace FlowEngine.Nodes.OpcUa.Protocol.Transport;

/// <summary>Limits agreed in Hello/Acknowledge (Part 6 §7.1.2.3–4).</summary>
public sealed record TransportLimits(uint ReceiveBufferSize, uint SendBufferSize, uint MaxMessageSize, uint MaxChunkCount);

/// <summary>One raw UA TCP chunk: 3-letter message type, chunk type ('F', 'C', 'A') and the whole chunk bytes.</summary>
public sealed record UaChunk(string MessageType, char ChunkType, byte[] Bytes);

/// <summary>
/// The UA TCP connection (Part 6 §7.1): opens the socket, exchanges Hello and Acknowledge, then moves whole chunks.
/// An ERR message from the server becomes a <see cref="UaStatusException"/> with the server's code and reason.
/// </summary>
public sealed class UaTcpConnection : IAsyncDisposable
{
    public const int HeaderSize = 8;
    private const uint MinBufferSize = 8192;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private UaTcpConnection(TcpClient tcp, TransportLimits limits)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        Limits = limits;
    }

    /// <summary>What the server accepted: its receive buffer is our send chunk limit and vice versa.</summary>
    public TransportLimits Limits { get; private set; }

    public static async Task<UaTcpConnection> ConnectAsync(Uri endpoint, TransportLimits wanted, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!string.Equals(endpoint.Scheme, "opc.tcp", StringComparison.OrdinalIgnoreCase))
            throw new UaStatusException(StatusCodes.BadTcpEndpointUrlInvalid, $"{endpoint} is not an opc.tcp:// URL");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port < 0 ? 4840 : endpoint.Port, timeoutSource.Token).ConfigureAwait(false);
            var connection = new UaTcpConnection(tcp, wanted);
            await connection.HelloAsync(endpoint, wanted, timeoutSource.Token).ConfigureAwait(false);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new UaStatusException(StatusCodes.BadTimeout, $"no answer from {endpoint.Host}:{endpoint.Port} within {timeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException ex)
        {
            tcp.Dispose();
            throw new UaStatusException(StatusCodes.BadNotConnected, $"cannot connect to {endpoint.Host}:{endpoint.Port}: {ex.Message}");
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private async Task HelloAsync(Uri endpoint, TransportLimits wanted, CancellationToken cancellationToken)
    {
        var body = new UaBinaryWriter();
        body.WriteUInt32(0); // protocol version
        body.WriteUInt32(wanted.ReceiveBufferSize);
        body.WriteUInt32(wanted.SendBufferSize);
        body.WriteUInt32(wanted.MaxMessageSize);
        body.WriteUInt32(wanted.MaxChunkCount);
        body.WriteString(endpoint.OriginalString);
        var hello = new byte[HeaderSize + body.Length];
        "HELF"u8.CopyTo(hello);
        BinaryPrimitives.WriteUInt32LittleEndian(hello.AsSpan(4), (uint)hello.Length);
        body.WrittenSpan.CopyTo(hello.AsSpan(HeaderSize));
        await _stream.WriteAsync(hello, cancellationToken).ConfigureAwait(false);

        var answer = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (answer.MessageType != "ACK") throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, $"expected Acknowledge, got {answer.MessageType}");
        var reader = new UaBinaryReader(answer.Bytes.AsMemory(HeaderSize));
        reader.ReadUInt32();
        var serverReceive = reader.ReadUInt32();
        var serverSend = reader.ReadUInt32();
        var maxMessage = reader.ReadUInt32();
        var maxChunks = reader.ReadUInt32();
        if (serverReceive < MinBufferSize || serverSend < MinBufferSize)
            throw new UaStatusException(StatusCodes.BadTcpNotEnoughResources, $"the server's buffers ({serverReceive}/{serverSend}) are below the 8192 bytes Part 6 requires");
        // Our send size is bounded by what the server receives; what we receive by what it sends (0 = no limit).
        Limits = new TransportLimits(Math.Min(wanted.ReceiveBufferSize, serverSend), Math.Min(wanted.SendBufferSize, serverReceive),
            maxMessage == 0 ? wanted.MaxMessageSize : Math.Min(maxMessage, wanted.MaxMessageSize == 0 ? uint.MaxValue : wanted.MaxMessageSize), maxChunks);
    }

    /// <summary>Reads the next chunk; ERR becomes an exception with the server's status and reason.</summary>
    public async Task<UaChunk> ReceiveAsync(CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        await ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var type = System.Text.Encoding.ASCII.GetString(header, 0, 3);
        var chunkType = (char)header[3];
        var size = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        if (size < HeaderSize || size > Math.Max(Limits.ReceiveBufferSize, MinBufferSize) + 1024)
            throw new UaStatusException(StatusCodes.BadTcpMessageTooLarge, $"a {type} chunk of {size} bytes exceeds the agreed receive buffer of {Limits.ReceiveBufferSize}");
        var bytes = new byte[size];
        header.CopyTo(bytes, 0);
        await ReadExactlyAsync(bytes.AsMemory(HeaderSize), cancellationToken).ConfigureAwait(false);
        if (type == "ERR")
        {
            var reader = new UaBinaryReader(bytes.AsMemory(HeaderSize));
            var code = reader.ReadUInt32();
            var reason = reader.Remaining >= 4 ? reader.ReadString() : null;
            throw new UaStatusException(code, $"the server closed the connection: {StatusCodes.NameOf(code)}{(string.IsNullOrEmpty(reason) ? "" : ": " + reason)}");
        }
        if (type is not ("ACK" or "OPN" or "MSG" or "CLO"))
            throw new UaStatusException(StatusCodes.BadTcpMessageTypeInvalid, $"unknown message type \"{type}\"");
        return new UaChunk(type, chunkType, bytes);
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new UaStatusException(StatusCodes.BadConnectionClosed, "the server closed the connection");
        }
        catch (IOException ex)
        {
            throw new UaStatusException(StatusCodes.BadConnectionClosed, "the connection was lost: " + ex.Message);
        }
    }

    /// <summary>Writes chunks of one message back to back so no other message interleaves them.</summary>
    public async Task SendAsync(IReadOnlyList<byte[]> chunks, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var chunk in chunks) await _stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new UaStatusException(StatusCodes.BadConnectionClosed, "the connection was lost: " + ex.Message);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        _writeGate.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A service or transport failure with its OPC UA status code; the message always starts with or names the code.</summary>
public sealed class UaStatusException(uint code, string message)
    : Exception(message.Contains(StatusCodes.NameOf(code), StringComparison.Ordinal) ? message : StatusCodes.NameOf(code) + ": " + message)
{
    public StatusCode Status { get; } = new(code);
}
