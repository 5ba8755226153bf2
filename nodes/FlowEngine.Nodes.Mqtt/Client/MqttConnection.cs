using System.Buffers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace FlowEngine.Nodes.Mqtt.Client;

internal enum ConnectionState
{
    Disconnected,
    Connecting,
    Connected,
}

/// <summary>Options of one subscription (MQTT 5.0 §3.8.3.1: QoS, No Local, Retain As Published, Retain Handling).</summary>
internal sealed record SubscriptionOptions(int Qos, bool? NoLocal = null, bool? RetainAsPublished = null, int RetainHandling = 0);

/// <summary>
/// One MQTT client connection shared by every node that uses a broker config node: it connects, reconnects with a
/// doubling wait, keeps the subscriptions of all its users (and makes them again after each reconnect, before any
/// buffered message is sent, so a node that subscribes to what another publishes misses nothing), dispatches received
/// messages to the subscriptions that match, and publishes from its <see cref="Outbox"/> in order.
/// </summary>
/// <remarks>
/// No FlowEngine type appears here: the node layer translates. Time comes from the given <see cref="TimeProvider"/>.
/// Messages are published one at a time, each awaited (for QoS 1 and 2, until the broker acknowledged it): that is what
/// keeps the order through a reconnect, because a message leaves the outbox only once it is confirmed.
/// </remarks>
internal sealed class MqttConnection : IAsyncDisposable
{
    /// <summary>Publishes the send loop makes before it moves off the thread that woke it.</summary>
    private const int MaxPublishesPerTurn = 256;

