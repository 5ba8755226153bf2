using System.Globalization;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>A websocket in or out node attached to a websocket-listener or websocket-client config node.</summary>
internal interface IWebSocketNodeUser
{
    string Id { get; }

    /// <summary>Called (from any thread) when the connection count or state changes.</summary>
    void OnEndpointStatus(NodeStatus status);
}

/// <summary>A websocket in node: receives every message of every session of its config node.</summary>
internal interface IWebSocketInput : IWebSocketNodeUser
{
    /// <summary>Called on a session's receive loop; the node hands the message to its own mailbox.</summary>
    void Deliver(JsObject message);
}

/// <summary>
/// What websocket-listener and websocket-client share: the sessions live in the config node, so a deploy that
/// changes only a websocket in or out node keeps the connections; the in/out nodes register to receive messages
/// and to show the status.
/// </summary>
internal abstract class WebSocketEndpointNode : FlowNode
{
    /// <summary>ws's default maxPayload (100 MiB): a bigger message closes the session with 1009.</summary>
    protected const int MaxMessageBytes = 100 * 1024 * 1024;

    /// <summary>Messages that may wait for one slow peer before its session is closed (see WebSocketSession).</summary>
    protected const int OutboxCapacity = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, IWebSocketNodeUser> _users = new(StringComparer.Ordinal);

    protected WebSocketEndpointNode(NodeSetup setup) : base(setup)
    {
        WholeMessage = Config.Get("wholemsg") is true or "true";
        Heartbeat = ParseHeartbeat(Config.Get("hb"));
    }

    /// <summary>wholemsg "true": messages travel as the whole msg in JSON; "false": the payload only.</summary>
    public bool WholeMessage { get; }

    /// <summary>hb: seconds between pings (a missing pong by the next ping drops the connection); null for none.</summary>
    public TimeSpan? Heartbeat { get; }

    public void Register(IWebSocketNodeUser user)
    {
        lock (_gate) _users[user.Id] = user;
        user.OnEndpointStatus(CurrentStatus());
    }

    public void Deregister(IWebSocketNodeUser user)
    {
        lock (_gate)
        {
            if (_users.TryGetValue(user.Id, out var current) && ReferenceEquals(current, user)) _users.Remove(user.Id);
        }
    }

    /// <summary>
    /// Queues a frame for one session (<paramref name="sessionId"/>) or all of them (null). Returns how many
    /// sessions took it; an unknown session id takes none, as in Node-RED.
    /// </summary>
    public abstract int Send(ReadOnlyMemory<byte> data, bool isText, string? sessionId);

    protected abstract NodeStatus CurrentStatus();

    protected void PublishStatus()
    {
        var status = CurrentStatus();
        foreach (var user in Users()) user.OnEndpointStatus(status);
    }

    /// <summary>A received message goes to every websocket in node; each gets its own copy.</summary>
    protected void Deliver(WebSocketIncoming incoming, string sessionId)
    {
        var first = true;
        var message = WebSocketMessages.ToMessage(incoming, WholeMessage, sessionId);
        foreach (var user in Users())
        {
            if (user is not IWebSocketInput input) continue;
            input.Deliver(first ? message : (JsObject)JsValue.DeepClone(message)!);
            first = false;
        }
    }

    private IWebSocketNodeUser[] Users()
    {
        lock (_gate) return [.. _users.Values];
    }

    private TimeSpan? ParseHeartbeat(object? value)
    {
        var seconds = value switch
        {
            double d => d,
            string s when s.Trim().Length == 0 => 0,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            null => 0,
            _ => throw Config.Invalid("hb", $"expected a number of seconds, got \"{JsValue.ToJsString(value)}\""),
        };
        if (double.IsNaN(seconds) || seconds < 0) throw Config.Invalid("hb", $"expected a number of seconds, got \"{JsValue.ToJsString(value)}\"");
        // Node-RED takes parseInt of the setting: fractions of a second are dropped, 0 switches the heartbeat off.
        var whole = Math.Floor(seconds);
        return whole > 0 ? TimeSpan.FromSeconds(whole) : null;
    }
}

/// <summary>Between messages and WebSocket frames, as Node-RED's websocket nodes do it.</summary>
internal static class WebSocketMessages
{
    /// <summary>
    /// A received frame as a message. Payload only: text becomes a string payload, binary a Buffer. Whole message:
    /// a JSON object is the message itself; other JSON values and text that is not JSON become the payload.
    /// Either way msg._session = {type:"websocket", id}.
    /// </summary>
    public static JsObject ToMessage(WebSocketIncoming incoming, bool wholeMessage, string sessionId)
    {
        JsObject message;
        if (wholeMessage && TryParseJson(incoming.Data, out var parsed))
        {
            message = parsed as JsObject ?? new JsObject { ["payload"] = parsed };
        }
        else
        {
            message = new JsObject { ["payload"] = incoming.IsText ? Encoding.UTF8.GetString(incoming.Data) : incoming.Data };
        }
        message["_session"] = new JsObject { ["type"] = "websocket", ["id"] = sessionId };
        return message;
    }

    /// <summary>
    /// The frame to send for a message, or null when there is nothing to send (no payload, or an empty string, which
    /// Node-RED skips). Whole message: the msg without _session as JSON text. Payload only: a Buffer goes binary,
    /// a string as is, an object or array as JSON, anything else as its JavaScript string.
    /// </summary>
    public static (byte[] Data, bool IsText)? ToFrame(JsObject message, bool wholeMessage)
    {
        if (wholeMessage)
        {
            var copy = new JsObject(message.Count);
            foreach (var (key, value) in message)
            {
                if (key != "_session") copy[key] = value;
            }
            return (JsJson.SerializeToUtf8(copy), true);
        }
        if (!message.TryGetValue("payload", out var payload)) return null;
        return payload switch
        {
            byte[] bytes => (bytes, false),
            "" => null,
            string text => (Encoding.UTF8.GetBytes(text), true),
            JsObject or List<object?> or null => (JsJson.SerializeToUtf8(payload), true),
            _ => (Encoding.UTF8.GetBytes(JsValue.ToJsString(payload)), true),
        };
    }

    /// <summary>The session id a message addresses: msg._session of type "websocket", else null (broadcast).</summary>
    public static string? SessionId(JsObject message) =>
        message.Get("_session") is JsObject session && session.Get("type") as string == "websocket" && session.Get("id") is { } id
            ? JsValue.ToJsString(id)
            : null;

    private static bool TryParseJson(byte[] data, out object? value)
    {
        try
        {
            value = JsJson.Parse(data);
            return true;
        }
        catch (JsJsonException)
        {
            value = null;
            return false;
        }
    }
}
