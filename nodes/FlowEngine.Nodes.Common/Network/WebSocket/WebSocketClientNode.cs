using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Node-RED's websocket-client config node: one connection to a ws:// or wss:// URL, shared by the websocket in
/// and out nodes that use it, kept up with reconnects (backoff) for as long as the node runs.
/// </summary>
internal sealed class WebSocketClientNode : WebSocketEndpointNode
{
    public static readonly NodeDeclaration Declaration = new("websocket-client")
    {
        Category = "config",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/websocket",
        DefaultLabel = "websocket-client",
        Help = """
            A connection to a WebSocket server, shared by the websocket in and websocket out nodes that use it.

            **path**: the server URL, `ws://host:port/path` or `wss://...`. **tls**: a tls-config node for `wss://`;
            its `verifyservercert` decides whether the server certificate is checked (without one it is checked
            against the system trust store). **wholemsg**: `false` sends and receives the payload only; `true` the
            whole message as JSON. **hb**: seconds between pings; no pong by the next ping drops the connection
            (0 or blank: none). **subprotocol**: comma-separated subprotocols to ask for. **headers**: extra headers
            for the upgrade request, a list of `{keyType, keyValue, valueType, valueValue}` (keyType `other` takes
            the name from keyValue, otherwise keyType is the name; valueType `other` is the literal valueValue,
            `env` an environment variable) or an object of name to value.

            The connection opens when the node starts. After a failure or a drop it is tried again after 1 s, then
            twice as long each time up to 15 s; a connection that works resets the delay. The nodes using it show
            *connecting* (yellow ring), *connected* (green dot) or *disconnected* with the reason (red ring).
            Messages sent while disconnected are not queued: the websocket out node reports an error for each.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("path", PropertyKind.String) { Default = "", Required = true, Label = "URL", Help = "ws://host:port/path or wss://..." },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { Default = "", ConfigType = "tls-config", Label = "TLS Configuration" },
            new PropertyDeclaration("wholemsg", PropertyKind.Select) { Default = "false", Options = ["false", "true"], Label = "Send/Receive", Help = "false: payload only; true: entire message as JSON" },
            new PropertyDeclaration("hb", PropertyKind.Number) { Default = "", Label = "Heartbeat", Help = "ping interval in seconds; blank or 0: none" },
            new PropertyDeclaration("subprotocol", PropertyKind.String) { Default = "", Label = "Subprotocol", Help = "comma-separated list" },
            new PropertyDeclaration("headers", PropertyKind.Any) { Default = new List<object?>(), Help = "extra upgrade request headers" },
        ],
    };

    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(15);
    /// <summary>Node-RED's inboundWebSocketTimeout applies to the handshake; a connect attempt gets as long.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly Uri _url;
    private readonly IReadOnlyList<string> _subprotocols;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _headers;
    private readonly CancellationTokenSource _stopping = new();
    private volatile WebSocketSession? _session;
    private volatile NodeStatus _status = new("yellow", "ring", "connecting");
    private bool _verifyServerCertificate = true;
    private Task? _loop;

    public WebSocketClientNode(NodeSetup setup) : base(setup)
    {
        var path = Config.GetString("path").Trim();
        if (path.Length == 0) throw Config.Invalid("path", "missing URL");
        if (!Uri.TryCreate(path, UriKind.Absolute, out var url) || url.Scheme is not ("ws" or "wss"))
        {
            throw Config.Invalid("path", $"\"{path}\" is not a ws:// or wss:// URL");
        }
        _url = url;
        _subprotocols = Config.GetString("subprotocol").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _headers = ParseHeaders(Config.Get("headers"));
    }

    /// <summary>Whether the connection is open now.</summary>
    public bool IsConnected => _session?.IsOpen == true;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (Config.GetStringOrNull("tls") is { Length: > 0 })
        {
            // The tls-config node belongs to another family; its verifyservercert flag is what this client needs.
            _verifyServerCertificate = Setup.ConfigNode<FlowNode>("tls")?.Config.GetBool("verifyservercert", true) ?? true;
        }
        _loop = ConnectLoopAsync(_stopping.Token);
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(WebSocketSession.CloseTimeout * 2, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                Warn($"websocket client {_url}: the connection did not close in time");
            }
        }
        _stopping.Dispose();
    }

    public override int Send(ReadOnlyMemory<byte> data, bool isText, string? sessionId)
    {
        // One connection: a reply to a session of this client and a broadcast both go over it.
        var session = _session;
        if (session is null) return 0;
        if (sessionId is not null && sessionId != session.Id) return 0;
        return session.TrySend(data, isText) ? 1 : 0;
    }

    protected override NodeStatus CurrentStatus() => _status;

    private void SetConnectionStatus(NodeStatus status)
    {
        _status = status;
        PublishStatus();
    }

    private async Task ConnectLoopAsync(CancellationToken stopping)
    {
        var delay = FirstRetry;
        while (!stopping.IsCancellationRequested)
        {
            SetConnectionStatus(new NodeStatus("yellow", "ring", "connecting"));
            string reason;
            var socket = CreateSocket();
            try
            {
                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    attempt.CancelAfter(ConnectTimeout);
                    await socket.ConnectAsync(_url, attempt.Token).ConfigureAwait(false);
                }
                var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                var session = new WebSocketSession(id, socket, MaxMessageBytes, OutboxCapacity);
                _session = session;
                delay = FirstRetry;
                Log($"connected to {_url}");
                SetConnectionStatus(new NodeStatus("green", "dot", "connected"));
                var end = await session.RunAsync(incoming =>
                {
                    Deliver(incoming, id);
                    return ValueTask.CompletedTask;
                }, stopping).ConfigureAwait(false);
                _session = null;
                reason = end.Status is { } status ? $"closed {(int)status}{(end.Reason.Length > 0 ? " " + end.Reason : "")}" : end.Reason;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException)
            {
                socket.Dispose();
                if (stopping.IsCancellationRequested) break;
                reason = ex is OperationCanceledException ? "connect timed out" : Innermost(ex).Message;
            }
            if (stopping.IsCancellationRequested) break;
            Warn($"websocket client {_url}: {reason}; retrying in {delay.TotalSeconds:0.#} s");
            SetConnectionStatus(new NodeStatus("red", "ring", "disconnected: " + reason));
            try
            {
                await Task.Delay(delay, Clock, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
        }
        _session = null;
        _status = new NodeStatus("red", "ring", "disconnected");
    }

    private ClientWebSocket CreateSocket()
    {
        var socket = new ClientWebSocket();
        foreach (var protocol in _subprotocols) socket.Options.AddSubProtocol(protocol);
        foreach (var (name, value) in _headers) socket.Options.SetRequestHeader(name, value);
        if (Heartbeat is { } heartbeat)
        {
            socket.Options.KeepAliveInterval = heartbeat;
            // A ping without a pong by the next ping drops the connection, as Node-RED's heartbeat does.
            socket.Options.KeepAliveTimeout = heartbeat;
        }
        if (!_verifyServerCertificate)
        {
            socket.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else
        {
            socket.Options.RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None;
        }
        return socket;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }

    private List<KeyValuePair<string, string>> ParseHeaders(object? value)
    {
        var headers = new List<KeyValuePair<string, string>>();
        switch (value)
        {
            case null or "":
                break;
            case JsObject obj:
                foreach (var (name, item) in obj) headers.Add(new(name, JsValue.ToJsString(item)));
                break;
            case List<object?> list:
                foreach (var entry in list)
                {
                    if (entry is not JsObject header) throw Config.Invalid("headers", "each header must be an object {keyType, keyValue, valueType, valueValue}");
                    var keyType = header.Get("keyType") as string ?? "other";
                    var name = keyType == "other" ? header.Get("keyValue") as string ?? "" : keyType;
                    var valueType = header.Get("valueType") as string ?? "other";
                    var raw = header.Get("valueValue") is { } v ? JsValue.ToJsString(v) : "";
                    var text = valueType switch
                    {
                        "env" => GetEnv(raw) is { } env ? JsValue.ToJsString(env) : "",
                        "other" or "str" => raw,
                        // Node-RED's editor offers well-known values (e.g. application/json) as their own type.
                        _ => valueType,
                    };
                    if (name.Trim().Length == 0) throw Config.Invalid("headers", "a header has no name");
                    headers.Add(new(name.Trim(), text));
                }
                break;
            default:
                throw Config.Invalid("headers", $"expected a list of headers, got \"{JsValue.ToJsString(value)}\"");
        }
        return headers;
    }
}
