using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Node-RED's tcp out node: writes msg.payload to a TCP peer it connects to (client), to every connection of a port
/// it listens on (server), or back to the connection a tcp in message came from (reply, by msg._session.id).
/// </summary>
internal sealed class TcpOutNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("tcp out")
    {
        Category = "network",
        Color = "Silver",
        Icon = "bridge-dash.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/tcpin",
        DefaultLabel = "tcp",
        Help = """
            Sends `msg.payload` over TCP. **beserver**: `client` connects to **host**:**port** (reconnecting after
            settings `socketReconnectTime`, 10000 ms, when the peer goes away; messages meanwhile are dropped with a
            warning), `server` listens on **port** and writes to every connected client, `reply` answers the
            connection of the tcp in message (`msg._session`), or every connection of tcp in servers when the
            message has no session. **base64**: decode a base64 string payload before sending. **end**: close the
            connection after each message. A Buffer is sent as-is, other payloads as text (objects as JSON).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("beserver", PropertyKind.Select) { Default = "client", Options = ["client", "server", "reply"] },
            new PropertyDeclaration("host", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("base64", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("end", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { Default = "", ConfigType = "tls-config" },
        ],
    };

    private readonly string _mode;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _base64;
    private readonly bool _end;
    private readonly TimeSpan _reconnect;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _serverConnections = new();
    private TcpListener? _listener;
    private TcpClient? _client;
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;

    public TcpOutNode(NodeSetup setup) : base(setup)
    {
        _mode = Config.GetString("beserver", "client");
        if (_mode is not ("client" or "server" or "reply")) throw Config.Invalid("beserver", $"\"{_mode}\" is not one of client, server, reply");
        _host = Config.GetString("host").Trim();
        _port = Config.GetInt("port", -1);
        if (_mode != "reply" && _port is < 0 or > 65535) throw Config.Invalid("port", "a port number 0-65535 is required");
        if (_mode == "client" && _host.Length == 0) throw Config.Invalid("host", "a host is required in client mode");
        _base64 = Config.GetBool("base64", false);
        _end = Config.GetBool("end", false);
        _reconnect = TimeSpan.FromMilliseconds(Services.Settings.Raw.Get("socketReconnectTime") as double? ?? 10000);
    }

    public int BoundPort => (_listener?.LocalEndpoint as IPEndPoint)?.Port ?? _port;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_mode != "server") return ValueTask.CompletedTask;
        _listener = new TcpListener(IPAddress.IPv6Any, _port);
        _listener.Server.DualMode = true;
        try
        {
            _listener.Start();
        }
        catch (SocketException ex)
        {
            _listener = null;
            SetStatus(NodeStatus.Error("error"));
            ReportError($"Error: listen EADDRINUSE: port {_port}: {ex.Message}");
            return ValueTask.CompletedTask;
        }
        SetStatus(new NodeStatus(Text: "0 connections"));
        _ = AcceptLoopAsync(_listener, _closing.Token);
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _serverConnections[client] = 0;
            PostCount();
            _ = WatchAsync(client, cancellationToken);
        }
    }

    /// <summary>Reads (and drops) what a client sends, to notice when it goes away.</summary>
    private async Task WatchAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (await client.GetStream().ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The peer or the node closed the socket.
        }
        _serverConnections.TryRemove(client, out _);
        client.Dispose();
        if (!cancellationToken.IsCancellationRequested) PostCount();
    }

    private void PostCount()
    {
        var count = _serverConnections.Count;
        Post(() =>
        {
            SetStatus(new NodeStatus(Text: count == 1 ? "1 connection" : $"{count} connections"));
            return ValueTask.CompletedTask;
        });
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        foreach (var client in _serverConnections.Keys) client.Dispose();
        _client?.Dispose();
        _closing.Dispose();
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!msg.ContainsKey("payload")) return;
        var data = TcpText.Bytes(msg.Get("payload"), _base64);
        switch (_mode)
        {
            case "reply":
                await ReplyAsync(msg, data).ConfigureAwait(false);
                break;
            case "server":
                foreach (var client in _serverConnections.Keys)
                {
                    await WriteAsync(client, data).ConfigureAwait(false);
                    if (_end) client.Dispose();
                }
                break;
            default:
                await SendAsClientAsync(data).ConfigureAwait(false);
                break;
        }
    }

    private async Task ReplyAsync(JsObject msg, byte[] data)
    {
        var inputs = Services.Nodes.All().OfType<TcpInNode>().ToList();
        if (msg.Get("_session") is JsObject { } session && session.Get("type") as string == "tcp" && session.Get("id") is string id)
        {
            var client = inputs.Select(n => n.FindSession(id)).FirstOrDefault(c => c is not null);
            if (client is null)
            {
                Warn($"tcp reply: the connection {id} is closed");
                return;
            }
            await WriteAsync(client, data).ConfigureAwait(false);
            if (_end) client.Client.Shutdown(SocketShutdown.Both);
            return;
        }
        Warn("tcp reply: the message has no tcp _session to answer");
    }

    private async Task SendAsClientAsync(byte[] data)
    {
        if (_client is null || !_client.Connected)
        {
            _client?.Dispose();
            _client = null;
            // A peer that is down is retried at most every socketReconnectTime, so a stream of messages cannot hammer it.
            if (Clock.GetUtcNow() < _nextAttempt)
            {
                Warn("tcp out: not connected; message dropped");
                return;
            }
            var client = new TcpClient();
            try
            {
                SetStatus(new NodeStatus("grey", "dot", "connecting"));
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), Clock);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _closing.Token);
                await client.ConnectAsync(_host, _port, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                client.Dispose();
                _nextAttempt = Clock.GetUtcNow() + _reconnect;
                SetStatus(new NodeStatus("red", "ring", "disconnected"));
                throw new IOException($"tcp out: cannot connect to {_host}:{_port}: {ex.Message}", ex);
            }
            _client = client;
            SetStatus(new NodeStatus("green", "dot", "connected"));
        }
        try
        {
            await _client.GetStream().WriteAsync(data, _closing.Token).ConfigureAwait(false);
        }
        catch (IOException)
        {
            _client.Dispose();
            _client = null;
            SetStatus(new NodeStatus("red", "ring", "disconnected"));
            throw;
        }
        if (_end)
        {
            _client.Dispose();
            _client = null;
            SetStatus(NodeStatus.Clear);
        }
    }

    private async Task WriteAsync(TcpClient client, byte[] data)
    {
        try
        {
            await client.GetStream().WriteAsync(data, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Warn($"tcp: write failed: {ex.Message}");
        }
    }
}
