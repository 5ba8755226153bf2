using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Client;

public enum UaConnectionState { Idle, Connecting, Connected, Reconnecting, Closed }

/// <summary>Something a connection wants its users to know: state changes, reconnects, lost data.</summary>
public sealed record UaConnectionEvent(UaConnectionState State, string Text, StatusCode? Status = null);

/// <summary>
/// Keeps one session to a server alive: connects on demand, checks the link with a keep-alive read when no
/// subscription publishes, and after a break reconnects with a growing delay. A broken channel first tries to
/// take the old session over a new channel (its subscriptions live on); a server that forgot the session (it
/// restarted) gets a new one, the subscriptions are transferred or re-created, and the events say which.
/// </summary>
public sealed class UaConnection : IAsyncDisposable
{
    private readonly UaClientOptions _options;
    private readonly TimeSpan _reconnectDelay;
    private readonly TimeSpan _reconnectMaxDelay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<UaSubscription> _subscriptions = [];
    private TaskCompletionSource<UaSession> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UaSession? _session;
    private UaSession? _activeSession;
    private Task? _supervisor;
    private Exception? _lastError;

    public UaConnection(UaClientOptions options, TimeSpan reconnectDelay, TimeSpan reconnectMaxDelay)
    {
        _options = options;
        _reconnectDelay = reconnectDelay;
        _reconnectMaxDelay = reconnectMaxDelay;
    }

    public UaClientOptions Options => _options;
    public UaConnectionState State { get; private set; } = UaConnectionState.Idle;

    /// <summary>Raised on the connection's own task; handlers must not block.</summary>
    public event Action<UaConnectionEvent>? Changed;

    /// <summary>The live session, connecting first if needed; fails after the connect timeout with the last reason.</summary>
    public async Task<UaSession> GetSessionAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        Task<UaSession> ready;
        lock (_gate) ready = _ready.Task;
        try
        {
            return await ready.WaitAsync(_options.ConnectTimeout + _options.RequestTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var reason = _lastError?.Message ?? "no session yet";
            throw _lastError is UaStatusException status
                ? new UaStatusException(status.Status.Code, "not connected: " + reason)
                : new UaStatusException(StatusCodes.BadNotConnected, "not connected: " + reason);
        }
    }

    /// <summary>Adds a subscription; it is created on the server now (or as soon as a session exists) and after every reconnect.</summary>
    public UaSubscription Subscribe(UaSubscriptionOptions options, IReadOnlyList<MonitoredItemSpec> items, IUaSubscriptionHandler handler)
    {
        var subscription = new UaSubscription(this, options, items, handler);
        UaSession? active;
        lock (_gate)
        {
            _subscriptions.Add(subscription);
            // Either the supervisor's snapshot below takes this subscription, or the session is already live here.
            active = _activeSession;
        }
        EnsureStarted();
        if (active is not null) _ = subscription.StartAsync(active, SessionChange.New, _stop.Token);
        return subscription;
    }

    internal async Task RemoveAsync(UaSubscription subscription)
    {
        lock (_gate) _subscriptions.Remove(subscription);
        if (_session is { } session && subscription.SubscriptionId != 0)
        {
            try
            {
                await session.DeleteSubscriptionsAsync([subscription.SubscriptionId], CancellationToken.None).ConfigureAwait(false);
            }
            catch (UaStatusException)
            {
                // Gone with the session already.
            }
        }
    }

    private void EnsureStarted()
    {
        lock (_gate)
        {
            if (_supervisor is not null || _stop.IsCancellationRequested) return;
            _supervisor = Task.Run(SuperviseAsync, CancellationToken.None);
        }
    }

    private void Raise(UaConnectionState state, string text, StatusCode? status = null)
    {
        State = state;
        Changed?.Invoke(new UaConnectionEvent(state, text, status));
    }

