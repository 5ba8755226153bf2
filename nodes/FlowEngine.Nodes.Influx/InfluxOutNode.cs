using System.Globalization;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Influx.Protocol;
using FlowEngine.Nodes.Influx.Spool;

namespace FlowEngine.Nodes.Influx;

/// <summary>
/// Writes points to InfluxDB: <c>influx out</c> / <c>influxdb out</c> (fields, tags and measurement from the message)
/// and <c>influx batch</c> / <c>influxdb batch</c> (an array of complete points). Points are grouped into batches by
/// count and by time, stored in a LiteDB spool in the user directory and written in arrival order; while the server
/// cannot be reached they stay in the spool (bounded) and are written when it returns, also after a redeploy or a restart.
/// </summary>
internal sealed class InfluxOutNode : FlowNode
{
    private const string WritingHelp = """

        **Batching**: points are collected until **batchSize** points or **batchInterval** ms after the first one, whichever
        comes first, then written in one request.

        **Spool and retries**: every batch is first stored in a LiteDB file in the user directory
        (`influx-spool/<node id>.db`), then written oldest first and deleted once InfluxDB confirmed it. While the server
        cannot be reached (or answers 5xx, 429, 401, 403 or 404) the write is retried after **retryDelay** ms, doubling
        up to **retryMaxDelay** ms, and new points wait in the spool. The spool keeps its content and order across
        redeploys and restarts. It holds at most **spoolMaxPoints** points; when full, **spoolOverflow** `drop-oldest`
        deletes the oldest unwritten points and `drop-newest` refuses the new ones; either way the node reports an error
        with the count, and the status shows the spool's fill and its bound. A batch the server refuses as invalid
        (400, for example a field type conflict) is reported and dropped, since sending it again cannot succeed.

        **Exactly once**: a point without a timestamp gets the time it was received (made unique per node), and every
        write carries explicit nanosecond timestamps, so a batch sent again after a timeout overwrites itself in
        InfluxDB instead of adding duplicates.

        Default spool bound and overflow come from the settings key `influx` (`{"spoolMaxPoints": 1000000, "spoolOverflow": "drop-oldest"}`).
        """;

    private const string OutPayloadHelp = """
        **msg.payload**: a number, string or boolean (written as the field `value`); an object of fields; an array
        `[fields, tags]`; or an array of such arrays for several points. **msg.measurement** overrides the node's
        measurement. A field `time` (Date or number in **precision**) is the point's timestamp. Field types: numbers are
        floats, a string such as `"42i"` is an integer, booleans are booleans, other strings are strings.
        """;

    private const string BatchPayloadHelp = """
        **msg.payload**: an array of points `{measurement, fields, tags, timestamp}`; `timestamp` is a Date or a number in
        **precision** (optional). Field types as for `influx out`.
        """;

    private static readonly PropertyDeclaration[] WritingProperties =
    [
        new("batchSize", PropertyKind.Number) { Default = 1000, Label = "Batch size (points)", Validate = v => InfluxServerNode.Range(v, 1, 100000) },
        new("batchInterval", PropertyKind.Number) { Default = 1000, Label = "Batch interval (ms)", Validate = v => InfluxServerNode.Range(v, 0, 3600000) },
        new("spoolMaxPoints", PropertyKind.Number) { Label = "Spool bound (points)", Help = "empty: settings influx.spoolMaxPoints, else 1000000", Validate = v => InfluxServerNode.Range(v, 1, 1e10) },
        new("spoolOverflow", PropertyKind.Select) { Options = ["", "drop-oldest", "drop-newest"], Label = "When the spool is full", Help = "empty: settings influx.spoolOverflow, else drop-oldest" },
        new("retryDelay", PropertyKind.Number) { Default = 1000, Label = "Retry delay (ms)", Validate = v => InfluxServerNode.Range(v, 1, 3600000) },
        new("retryMaxDelay", PropertyKind.Number) { Default = 30000, Label = "Retry max delay (ms)", Validate = v => InfluxServerNode.Range(v, 1, 3600000) },
    ];

