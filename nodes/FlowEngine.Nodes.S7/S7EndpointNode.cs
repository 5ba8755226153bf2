using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.S7.Protocol;

namespace FlowEngine.Nodes.S7;

/// <summary>Connection state an endpoint shows on the nodes that use it.</summary>
internal enum S7State
{
    Connecting,
    Connected,
    Disconnected,
    Error,
}

/// <summary>A named variable of an endpoint's vartable; <see cref="Address"/> is null when its address is bad.</summary>
internal sealed record S7Variable(string Name, string AddressText, S7Address? Address, string? AddressError);

/// <summary>One read cycle's outcome: values by variable name, and errors for the variables that failed.</summary>
internal sealed record S7Cycle(IReadOnlyDictionary<string, object?> Values, IReadOnlyDictionary<string, string> Errors, long Skipped);

/// <summary>Something that wants every read cycle and every state change (s7 in, s7 control, s7 out).</summary>
internal interface IS7Subscriber
{
    void OnCycle(S7Cycle cycle);
    void OnState(S7State state, string text);
}

/// <summary>The metrics of the S7 family on the runtime's meter name.</summary>
internal static class S7Metrics
{
    private static readonly Meter Meter = new("FlowEngine");
    public static readonly Counter<long> Cycles = Meter.CreateCounter<long>("flowengine.s7.cycles", description: "S7 read cycles completed");
    public static readonly Counter<long> SkippedCycles = Meter.CreateCounter<long>("flowengine.s7.skipped_cycles",
        description: "S7 read cycles skipped because the PLC answered slower than the cycle time");
    public static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("flowengine.s7.connects", description: "S7 connections opened");
    public static readonly Histogram<double> CycleDuration = Meter.CreateHistogram<double>("flowengine.s7.cycle_duration", "ms", "S7 read cycle duration");
}

