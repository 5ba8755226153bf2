using Microsoft.AspNetCore.SignalR;

namespace FlowEngine.Host.Comms;

/// <summary>
/// The editor's live channel, mapped at &lt;httpAdminRoot&gt;comms. Server → client: "comms" with an array of
/// {topic, data}. Client → server: Subscribe(pattern) replays retained messages. Access (a bearer token with
/// status.read when adminAuth is set) is checked before the connection reaches the hub (Security/AdminAuthMiddleware);
/// the connection is closed when that token expires or is revoked (<see cref="CommsSessionGuard"/>).
/// </summary>
internal sealed class CommsHub(CommsBroadcaster broadcaster, CommsSessionGuard guard) : Hub
{
    public override Task OnConnectedAsync()
    {
        guard.Track(Context);
        broadcaster.Connect(Context.ConnectionId);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        guard.Untrack(Context.ConnectionId);
        broadcaster.Disconnect(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    public void Subscribe(string topicPattern) => broadcaster.Subscribe(Context.ConnectionId, topicPattern);
}