    private async Task SuperviseAsync()
    {
        var delay = _reconnectDelay;
        var everConnected = false;
        while (!_stop.IsCancellationRequested)
        {
            Raise(everConnected ? UaConnectionState.Reconnecting : UaConnectionState.Connecting, everConnected ? "reconnecting" : "connecting");
            SessionChange change;
            try
            {
                change = await ConnectOrResumeAsync().ConfigureAwait(false);
                delay = _reconnectDelay;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is UaStatusException or UaEncodingException or IOException or System.Security.Cryptography.CryptographicException or System.Net.Sockets.SocketException)
            {
                _lastError = ex;
                var status = (ex as UaStatusException)?.Status;
                Raise(UaConnectionState.Reconnecting, ex.Message, status);
                if (IsPermanent(status))
                {
                    // A refused login or untrusted certificate does not heal by retrying fast; fail waiting callers now.
                    lock (_gate)
                    {
                        _ready.TrySetException(ex);
                        _ready = new TaskCompletionSource<UaSession>(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
                try
                {
                    await Task.Delay(delay, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _reconnectMaxDelay.Ticks));
                continue;
            }
            var session = _session!;
            everConnected = true;
            Raise(UaConnectionState.Connected, change switch
            {
                SessionChange.New => "connected",
                SessionChange.Resumed => "reconnected, session resumed",
                _ => "reconnected with a new session",
            });
            List<UaSubscription> subscriptions;
            lock (_gate)
            {
                subscriptions = [.. _subscriptions];
                _activeSession = session;
            }
            foreach (var subscription in subscriptions)
            {
                await subscription.StartAsync(session, change, _stop.Token).ConfigureAwait(false);
            }
            lock (_gate) _ready.TrySetResult(session);
            await WatchAsync(session).ConfigureAwait(false);
            lock (_gate)
            {
                _activeSession = null;
                if (_ready.Task.IsCompleted) _ready = new TaskCompletionSource<UaSession>(TaskCreationOptions.RunContinuationsAsynchronously);
                subscriptions = [.. _subscriptions];
            }
            foreach (var subscription in subscriptions) subscription.SessionLost();
        }
        Raise(UaConnectionState.Closed, "closed");
    }

    private static bool IsPermanent(StatusCode? status) => status?.Code is StatusCodes.BadUserAccessDenied or StatusCodes.BadIdentityTokenRejected
        or StatusCodes.BadIdentityTokenInvalid or StatusCodes.BadCertificateUntrusted or StatusCodes.BadSecurityPolicyRejected or StatusCodes.BadCertificateInvalid;

    private async Task<SessionChange> ConnectOrResumeAsync()
    {
        if (_session is { } old)
        {
            try
            {
                await old.ReconnectAsync(_stop.Token).ConfigureAwait(false);
                return SessionChange.Resumed;
            }
            catch (UaStatusException ex) when (ex.Status.Code is not (StatusCodes.BadNotConnected or StatusCodes.BadTimeout or StatusCodes.BadConnectionClosed))
            {
                // The server is up but no longer knows the session (restarted, or it timed out): start over.
                await old.DisposeAsync().ConfigureAwait(false);
                _session = null;
            }
        }
        bool hadSession;
        lock (_gate) hadSession = _subscriptions.Any(s => s.SubscriptionId != 0) || _lastSessionExisted;
        _session = await UaSession.ConnectAsync(_options, _stop.Token).ConfigureAwait(false);
        _lastSessionExisted = true;
        return hadSession ? SessionChange.Replaced : SessionChange.New;
    }

    private bool _lastSessionExisted;

    /// <summary>Waits until the channel breaks, reading the server state when nothing else would notice a dead link.</summary>
    private async Task WatchAsync(UaSession session)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(session.RevisedSessionTimeout.TotalMilliseconds / 3, 1000, 10000));
        while (!_stop.IsCancellationRequested)
        {
            var tick = Task.Delay(interval, _options.TimeProvider, _stop.Token);
            var finished = await Task.WhenAny(tick, session.Closed).ConfigureAwait(false);
            if (finished == session.Closed)
            {
                var reason = await session.Closed.ConfigureAwait(false);
                _lastError = reason;
                Raise(UaConnectionState.Reconnecting, "connection lost: " + reason.Message, (reason as UaStatusException)?.Status);
                return;
            }
            if (_stop.IsCancellationRequested) return;
            try
            {
                await session.ReadAsync([new ReadValueId(WellKnownNodes.ServerStatusState)], _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (UaStatusException ex)
            {
                _lastError = ex;
                Raise(UaConnectionState.Reconnecting, "keep-alive failed: " + ex.Message, ex.Status);
                await session.DropChannelAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>Called by a subscription whose publish died in a way that means the link is dead.</summary>
    internal async Task ReportBrokenAsync(UaSession session) => await session.DropChannelAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        List<UaSubscription> subscriptions;
        lock (_gate)
        {
            subscriptions = [.. _subscriptions];
            _ready.TrySetException(new UaStatusException(StatusCodes.BadShutdown, "the connection is closed"));
        }
        foreach (var subscription in subscriptions) subscription.SessionLost();
        if (_session is { } session) await session.CloseAsync().ConfigureAwait(false);
        if (_supervisor is { } supervisor)
        {
            try
            {
                await supervisor.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }
}

public enum SessionChange { New, Resumed, Replaced }
