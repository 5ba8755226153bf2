using Microsoft.AspNetCore.SignalR;

namespace FlowEngine.Host.Comms;

/// <summary>
/// The editor's live channel, mapped at &lt;httpAdminRoot&gt;comms. Server → client: "comms" with an array of
/// {topic, data}. Client → server: Subscribe(pattern) replays retained messages. Access (a bearer token with
/// status.read when adminAuth is set) is checked before the connection reaches the hub (Security/AdminAuthMiddleware).
/// </summary>
internal sealed class CommsHub(CommsBroadcaster broadcaster) : Hub
{
    public override Task OnConnectedAsync()
    {
        broadcaster.Connect(Context.ConnectionId);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        broadcaster.Disconnect(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    public void Subscribe(string topicPattern) => broadcaster.Subscribe(Context.ConnectionId, topicPattern);
}
