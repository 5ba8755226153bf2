using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Modbus.Protocol.Client;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Transport;

namespace FlowEngine.Nodes.Modbus;

/// <summary>The device is being backed off after repeated failures; nothing was sent.</summary>
internal sealed class ModbusCircuitOpenException(string message, TimeSpan retryIn) : Exception(message)
{
    public TimeSpan RetryIn { get; } = retryIn;
}

/// <summary>
/// Backs off a dead device: after <c>threshold</c> consecutive failed requests (timeouts, lost connections) it
/// opens for <c>delay</c>, doubling on each failed retry up to <c>maxDelay</c>. An exception response is not a
/// failure: the device is alive. Thread-safe: several nodes share one device.
/// </summary>
internal sealed class ModbusCircuitBreaker(int threshold, TimeSpan delay, TimeSpan maxDelay, TimeProvider clock)
{
    private readonly TimeSpan _firstDelay = delay;
    private readonly Lock _gate = new();
    private int _failures;
    private DateTimeOffset _openUntil = DateTimeOffset.MinValue;
    private TimeSpan _nextDelay = delay;
    private bool _opened;

    public int ConsecutiveFailures { get { lock (_gate) return _failures; } }

    /// <summary>True while requests must not be sent; <paramref name="remaining"/> says for how long.</summary>
    public bool IsOpen(out TimeSpan remaining)
    {
        lock (_gate)
        {
            remaining = _openUntil - clock.GetUtcNow();
            return remaining > TimeSpan.Zero;
        }
    }

    /// <summary>Records a success; true when this closes a breaker that had opened (the device is back).</summary>
    public bool Success()
    {
        lock (_gate)
        {
            var wasOpen = _opened;
            _failures = 0;
            _opened = false;
            _nextDelay = _firstDelay;
            _openUntil = DateTimeOffset.MinValue;
            return wasOpen;
        }
    }

    /// <summary>Records a failure; returns the back-off when this failure opened (or re-opened) the breaker.</summary>
    public TimeSpan? Failure()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            // Requests that were already in flight when the breaker opened fail too; they must not stretch the back-off.
            if (now < _openUntil) return null;
            _failures++;
            if (_failures < threshold) return null;
            var backOff = _nextDelay;
            _openUntil = now + backOff;
            _opened = true;
            _nextDelay = TimeSpan.FromTicks(Math.Min(_nextDelay.Ticks * 2, maxDelay.Ticks));
            return backOff;
        }
    }
}

