using System.Collections.Concurrent;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.SignalR;

namespace FlowEngine.Host.Comms;

/// <summary>
/// Closes live connections whose bearer token stops working: at the token's expiry time and at once when it is
/// revoked. Without it a connection opened with a token would keep receiving debug and status output forever,
/// because a websocket is authenticated only when it opens. Does nothing when adminAuth is not set.
/// </summary>
internal sealed class CommsSessionGuard : IDisposable
{
    private readonly AdminAuthService? _auth;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, Tracked> _connections = new(StringComparer.Ordinal);

    public CommsSessionGuard(AdminAuthService? auth, TimeProvider clock)
    {
        _auth = auth;
        _clock = clock;
        if (_auth is not null) _auth.TokenRevoked += CloseConnectionsOf;
    }

    /// <summary>Watches a hub connection opened with the token of the request that upgraded it.</summary>
    public void Track(HubCallerContext connection)
    {
        if (_auth is null || connection.GetHttpContext()?.Items[AuthUser.ItemKey] is not AuthUser { Token: { } token }) return;
        var expiry = _auth.TokenExpiry(token);
        if (expiry is null)
        {
            connection.Abort();
            return;
        }
        var due = expiry.Value - _clock.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        var timer = _clock.CreateTimer(_ => Close(connection.ConnectionId), null, due, Timeout.InfiniteTimeSpan);
        _connections[connection.ConnectionId] = new Tracked(connection, token, timer);
    }

    public void Untrack(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var tracked)) tracked.Timer.Dispose();
    }

    private void CloseConnectionsOf(string token)
    {
        foreach (var (id, tracked) in _connections)
        {
            if (tracked.Token == token) Close(id);
        }
    }

    private void Close(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var tracked)) return;
        tracked.Timer.Dispose();
        tracked.Connection.Abort();
    }

    public void Dispose()
    {
        if (_auth is not null) _auth.TokenRevoked -= CloseConnectionsOf;
        foreach (var id in _connections.Keys) Untrack(id);
    }

    private sealed record Tracked(HubCallerContext Connection, string Token, ITimer Timer);
}
