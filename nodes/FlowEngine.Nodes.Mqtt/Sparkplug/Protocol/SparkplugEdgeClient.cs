using System.Buffers;
using System.Text.Json;
using FlowEngine.Nodes.Mqtt.Client;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

/// <summary>Settings of one Sparkplug B edge node session.</summary>
internal sealed record SparkplugEdgeOptions
{
    /// <summary>Broker address, TLS and credentials (taken from an mqtt-broker config node); its will, birth and buffer are not used.</summary>
    public required MqttConnectionSettings Transport { get; init; }
    public required string GroupId { get; init; }
    public required string EdgeNodeId { get; init; }
    /// <summary>When set, births and data are published only while this host application's STATE says online.</summary>
    public string? PrimaryHostId { get; init; }
    /// <summary>Data messages carry only the alias (not the name) of each metric; births always carry both.</summary>
    public bool UseAliases { get; init; } = true;
}

/// <summary>A change to one metric, by name or by alias. A null <see cref="DataType"/> keeps the born type (or infers one for a new metric).</summary>
internal sealed record SparkplugMetricUpdate
{
    public string? Name { get; init; }
    public ulong? Alias { get; init; }
    public SparkplugDataType? DataType { get; init; }
    public object? Value { get; init; }
    public ulong? Timestamp { get; init; }
    public SparkplugPropertySet? Properties { get; init; }
    public bool IsHistorical { get; init; }
    public bool IsTransient { get; init; }
}

internal enum SparkplugEdgeState
{
    Disconnected,
    Connecting,
    /// <summary>Connected, but the primary host application is not online: nothing is published.</summary>
    WaitingForHost,
    Online,
}

/// <summary>What happened to an update.</summary>
internal enum SparkplugPublishOutcome
{
    Published,
    /// <summary>Kept as the metric's current value; it goes out with the next birth (no session or no primary host now).</summary>
    Held,
}

/// <summary>A write (NCMD or DCMD) received for this edge node, with aliases resolved to names.</summary>
internal sealed record SparkplugCommand(string? DeviceId, IReadOnlyList<SparkplugMetric> Metrics);

/// <summary>
/// One Sparkplug B edge node (Sparkplug 3.0 §5): its own MQTT session whose will is the NDEATH with the session's bdSeq,
/// NBIRTH as the first message of every session (seq 0, bdSeq, "Node Control/Rebirth" and every node metric with
/// name, alias, datatype, properties), DBIRTH for each device, NDATA/DDATA/DDEATH with seq 1..255, 0, 1... It keeps
/// the current value of every metric so a rebirth (on NCMD "Node Control/Rebirth", a new metric, a reconnect, or the
/// primary host coming online) repeats the full state.
/// </summary>
/// <remarks>
/// Every publish and every change of state goes through one gate, so seq numbers leave in the order they are given.
/// Nothing is buffered across sessions: a new session restarts at NBIRTH with seq 0, which carries the latest values.
/// No FlowEngine type appears here.
/// </remarks>
internal sealed class SparkplugEdgeClient : IAsyncDisposable
{
    public const string RebirthMetric = "Node Control/Rebirth";
    public const string BdSeqMetric = "bdSeq";

    private readonly SparkplugEdgeOptions _options;
    private readonly TimeProvider _clock;
    private readonly IMqttClient _client;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly MetricTable _node = new();
    private readonly Dictionary<string, DeviceEntry> _devices = new(StringComparer.Ordinal);
    private ulong _nextAlias = 1;
    private int _seq;
    private int _bdSeq;
    private bool _born;
    private bool _hostOnline;
    private long _hostTimestamp = long.MinValue;
    private Task? _loop;
    private TaskCompletionSource<string?>? _sessionLost;

    public SparkplugEdgeClient(SparkplugEdgeOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += e =>
        {
            _sessionLost?.TrySetResult(e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString());
            return Task.CompletedTask;
        };
        _hostOnline = options.PrimaryHostId is null;
    }