    private static readonly PropertyDeclaration[] OwnTargetProperties =
    [
        new("name", PropertyKind.String),
        new("server", PropertyKind.ConfigReference) { ConfigType = InfluxServerNode.OwnType, Required = true, Label = "Server" },
        new("database", PropertyKind.String) { Default = "", Label = "Database", Help = "1.x, 3.x; empty: the server's" },
        new("retentionPolicy", PropertyKind.String) { Default = "", Label = "Retention policy", Help = "1.x; empty: the server's" },
        new("org", PropertyKind.String) { Default = "", Label = "Organization", Help = "2.x; empty: the server's" },
        new("bucket", PropertyKind.String) { Default = "", Label = "Bucket", Help = "2.x; empty: the server's" },
        new("precision", PropertyKind.Select) { Default = "ms", Options = ["ns", "us", "ms", "s"], Label = "Time precision", Help = "unit of numeric timestamps in messages" },
    ];

    private static readonly PropertyDeclaration[] NodeRedTargetProperties =
    [
        new("name", PropertyKind.String),
        new("influxdb", PropertyKind.ConfigReference) { ConfigType = InfluxServerNode.NodeRedType, Required = true, Label = "Server" },
        new("precision", PropertyKind.Select) { Default = "", Options = ["", "n", "u", "ms", "s", "m", "h"], Label = "Time Precision", Help = "1.x; empty: nanoseconds" },
        new("retentionPolicy", PropertyKind.String) { Default = "", Label = "Retention Policy", Help = "1.x" },
        new("database", PropertyKind.String) { Default = "database", Label = "Database", Help = "1.8-flux; 1.x uses the server's" },
        new("precisionV18FluxV20", PropertyKind.Select) { Default = "ms", Options = ["ns", "us", "ms", "s"], Label = "Time Precision", Help = "1.8-flux, 2.0" },
        new("retentionPolicyV18Flux", PropertyKind.String) { Default = "", Label = "Retention Policy", Help = "1.8-flux" },
        new("org", PropertyKind.String) { Default = "organisation", Label = "Organization", Help = "2.0" },
        new("bucket", PropertyKind.String) { Default = "bucket", Label = "Bucket", Help = "2.0" },
    ];

    private static NodeDeclaration Make(string type, bool nodeRed, bool batch) => new(type)
    {
        Category = "storage",
        Color = "#C0DEED",
        Icon = "db.svg",
        Inputs = 1,
        Outputs = 0,
        Module = nodeRed ? "node-red-contrib-influxdb" : "flowengine",
        Set = nodeRed ? "node-red-contrib-influxdb/influxdb" : "flowengine/influx",
        PaletteLabel = type,
        DefaultLabel = type,
        Help = (batch
            ? (nodeRed ? "node-red-contrib-influxdb's batch node: writes several complete points per message.\n\n" : "Writes several complete points per message to InfluxDB.\n\n") + BatchPayloadHelp
            : (nodeRed ? "node-red-contrib-influxdb's output node: writes a point (or several) per message.\n\n" : "Writes a point (or several) per message to InfluxDB.\n\n")
              + (nodeRed ? "" : "**server**: an `influx server`. **database**/**retentionPolicy** (1.x, 3.x) or **org**/**bucket** (2.x) override the server's. ")
              + "**measurement**: the measurement, unless msg.measurement is set. **precision**: unit of numeric timestamps.\n\n" + OutPayloadHelp)
            + WritingHelp,
        Properties = [
            .. nodeRed ? NodeRedTargetProperties : OwnTargetProperties,
            .. batch ? Array.Empty<PropertyDeclaration>() : [new PropertyDeclaration("measurement", PropertyKind.String) { Default = "", Label = "Measurement" }],
            .. WritingProperties,
        ],
    };

