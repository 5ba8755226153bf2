using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Transport;

namespace FlowEngine.Nodes.Modbus.Protocol.Server;

/// <summary>Turns a request into a response. Called concurrently from different connections.</summary>
public interface IModbusRequestHandler
{
    ModbusResponse Handle(byte unitId, ModbusRequest request);
}

public sealed class ModbusServerOptions
{
    /// <summary>Loopback by default: exposing plant data to the network is a decision the user makes (set 0.0.0.0).</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Implementation Guide §4.1: 502; 0 picks a free port (tests).</summary>
    public int Port { get; init; } = 502;
    /// <summary>Unit ids answered; null or empty answers every unit id (Implementation Guide §4.4.2: a direct TCP server may ignore it).</summary>
    public IReadOnlySet<byte>? UnitIds { get; init; }
    /// <summary>A SCADA opens a few connections; 32 leaves room while stopping a runaway client from exhausting sockets.</summary>
    public int MaxConnections { get; init; } = 32;
}

/// <summary>
/// A Modbus TCP server: accepts connections, answers each request through an <see cref="IModbusRequestHandler"/>,
/// in order per connection. Malformed framing closes that connection; bad requests get exception responses.
/// </summary>
public sealed class ModbusTcpServer(ModbusServerOptions options, IModbusRequestHandler handler) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private long _requests;

    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("server not started"));
    public int ConnectionCount => _connections.Count;
    public long RequestsHandled => Interlocked.Read(ref _requests);

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> when the address is in use.</summary>
    public void Start()
    {
        var address = IPAddress.Parse(options.Host);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, options.Port));
            listener.Listen(options.MaxConnections);
        }
        catch (SocketException)
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _accepting = AcceptAsync(listener);
    }

    private async Task AcceptAsync(Socket listener)
    {
        await Task.Yield();
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            if (_connections.Count >= options.MaxConnections)
            {
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            _connections[client] = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        await Task.Yield();
        var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            var reader = new ModbusFrameReader(stream);
            var output = new byte[ModbusLimits.MaxAduLength];
            while (!_stop.IsCancellationRequested)
            {
                var frame = await reader.ReadFrameAsync(_stop.Token).ConfigureAwait(false);
                if (frame is null) break;
                if (options.UnitIds is { Count: > 0 } units && !units.Contains(frame.UnitId)) continue; // not ours: no reply, like a device
                var response = Answer(frame);
                if (response is null) break;
                var length = ModbusTcpCodec.EncodeResponse(output, frame.TransactionId, frame.UnitId, response);
                await stream.WriteAsync(output.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _requests);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ModbusCodecException or ObjectDisposedException)
        {
            // The client went away or sent bytes that are not Modbus TCP: this connection ends, the server goes on.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            _connections.TryRemove(client, out _);
        }
    }

    private ModbusResponse? Answer(ModbusTcpFrame frame)
    {
        ModbusRequest request;
        try
        {
            request = ModbusPduCodec.DecodeRequest(frame.Pdu);
        }
        catch (ModbusCodecException ex) when (ex.Answer is { } code && frame.Pdu.Length > 0)
        {
            return new ExceptionResponse((ModbusFunction)frame.Pdu[0], code);
        }
        catch (ModbusCodecException)
        {
            return null;
        }
        return handler.Handle(frame.UnitId, request);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _accepting.ConfigureAwait(false);
        foreach (var socket in _connections.Keys) socket.Dispose();
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stop.Dispose();
    }
}