    public SparkplugEdgeOptions Options => _options;
    public SparkplugEdgeState State { get; private set; } = SparkplugEdgeState.Disconnected;
    public string? LastReason { get; private set; }
    /// <summary>bdSeq of the current (or next) session.</summary>
    public int BdSeq => _bdSeq;

    public event Action<SparkplugEdgeState, string?>? StateChanged;
    public event Action<SparkplugCommand>? CommandReceived;
    /// <summary>Problems worth a user's attention (an undecodable command, a failed publish); true = warning.</summary>
    public event Action<string, bool>? Log;

    public string Topic(SparkplugMessageType type, string? deviceId = null) => SparkplugTopic.Format(_options.GroupId, type, _options.EdgeNodeId, deviceId);

    /// <summary>Defines node metrics before the first connect (they go into every NBIRTH).</summary>
    public void DefineNodeMetric(string name, SparkplugDataType type, object? value, SparkplugPropertySet? properties)
    {
        if (name is RebirthMetric or BdSeqMetric) throw new ArgumentException($"\"{name}\" is reserved by Sparkplug", nameof(name));
        _node.Add(new MetricEntry(name, _nextAlias++, type) { Value = SparkplugValues.Coerce(value, type), Properties = properties });
    }

    public void Start()
    {
        if (_loop is not null) return;
        _loop = Task.Run(() => RunAsync(_lifetime.Token));
    }