    public static readonly NodeDeclaration OutDeclaration = Make("influx out", nodeRed: false, batch: false);
    public static readonly NodeDeclaration BatchDeclaration = Make("influx batch", nodeRed: false, batch: true);
    public static readonly NodeDeclaration NodeRedOutDeclaration = Make("influxdb out", nodeRed: true, batch: false);
    public static readonly NodeDeclaration NodeRedBatchDeclaration = Make("influxdb batch", nodeRed: true, batch: true);

    private readonly InfluxServerNode _server;
    private readonly bool _batchPayload;
    private readonly string _measurement;
    private readonly InfluxWriteTarget _target;
    private readonly PointMapper _mapper;
    private readonly int _batchSize;
    private readonly TimeSpan _batchInterval;
    private readonly long _spoolMaxPoints;
    private readonly SpoolOverflow _overflow;
    private readonly SpoolingWriterOptions _writerOptions;
    private readonly StringBuilder _pending = new();
    private int _pendingCount;
    private ITimer? _flushTimer;
    private SpoolingWriter? _writer;
    private IDisposable? _spoolLock;
    private long _lastTimestamp;
    private int _statusQueued;
    private long _lastErrorReport;

    public InfluxOutNode(NodeSetup setup) : base(setup)
    {
        var nodeRed = Type.StartsWith("influxdb", StringComparison.Ordinal);
        _batchPayload = Type.EndsWith("batch", StringComparison.Ordinal);
        var serverProperty = nodeRed ? "influxdb" : "server";
        _server = Setup.ConfigNode<InfluxServerNode>(serverProperty) ?? throw Config.Invalid(serverProperty, "an InfluxDB server is required");
        _measurement = Config.GetString("measurement", "");
        string precisionText;
        if (nodeRed)
        {
            var database = NonEmpty(Config.GetString("database", ""), _server.Database);
            if (_server.Version == InfluxApiVersion.V1)
            {
                precisionText = Config.GetString("precision", "");
                _target = new InfluxWriteTarget(_server.Database.Length > 0 ? _server.Database : database, Config.GetString("retentionPolicy", ""), null, null);
            }
            else
            {
                precisionText = Config.GetString("precisionV18FluxV20", "ms");
                _target = _server.Flux18
                    ? new InfluxWriteTarget(null, null, null, database + "/" + Config.GetString("retentionPolicyV18Flux", ""))
                    : new InfluxWriteTarget(null, null, Config.GetString("org", ""), Config.GetString("bucket", ""));
            }
        }
        else
        {
            precisionText = Config.GetString("precision", "ms");
            _target = _server.Version switch
            {
                InfluxApiVersion.V1 => new InfluxWriteTarget(NonEmpty(Config.GetString("database", ""), _server.Database),
                    NonEmpty(Config.GetString("retentionPolicy", ""), _server.RetentionPolicy), null, null),
                InfluxApiVersion.V2 => new InfluxWriteTarget(null, null, NonEmpty(Config.GetString("org", ""), _server.Org), NonEmpty(Config.GetString("bucket", ""), _server.Bucket)),
                _ => new InfluxWriteTarget(null, null, null, NonEmpty(Config.GetString("database", ""), _server.Database)),
            };
        }
        if (_server.Version == InfluxApiVersion.V1 && string.IsNullOrEmpty(_target.Database))
            throw Config.Invalid("database", "no database: set one here or on the server");
        if (_server.Version != InfluxApiVersion.V1 && string.IsNullOrEmpty(_target.Bucket))
            throw Config.Invalid(_server.Version == InfluxApiVersion.V3 ? "database" : "bucket", "no bucket: set one here or on the server");
        if (!TimePrecisions.TryParse(precisionText, out var precision))
            throw Config.Invalid(nodeRed && _server.Version != InfluxApiVersion.V1 ? "precisionV18FluxV20" : "precision", $"\"{precisionText}\" is not one of ns, us, ms, s, m, h");
        _mapper = new PointMapper(precision, allowUnsigned: !nodeRed, NextReceivedTimestamp);

        _batchSize = Config.GetInt("batchSize", 1000);
        if (_batchSize < 1) throw Config.Invalid("batchSize", $"{_batchSize} must be at least 1");
        var intervalMs = Config.GetNumber("batchInterval", 1000);
        if (intervalMs < 0) throw Config.Invalid("batchInterval", $"{intervalMs} ms must not be negative");
        _batchInterval = TimeSpan.FromMilliseconds(intervalMs);
        var defaults = Services.Settings.Raw.Get("influx") as FlowEngine.Core.Values.JsObject;
        var defaultMax = defaults?.Get("spoolMaxPoints") as double? ?? 1_000_000;
        _spoolMaxPoints = (long)Config.GetNumber("spoolMaxPoints", defaultMax);
        if (_spoolMaxPoints < _batchSize) throw Config.Invalid("spoolMaxPoints", $"{_spoolMaxPoints} must be at least the batch size {_batchSize}");
        var overflowText = NonEmpty(Config.GetString("spoolOverflow", ""), defaults?.Get("spoolOverflow") as string ?? "drop-oldest");
        _overflow = overflowText switch
        {
            "drop-oldest" => SpoolOverflow.DropOldest,
            "drop-newest" => SpoolOverflow.DropNewest,
            _ => throw Config.Invalid("spoolOverflow", $"\"{overflowText}\" is not drop-oldest or drop-newest"),
        };
        var retryDelay = Config.GetNumber("retryDelay", 1000);
        var retryMax = Config.GetNumber("retryMaxDelay", 30000);
        if (retryDelay <= 0) throw Config.Invalid("retryDelay", $"{retryDelay} ms must be more than 0");
        if (retryMax < retryDelay) throw Config.Invalid("retryMaxDelay", $"{retryMax} ms is below retryDelay {retryDelay} ms");
        _writerOptions = new SpoolingWriterOptions
        {
            MaxPointsPerWrite = Math.Max(_batchSize, 5000),
            RetryDelay = TimeSpan.FromMilliseconds(retryDelay),
            RetryMaxDelay = TimeSpan.FromMilliseconds(retryMax),
            TimeProvider = Clock,
        };
    }

