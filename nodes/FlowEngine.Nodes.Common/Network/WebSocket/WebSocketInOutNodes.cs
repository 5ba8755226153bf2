using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>The server/client properties of websocket in and out: which config node the node attaches to.</summary>
internal static class WebSocketNodeConfig
{
    public static readonly PropertyDeclaration[] Properties =
    [
        new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
        new PropertyDeclaration("server", PropertyKind.ConfigReference) { Default = "", ConfigType = "websocket-listener", Label = "Path", Help = "listen on: a websocket-listener node" },
        new PropertyDeclaration("client", PropertyKind.ConfigReference) { Default = "", ConfigType = "websocket-client", Label = "URL", Help = "connect to: a websocket-client node" },
    ];

    /// <summary>
    /// The config node named by client (Node-RED prefers it when both are set) or server, or null with the reason
    /// when neither names a running websocket-listener or websocket-client.
    /// </summary>
    public static WebSocketEndpointNode? Resolve(FlowNode node, out string? problem)
    {
        problem = null;
        var property = node.Config.GetStringOrNull("client") is { Length: > 0 } ? "client" : "server";
        if (node.Config.GetStringOrNull(property) is not { Length: > 0 })
        {
            problem = "Missing server configuration";
            return null;
        }
        try
        {
            var endpoint = node.Setup.ConfigNode<WebSocketEndpointNode>(property);
            if (endpoint is null) problem = "Missing server configuration";
            return endpoint;
        }
        catch (NodeConfigException ex)
        {
            problem = ex.Message;
            return null;
        }
    }
}

/// <summary>What websocket in and out share: attaching to their config node for messages and status.</summary>
internal abstract class WebSocketNode(NodeSetup setup) : FlowNode(setup), IWebSocketNodeUser
{
    private WebSocketEndpointNode? _endpoint;

    /// <summary>The websocket-listener or websocket-client this node is attached to while it runs.</summary>
    protected WebSocketEndpointNode? Endpoint => _endpoint;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _endpoint = WebSocketNodeConfig.Resolve(this, out var problem);
        if (_endpoint is null)
        {
            SetStatus(NodeStatus.Error("no config"));
            ReportError(problem ?? "Missing server configuration");
            return ValueTask.CompletedTask;
        }
        _endpoint.Register(this);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _endpoint?.Deregister(this);
        _endpoint = null;
        return ValueTask.CompletedTask;
    }

    public void OnEndpointStatus(NodeStatus status) => Post(() =>
    {
        SetStatus(status);
        return ValueTask.CompletedTask;
    });
}

/// <summary>Node-RED's websocket in node: every message received on its listener's or client's sessions.</summary>
internal sealed class WebSocketInNode : WebSocketNode, IWebSocketInput
{
    public static readonly NodeDeclaration Declaration = new("websocket in")
    {
        Category = "network",
        Color = "rgb(215, 215, 160)",
        Icon = "white-globe.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/websocket",
        DefaultLabel = "websocket",
        Help = """
            Receives WebSocket messages. Set **server** to a websocket-listener (clients connect to this server) or
            **client** to a websocket-client (this server connects out); client wins when both are set.

            Output: with the config node's wholemsg `false`, `msg.payload` is the received text as a string or the
            binary data as a Buffer; with `true`, a received JSON object becomes the message (other JSON values and
            non-JSON text become `msg.payload`). Every message has `msg._session = {type:"websocket", id}`, which a
            websocket out node on the same config node uses to answer that session alone.

            Status: the number of connected clients (listener) or the connection state (client).
            """,
        Properties = WebSocketNodeConfig.Properties,
    };

    public WebSocketInNode(NodeSetup setup) : base(setup)
    {
    }

    public void Deliver(JsObject message) => Post(() =>
    {
        Send(message);
        return ValueTask.CompletedTask;
    });
}

/// <summary>Node-RED's websocket out node: sends to one session (msg._session) or to every session.</summary>
internal sealed class WebSocketOutNode : WebSocketNode
{
    public static readonly NodeDeclaration Declaration = new("websocket out")
    {
        Category = "network",
        Color = "rgb(215, 215, 160)",
        Icon = "white-globe.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/websocket",
        DefaultLabel = "websocket",
        Help = """
            Sends messages over WebSocket. Set **server** to a websocket-listener or **client** to a websocket-client.

            Input: with `msg._session` of type `websocket` (as a websocket in node sets it) the message goes to that
            session only (nothing is sent when it has closed); without it, to every connected client of the
            listener, or over the client's connection. To broadcast a message that came from a websocket in node,
            delete `msg._session` first.

            With the config node's wholemsg `false` only `msg.payload` is sent: a Buffer as a binary frame, a string
            as text, an object or array as JSON text, other values as text; a message without a payload or with an
            empty string is not sent. With `true` the whole message (without `_session`) is sent as JSON text.

            A client connection that is down when a message arrives is an error (catch nodes see it); the message
            is not queued.
            """,
        Properties = WebSocketNodeConfig.Properties,
    };

    public WebSocketOutNode(NodeSetup setup) : base(setup)
    {
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (Endpoint is not { } endpoint)
        {
            throw new InvalidOperationException("Missing server configuration");
        }
        if (WebSocketMessages.ToFrame(msg, endpoint.WholeMessage) is not { } frame) return ValueTask.CompletedTask;
        var sessionId = WebSocketMessages.SessionId(msg);
        var sent = endpoint.Send(frame.Data, frame.IsText, sessionId);
        if (sent == 0 && endpoint is WebSocketClientNode { IsConnected: false })
        {
            throw new InvalidOperationException("websocket client is not connected: message not sent");
        }
        return ValueTask.CompletedTask;
    }

}
