using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus;

/// <summary>
/// modbus-read: polls a list of tags on a device. Tags with the same interval are polled together; tags next to each
/// other share one request. A poll that is still running when the next one is due is skipped and counted.
/// </summary>
internal sealed class ModbusReadNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("modbus-read")
    {
        Category = "modbus",
        Color = "#E9967A",
        Icon = "bridge.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/modbus",
        PaletteLabel = "modbus read",
        DefaultLabel = "modbus read",
        OutputLabels = ["values"],
        Help = """
            Polls tags of a Modbus device.

            **device**: the `modbus-device` to read.
            **tags**: a list of `{name, area, address, type, order, length, bit, scale, offset, interval}`:
            - *area*: `coil` (FC1), `discrete` (FC2), `holding` (FC3) or `input` (FC4).
            - *address*: 0-based address 0–65535.
            - *type*: `bool`, `int16`, `uint16`, `int32`, `uint32`, `int64`, `uint64`, `float32`, `float64` or `string`
              (coils and discrete inputs are always `bool`). 32-bit types take 2 registers, 64-bit types 4.
            - *order*: byte order of multi-register values: `ABCD` (big-endian, default), `CDAB` (word swap), `BADC`
              (byte swap), `DCBA` (little-endian).
            - *length*: registers of a `string` (2 characters each).
            - *bit*: for `bool` in a register area, the bit 0–15 to read (else any non-zero register is true).
            - *scale*, *offset*: the value sent is raw × scale + offset.
            - *interval*: this tag's poll interval in ms (default: the node's **interval**).

            **interval**: poll interval in ms for tags without their own.
            **output**: `poll` sends one message per poll with `msg.payload = {tagName: value, ...}` (and `msg.errors`
            for tags that could not be read); `tag` sends one message per tag with `msg.topic` = tag name and
            `msg.payload` = value. Every message has `msg.modbus = {device, unitId, ...}`.
            **topic**: `msg.topic` of per-poll messages.
            **maxGap**: addresses that may lie unused between two tags that still share one request (0 = only
            contiguous tags are merged).
            **jitter**: spread of the first poll in ms so that many nodes do not poll at the same instant; empty spreads over
            the whole interval, 0 starts at once. The offset is fixed per node, so the interval between polls stays exact.

            Errors go to the node status and the log (once per change), never to the flow. While the device is backed off
            the status shows "device down". Polls skipped because the previous one was still running are counted in the
            status.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("device", PropertyKind.ConfigReference) { ConfigType = "modbus-device", Required = true, Label = "Device" },
            new PropertyDeclaration("tags", PropertyKind.Any) { Default = new List<object?>(), Label = "Tags", Help = "list of {name, area, address, type, order, length, bit, scale, offset, interval}" },
            new PropertyDeclaration("interval", PropertyKind.Number) { Default = 1000, Label = "Interval (ms)", Validate = v => ModbusDeviceNode.Range(v, 10, 86400000) },
            new PropertyDeclaration("output", PropertyKind.Select) { Default = "poll", Options = ["poll", "tag"], Label = "Output" },
            new PropertyDeclaration("topic", PropertyKind.String) { Label = "Topic" },
            new PropertyDeclaration("maxGap", PropertyKind.Number) { Default = 0, Label = "Max gap merged", Validate = v => ModbusDeviceNode.Range(v, 0, 124) },
            new PropertyDeclaration("jitter", PropertyKind.Number) { Default = "", Label = "Start jitter (ms)", Validate = v => ModbusDeviceNode.Range(v, 0, 86400000) },
        ],
    };

    private readonly ModbusDeviceNode _device;
    private readonly List<PollGroup> _groups = [];
    private readonly bool _perTag;
    private readonly string _topic;
    private readonly double? _jitterMs;
    private readonly CancellationTokenSource _closing = new();
    private string? _lastError;

    public ModbusReadNode(NodeSetup setup) : base(setup)
    {
        _device = Setup.ConfigNode<ModbusDeviceNode>("device") ?? throw Config.Invalid("device", "a modbus-device is required");
        var defaultInterval = Config.GetNumber("interval", 1000);
        if (defaultInterval < 10) throw Config.Invalid("interval", $"{defaultInterval} ms is below the 10 ms minimum");
        var output = Config.GetString("output", "poll");
        if (output is not ("poll" or "tag")) throw Config.Invalid("output", $"\"{output}\" is not poll or tag");
        _perTag = output == "tag";
        _topic = Config.GetString("topic");
        var maxGap = Config.GetInt("maxGap", 0);
        if (maxGap is < 0 or > ModbusLimits.MaxReadRegisters - 1) throw Config.Invalid("maxGap", $"{maxGap} is outside 0..124");
        _jitterMs = Config.GetNumberOrNull("jitter");
        if (_jitterMs < 0) throw Config.Invalid("jitter", "must not be negative");
        var tags = new List<ModbusTag>();
        var list = Config.Get("tags") as List<object?> ?? (Config.Get("tags") is null ? [] : throw Config.Invalid("tags", "expected a list of tags"));
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsObject tag) throw Config.Invalid($"tags[{i}]", "expected a tag object");
            tags.Add(ModbusTag.Parse(Config, "tags", tag, i));
        }
        var duplicate = tags.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw Config.Invalid("tags", $"two tags are named \"{duplicate.Key}\"");
        foreach (var group in tags.GroupBy(t => t.Interval ?? TimeSpan.FromMilliseconds(defaultInterval)).OrderBy(g => g.Key))
        {
            _groups.Add(new PollGroup(group.Key, ModbusReadPlanner.Plan(group, maxGap), group.Count()));
        }
    }

    /// <summary>Polls started, skipped and their lateness, for tests and the benchmark.</summary>
    internal PollStatistics Statistics { get; } = new();
    /// <summary>Offset of the first poll of each interval group (the jitter), known after start.</summary>
    internal IReadOnlyList<TimeSpan> Phases => _groups.Select(g => g.Phase).ToList();
    internal IReadOnlyList<IReadOnlyList<ModbusReadBlock>> Plan => _groups.Select(g => (IReadOnlyList<ModbusReadBlock>)g.Blocks).ToList();

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        foreach (var group in _groups)
        {
            var phase = Phase(group.Interval);
            group.Phase = phase;
            group.FirstDue = Clock.GetUtcNow() + phase;
            StartTimer(phase, group.Interval, () => TickAsync(group));
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A fixed offset per node and interval, from a stable hash of the node id: many read nodes with the same interval
    /// spread over it instead of all polling at the same tick (string.GetHashCode changes per process, FNV-1a does not).
    /// </summary>
    private TimeSpan Phase(TimeSpan interval)
    {
        var range = _jitterMs is { } ms ? Math.Min(ms, interval.TotalMilliseconds) : interval.TotalMilliseconds;
        if (range <= 0) return TimeSpan.Zero;
        var hash = 2166136261u;
        foreach (var c in Id + "/" + interval.Ticks.ToString(CultureInfo.InvariantCulture))
        {
            hash = (hash ^ c) * 16777619u;
        }
        return TimeSpan.FromMilliseconds(hash % (uint)Math.Max(1, range));
    }

    private ValueTask TickAsync(PollGroup group)
    {
        var now = Clock.GetUtcNow();
        if (group.Running is { IsCompleted: false })
        {
            group.Skipped++;
            Statistics.Skipped++;
            return ValueTask.CompletedTask;
        }
        // Lateness: how far this tick is from its slot on the grid FirstDue + k × interval.
        var sinceFirst = (now - group.FirstDue).Ticks;
        var slot = Math.Max(0, (long)Math.Round((double)sinceFirst / group.Interval.Ticks));
        Statistics.RecordLateness(now - (group.FirstDue + TimeSpan.FromTicks(slot * group.Interval.Ticks)));
        Statistics.Polls++;
        group.Running = PollAsync(group, now);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs off the mailbox so a slow device never blocks the node; results are posted back to it.</summary>
    private async Task PollAsync(PollGroup group, DateTimeOffset started)
    {
        var results = new BlockResult[group.Blocks.Count];
        try
        {
            await Task.WhenAll(group.Blocks.Select(async (block, i) => results[i] = await ReadAsync(block).ConfigureAwait(false))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        var duration = Clock.GetUtcNow() - started;
        Post(() =>
        {
            Deliver(group, results, duration);
            return ValueTask.CompletedTask;
        });
    }

    private async Task<BlockResult> ReadAsync(ModbusReadBlock block)
    {
        try
        {
            var response = await _device.ExecuteAsync(block.Request, null, _closing.Token).ConfigureAwait(false);
            return response switch
            {
                ReadBitsResponse bits => new BlockResult(null, bits.Values, null),
                ReadRegistersResponse registers => new BlockResult(registers.Values, null, null),
                _ => new BlockResult(null, null, new InvalidOperationException($"unexpected response {response}")),
            };
        }
        catch (Exception ex) when (ModbusDeviceNode.IsDeviceError(ex))
        {
            return new BlockResult(null, null, ex);
        }
    }

    private void Deliver(PollGroup group, BlockResult[] results, TimeSpan duration)
    {
        var values = new JsObject();
        var errors = new JsObject();
        Exception? firstError = null;
        var perTag = new List<JsObject>();
        for (var b = 0; b < group.Blocks.Count; b++)
        {
            var block = group.Blocks[b];
            var result = results[b];
            foreach (var tag in block.Tags)
            {
                if (result.Error is { } error)
                {
                    firstError ??= error;
                    errors[tag.Name] = error.Message;
                    continue;
                }
                var value = tag.Decode(block.Start, result.Registers, result.Bits);
                values[tag.Name] = value;
                if (_perTag) perTag.Add(TagMessage(tag, value));
            }
        }
        var readCount = values.Count;
        if (_perTag)
        {
            foreach (var message in perTag) Send(message);
        }
        else if (readCount > 0)
        {
            var message = new JsObject { ["topic"] = _topic, ["payload"] = values };
            if (errors.Count > 0) message["errors"] = errors;
            message["modbus"] = new JsObject
            {
                ["device"] = _device.Endpoint,
                ["unitId"] = (double)_device.UnitId,
                ["requests"] = (double)group.Blocks.Count,
                ["durationMs"] = Math.Round(duration.TotalMilliseconds, 3),
                ["skipped"] = (double)group.Skipped,
            };
            Send(message);
        }
        UpdateStatus(readCount, group.TagCount, firstError);
    }

    private JsObject TagMessage(ModbusTag tag, object? value) => new()
    {
        ["topic"] = tag.Name,
        ["payload"] = value,
        ["modbus"] = new JsObject
        {
            ["device"] = _device.Endpoint,
            ["unitId"] = (double)_device.UnitId,
            ["area"] = ModbusNames.Name(tag.Area),
            ["address"] = (double)tag.Address,
            ["type"] = ModbusNames.Name(tag.Type),
        },
    };

    private void UpdateStatus(int read, int total, Exception? error)
    {
        var skipped = Statistics.Skipped > 0 ? string.Create(CultureInfo.InvariantCulture, $" · {Statistics.Skipped} skipped") : "";
        if (error is null)
        {
            if (_lastError is not null) Log($"reading {_device.Label} works again");
            _lastError = null;
            SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"{read} tags{skipped}")));
            return;
        }
        var status = _device.StatusFor(error);
        SetStatus(status with { Text = read > 0 ? $"{read}/{total} tags · {status.Text}{skipped}" : status.Text + skipped });
        // One log line per change of error, not one per poll: a dead device polled every second must not flood the log.
        if (error.Message != _lastError && error is not ModbusCircuitOpenException) ReportError($"reading {_device.Label}: {error.Message}");
        _lastError = error.Message;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        var running = _groups.Select(g => g.Running).OfType<Task>().ToArray();
        await Task.WhenAll(running).ConfigureAwait(false);
        _closing.Dispose();
    }

    private sealed class PollGroup(TimeSpan interval, List<ModbusReadBlock> blocks, int tagCount)
    {
        public TimeSpan Interval { get; } = interval;
        public List<ModbusReadBlock> Blocks { get; } = blocks;
        public int TagCount { get; } = tagCount;
        public TimeSpan Phase { get; set; }
        public DateTimeOffset FirstDue { get; set; }
        public Task? Running { get; set; }
        public long Skipped { get; set; }
    }

    private readonly record struct BlockResult(ushort[]? Registers, bool[]? Bits, Exception? Error);
}

/// <summary>Counters of one read node, written on its mailbox, read by tests and the benchmark.</summary>
internal sealed class PollStatistics
{
    private readonly Lock _gate = new();
    private readonly List<double> _latenessMs = [];

    public long Polls { get; set; }
    public long Skipped { get; set; }

    public void RecordLateness(TimeSpan lateness)
    {
        lock (_gate)
        {
            // Bounded: the benchmark needs minutes of samples, a long-running flow must not grow without end.
            if (_latenessMs.Count < 100_000) _latenessMs.Add(lateness.TotalMilliseconds);
        }
    }

    public double[] LatenessMs()
    {
        lock (_gate) return _latenessMs.ToArray();
    }
}