/// <summary>
/// modbus-device: one Modbus TCP server (a PLC, a gateway) with its connection settings. Every read, getter and
/// write node that names this device shares its one connection, its in-flight limit and its circuit breaker.
/// </summary>
internal sealed class ModbusDeviceNode : FlowNode, IConnectionHealth
{
    public static readonly NodeDeclaration Declaration = new("modbus-device")
    {
        Category = "config",
        Color = "#E9967A",
        Icon = "bridge.svg",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/modbus",
        DefaultLabel = "modbus device",
        Help = """
            A Modbus TCP device (PLC, meter, gateway). Read, getter and write nodes that use it share **one connection**.

            **host**, **port**: where the device listens (Modbus TCP uses port 502).
            **unitId**: the unit identifier put in each request (0–255; 1 for most devices, the serial address behind a gateway).
            **timeout**: milliseconds to wait for each response.
            **connectTimeout**: milliseconds to wait for the TCP connection.
            **maxInFlight**: requests sent before earlier ones are answered, matched by transaction id. 1 is safe for every
            device; gateways that pipeline can take more.
            **reconnectDelay**, **reconnectMaxDelay**: after a failed connection attempt the next one waits this long,
            doubling each time up to the maximum. A connection that drops is reopened by the next request.
            **breakerThreshold**, **breakerDelay**, **breakerMaxDelay**: the circuit breaker. After this many failed
            requests in a row (timeouts, refused or lost connections) the device is not asked for *breakerDelay* ms,
            doubling up to the maximum while it stays dead. Nodes show "device down" in their status meanwhile. An
            exception response (for example Illegal Data Address) is not a failure: the device answered.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("host", PropertyKind.String) { Default = "127.0.0.1", Required = true, Label = "Host" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = 502, Label = "Port", Validate = v => Range(v, 1, 65535) },
            new PropertyDeclaration("unitId", PropertyKind.Number) { Default = 1, Label = "Unit id", Validate = v => Range(v, 0, 255) },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = 1000, Label = "Response timeout (ms)", Validate = v => Range(v, 1, 600000) },
            new PropertyDeclaration("connectTimeout", PropertyKind.Number) { Default = 3000, Label = "Connect timeout (ms)", Validate = v => Range(v, 1, 600000) },
            new PropertyDeclaration("maxInFlight", PropertyKind.Number) { Default = 1, Label = "Requests in flight", Validate = v => Range(v, 1, 64) },
            new PropertyDeclaration("reconnectDelay", PropertyKind.Number) { Default = 1000, Label = "Reconnect delay (ms)", Validate = v => Range(v, 0, 3600000) },
            new PropertyDeclaration("reconnectMaxDelay", PropertyKind.Number) { Default = 30000, Label = "Reconnect max delay (ms)", Validate = v => Range(v, 0, 3600000) },
            new PropertyDeclaration("breakerThreshold", PropertyKind.Number) { Default = 3, Label = "Failures before backing off", Validate = v => Range(v, 1, 1000) },
            new PropertyDeclaration("breakerDelay", PropertyKind.Number) { Default = 5000, Label = "Back-off (ms)", Validate = v => Range(v, 0, 3600000) },
            new PropertyDeclaration("breakerMaxDelay", PropertyKind.Number) { Default = 60000, Label = "Back-off max (ms)", Validate = v => Range(v, 0, 3600000) },
        ],
    };

    private readonly ModbusClientOptions _options;
    private readonly ModbusCircuitBreaker _breaker;
    private ModbusTcpClient? _client;

    public ModbusDeviceNode(NodeSetup setup) : base(setup)
    {
        Host = Config.GetString("host", "127.0.0.1").Trim();
        if (Host.Length == 0) throw Config.Invalid("host", "a host name or address is required");
        var port = Config.GetNumber("port", 502);
        if (port is < 1 or > 65535) throw Config.Invalid("port", $"{port} is not a TCP port 1..65535");
        var unit = Config.GetNumber("unitId", 1);
        if (unit is < 0 or > 255) throw Config.Invalid("unitId", $"{unit} is not a unit id 0..255");
        UnitId = (byte)unit;
        var maxInFlight = Config.GetInt("maxInFlight", 1);
        if (maxInFlight is < 1 or > 64) throw Config.Invalid("maxInFlight", $"{maxInFlight} is outside 1..64");
        _options = new ModbusClientOptions
        {
            Host = Host,
            Port = (int)port,
            RequestTimeout = Milliseconds("timeout", 1000, 1),
            ConnectTimeout = Milliseconds("connectTimeout", 3000, 1),
            MaxInFlight = maxInFlight,
            ReconnectDelay = Milliseconds("reconnectDelay", 1000, 0),
            ReconnectMaxDelay = Milliseconds("reconnectMaxDelay", 30000, 0),
            TimeProvider = Clock,
        };
        var threshold = Config.GetInt("breakerThreshold", 3);
        if (threshold < 1) throw Config.Invalid("breakerThreshold", $"{threshold} must be at least 1");
        _breaker = new ModbusCircuitBreaker(threshold, Milliseconds("breakerDelay", 5000, 0), Milliseconds("breakerMaxDelay", 60000, 0), Clock);
    }

    public string Host { get; }
    public byte UnitId { get; }
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"{_options.Host}:{_options.Port}");
    public string Label => string.IsNullOrEmpty(Name) ? Endpoint : $"{Name} ({Endpoint})";
    /// <summary>The shared client, for counters in tests and the benchmark.</summary>
    internal ModbusTcpClient? Client => _client;

    /// <summary>
    /// Down while the circuit breaker backs off a dead device; up while the socket is open. The connection opens on
    /// the first request, so before that (and between a failure and the breaker opening) it is not counted.
    /// </summary>
    public bool? IsConnected => _client switch
    {
        null => null,
        _ when _breaker.IsOpen(out _) => false,
        { IsConnected: true } => true,
        _ => null,
    };

    public string ConnectionTarget => string.Create(CultureInfo.InvariantCulture, $"{Host}:{_options.Port} unit {UnitId}");
    internal ModbusCircuitBreaker Breaker => _breaker;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        // No connection yet: the first request opens it, so a device that is off does not delay the deploy.
        _client = new ModbusTcpClient(_options);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Sends a request through the breaker. Throws <see cref="ModbusCircuitOpenException"/> while backing off,
    /// <see cref="ModbusException"/> for a refusal, and the client's timeout/connection/protocol errors.
    /// </summary>
    public async Task<ModbusResponse> ExecuteAsync(ModbusRequest request, byte? unitId, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException($"modbus-device {Label} is not started");
        if (_breaker.IsOpen(out var remaining))
        {
            throw new ModbusCircuitOpenException(string.Create(CultureInfo.InvariantCulture,
                $"device {Label} is down; backing off, next try in {Math.Ceiling(remaining.TotalSeconds):0} s"), remaining);
        }
        try
        {
            var response = await client.SendAsync(unitId ?? UnitId, request, cancellationToken).ConfigureAwait(false);
            if (_breaker.Success()) Log($"device {Label} answers again");
            return response;
        }
        catch (ModbusException)
        {
            _breaker.Success();
            throw;
        }
        catch (Exception ex) when (ex is ModbusTimeoutException or ModbusConnectionException or ModbusProtocolException)
        {
            if (_breaker.Failure() is { } backOff)
            {
                Warn(string.Create(CultureInfo.InvariantCulture,
                    $"device {Label} failed {_breaker.ConsecutiveFailures} times in a row ({ex.Message}); backing off {backOff.TotalSeconds:0.#} s"));
            }
            throw;
        }
    }

    /// <summary>A status for nodes that use this device after an error.</summary>
    public NodeStatus StatusFor(Exception error)
    {
        // The failure that opened the breaker already shows the back-off, not only the next poll.
        var backingOff = error is not ModbusException && _breaker.IsOpen(out var remaining) ? remaining : (TimeSpan?)null;
        if (error is ModbusCircuitOpenException open) backingOff = open.RetryIn;
        if (backingOff is { } retryIn)
            return new NodeStatus("yellow", "ring", string.Create(CultureInfo.InvariantCulture, $"device down, retry in {Math.Ceiling(retryIn.TotalSeconds):0} s"));
        return StatusForError(error);
    }

    private static NodeStatus StatusForError(Exception error) => error switch
    {
        ModbusException refused => NodeStatus.Error($"refused: {refused.CodeName}"),
        ModbusTimeoutException => NodeStatus.Error("timeout"),
        ModbusConnectionException => NodeStatus.Error("not connected"),
        _ => NodeStatus.Error(error.Message),
    };

    /// <summary>Errors a device can produce; anything else is a bug and is not caught by the nodes.</summary>
    public static bool IsDeviceError(Exception error) =>
        error is ModbusException or ModbusTimeoutException or ModbusConnectionException or ModbusProtocolException or ModbusCircuitOpenException;

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
        _client = null;
    }

    private TimeSpan Milliseconds(string property, double defaultValue, double min)
    {
        var ms = Config.GetNumber(property, defaultValue);
        if (ms < min || double.IsInfinity(ms)) throw Config.Invalid(property, $"{ms} ms is below {min}");
        return TimeSpan.FromMilliseconds(ms);
    }

    internal static string? Range(object? value, double min, double max)
    {
        var number = value switch
        {
            double d => d,
            string s when s.StartsWith("${", StringComparison.Ordinal) => double.NaN,
            string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : double.NaN,
            _ => double.NaN,
        };
        if (double.IsNaN(number)) return null; // kind checks report non-numbers; env references resolve later
        return number < min || number > max ? string.Create(CultureInfo.InvariantCulture, $"{number} is outside {min}..{max}") : null;
    }
}