    /// <summary>The spool file of this node: one per node id, so a redeploy or a restart finds its unwritten points.</summary>
    public string SpoolPath => Path.Combine(Services.Settings.UserDir, "influx-spool", SafeFileName(Id) + ".db");

    internal SpoolingWriter? Writer => _writer;

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _spoolLock = await SpoolFileLock.AcquireAsync(SpoolPath, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        PointSpool spool;
        try
        {
            spool = new PointSpool(SpoolPath, _spoolMaxPoints, _overflow);
        }
        catch
        {
            _spoolLock.Dispose();
            _spoolLock = null;
            throw;
        }
        if (spool.Points > 0) Log($"resuming {spool.Points} spooled points from {SpoolPath}");
        _writer = new SpoolingWriter(_server.Client, _target, spool, _writerOptions, QueueStatus, QueueError);
        _writer.Start();
        SetStatus(spool.Points > 0 ? NodeStatus.Warning(SpoolText(spool.Points)) : NodeStatus.Clear);
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        List<LinePoint> points;
        try
        {
            points = _batchPayload ? _mapper.FromBatchMessage(input.Message) : _mapper.FromOutMessage(input.Message, _measurement);
        }
        catch (LineProtocolException ex)
        {
            SetStatus(NodeStatus.Error(ex.Message));
            throw;
        }
        // Format the whole message first: a bad point refuses the message without writing half of it.
        var start = _pending.Length;
        try
        {
            foreach (var point in points)
            {
                if (_pending.Length > 0) _pending.Append('\n');
                LineProtocol.Append(_pending, point);
            }
        }
        catch (LineProtocolException)
        {
            _pending.Length = start;
            throw;
        }
        _pendingCount += points.Count;
        if (_pendingCount >= _batchSize || _batchInterval == TimeSpan.Zero) Flush();
        else _flushTimer ??= StartTimer(_batchInterval, Timeout.InfiniteTimeSpan, () => { _flushTimer = null; Flush(); return ValueTask.CompletedTask; });
        return ValueTask.CompletedTask;
    }