    // ---- session ----

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var wait = _options.Transport.ReconnectMin;
        while (!cancellationToken.IsCancellationRequested)
        {
            SetState(SparkplugEdgeState.Connecting, null);
            var lost = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _sessionLost = lost;
            string? reason;
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connectTimeout.CancelAfter(_options.Transport.ConnectTimeout);
                var result = await _client.ConnectAsync(BuildOptions(), connectTimeout.Token).ConfigureAwait(false);
                if (result.ResultCode != MqttClientConnectResultCode.Success) throw new MqttCommunicationException("refused: " + result.ResultCode);
                wait = _options.Transport.ReconnectMin;
                await OnSessionStartAsync(cancellationToken).ConfigureAwait(false);
                reason = await lost.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                // The broker has (or will have) published this session's NDEATH: the next session gets the next bdSeq.
                await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    _born = false;
                    _bdSeq = (_bdSeq + 1) % 256;
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or IOException or System.Net.Sockets.SocketException or InvalidOperationException or System.Security.Authentication.AuthenticationException)
            {
                reason = ex.Message;
                if (_client.IsConnected)
                {
                    // Failed after connecting (subscribe or birth): drop this session so the broker sends its NDEATH.
                    try
                    {
                        await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception inner) when (inner is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
                    {
                    }
                    _born = false;
                    _bdSeq = (_bdSeq + 1) % 256;
                }
            }
            SetState(SparkplugEdgeState.Disconnected, reason);
            Log?.Invoke($"Sparkplug edge {_options.GroupId}/{_options.EdgeNodeId} disconnected: {reason}; retrying in {wait.TotalSeconds:0.#} s", false);
            try
            {
                await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, _options.Transport.ReconnectMax.Ticks));
        }
    }

    private async Task OnSessionStartAsync(CancellationToken cancellationToken)
    {
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topic(SparkplugMessageType.NCMD), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topic(SparkplugMessageType.DCMD, "+"), MqttQualityOfServiceLevel.AtLeastOnce);
        if (_options.PrimaryHostId is { } host) subscribe.WithTopicFilter(SparkplugTopic.State(host), MqttQualityOfServiceLevel.AtLeastOnce);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _born = false;
            await _client.SubscribeAsync(subscribe.Build(), cancellationToken).ConfigureAwait(false);
            if (_hostOnline) await PublishBirthsLockedAsync(cancellationToken).ConfigureAwait(false);
            else SetState(SparkplugEdgeState.WaitingForHost, $"primary host {_options.PrimaryHostId} is offline");
        }
        finally
        {
            _gate.Release();
        }
    }

    private MqttClientOptions BuildOptions()
    {
        var s = _options.Transport;
        // Sparkplug 3.0 §7.1: NDEATH as the will, QoS 1, not retained; clean session (clean start, no session expiry).
        var will = new SparkplugPayload
        {
            Timestamp = Now(),
            Metrics = [new SparkplugMetric { Name = BdSeqMetric, DataType = SparkplugDataType.Int64, Value = (long)_bdSeq }],
        };
        var b = new MqttClientOptionsBuilder()
            .WithClientId(s.ClientId)
            .WithProtocolVersion(s.ProtocolVersion)
            .WithTimeout(s.ConnectTimeout)
            .WithCleanSession(true)
            .WithWillTopic(Topic(SparkplugMessageType.NDEATH))
            .WithWillPayload(SparkplugCodec.Encode(will))
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillRetain(false);
        if (s.WebSocketUrl is { } url) b.WithWebSocketServer(o => o.WithUri(url));
        else b.WithTcpServer(s.Host, s.Port);
        if (s.KeepAliveSeconds <= 0) b.WithNoKeepAlive();
        else b.WithKeepAlivePeriod(TimeSpan.FromSeconds(s.KeepAliveSeconds));
        if (!string.IsNullOrEmpty(s.Username)) b.WithCredentials(s.Username, s.Password ?? "");
        if (s.UseTls && s.Tls is { } tls) b.WithTlsOptions(tls(s.Host));
        // An edge node receives commands now and then, never a stream worth pausing for.
        return b.Build().WithBatchingTransport(receivePause: TimeSpan.Zero);
    }

    // ---- births ----

    private async Task PublishBirthsLockedAsync(CancellationToken cancellationToken)
    {
        _seq = 0;
        var now = Now();
        var metrics = new List<SparkplugMetric>
        {
            new() { Name = BdSeqMetric, DataType = SparkplugDataType.Int64, Value = (long)_bdSeq, Timestamp = now },
            new() { Name = RebirthMetric, DataType = SparkplugDataType.Boolean, Value = false, Timestamp = now },
        };
        metrics.AddRange(_node.Entries.Select(e => e.BirthMetric(now)));
        await PublishLockedAsync(Topic(SparkplugMessageType.NBIRTH), new SparkplugPayload { Timestamp = now, Seq = 0, Metrics = metrics }, cancellationToken).ConfigureAwait(false);
        _born = true;
        foreach (var device in _devices.Values) device.Born = false;
        foreach (var (id, device) in _devices)
        {
            if (!device.Dead) await PublishDeviceBirthLockedAsync(id, device, cancellationToken).ConfigureAwait(false);
        }
        SetState(SparkplugEdgeState.Online, null);
    }

    private async Task PublishDeviceBirthLockedAsync(string deviceId, DeviceEntry device, CancellationToken cancellationToken)
    {
        var now = Now();
        var payload = new SparkplugPayload { Timestamp = now, Seq = NextSeq(), Metrics = device.Metrics.Entries.Select(e => e.BirthMetric(now)).ToList() };
        await PublishLockedAsync(Topic(SparkplugMessageType.DBIRTH, deviceId), payload, cancellationToken).ConfigureAwait(false);
        device.Born = true;
        device.Dead = false;
    }

    /// <summary>Publishes NBIRTH and every DBIRTH again (same bdSeq): what a host asks for with "Node Control/Rebirth".</summary>
    public async Task RebirthAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client.IsConnected && _hostOnline) await PublishBirthsLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // ---- data ----

    /// <summary>Node metrics: NDATA, or a full rebirth when a metric is new (a birth must list every metric, §6.4.6).</summary>
    public Task<SparkplugPublishOutcome> UpdateNodeAsync(IReadOnlyList<SparkplugMetricUpdate> updates, CancellationToken cancellationToken = default) =>
        UpdateAsync(null, updates, cancellationToken);

    /// <summary>Device metrics: DDATA, or DBIRTH when the device is not born yet in this session or a metric is new.</summary>
    public Task<SparkplugPublishOutcome> UpdateDeviceAsync(string deviceId, IReadOnlyList<SparkplugMetricUpdate> updates, CancellationToken cancellationToken = default)
    {
        if (SparkplugTopic.InvalidId(deviceId) is { } invalid) throw new SparkplugFormatException("device id " + invalid);
        return UpdateAsync(deviceId, updates, cancellationToken);
    }

    private async Task<SparkplugPublishOutcome> UpdateAsync(string? deviceId, IReadOnlyList<SparkplugMetricUpdate> updates, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DeviceEntry? device = null;
            var table = _node;
            if (deviceId is not null)
            {
                // A new device is only kept once its first message proved valid (below).
                device = _devices.GetValueOrDefault(deviceId) ?? new DeviceEntry();
                table = device.Metrics;
            }
            // Resolve and convert everything first: one bad metric rejects the whole message, nothing half-applied.
            var resolved = new List<(MetricEntry? Entry, SparkplugMetricUpdate Update, SparkplugDataType Type, object? Value)>(updates.Count);
            var added = new HashSet<string>(StringComparer.Ordinal);
            foreach (var update in updates)
            {
                var entry = update.Name is { } name ? table.ByName(name) : update.Alias is { } alias ? table.ByAlias(alias) : null;
                if (entry is null && update.Name is null)
                {
                    throw new SparkplugFormatException(update.Alias is { } a ? $"no metric has alias {a}" : "a metric needs a name or an alias");
                }
                if (entry is null && update.Name is RebirthMetric or BdSeqMetric) throw new SparkplugFormatException($"\"{update.Name}\" is reserved by Sparkplug");
                if (entry is null && !added.Add(update.Name!)) throw new SparkplugFormatException($"metric \"{update.Name}\" appears twice");
                var type = entry?.DataType ?? update.DataType ?? SparkplugValues.Infer(update.Value);
                if (entry is not null && update.DataType is { } given && given != entry.DataType)
                {
                    throw new SparkplugFormatException($"metric \"{entry.Name}\" was born as {entry.DataType}, not {given}");
                }
                if (type == SparkplugDataType.Unknown) throw new SparkplugFormatException($"metric \"{update.Name}\": cannot tell the data type of its value; give one");
                object? value;
                try
                {
                    value = SparkplugValues.Coerce(update.Value, type);
                }
                catch (SparkplugFormatException ex)
                {
                    throw new SparkplugFormatException($"metric \"{entry?.Name ?? update.Name}\": {ex.Message}", ex);
                }
                resolved.Add((entry, update, type, value));
            }

            if (device is not null) _devices.TryAdd(deviceId!, device);
            var now = Now();
            var newMetric = false;
            var changed = new List<SparkplugMetric>(resolved.Count);
            foreach (var (existing, update, type, value) in resolved)
            {
                var entry = existing;
                if (entry is null)
                {
                    entry = new MetricEntry(update.Name!, _nextAlias++, type);
                    table.Add(entry);
                    newMetric = true;
                }
                if (update.Properties is not null) entry.Properties = update.Properties;
                if (!update.IsHistorical)
                {
                    entry.Value = value;
                    entry.Timestamp = update.Timestamp ?? now;
                }
                changed.Add(new SparkplugMetric
                {
                    Name = _options.UseAliases ? null : entry.Name,
                    Alias = entry.Alias,
                    DataType = type,
                    Value = value,
                    IsNull = value is null,
                    Timestamp = update.Timestamp ?? now,
                    IsHistorical = update.IsHistorical,
                    IsTransient = update.IsTransient,
                });
            }

            if (!_client.IsConnected || !_born) return SparkplugPublishOutcome.Held;
            try
            {
                if (device is null)
                {
                    if (newMetric) await PublishBirthsLockedAsync(cancellationToken).ConfigureAwait(false);
                    else await PublishLockedAsync(Topic(SparkplugMessageType.NDATA), new SparkplugPayload { Timestamp = now, Seq = NextSeq(), Metrics = changed }, cancellationToken).ConfigureAwait(false);
                }
                else if (newMetric || !device.Born)
                {
                    await PublishDeviceBirthLockedAsync(deviceId!, device, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await PublishLockedAsync(Topic(SparkplugMessageType.DDATA, deviceId), new SparkplugPayload { Timestamp = now, Seq = NextSeq(), Metrics = changed }, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (MqttCommunicationException)
            {
                // The session ended under us: the values are kept and go out with the next session's births.
                return SparkplugPublishOutcome.Held;
            }
            return SparkplugPublishOutcome.Published;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>DDEATH for a device (it went away); its next data births it again.</summary>
    public async Task<SparkplugPublishOutcome> DeviceDeathAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_devices.TryGetValue(deviceId, out var device)) throw new SparkplugFormatException($"device \"{deviceId}\" was never born");
            var wasBorn = device.Born;
            device.Dead = true;
            device.Born = false;
            if (!_client.IsConnected || !_born || !wasBorn) return SparkplugPublishOutcome.Held;
            try
            {
                await PublishLockedAsync(Topic(SparkplugMessageType.DDEATH, deviceId), new SparkplugPayload { Timestamp = Now(), Seq = NextSeq() }, cancellationToken).ConfigureAwait(false);
            }
            catch (MqttCommunicationException)
            {
                // Session gone: the next session's births leave this device out, which says the same.
                return SparkplugPublishOutcome.Held;
            }
            return SparkplugPublishOutcome.Published;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ulong NextSeq()
    {
        // Sparkplug 3.0 §7.3: 0 in NBIRTH, then one more per message, 255 wraps to 0.
        _seq = (_seq + 1) % 256;
        return (ulong)_seq;
    }

    private async Task PublishLockedAsync(string topic, SparkplugPayload payload, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(SparkplugCodec.Encode(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce)
            .WithRetainFlag(false)
            .Build();
        await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private ulong Now() => (ulong)_clock.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- incoming: commands and the primary host's STATE ----

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        var topic = SparkplugTopic.Parse(message.Topic);
        if (topic is null) return Task.CompletedTask;
        if (topic.Type == SparkplugMessageType.STATE)
        {
            OnHostState(message.Payload);
            return Task.CompletedTask;
        }
        SparkplugPayload payload;
        try
        {
            payload = SparkplugCodec.Decode(message.Payload);
        }
        catch (SparkplugFormatException ex)
        {
            Log?.Invoke($"{message.Topic}: {ex.Message}", true);
            return Task.CompletedTask;
        }
        // MQTTnet delivers on its receive loop; handling a rebirth there would wait on our own publish. Hand it off.
        _ = Task.Run(() => HandleCommandAsync(topic, payload));
        return Task.CompletedTask;
    }

    private async Task HandleCommandAsync(SparkplugTopic topic, SparkplugPayload payload)
    {
        try
        {
            var metrics = new List<SparkplugMetric>();
            var rebirth = false;
            await _gate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
            try
            {
                var table = topic.DeviceId is null ? _node : _devices.TryGetValue(topic.DeviceId, out var d) ? d.Metrics : null;
                foreach (var metric in payload.Metrics)
                {
                    if (topic.DeviceId is null && metric.Name == RebirthMetric)
                    {
                        rebirth |= metric.Value is true;
                        continue;
                    }
                    var entry = metric.Name is { } name ? table?.ByName(name) : metric.Alias is { } alias ? table?.ByAlias(alias) : null;
                    var type = metric.DataType != SparkplugDataType.Unknown ? metric.DataType : entry?.DataType ?? SparkplugDataType.Unknown;
                    var value = metric.Value;
                    if (metric.DataType == SparkplugDataType.Unknown && entry is not null && value is ulong raw) value = SparkplugCodec.IntegerValue(raw, type);
                    metrics.Add(metric with { Name = metric.Name ?? entry?.Name, DataType = type, Value = value });
                }
            }
            finally
            {
                _gate.Release();
            }
            if (rebirth) await RebirthAsync(_lifetime.Token).ConfigureAwait(false);
            if (metrics.Count > 0) CommandReceived?.Invoke(new SparkplugCommand(topic.DeviceId, metrics));
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException or SparkplugFormatException)
        {
            Log?.Invoke($"command on {topic} not handled: {ex.Message}", true);
        }
    }

    private void OnHostState(ReadOnlySequence<byte> payload)
    {
        bool online;
        long timestamp;
        try
        {
            // Sparkplug 3.0 §7.5: {"online": bool, "timestamp": ms}; an older STATE (lower timestamp) is ignored.
            using var json = JsonDocument.Parse(payload.ToArray());
            online = json.RootElement.GetProperty("online").GetBoolean();
            timestamp = json.RootElement.TryGetProperty("timestamp", out var t) && t.TryGetInt64(out var ms) ? ms : 0;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Log?.Invoke($"STATE of {_options.PrimaryHostId} is not {{\"online\": bool, \"timestamp\": ms}}: {ex.Message}", true);
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await _gate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
                try
                {
                    if (timestamp < _hostTimestamp) return;
                    _hostTimestamp = timestamp;
                    var was = _hostOnline;
                    _hostOnline = online;
                    if (!_client.IsConnected) return;
                    if (online && (!was || !_born)) await PublishBirthsLockedAsync(_lifetime.Token).ConfigureAwait(false);
                    else if (!online && was)
                    {
                        _born = false;
                        SetState(SparkplugEdgeState.WaitingForHost, $"primary host {_options.PrimaryHostId} is offline");
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException)
            {
                Log?.Invoke($"births after the primary host came online failed: {ex.Message}", true);
            }
        });
    }

    private void SetState(SparkplugEdgeState state, string? reason)
    {
        State = state;
        LastReason = reason;
        StateChanged?.Invoke(state, reason);
    }

    /// <summary>Closes on purpose: publishes the NDEATH itself (the broker drops the will on a clean DISCONNECT), then disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_client.IsConnected)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _clock);
                var death = new SparkplugPayload
                {
                    Timestamp = Now(),
                    Metrics = [new SparkplugMetric { Name = BdSeqMetric, DataType = SparkplugDataType.Int64, Value = (long)_bdSeq }],
                };
                await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topic(SparkplugMessageType.NDEATH)).WithPayload(SparkplugCodec.Encode(death))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token).ConfigureAwait(false);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                // Going away anyway; the broker sends the will if the DISCONNECT did not arrive.
            }
        }
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _client.Dispose();
        _lifetime.Dispose();
        SetState(SparkplugEdgeState.Disconnected, "closed");
    }

    // ---- metric state ----

    private sealed class MetricEntry(string name, ulong alias, SparkplugDataType dataType)
    {
        public string Name { get; } = name;
        public ulong Alias { get; } = alias;
        public SparkplugDataType DataType { get; } = dataType;
        public object? Value { get; set; }
        public ulong? Timestamp { get; set; }
        public SparkplugPropertySet? Properties { get; set; }

        public SparkplugMetric BirthMetric(ulong now) => new()
        {
            Name = Name,
            Alias = Alias,
            DataType = DataType,
            Value = Value,
            IsNull = Value is null,
            Timestamp = Timestamp ?? now,
            Properties = Properties,
        };
    }

    private sealed class MetricTable
    {
        private readonly List<MetricEntry> _entries = [];
        private readonly Dictionary<string, MetricEntry> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<ulong, MetricEntry> _byAlias = [];

        public IReadOnlyList<MetricEntry> Entries => _entries;

        public void Add(MetricEntry entry)
        {
            if (!_byName.TryAdd(entry.Name, entry)) throw new ArgumentException($"metric \"{entry.Name}\" is defined twice");
            _byAlias[entry.Alias] = entry;
            _entries.Add(entry);
        }

        public MetricEntry? ByName(string name) => _byName.GetValueOrDefault(name);
        public MetricEntry? ByAlias(ulong alias) => _byAlias.GetValueOrDefault(alias);
    }

    private sealed class DeviceEntry
    {
        public MetricTable Metrics { get; } = new();
        public bool Born { get; set; }
        public bool Dead { get; set; }
    }
}