    private readonly Lock _gate = new();
    private readonly IMqttClient _client;
    private readonly DirectReceiveAdapterFactory _adapters;
    private readonly TimeProvider _clock;
    /// <summary>
    /// Wakes the send loop. Synchronous continuations: a publish into an idle loop is sent on the publisher's own
    /// thread, with no hop to another pool thread; from a flow running on the receive loop that puts the publish
    /// inside the receive loop's <see cref="SendBatch"/>, to leave with the others of the same read.
    /// </summary>
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, AllowSynchronousContinuations = true });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Dictionary<string, FilterEntry> _filters = new(StringComparer.Ordinal);
    private volatile Subscription[] _dispatch = [];
    private uint _nextSubscriptionId = 1;
    private bool _subscriptionIdsAvailable;
    private MqttConnectionSettings _settings;
    private Task? _loop;
    private CancellationTokenSource? _loopCts;
    private TaskCompletionSource<string?>? _sessionLost;
    private readonly Task _sender;
    private volatile bool _wantConnected;
    private bool _connectedSession;
    private string? _tlsFailure;
    private ITimer? _bufferTimer;
    private int _bufferNotifyPending;
    private bool _disposed;

    public MqttConnection(MqttConnectionSettings settings, TimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        Outbox = new Outbox(settings.OfflineBufferSize, settings.SpoolPath, settings.Owner);
        Outbox.Changed += OnOutboxChanged;
        _adapters = new DirectReceiveAdapterFactory(Dispatch);
        _client = new MqttClientFactory().CreateMqttClient(_adapters);
        _client.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
        _sender = Task.Run(() => SendLoopAsync(_lifetime.Token));
    }

    public MqttConnectionSettings Settings => _settings;
    /// <summary>Received messages read straight from the receive buffer rather than by MQTTnet (see <see cref="DirectReceiveAdapter"/>).</summary>
    public long MessagesReadInPlace => _adapters.MessagesReadInPlace;
    public Outbox Outbox { get; }
    public ConnectionState State { get; private set; } = ConnectionState.Disconnected;
    public string? LastReason { get; private set; }
    public bool IsConnected => State == ConnectionState.Connected;
    /// <summary>Values the broker sent in CONNACK (MQTT 5), for msg properties and limits.</summary>
    public MqttClientConnectResult? ConnectResult { get; private set; }

    /// <summary>Raised on every state change, with the reason when disconnected. Called on a background thread.</summary>
    public event Action<ConnectionState, string?>? StateChanged;

    /// <summary>Raised (at most every 100 ms) when the number of buffered messages changes.</summary>
    public event Action? BufferChanged;

    /// <summary>Log lines worth a user's attention (Node-RED logs connects and disconnects at info level).</summary>
    public event Action<string, bool>? Log;

    /// <summary>Starts connecting (and reconnecting until closed or disconnected on purpose).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_disposed || _loop is { IsCompleted: false }) return;
            _wantConnected = true;
            _loopCts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
            var token = _loopCts.Token;
            _loop = Task.Run(() => ConnectLoopAsync(token));
        }
    }

    /// <summary>True when neither connected nor trying to (Node-RED's canConnect).</summary>
    public bool CanConnect
    {
        get
        {
            lock (_gate) return _loop is null || _loop.IsCompleted;
        }
    }

    /// <summary>Replaces connection settings (the "connect" action with msg.broker); takes effect on the next connect.</summary>
    public void UpdateSettings(MqttConnectionSettings settings)
    {
        lock (_gate) _settings = settings;
    }

    /// <summary>Disconnects on purpose (the "disconnect" action, or close): sends the close message, then a clean DISCONNECT.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        Task? loop;
        lock (_gate)
        {
            _wantConnected = false;
            loop = _loop;
        }
        if (_client.IsConnected)
        {
            if (_settings.Close is { } close)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _clock);
                    await PublishNowAsync(close, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsCommunicationFailure(ex))
                {
                    Log?.Invoke($"close message not sent: {ex.Message}", true);
                }
            }
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _clock);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsCommunicationFailure(ex))
            {
                // The connection is going away anyway; nothing more to do.
            }
        }
        _loopCts?.Cancel();
        if (loop is not null)
        {
            try
            {
                await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    // ---- subscriptions ----

    /// <summary>
    /// Adds (or replaces) the subscription of one owner to a filter. When connected, the SUBSCRIBE is sent and awaited;
    /// otherwise it is made on connect. Returns an error text when the broker refused it.
    /// </summary>
    public async Task<string?> SubscribeAsync(string filter, SubscriptionOptions options, string owner, Action<MqttApplicationMessage> handler,
        CancellationToken cancellationToken = default)
    {
        FilterEntry entry;
        bool subscribeNow;
        lock (_gate)
        {
            if (!_filters.TryGetValue(filter, out entry!))
            {
                entry = new FilterEntry(filter, _nextSubscriptionId++);
                _filters[filter] = entry;
            }
            entry.Owners[owner] = new Subscription(filter, entry.Id, options, owner, handler);
            RebuildDispatch();
            subscribeNow = _connectedSession;
        }
        if (!subscribeNow) return null;
        try
        {
            return await SendSubscribeAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsCommunicationFailure(ex))
        {
            // Lost the connection meanwhile: the subscription is made again on reconnect.
            return null;
        }
    }

    /// <summary>
    /// Removes one owner's subscription. The broker is told (UNSUBSCRIBE) when no owner is left and
    /// <paramref name="removeFromBroker"/> or the broker node's autoUnsubscribe says so.
    /// </summary>
    public async Task UnsubscribeAsync(string filter, string owner, bool removeFromBroker, CancellationToken cancellationToken = default)
    {
        bool unsubscribe;
        lock (_gate)
        {
            if (!_filters.TryGetValue(filter, out var entry) || !entry.Owners.Remove(owner)) return;
            unsubscribe = entry.Owners.Count == 0;
            if (unsubscribe) _filters.Remove(filter);
            RebuildDispatch();
            unsubscribe &= (removeFromBroker || _settings.AutoUnsubscribe) && _connectedSession;
        }
        if (!unsubscribe) return;
        try
        {
            await _client.UnsubscribeAsync(new MqttClientUnsubscribeOptionsBuilder().WithTopicFilter(filter).Build(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsCommunicationFailure(ex))
        {
            // Not connected: the broker forgets a clean session's subscriptions anyway.
        }
    }

    private void RebuildDispatch() => _dispatch = _filters.Values.SelectMany(f => f.Owners.Values).ToArray();

    private async Task<string?> SendSubscribeAsync(FilterEntry entry, CancellationToken cancellationToken)
    {
        SubscriptionOptions[] options;
        lock (_gate) options = entry.Owners.Values.Select(s => s.Options).ToArray();
        if (options.Length == 0) return null;
        // Several owners of one filter share one broker subscription: the highest QoS any of them asked for.
        var qos = options.Max(o => o.Qos);
        var first = options[0];
        var topicFilter = new MqttTopicFilterBuilder().WithTopic(entry.Filter).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos);
        if (_settings.IsV5)
        {
            topicFilter.WithNoLocal(first.NoLocal ?? false)
                .WithRetainAsPublished(first.RetainAsPublished ?? false)
                .WithRetainHandling((MqttRetainHandling)Math.Clamp(first.RetainHandling, 0, 2));
        }
        var builder = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topicFilter.Build());
        if (_settings.IsV5 && _subscriptionIdsAvailable) builder.WithSubscriptionIdentifier(entry.Id);
        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        foreach (var item in result.Items)
        {
            if (item.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            {
                var text = $"subscription to {entry.Filter} refused: {Words(item.ResultCode.ToString())}";
                Log?.Invoke(text, true);
                return text;
            }
        }
        return null;
    }

    /// <summary>Filters currently subscribed by an owner (for getSubscriptions and tests).</summary>
    public IReadOnlyList<string> FiltersOf(string owner)
    {
        lock (_gate) return _filters.Values.Where(f => f.Owners.ContainsKey(owner)).Select(f => f.Filter).ToList();
    }

    /// <summary>Messages MQTTnet delivers itself (those <see cref="DirectReceiveAdapter"/> leaves to it).</summary>
    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        Dispatch(e.ApplicationMessage);
        return Task.CompletedTask;
    }

    /// <summary>Hands a received message to every subscription it matches. Runs on the receive loop.</summary>
    private void Dispatch(MqttApplicationMessage message)
    {
        var ids = _settings.IsV5 && _subscriptionIdsAvailable ? message.SubscriptionIdentifiers : null;
        foreach (var subscription in _dispatch)
        {
            // With MQTT 5 subscription identifiers the broker says which subscriptions matched; otherwise match the
            // topic ourselves (overlapping filters of several nodes each get the message once).
            var matches = ids is { Count: > 0 } ? ids.Contains(subscription.Id) : MqttTopic.Matches(subscription.Filter, message.Topic);
            if (!matches) continue;
            try
            {
                subscription.Handler(message);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log?.Invoke($"MQTT subscription handler error: {ex.Message}", true);
            }
        }
    }

    // ---- publishing ----

    /// <summary>Queues a message; it is sent in order when connected, buffered (QoS 0 in memory, QoS 1/2 on disk) when not.</summary>
    public void Publish(OutgoingMessage message)
    {
        Outbox.Enqueue(message);
        _wake.Writer.TryWrite(true);
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                var sentOnThisTurn = 0;
                while (State == ConnectionState.Connected && Outbox.Peek() is { } next)
                {
                    // The loop may be running on a publisher's thread (see _wake): a long backlog, after a reconnect
                    // for example, is sent from the thread pool instead of holding that publisher up.
                    if (++sentOnThisTurn % MaxPublishesPerTurn == 0) await Task.Yield();
                    try
                    {
                        var error = await PublishNowAsync(next, cancellationToken).ConfigureAwait(false);
                        Outbox.Remove(next);
                        next.Complete(error is null ? null : new InvalidOperationException(error));
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // Connection lost with the message in flight: it stays first in the outbox and is sent again on
                        // reconnect (the connect loop takes it from here), or is spooled when this connection is being
                        // disposed. A disconnect racing a publish surfaces from MQTTnet as "not connected" or even as a
                        // NullReferenceException (both seen in CI), after our own state still said connected.
                        if (cancellationToken.IsCancellationRequested) return;
                        if (!IsCommunicationFailure(ex) && State == ConnectionState.Connected) Log?.Invoke($"MQTT publish failed: {ex.Message}", true);
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes and waits for the acknowledgement. Returns an error text when the broker refused the message.</summary>
    private async Task<string?> PublishNowAsync(OutgoingMessage m, CancellationToken cancellationToken)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(m.Topic)
            .WithPayload(m.Payload)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)m.Qos)
            .WithRetainFlag(m.Retain);
        if (_settings.IsV5)
        {
            if (m.ResponseTopic is not null) builder.WithResponseTopic(m.ResponseTopic);
            if (m.CorrelationData is not null) builder.WithCorrelationData(m.CorrelationData);
            if (m.ContentType is not null) builder.WithContentType(m.ContentType);
            if (m.MessageExpiryInterval is { } expiry) builder.WithMessageExpiryInterval(expiry);
            if (m.PayloadIsUtf8) builder.WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
            if (m.UserProperties is not null)
            {
                foreach (var (name, value) in m.UserProperties) builder.WithUserProperty(name, (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(value));
            }
        }
        var result = await _client.PublishAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess || result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers) return null;
        return $"publish to {m.Topic} refused: {Words(result.ReasonCode.ToString())}{(string.IsNullOrEmpty(result.ReasonString) ? "" : " " + result.ReasonString)}";
    }

    private void OnOutboxChanged()
    {
        if (BufferChanged is null) return;
        if (Interlocked.Exchange(ref _bufferNotifyPending, 1) == 1) return;
        // One notification per 100 ms at most: a burst of thousands of buffered messages must not become thousands of
        // status updates.
        var timer = _clock.CreateTimer(_ =>
        {
            Volatile.Write(ref _bufferNotifyPending, 0);
            BufferChanged?.Invoke();
        }, null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _bufferTimer, timer)?.Dispose();
    }

    // ---- connecting ----

    private async Task ConnectLoopAsync(CancellationToken cancellationToken)
    {
        var delay = _settings.ReconnectMin <= _settings.ReconnectMax ? _settings.ReconnectMin : _settings.ReconnectMax;
        while (!cancellationToken.IsCancellationRequested && _wantConnected)
        {
            SetState(ConnectionState.Connecting, null);
            string? reason;
            var settings = _settings;
            var lost = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _sessionLost, lost);
            try
            {
                _tlsFailure = null;
                var options = BuildOptions(settings);
                var result = await _client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new MqttConnectRefusedException(DescribeRefusal(result.ResultCode, result.ReasonString));
                }
                ConnectResult = result;
                _subscriptionIdsAvailable = settings.IsV5 && result.SubscriptionIdentifiersAvailable;
                FilterEntry[] filters;
                lock (_gate)
                {
                    _connectedSession = true;
                    filters = _filters.Values.ToArray();
                }
                foreach (var filter in filters) await SendSubscribeAsync(filter, cancellationToken).ConfigureAwait(false);
                if (settings.Birth is { } birth) await PublishNowAsync(birth, cancellationToken).ConfigureAwait(false);
                Log?.Invoke($"Connected to broker: {settings.Describe()}", false);
                if (Outbox.TakeDropped() is > 0 and var dropped)
                {
                    Log?.Invoke($"{dropped} QoS 0 message(s) were dropped while disconnected: the offline buffer (mqttBufferSize {Outbox.MemoryLimit}) was full", true);
                }
                Outbox.GoOnline();
                SetState(ConnectionState.Connected, null);
                delay = settings.ReconnectMin <= settings.ReconnectMax ? settings.ReconnectMin : settings.ReconnectMax;
                _wake.Writer.TryWrite(true);
                reason = await lost.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (_wantConnected) Log?.Invoke($"Disconnected from broker: {settings.Describe()}", false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                reason = Describe(ex);
                if (_wantConnected) Log?.Invoke($"Connection failed to broker: {settings.Describe()}: {reason}", false);
                if (_client.IsConnected)
                {
                    // Connected but the subscriptions or the birth message failed: start again from a clean state.
                    try
                    {
                        await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception inner) when (IsCommunicationFailure(inner))
                    {
                    }
                }
            }
            finally
            {
                lock (_gate) _connectedSession = false;
            }
            Outbox.GoOffline();
            SetState(ConnectionState.Disconnected, _wantConnected ? reason : null);
            if (!_wantConnected) break;
            try
            {
                await Task.Delay(delay, _clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var doubled = delay + delay;
            delay = doubled > _settings.ReconnectMax ? _settings.ReconnectMax : doubled;
        }
        lock (_gate) _connectedSession = false;
        Outbox.GoOffline();
        if (State != ConnectionState.Disconnected) SetState(ConnectionState.Disconnected, null);
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.ClientWasConnected)
        {
            var reason = e.Exception is { } ex ? Describe(ex)
                : e.Reason == MqttClientDisconnectReason.NormalDisconnection ? "connection closed"
                : $"Broker disconnected client: {(int)e.Reason} {Words(e.Reason.ToString())}{(string.IsNullOrEmpty(e.ReasonString) ? "" : " " + e.ReasonString)}";
            Volatile.Read(ref _sessionLost)?.TrySetResult(reason);
        }
        return Task.CompletedTask;
    }

    private void SetState(ConnectionState state, string? reason)
    {
        State = state;
        LastReason = reason;
        StateChanged?.Invoke(state, reason);
    }

    /// <summary>The options the next connect uses (tests check the socket settings through it).</summary>
    internal MqttClientOptions ClientOptions => BuildOptions(_settings);

    private MqttClientOptions BuildOptions(MqttConnectionSettings s)
    {
        var b = new MqttClientOptionsBuilder()
            .WithClientId(s.ClientId)
            .WithProtocolVersion(s.ProtocolVersion)
            .WithTimeout(s.ConnectTimeout)
            .WithCleanSession(s.CleanSession);
        if (s.WebSocketUrl is { } url) b.WithWebSocketServer(o => o.WithUri(url));
        else b.WithTcpServer(s.Host, s.Port);
        if (s.KeepAliveSeconds <= 0) b.WithNoKeepAlive();
        else b.WithKeepAlivePeriod(TimeSpan.FromSeconds(s.KeepAliveSeconds));
        if (!string.IsNullOrEmpty(s.Username)) b.WithCredentials(s.Username, s.Password ?? "");
        if (s.IsV5)
        {
            b.WithRequestProblemInformation(true).WithRequestResponseInformation(true);
            if (s.SessionExpiryInterval > 0) b.WithSessionExpiryInterval(s.SessionExpiryInterval);
            if (s.UserProperties is not null)
            {
                foreach (var (name, value) in s.UserProperties) b.WithUserProperty(name, (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(value));
            }
        }
        if (s.Will is { } will)
        {
            b.WithWillTopic(will.Topic).WithWillPayload(will.Payload)
                .WithWillQualityOfServiceLevel((MqttQualityOfServiceLevel)will.Qos).WithWillRetain(will.Retain);
            if (s.IsV5)
            {
                if (will.ContentType is not null) b.WithWillContentType(will.ContentType);
                if (will.ResponseTopic is not null) b.WithWillResponseTopic(will.ResponseTopic);
                if (will.CorrelationData is not null) b.WithWillCorrelationData(will.CorrelationData);
                if (will.MessageExpiryInterval is { } expiry) b.WithWillMessageExpiryInterval(expiry);
                if (s.WillDelayInterval > 0) b.WithWillDelayInterval(s.WillDelayInterval);
                if (will.UserProperties is not null)
                {
                    foreach (var (name, value) in will.UserProperties) b.WithWillUserProperty(name, (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(value));
                }
            }
        }
        if (s.UseTls && s.Tls is { } tls)
        {
            var tlsOptions = tls(s.Host);
            var inner = tlsOptions.CertificateValidationHandler;
            if (inner is not null)
            {
                // Remember why a certificate was refused, so the status says more than "handshake failed".
                tlsOptions.CertificateValidationHandler = args =>
                {
                    var ok = inner(args);
                    if (!ok) _tlsFailure = TlsFailureText(args);
                    return ok;
                };
            }
            b.WithTlsOptions(tlsOptions);
        }
        return b.Build().WithBatchingTransport(s.ReceivePause);
    }

    private static string TlsFailureText(MqttClientCertificateValidationEventArgs args)
    {
        if (args.SslPolicyErrors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return "TLS: server certificate does not match the host name";
        }
        if (args.SslPolicyErrors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "TLS: the server sent no certificate";
        }
        var status = args.Chain?.ChainStatus.Select(s => s.Status.ToString()).FirstOrDefault();
        return $"TLS: server certificate not trusted{(status is null ? "" : $" ({status})")}";
    }

    private string Describe(Exception ex)
    {
        if (_tlsFailure is { } tls) return tls;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case MqttConnectRefusedException refused:
                    return refused.Message;
                case SocketException socket when socket.SocketErrorCode == SocketError.ConnectionRefused:
                    return $"connection refused ({_settings.Host}:{_settings.Port})";
                case SocketException socket when socket.SocketErrorCode is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData:
                    return $"host not found: {_settings.Host}";
                case AuthenticationException auth:
                    return $"TLS: {auth.Message}";
                case MqttCommunicationTimedOutException:
                    return "connection timed out";
                case TimeoutException:
                    return "connection timed out";
                case IOException or SocketException:
                    return "connection lost";
            }
        }
        return ex.Message;
    }

    /// <summary>The texts MQTT.js (and so Node-RED users) know for CONNACK refusals; MQTT 5 reason names otherwise.</summary>
    internal static string DescribeRefusal(MqttClientConnectResultCode code, string? reasonString)
    {
        var text = code switch
        {
            MqttClientConnectResultCode.UnsupportedProtocolVersion => "Connection refused: Unacceptable protocol version",
            MqttClientConnectResultCode.ClientIdentifierNotValid => "Connection refused: Identifier rejected",
            MqttClientConnectResultCode.ServerUnavailable => "Connection refused: Server unavailable",
            MqttClientConnectResultCode.BadUserNameOrPassword => "Connection refused: Bad username or password",
            MqttClientConnectResultCode.NotAuthorized => "Connection refused: Not authorized",
            _ => "Connection refused: " + Words(code.ToString()),
        };
        return string.IsNullOrEmpty(reasonString) ? text : $"{text} ({reasonString})";
    }

    private static string Words(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) sb.Append(' ');
            sb.Append(i == 0 ? pascal[i] : char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }

    private static bool IsCommunicationFailure(Exception ex) =>
        ex is MqttCommunicationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException
            or InvalidOperationException or TimeoutException;

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        await DisconnectAsync().ConfigureAwait(false);
        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sender.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        Outbox.GoOffline();
        _bufferTimer?.Dispose();
        _client.Dispose();
        Outbox.Dispose();
        _lifetime.Dispose();
        _loopCts?.Dispose();
    }

    private sealed class FilterEntry(string filter, uint id)
    {
        public string Filter { get; } = filter;
        public uint Id { get; } = id;
        public Dictionary<string, Subscription> Owners { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Subscription(string Filter, uint Id, SubscriptionOptions Options, string Owner, Action<MqttApplicationMessage> Handler);
}

/// <summary>The broker answered CONNECT with a refusal (bad credentials, not authorised...).</summary>
internal sealed class MqttConnectRefusedException(string message) : Exception(message);