    private void Flush()
    {
        StopTimer(_flushTimer);
        _flushTimer = null;
        if (_pendingCount == 0 || _writer is null) return;
        _writer.Enqueue(_pendingCount, _pending.ToString());
        _pending.Clear();
        _pendingCount = 0;
    }

    /// <summary>Receive time in ns, strictly increasing per node so no two points of a series share a timestamp.</summary>
    private long NextReceivedTimestamp()
    {
        var now = TimePrecisions.ToNanoseconds(Clock.GetUtcNow().UtcDateTime);
        _lastTimestamp = now > _lastTimestamp ? now : _lastTimestamp + 1;
        return _lastTimestamp;
    }

    private void QueueStatus()
    {
        // The writer calls this from its own tasks; the status is set on the node's mailbox, once per burst.
        if (Interlocked.Exchange(ref _statusQueued, 1) == 1) return;
        Post(() =>
        {
            Volatile.Write(ref _statusQueued, 0);
            if (_writer is { } writer) SetStatus(StatusOf(writer.State));
            return ValueTask.CompletedTask;
        });
    }

    private void QueueError(string message)
    {
        Post(() =>
        {
            // A flood of identical overflow errors would drown the log: at most one report per second.
            var now = Clock.GetTimestamp();
            if (Clock.GetElapsedTime(Interlocked.Read(ref _lastErrorReport), now) >= TimeSpan.FromSeconds(1) || _lastErrorReport == 0)
            {
                _lastErrorReport = now;
                ReportError(message);
            }
            return ValueTask.CompletedTask;
        });
    }

    private NodeStatus StatusOf(SpoolingWriterState state)
    {
        var lost = state.DroppedOldest + state.RefusedNew;
        if (lost > 0 && state.Spooled >= _spoolMaxPoints * 9 / 10)
            return NodeStatus.Error(string.Create(CultureInfo.InvariantCulture, $"spool full, {lost} points dropped ({OverflowName}); {SpoolText(state.Spooled)}"));
        if (state.Retrying)
        {
            var retry = state.NextRetry is { } t ? string.Create(CultureInfo.InvariantCulture, $", retry in {Math.Ceiling(t.TotalSeconds):0} s") : "";
            return NodeStatus.Warning($"{SpoolText(state.Spooled)}{retry}: {state.LastError}");
        }
        if (state.Rejected > 0)
            return NodeStatus.Error(string.Create(CultureInfo.InvariantCulture, $"{state.Rejected} points refused: {state.LastError}"));
        return NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"{state.Written} written") + (state.Spooled > 0 ? "; " + SpoolText(state.Spooled) : ""));
    }

    private string OverflowName => _overflow == SpoolOverflow.DropOldest ? "drop-oldest" : "drop-newest";

    private string SpoolText(long spooled) => string.Create(CultureInfo.InvariantCulture, $"spool {spooled}/{_spoolMaxPoints}");

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        Flush();
        if (_writer is not { } writer) return;
        _writer = null;
        try
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _spoolLock?.Dispose();
            _spoolLock = null;
        }
        var left = writer.State.Spooled;
        if (removed)
        {
            if (left == 0) TryDelete(SpoolPath);
            else Warn($"node removed with {left} unwritten points kept in {SpoolPath}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            File.Delete(Path.ChangeExtension(path, null) + "-log.db");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string NonEmpty(string value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;

    private static string SafeFileName(string id)
    {
        var sb = new StringBuilder(id.Length);
        foreach (var c in id) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return sb.ToString();
    }
}
