using System.Collections.Concurrent;
using System.Globalization;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Transport;

namespace FlowEngine.Nodes.Modbus.Protocol.Client;

/// <summary>Options of one client (one device connection). Each default is explained.</summary>
public sealed class ModbusClientOptions
{
    public required string Host { get; init; }
    /// <summary>Implementation Guide §4.1: port 502 is reserved for Modbus.</summary>
    public int Port { get; init; } = 502;
    /// <summary>A device on a LAN answers a SYN in milliseconds; 3 s covers a slow network without blocking polls for long.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>PLCs answer in tens of milliseconds; 1 s leaves room for a busy scan cycle.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Requests in flight on the connection. 1 by default: many devices process one transaction at a time and drop
    /// or mix up pipelined ones (Implementation Guide §4.2.1 lets a server limit its parallel transactions).
    /// </summary>
    public int MaxInFlight { get; init; } = 1;
    /// <summary>Wait after a failed connect before the next attempt; doubles per failure up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    /// <summary>Opens the byte stream; defaults to TCP. Tests pass an in-memory stream.</summary>
    public Func<CancellationToken, ValueTask<Stream>>? Connector { get; init; }
}

/// <summary>
/// A Modbus TCP client for one device: one connection, several requests in flight matched to their responses by
/// transaction id, a timeout per request, exception responses as <see cref="ModbusException"/>, and a reconnect on
/// the next request after the connection drops. Thread-safe.
/// </summary>
public sealed class ModbusTcpClient : IAsyncDisposable
{
    private readonly ModbusClientOptions _options;
    private readonly SemaphoreSlim _inFlight;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private Connection? _connection;
    private DateTimeOffset _nextConnectAttempt = DateTimeOffset.MinValue;
    private TimeSpan _reconnectDelay;
    private int _transactionId;
    private long _requests;
    private long _responses;
    private long _timeouts;
    private long _connects;
    private long _unmatched;

    public ModbusTcpClient(ModbusClientOptions options)
    {
        if (options.MaxInFlight < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxInFlight must be at least 1");
        _options = options;
        _inFlight = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        _reconnectDelay = options.ReconnectDelay;
    }

    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"{_options.Host}:{_options.Port}");
    public bool IsConnected => Volatile.Read(ref _connection) is { IsAlive: true };
    /// <summary>Requests written to the wire.</summary>
    public long RequestsSent => Interlocked.Read(ref _requests);
    public long ResponsesReceived => Interlocked.Read(ref _responses);
    public long Timeouts => Interlocked.Read(ref _timeouts);
    /// <summary>Successful connects, so a reconnect shows as 2.</summary>
    public long Connects => Interlocked.Read(ref _connects);
    /// <summary>Responses whose transaction id matched no waiting request (late answers after a timeout).</summary>
    public long UnmatchedResponses => Interlocked.Read(ref _unmatched);

    public async Task<bool[]> ReadCoilsAsync(byte unitId, ushort start, ushort quantity, CancellationToken cancellationToken = default) =>
        Bits(await SendAsync(unitId, new ReadBitsRequest(ModbusFunction.ReadCoils, start, quantity), cancellationToken).ConfigureAwait(false));

    public async Task<bool[]> ReadDiscreteInputsAsync(byte unitId, ushort start, ushort quantity, CancellationToken cancellationToken = default) =>
        Bits(await SendAsync(unitId, new ReadBitsRequest(ModbusFunction.ReadDiscreteInputs, start, quantity), cancellationToken).ConfigureAwait(false));

    public async Task<ushort[]> ReadHoldingRegistersAsync(byte unitId, ushort start, ushort quantity, CancellationToken cancellationToken = default) =>
        Registers(await SendAsync(unitId, new ReadRegistersRequest(ModbusFunction.ReadHoldingRegisters, start, quantity), cancellationToken).ConfigureAwait(false));

    public async Task<ushort[]> ReadInputRegistersAsync(byte unitId, ushort start, ushort quantity, CancellationToken cancellationToken = default) =>
        Registers(await SendAsync(unitId, new ReadRegistersRequest(ModbusFunction.ReadInputRegisters, start, quantity), cancellationToken).ConfigureAwait(false));

    public Task WriteSingleCoilAsync(byte unitId, ushort address, bool value, CancellationToken cancellationToken = default) =>
        SendAsync(unitId, new WriteSingleCoilRequest(address, value), cancellationToken);

    public Task WriteSingleRegisterAsync(byte unitId, ushort address, ushort value, CancellationToken cancellationToken = default) =>
        SendAsync(unitId, new WriteSingleRegisterRequest(address, value), cancellationToken);

