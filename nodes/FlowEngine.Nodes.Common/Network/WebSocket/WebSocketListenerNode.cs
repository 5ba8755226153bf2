using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Node-RED's websocket-listener config node: a WebSocket path served by the host on the http in port, under
/// httpNodeRoot and behind httpNodeAuth. It owns the sessions; websocket in and out nodes attach to it.
/// </summary>
internal sealed class WebSocketListenerNode : WebSocketEndpointNode
{
    public static readonly NodeDeclaration Declaration = new("websocket-listener")
    {
        Category = "config",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/websocket",
        DefaultLabel = "websocket-listener",
        Help = """
            A WebSocket server path, shared by the websocket in and websocket out nodes that use it. It is served on
            the same port as http in, below the `httpNodeRoot` setting (path `/ws/data` with root `/api` is
            `ws://host:port/api/ws/data`), and asks for the same basic credentials as http in when `httpNodeAuth` is
            set. With `httpNodeRoot` false there is no listener.

            **path**: the path, e.g. `/ws/data`. Two listeners cannot share a path. **wholemsg**: `false` sends and
            receives the payload only; `true` sends the whole message as JSON and turns received JSON objects into
            the message. **hb**: seconds between pings to each client; a client that has not answered by the next
            ping is dropped (0 or blank: no pings).

            Each connection is a session; received messages carry `msg._session = {type:"websocket", id}` so a
            websocket out node can answer that client alone. The nodes using the listener show the number of
            connected clients. A deploy that changes the listener closes its sessions (close code 1001); a deploy
            that does not touch it keeps them open. A client that does not read while more than 10000 messages wait
            for it is disconnected (close code 1008) rather than let memory grow; a received message larger than
            100 MiB closes the session (1009).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("path", PropertyKind.String) { Default = "", Required = true, Label = "Path", Help = "Path below httpNodeRoot, e.g. /ws/data" },
            new PropertyDeclaration("wholemsg", PropertyKind.Select) { Default = "false", Options = ["false", "true"], Label = "Send/Receive", Help = "false: payload only; true: entire message as JSON" },
            new PropertyDeclaration("hb", PropertyKind.Number) { Default = "", Label = "Heartbeat", Help = "ping interval in seconds; blank or 0: none" },
        ],
    };

    private readonly string _path;
    private readonly ConcurrentDictionary<string, WebSocketSession> _sessions = new(StringComparer.Ordinal);
    private readonly List<Task> _running = [];
    private readonly Lock _runningGate = new();
    private IDisposable? _route;
    private string? _startError;
    private volatile bool _closing;

    public WebSocketListenerNode(NodeSetup setup) : base(setup)
    {
        var path = Config.GetString("path").Trim();
        if (path.Length == 0) throw Config.Invalid("path", "missing path");
        if (path.Contains("://", StringComparison.Ordinal))
        {
            throw Config.Invalid("path", $"\"{path}\" is a URL; a listener takes a path such as /ws/data (a websocket-client takes a ws:// URL)");
        }
        _path = WebSocketNodeRouteTable.Normalise(path);
    }

    public string Path => _path;

    /// <summary>The number of open sessions.</summary>
    public int SessionCount => _sessions.Count;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (Services.HostServices.GetService(typeof(IWebSocketNodeRouter)) is not IWebSocketNodeRouter router)
        {
            _startError = "no web server";
            Warn("Cannot create websocket listener: httpNodeRoot is set to false or there is no web server");
            return ValueTask.CompletedTask;
        }
        try
        {
            _route = router.Add(_path, new WebSocketNodeEndpoint { KeepAlive = Heartbeat, Accept = AcceptAsync });
        }
        catch (InvalidOperationException ex)
        {
            _startError = "duplicate path";
            ReportError(ex.Message);
            return ValueTask.CompletedTask;
        }
        Log($"websocket listener on path {_path}");
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _closing = true;
        _route?.Dispose();
        _route = null;
        foreach (var session in _sessions.Values) session.RequestClose(WebSocketCloseCodes.GoingAway, "listener closed");
        Task[] running;
        lock (_runningGate) running = [.. _running];
        try
        {
            // Each session waits at most WebSocketSession.CloseTimeout for the client's close frame.
            await Task.WhenAll(running).WaitAsync(WebSocketSession.CloseTimeout * 2, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Warn($"websocket listener {_path}: {running.Count(t => !t.IsCompleted)} session(s) did not close in time");
        }
    }

    public override int Send(ReadOnlyMemory<byte> data, bool isText, string? sessionId)
    {
        if (sessionId is not null)
        {
            return _sessions.TryGetValue(sessionId, out var one) && one.TrySend(data, isText) ? 1 : 0;
        }
        var sent = 0;
        foreach (var session in _sessions.Values)
        {
            if (session.TrySend(data, isText)) sent++;
        }
        return sent;
    }

    protected override NodeStatus CurrentStatus()
    {
        if (_startError is not null) return NodeStatus.Error(_startError);
        var count = _sessions.Count;
        return count > 0
            ? new NodeStatus("green", "dot", string.Create(CultureInfo.InvariantCulture, $"connected {count}"))
            : new NodeStatus("grey", "ring", "connected 0");
    }

    /// <summary>Runs one client's session on the host's request; ends when either side closes it.</summary>
    private async Task AcceptAsync(System.Net.WebSockets.WebSocket socket, WebSocketUpgradeRequest request, CancellationToken stopping)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var session = new WebSocketSession(id, socket, MaxMessageBytes, OutboxCapacity);
        if (_closing)
        {
            // The route was removed while this upgrade was under way.
            session.RequestClose(WebSocketCloseCodes.GoingAway, "listener closed");
        }
        _sessions[id] = session;
        var run = session.RunAsync(incoming =>
        {
            Deliver(incoming, id);
            return ValueTask.CompletedTask;
        }, stopping);
        lock (_runningGate) _running.Add(run);
        LogDebug($"websocket session {id} opened from {request.RemoteAddress}");
        PublishStatus();
        WebSocketEnd end;
        try
        {
            end = await run.ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(id, out _);
            lock (_runningGate) _running.Remove(run);
        }
        LogDebug($"websocket session {id} closed: {(end.Status is { } status ? ((int)status).ToString(CultureInfo.InvariantCulture) + " " : "")}{end.Reason}");
        if (!_closing) PublishStatus();
    }
}
