using System.Net.Sockets;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus.Protocol.Transport;

/// <summary>The connection to a device could not be made or was lost. Requests in flight fail with it.</summary>
public sealed class ModbusConnectionException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>Opens TCP connections to Modbus servers (MODBUS Messaging on TCP/IP Implementation Guide v1.0b §4.2).</summary>
public static class ModbusTcpTransport
{
    /// <summary>Connects with a timeout measured on <paramref name="timeProvider"/>; failures become <see cref="ModbusConnectionException"/>.</summary>
    public static async ValueTask<Stream> ConnectAsync(string host, int port, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        // Nagle would hold a small request back waiting for more bytes; Modbus frames are small and latency matters.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ModbusConnectionException($"connecting to {host}:{port} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ModbusConnectionException($"connecting to {host}:{port} failed: {ex.Message}", ex);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// Cuts a byte stream into Modbus TCP frames. One buffer per connection, big enough for several maximal ADUs so a
/// burst of pipelined responses is parsed from one read.
/// </summary>
public sealed class ModbusFrameReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[ModbusLimits.MaxAduLength * 8];
    private int _start;
    private int _end;

    /// <summary>
    /// The next frame, or null when the peer closed the connection. Throws <see cref="ModbusCodecException"/> when
    /// the bytes are not Modbus TCP (the caller must drop the connection: framing is lost).
    /// </summary>
    public async ValueTask<ModbusTcpFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = ModbusTcpCodec.TryDecodeFrame(_buffer.AsSpan(_start, _end - _start), out var consumed);
            if (frame is not null)
            {
                _start += consumed;
                if (_start == _end) _start = _end = 0;
                return frame;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0) return null;
            _end += read;
        }
    }
}