    public Task WriteMultipleCoilsAsync(byte unitId, ushort start, bool[] values, CancellationToken cancellationToken = default) =>
        SendAsync(unitId, new WriteMultipleCoilsRequest(start, values), cancellationToken);

    public Task WriteMultipleRegistersAsync(byte unitId, ushort start, ushort[] values, CancellationToken cancellationToken = default) =>
        SendAsync(unitId, new WriteMultipleRegistersRequest(start, values), cancellationToken);

    public async Task<ushort[]> ReadWriteMultipleRegistersAsync(byte unitId, ushort readStart, ushort readQuantity, ushort writeStart, ushort[] values,
        CancellationToken cancellationToken = default) =>
        Registers(await SendAsync(unitId, new ReadWriteMultipleRegistersRequest(readStart, readQuantity, writeStart, values), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Sends one request and waits for its response. Throws <see cref="ModbusException"/> for an exception response,
    /// <see cref="ModbusTimeoutException"/>, <see cref="ModbusConnectionException"/> or <see cref="ModbusProtocolException"/>.
    /// Quantities the spec forbids throw <see cref="ArgumentOutOfRangeException"/> before anything is sent.
    /// </summary>
    public async Task<ModbusResponse> SendAsync(byte unitId, ModbusRequest request, CancellationToken cancellationToken = default)
    {
        // Encoding first validates the request, so a bad quantity never takes a transaction id or a slot.
        var frame = ModbusTcpCodec.EncodeRequest(0, unitId, request);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
            var pending = new TaskCompletionSource<ModbusTcpFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
            var transactionId = connection.Register(pending, ref _transactionId);
            frame[0] = (byte)(transactionId >> 8);
            frame[1] = (byte)transactionId;
            ModbusTcpFrame reply;
            try
            {
                await connection.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _requests);
                reply = await pending.Task.WaitAsync(_options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                connection.Unregister(transactionId);
                Interlocked.Increment(ref _timeouts);
                throw new ModbusTimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"no response from {Endpoint} unit {unitId} within {_options.RequestTimeout.TotalMilliseconds:0} ms to {request}"));
            }
            catch (OperationCanceledException)
            {
                connection.Unregister(transactionId);
                throw;
            }
            Interlocked.Increment(ref _responses);
            return Check(reply, unitId, request);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private static ModbusResponse Check(ModbusTcpFrame reply, byte unitId, ModbusRequest request)
    {
        ModbusResponse response;
        try
        {
            response = ModbusPduCodec.DecodeResponse(reply.Pdu);
        }
        catch (ModbusCodecException ex)
        {
            throw new ModbusProtocolException($"bad response to {request}: {ex.Message}");
        }
        if (reply.UnitId != unitId) throw new ModbusProtocolException($"response to {request} came from unit {reply.UnitId}, not {unitId}");
        if (response.Function != request.Function) throw new ModbusProtocolException($"response function {response.Function} does not match {request}");
        if (response is ExceptionResponse exception) throw new ModbusException(exception.Code, request, unitId);
        var expectedRegisters = request switch
        {
            ReadRegistersRequest q => q.Quantity,
            ReadWriteMultipleRegistersRequest rw => rw.ReadQuantity,
            _ => -1,
        };
        if (response is ReadRegistersResponse registers && expectedRegisters >= 0 && registers.Values.Length != expectedRegisters)
            throw new ModbusProtocolException($"response to {request} carries {registers.Values.Length} registers");
        if (response is ReadBitsResponse bits && request is ReadBitsRequest bitRequest)
        {
            // Whole bytes come back: exactly ceil(quantity / 8) of them (§6.1).
            if (bits.Values.Length != ModbusPduCodec.PackedLength(bitRequest.Quantity) * 8)
                throw new ModbusProtocolException($"response to {request} carries {bits.Values.Length / 8} bytes of bits");
            return bits with { Values = bits.Values[..bitRequest.Quantity] };
        }
        return response;
    }

    private static bool[] Bits(ModbusResponse response) => ((ReadBitsResponse)response).Values;

    private static ushort[] Registers(ModbusResponse response) => ((ReadRegistersResponse)response).Values;

    private async ValueTask<Connection> ConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is { IsAlive: true }) return current;
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _connection;
            if (current is { IsAlive: true }) return current;
            if (current is not null)
            {
                _connection = null;
                await current.DisposeAsync().ConfigureAwait(false);
            }
            var now = _options.TimeProvider.GetUtcNow();
            if (now < _nextConnectAttempt)
            {
                throw new ModbusConnectionException(string.Create(CultureInfo.InvariantCulture,
                    $"{Endpoint} is not connected; next connection attempt in {(_nextConnectAttempt - now).TotalMilliseconds:0} ms"));
            }
            Stream stream;
            try
            {
                stream = _options.Connector is { } connector
                    ? await connector(cancellationToken).ConfigureAwait(false)
                    : await ModbusTcpTransport.ConnectAsync(_options.Host, _options.Port, _options.ConnectTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (ModbusConnectionException)
            {
                // Back off: a dead device is tried again after 1 s, 2 s, 4 s ... not on every poll.
                _nextConnectAttempt = _options.TimeProvider.GetUtcNow() + _reconnectDelay;
                _reconnectDelay = TimeSpan.FromTicks(Math.Min(_reconnectDelay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                throw;
            }
            _reconnectDelay = _options.ReconnectDelay;
            _nextConnectAttempt = DateTimeOffset.MinValue;
            current = new Connection(stream, this);
            current.Start(_disposed.Token);
            Volatile.Write(ref _connection, current);
            Interlocked.Increment(ref _connects);
            return current;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Drops the current connection (the next request reconnects). Requests in flight fail.</summary>
    public async ValueTask DisconnectAsync()
    {
        var current = Interlocked.Exchange(ref _connection, null);
        if (current is not null) await current.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested) return;
        await _disposed.CancelAsync().ConfigureAwait(false);
        await DisconnectAsync().ConfigureAwait(false);
        _disposed.Dispose();
    }

    public override string ToString() => $"Modbus TCP client {Endpoint}";

    /// <summary>One TCP connection: a write lock, the waiting requests by transaction id, and the receive loop.</summary>
    private sealed class Connection(Stream stream, ModbusTcpClient owner) : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<ushort, TaskCompletionSource<ModbusTcpFrame>> _pending = new();
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private Task _receiving = Task.CompletedTask;
        private CancellationTokenRegistration _clientDisposed;
        private volatile bool _alive = true;

        public bool IsAlive => _alive;

        public void Start(CancellationToken clientDisposed)
        {
            _clientDisposed = clientDisposed.Register(() => _stop.Cancel());
            _receiving = ReceiveAsync();
        }

        /// <summary>Takes the next transaction id not in use (ids wrap at 65535; Implementation Guide §3.1.3).</summary>
        public ushort Register(TaskCompletionSource<ModbusTcpFrame> pending, ref int counter)
        {
            while (true)
            {
                var id = (ushort)Interlocked.Increment(ref counter);
                if (_pending.TryAdd(id, pending))
                {
                    if (!_alive && _pending.TryRemove(id, out _)) throw Lost();
                    return id;
                }
            }
        }

        public void Unregister(ushort transactionId) => _pending.TryRemove(transactionId, out _);

        public async ValueTask WriteAsync(byte[] frame, CancellationToken cancellationToken)
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Fail(ex);
                throw new ModbusConnectionException($"connection to {owner.Endpoint} lost while sending: {ex.Message}", ex);
            }
            catch (ObjectDisposedException ex)
            {
                Fail(ex);
                throw Lost();
            }
            finally
            {
                _writeLock.Release();
            }
        }

        private async Task ReceiveAsync()
        {
            // Run off the caller's stack: the first read would otherwise complete inline inside ConnectionAsync.
            await Task.Yield();
            var reader = new ModbusFrameReader(stream);
            Exception? error = null;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var frame = await reader.ReadFrameAsync(_stop.Token).ConfigureAwait(false);
                    if (frame is null) break;
                    if (_pending.TryRemove(frame.TransactionId, out var waiter)) waiter.TrySetResult(frame);
                    else Interlocked.Increment(ref owner._unmatched);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or ModbusCodecException)
            {
                error = ex;
            }
            Fail(error);
        }

        private void Fail(Exception? cause)
        {
            _alive = false;
            var lost = cause is null ? Lost() : new ModbusConnectionException($"connection to {owner.Endpoint} lost: {cause.Message}", cause);
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var waiter)) waiter.TrySetException(lost);
            }
        }

        private ModbusConnectionException Lost() => new($"connection to {owner.Endpoint} closed");

        public async ValueTask DisposeAsync()
        {
            _alive = false;
            await _clientDisposed.DisposeAsync().ConfigureAwait(false);
            await _stop.CancelAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            await _receiving.ConfigureAwait(false);
            Fail(null);
            _stop.Dispose();
        }
    }
}