/// <summary>
/// s7 endpoint: one PLC and its variables table. It holds the single connection of all s7 in / out / control nodes that
/// use it and reads every variable once per cycle on its own loop; s7 in nodes get the results.
/// </summary>
internal sealed class S7EndpointNode : FlowNode, IConnectionHealth
{
    public static readonly NodeDeclaration Declaration = new("s7 endpoint")
    {
        Category = "config",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/s7",
        DefaultLabel = "s7 endpoint",
        Help = """
            A Siemens S7 PLC (S7-300/400, S7-1200/1500 with PUT/GET allowed and non-optimized blocks, LOGO!, Snap7) reached over
            ISO-on-TCP (RFC 1006) with S7comm, as in node-red-contrib-s7. All s7 in, s7 out and s7 control nodes that use it
            share **one connection**.

            **address**, **port**: the PLC's IP address or host name and port (102 on a real PLC).
            **connmode**: `rack-slot` computes the TSAPs from **rack** and **slot** (S7-300: rack 0 slot 2; S7-1200/1500:
            rack 0 slot 1 or 0); `tsap` takes **localtsaphi**/**localtsaplo** and **remotetsaphi**/**remotetsaplo** as hex bytes
            (e.g. `01`, `00`, `03`, `01` for a LOGO!).
            **cycletime**: milliseconds between read cycles of all variables; `0` reads only when an s7 control node triggers.
            When the PLC answers slower than the cycle, the cycles that passed are skipped (never queued) and counted.
            **timeout**: milliseconds to wait for each answer (and for connecting).
            **vartable**: a list of `{addr, name}`. Addresses use the node-red-contrib-s7 (nodes7) syntax:
            - data blocks: `DB1,X0.1` (bit), `DB1,BYTE2`, `DB1,CHAR3`, `DB1,WORD4`, `DB1,INT6`, `DB1,DWORD8`, `DB1,DINT12`, `DB1,REAL16`,
              `DB1,LREAL20`, `DB1,S30.20` (STRING[20] at byte 30); short forms `B C W I DW DI R LR`; classic `DB1.DBW4` also works.
            - flags, inputs, outputs: `M0.1`, `MB0`, `MW10`, `MI10` (INT), `MD4` (DWORD), `MDI4` (DINT), `MR4` (REAL), `MC2` (CHAR);
              `I`/`E` for inputs, `Q`/`A` for outputs with the same suffixes (`I0.0`, `E0.0`, `IW2`, `QB1`, `A0.0`).
            - timers and counters: `T1`, `C1` (`Z1`); the raw 16-bit word (S5TIME / BCD as the CPU stores it).
            - a trailing `.n` makes an array of n (`DB1,INT2.5`, `DB1,X0.0.8`, `MB0.4`).
            - reversed (little-endian) types: `DB1,RWORD4`, `DB1,RINT4`, `DB1,RDWORD4`, `DB1,RDINT4`, `DB1,RREAL4` (short `RW RI RDW RDI RR`), `MRW20`.
            Numbers come as numbers, bits as booleans, CHAR and STRING as text.
            **pduSize**: the PDU size asked for when connecting (240..4096, default 960); the PLC grants at most what it supports
            (240 on an S7-300) and every request is sized to the granted value.
            **reconnectDelay**, **reconnectMaxDelay**: after a lost or refused connection the next try waits this long,
            doubling up to the maximum.

            Variables close to each other are read as one item, items are packed into as few requests as the negotiated PDU
            size allows, and large variables are split over several requests. A variable the PLC refuses (for example
            "object does not exist" for a missing DB) fails alone; the others are still delivered. A bad address is reported
            when the flow starts and the variable is left out.

            Metrics: `flowengine.s7.cycles`, `flowengine.s7.skipped_cycles`, `flowengine.s7.connects`, `flowengine.s7.cycle_duration`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("transport", PropertyKind.Select) { Default = "iso-on-tcp", Options = ["iso-on-tcp"], Label = "Transport" },
            new PropertyDeclaration("address", PropertyKind.String) { Default = "", Required = true, Label = "PLC address" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = 102, Label = "Port", Validate = v => Range(v, 1, 65535) },
            new PropertyDeclaration("connmode", PropertyKind.Select) { Default = "rack-slot", Options = ["rack-slot", "tsap"], Label = "Mode" },
            new PropertyDeclaration("rack", PropertyKind.Number) { Default = 0, Label = "Rack", Validate = v => Range(v, 0, 7) },
            new PropertyDeclaration("slot", PropertyKind.Number) { Default = 2, Label = "Slot", Validate = v => Range(v, 0, 31) },
            new PropertyDeclaration("localtsaphi", PropertyKind.String) { Default = "01", Label = "Local TSAP (high, hex)" },
            new PropertyDeclaration("localtsaplo", PropertyKind.String) { Default = "00", Label = "Local TSAP (low, hex)" },
            new PropertyDeclaration("remotetsaphi", PropertyKind.String) { Default = "01", Label = "Remote TSAP (high, hex)" },
            new PropertyDeclaration("remotetsaplo", PropertyKind.String) { Default = "00", Label = "Remote TSAP (low, hex)" },
            new PropertyDeclaration("cycletime", PropertyKind.Number) { Default = 1000, Label = "Cycle time (ms)", Validate = v => Range(v, 0, 86400000) },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = 2000, Label = "Timeout (ms)", Validate = v => Range(v, 1, 600000) },
            new PropertyDeclaration("vartable", PropertyKind.Any) { Default = new List<object?>(), Label = "Variables", Help = "list of {addr, name}, e.g. {\"addr\":\"DB1,REAL0\",\"name\":\"temperature\"}" },
            new PropertyDeclaration("pduSize", PropertyKind.Number) { Default = 960, Label = "Requested PDU size", Validate = v => Range(v, 240, 4096) },
            new PropertyDeclaration("reconnectDelay", PropertyKind.Number) { Default = 1000, Label = "Reconnect delay (ms)", Validate = v => Range(v, 10, 3600000) },
            new PropertyDeclaration("reconnectMaxDelay", PropertyKind.Number) { Default = 30000, Label = "Reconnect max delay (ms)", Validate = v => Range(v, 10, 3600000) },
        ],
    };

    private readonly List<IS7Subscriber> _subscribers = [];
    private readonly Lock _gate = new();
    private readonly Channel<Command> _commands = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly TimeSpan _reconnectDelay;
    private readonly TimeSpan _reconnectMaxDelay;
    private readonly S7Address[] _readable;
    private readonly string[] _readableNames;
    private S7Client? _client;
    private Task? _loop;
    private TimeSpan _cycle;
    private S7State _state = S7State.Connecting;
    private string _stateText = "connecting";
    private string? _lastLoggedError;

    public S7EndpointNode(NodeSetup setup) : base(setup)
    {
        var transport = Config.GetString("transport", "iso-on-tcp");
        if (transport != "iso-on-tcp") throw Config.Invalid("transport", $"\"{transport}\" is not supported; only iso-on-tcp (MPI adapters are not)");
        Host = Config.GetString("address").Trim();
        if (Host.Length == 0) throw Config.Invalid("address", "the PLC's IP address or host name is required");
        var port = Config.GetNumber("port", 102);
        if (port is < 1 or > 65535 || port != Math.Floor(port)) throw Config.Invalid("port", $"{port} is not a TCP port 1..65535");
        Port = (int)port;
        ushort localTsap, remoteTsap;
        var mode = Config.GetString("connmode", "rack-slot");
        if (mode == "tsap")
        {
            localTsap = (ushort)(HexByte("localtsaphi", "01") << 8 | HexByte("localtsaplo", "00"));
            remoteTsap = (ushort)(HexByte("remotetsaphi", "01") << 8 | HexByte("remotetsaplo", "00"));
        }
        else if (mode == "rack-slot")
        {
            var rack = Config.GetNumber("rack", 0);
            if (rack is < 0 or > 7 || rack != Math.Floor(rack)) throw Config.Invalid("rack", $"{rack} is not a rack 0..7");
            var slot = Config.GetNumber("slot", 2);
            if (slot is < 0 or > 31 || slot != Math.Floor(slot)) throw Config.Invalid("slot", $"{slot} is not a slot 0..31");
            localTsap = 0x0100;
            // Connection type 1 (PG) in the high byte: accepted by every S7 CPU that allows PUT/GET.
            remoteTsap = S7Codec.RemoteTsap(1, (int)rack, (int)slot);
        }
        else
        {
            throw Config.Invalid("connmode", $"\"{mode}\" is not rack-slot or tsap");
        }
        var cycle = Config.GetNumber("cycletime", 1000);
        if (cycle < 0 || double.IsInfinity(cycle)) throw Config.Invalid("cycletime", $"{cycle} ms is not 0 (manual) or a positive cycle");
        _cycle = TimeSpan.FromMilliseconds(cycle);
        var timeout = Config.GetNumber("timeout", 2000);
        if (timeout < 1 || double.IsInfinity(timeout)) throw Config.Invalid("timeout", $"{timeout} ms must be at least 1");
        _reconnectDelay = TimeSpan.FromMilliseconds(Math.Max(10, Config.GetNumber("reconnectDelay", 1000)));
        _reconnectMaxDelay = TimeSpan.FromMilliseconds(Math.Max(_reconnectDelay.TotalMilliseconds, Config.GetNumber("reconnectMaxDelay", 30000)));
        Options = new S7ConnectionOptions
        {
            Host = Host,
            Port = Port,
            LocalTsap = localTsap,
            RemoteTsap = remoteTsap,
            ConnectTimeout = TimeSpan.FromMilliseconds(timeout),
            RequestTimeout = TimeSpan.FromMilliseconds(timeout),
            TimeProvider = Clock,
            RequestedPduSize = PduSize(),
        };
        Variables = ParseVartable();
        var readable = Variables.Where(v => v.Address is not null).ToList();
        _readable = readable.Select(v => v.Address!).ToArray();
        _readableNames = readable.Select(v => v.Name).ToArray();
    }

    public string Host { get; }
    public int Port { get; }
    public S7ConnectionOptions Options { get; }
    public IReadOnlyList<S7Variable> Variables { get; }
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
    public string Label => string.IsNullOrEmpty(Name) ? Endpoint : $"{Name} ({Endpoint})";
    public TimeSpan CycleTime => _cycle;
    public S7State State { get { lock (_gate) return _state; } }

    /// <summary>For /readyz: down after a failure until the next connect succeeds; not counted while connecting.</summary>
    public bool? IsConnected => State switch
    {
        S7State.Connected => true,
        S7State.Disconnected or S7State.Error => false,
        _ => null,
    };

    public string ConnectionTarget => Endpoint;
    public string StateText { get { lock (_gate) return _stateText; } }
    internal S7Client? Client => _client;
    internal long CyclesRun { get; private set; }
    internal long SkippedCycles { get; private set; }
    /// <summary>How late each cycle started against its slot (ms), for the benchmark.</summary>
    internal List<double> LatenessMs { get; } = [];
    /// <summary>Offset of the first cycle within the cycle time (the fixed jitter), known after start.</summary>
    internal TimeSpan Phase { get; private set; }

    public S7Variable? FindVariable(string name) => Variables.FirstOrDefault(v => v.Name == name);

    public void Subscribe(IS7Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Add(subscriber);
            subscriber.OnState(_state, _stateText);
        }
    }

    public void Unsubscribe(IS7Subscriber subscriber)
    {
        lock (_gate) _subscribers.Remove(subscriber);
    }

    /// <summary>Asks the loop for a read cycle now (s7 control "trigger").</summary>
    public void Trigger() => _commands.Writer.TryWrite(new Command(null));

    /// <summary>Changes the cycle time (s7 control "cycletime"); 0 stops automatic reading.</summary>
    public void ChangeCycleTime(TimeSpan cycle) => _commands.Writer.TryWrite(new Command(cycle));

    /// <summary>Writes one variable over the shared connection. Throws <see cref="S7Exception"/> or <see cref="S7ValueException"/>.</summary>
    public async Task WriteAsync(S7Address address, object? value, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException($"s7 endpoint {Label} is not started");
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            await client.WriteAsync(address, value, linked.Token).ConfigureAwait(false);
            if (State != S7State.Connected) SetState(S7State.Connected, "connected");
        }
        catch (Exception ex) when (ex is S7ConnectionException or S7TimeoutException or S7ProtocolException)
        {
            SetState(S7State.Disconnected, "disconnected: " + ex.Message);
            throw;
        }
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        foreach (var bad in Variables.Where(v => v.AddressError is not null))
        {
            ReportError($"s7 endpoint {Label}: variable \"{bad.Name}\": {bad.AddressError}");
        }
        _client = new S7Client(Options);
        _loop = Task.Run(() => RunAsync(_closing.Token), CancellationToken.None);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The cycle loop: connect, then read every cycle on a fixed grid (start + phase + k × cycle). A cycle that ends after
    /// the next slot skips the slots it overran (counted), so a slow PLC is never asked twice at once and no backlog builds.
    /// A lost connection waits the back-off, doubling, before the next try.
    /// </summary>
    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backOff = _reconnectDelay;
        DateTimeOffset? due = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false))
                {
                    due = null;
                    await WaitAsync(backOff, cancellationToken).ConfigureAwait(false);
                    backOff = TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, _reconnectMaxDelay.Ticks));
                    continue;
                }
                backOff = _reconnectDelay;
                if (due is null && _cycle > TimeSpan.Zero)
                {
                    Phase = PhaseFor(_cycle);
                    due = Clock.GetUtcNow() + Phase;
                }
                var wait = due is { } at ? at - Clock.GetUtcNow() : Timeout.InfiniteTimeSpan;
                var command = await WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                if (command is { CycleTime: { } newCycle })
                {
                    _cycle = newCycle;
                    due = newCycle > TimeSpan.Zero ? Clock.GetUtcNow() : null;
                    Log(string.Create(CultureInfo.InvariantCulture, $"cycle time of {Label} set to {newCycle.TotalMilliseconds:0} ms"));
                    continue;
                }
                var started = Clock.GetUtcNow();
                if (command is null && due is { } slot)
                {
                    lock (LatenessMs)
                    {
                        if (LatenessMs.Count < 100_000) LatenessMs.Add((started - slot).TotalMilliseconds);
                    }
                }
                bool cycleCompleted;
                try
                {
                    cycleCompleted = await CycleAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug or an unexpected answer must not end polling for good: report it, start over on a fresh connection.
                    ReportError($"s7 endpoint {Label}: read cycle failed: {ex.Message}");
                    SetState(S7State.Error, "error: " + ex.Message);
                    await _client!.DisconnectAsync().ConfigureAwait(false);
                    await WaitAsync(backOff, cancellationToken).ConfigureAwait(false);
                    due = null;
                    continue;
                }
                if (!cycleCompleted) continue; // connection lost: back-off path
                if (command is not null || due is not { } previous) continue; // a triggered cycle does not move the grid
                var now = Clock.GetUtcNow();
                var slotsPassed = Math.Max(1, (long)Math.Floor((double)(now - previous).Ticks / _cycle.Ticks) + 1);
                if (slotsPassed > 1)
                {
                    SkippedCycles += slotsPassed - 1;
                    S7Metrics.SkippedCycles.Add(slotsPassed - 1, new KeyValuePair<string, object?>("endpoint", Endpoint));
                }
                due = previous + TimeSpan.FromTicks(_cycle.Ticks * slotsPassed);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        var client = _client!;
        if (client.IsConnected) return true;
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            S7Metrics.Reconnects.Add(1, new KeyValuePair<string, object?>("endpoint", Endpoint));
            if (_lastLoggedError is not null) Log($"s7 endpoint {Label} connected again (PDU {client.PduSize} bytes)");
            _lastLoggedError = null;
            SetState(S7State.Connected, "connected");
            return true;
        }
        catch (S7Exception ex)
        {
            SetState(S7State.Disconnected, "disconnected: " + ex.Message);
            LogOnce($"s7 endpoint {Label}: {ex.Message}");
            return false;
        }
    }

    /// <summary>One read of every variable; false when the connection was lost (the caller backs off).</summary>
    private async Task<bool> CycleAsync(CancellationToken cancellationToken)
    {
        var started = Clock.GetTimestamp();
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var bad in Variables.Where(v => v.AddressError is not null)) errors[bad.Name] = bad.AddressError!;
        if (_readable.Length > 0)
        {
            S7ReadResult[] results;
            try
            {
                results = await _client!.ReadAsync(_readable, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is S7ConnectionException or S7TimeoutException or S7ProtocolException or S7ResponseException)
            {
                // The connection may still be open after a header-level refusal; close it so the retry starts clean.
                await _client!.DisconnectAsync().ConfigureAwait(false);
                SetState(S7State.Disconnected, "disconnected: " + ex.Message);
                LogOnce($"s7 endpoint {Label}: {ex.Message}");
                return false;
            }
            for (var i = 0; i < results.Length; i++)
            {
                if (results[i].Error is { } error) errors[_readableNames[i]] = error.Message;
                else values[_readableNames[i]] = results[i].Value;
            }
        }
        CyclesRun++;
        S7Metrics.Cycles.Add(1, new KeyValuePair<string, object?>("endpoint", Endpoint));
        S7Metrics.CycleDuration.Record(Clock.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("endpoint", Endpoint));
        var readErrors = errors.Where(e => FindVariable(e.Key)?.AddressError is null).ToList();
        if (readErrors.Count > 0)
        {
            SetState(S7State.Error, string.Create(CultureInfo.InvariantCulture, $"error: {readErrors[0].Key}: {readErrors[0].Value}"));
            LogOnce($"s7 endpoint {Label}: " + string.Join("; ", readErrors.Select(e => $"{e.Key}: {e.Value}")));
        }
        else
        {
            if (_lastLoggedError is not null) Log($"s7 endpoint {Label} reads every variable again");
            _lastLoggedError = null;
            SetState(S7State.Connected, "connected");
        }
        var cycle = new S7Cycle(values, errors, SkippedCycles);
        IS7Subscriber[] subscribers;
        lock (_gate) subscribers = [.. _subscribers];
        foreach (var subscriber in subscribers) subscriber.OnCycle(cycle);
        return true;
    }

    /// <summary>Waits for the delay or a command, whichever comes first; returns the command, if any.</summary>
    private async Task<Command?> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (_commands.Reader.TryRead(out var queued)) return queued;
        if (delay != Timeout.InfiniteTimeSpan && delay <= TimeSpan.Zero) return null;
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var commandArrived = _commands.Reader.WaitToReadAsync(stopWaiting.Token).AsTask();
        var timer = Task.Delay(delay, Clock, stopWaiting.Token);
        await Task.WhenAny(commandArrived, timer).ConfigureAwait(false);
        await stopWaiting.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return _commands.Reader.TryRead(out var command) ? command : null;
    }

    /// <summary>
    /// A fixed offset of the first cycle from a stable hash of the node id (FNV-1a; string.GetHashCode changes per
    /// process): many endpoints with the same cycle time spread over it instead of reading at the same instant.
    /// </summary>
    private TimeSpan PhaseFor(TimeSpan cycle)
    {
        var hash = 2166136261u;
        foreach (var c in Id) hash = (hash ^ c) * 16777619u;
        return TimeSpan.FromMilliseconds(hash % (uint)Math.Max(1, cycle.TotalMilliseconds));
    }

    private void SetState(S7State state, string text)
    {
        IS7Subscriber[] subscribers;
        lock (_gate)
        {
            if (_state == state && _stateText == text) return;
            _state = state;
            _stateText = text;
            subscribers = [.. _subscribers];
        }
        foreach (var subscriber in subscribers) subscriber.OnState(state, text);
    }

    /// <summary>One log line per change of error: a dead PLC polled every second must not flood the log.</summary>
    private void LogOnce(string message)
    {
        if (message == _lastLoggedError) return;
        _lastLoggedError = message;
        Warn(message);
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop) await loop.ConfigureAwait(false);
        if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
        _client = null;
        _closing.Dispose();
    }

    private List<S7Variable> ParseVartable()
    {
        var raw = Config.Get("vartable");
        if (raw is null) return [];
        // Old node-red-contrib-s7 flows may store the table as a JSON string.
        if (raw is string json)
        {
            if (!JsJson.TryParse(json, out raw, out var error)) throw Config.Invalid("vartable", $"not a JSON list of {{addr, name}}: {error?.Message}");
        }
        if (raw is not List<object?> list) throw Config.Invalid("vartable", "expected a list of {addr, name}");
        var variables = new List<S7Variable>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsObject entry) throw Config.Invalid($"vartable[{i}]", "expected {addr, name}");
            var addr = entry.Get("addr") as string ?? "";
            var name = entry.Get("name") as string;
            if (string.IsNullOrWhiteSpace(name)) name = addr;
            if (string.IsNullOrWhiteSpace(name)) throw Config.Invalid($"vartable[{i}]", "a variable needs an address");
            if (variables.Any(v => v.Name == name)) throw Config.Invalid($"vartable[{i}]", $"two variables are named \"{name}\"");
            variables.Add(S7Address.TryParse(addr, out var address, out var error)
                ? new S7Variable(name, addr, address, null)
                : new S7Variable(name, addr, null, error));
        }
        return variables;
    }

    private int PduSize()
    {
        var size = Config.GetNumber("pduSize", 960);
        if (size is < 240 or > 4096 || size != Math.Floor(size)) throw Config.Invalid("pduSize", $"{size} is outside 240..4096");
        return (int)size;
    }

    private byte HexByte(string property, string defaultValue)
    {
        var text = Config.GetString(property, defaultValue).Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        if (!byte.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
            throw Config.Invalid(property, $"\"{text}\" is not a hex byte 00..FF");
        return value;
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

    /// <summary>A request to the loop: a new cycle time, or (null) a triggered read.</summary>
    private sealed record Command(TimeSpan? CycleTime);
}
