using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Node-RED's tcp in node: listens on a port (server) or connects to one (client) and turns received data into
/// messages. Each connection has a session id that a tcp out node in reply mode uses to answer.
/// </summary>
internal sealed class TcpInNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("tcp in")
    {
        Category = "network",
        Color = "Silver",
        Icon = "bridge-dash.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/tcpin",
        DefaultLabel = "tcp",
        Help = """
            Receives TCP data. **server**: `server` listens on **port** (all interfaces), `client` connects to
            **host**:**port** and reconnects every settings `socketReconnectTime` ms (10000) when the peer goes away.

            **datamode**: `stream` a message per received chunk (or per line, see newline), `single` one message with
            everything received when the connection closes. **datatype**: `buffer`, `utf8` or `base64`.
            **newline**: with `stream` and `utf8`, split the text on this delimiter (escapes like `\n` allowed) and
            send one message per part; **trim** re-attaches the delimiter to each part. **topic**: set on each message.

            Output: `{topic, payload, ip, port, _session:{type:"tcp", id}}`. The status shows the connection count
            (server) or connected/disconnected (client).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("server", PropertyKind.Select) { Default = "server", Options = ["server", "client"] },
            new PropertyDeclaration("host", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = "", Required = true },
            new PropertyDeclaration("datamode", PropertyKind.Select) { Default = "stream", Options = ["stream", "single"] },
            new PropertyDeclaration("datatype", PropertyKind.Select) { Default = "buffer", Options = ["buffer", "utf8", "base64"] },
            new PropertyDeclaration("newline", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("trim", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("base64", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { Default = "", ConfigType = "tls-config" },
        ],
    };

    private readonly bool _isServer;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _single;
    private readonly string _datatype;
    private readonly string _newline;
    private readonly string _topic;
    private readonly bool _trim;
    private readonly TimeSpan _reconnect;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<string, TcpClient> _connections = new();
    private TcpListener? _listener;
    private Task? _loop;

    public TcpInNode(NodeSetup setup) : base(setup)
    {
        _isServer = Config.GetString("server", "server") != "client";
        _host = Config.GetString("host").Trim();
        _port = Config.GetInt("port", -1);
        if (_port is < 0 or > 65535) throw Config.Invalid("port", "a port number 0-65535 is required");
        if (!_isServer && _host.Length == 0) throw Config.Invalid("host", "a host is required in client mode");
        _single = Config.GetString("datamode", "stream") == "single";
        _datatype = Config.GetString("datatype", "buffer");
        if (_datatype is not ("buffer" or "utf8" or "base64")) throw Config.Invalid("datatype", $"\"{_datatype}\" is not one of buffer, utf8, base64");
        _newline = TcpText.Unescape(Config.GetString("newline"));
        _topic = Config.GetString("topic");
        _trim = Config.GetBool("trim", false);
        _reconnect = TimeSpan.FromMilliseconds(Services.Settings.Raw.Get("socketReconnectTime") as double? ?? 10000);
    }

    /// <summary>The port the server actually listens on (differs from the setting when it was 0).</summary>
    public int BoundPort => (_listener?.LocalEndpoint as IPEndPoint)?.Port ?? _port;

    /// <summary>A connection of this node by session id, for tcp out in reply mode.</summary>
    public TcpClient? FindSession(string id) => _connections.TryGetValue(id, out var client) ? client : null;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_isServer)
        {
            _listener = new TcpListener(IPAddress.IPv6Any, _port);
            _listener.Server.DualMode = true;
            try
            {
                _listener.Start();
            }
            catch (SocketException ex)
            {
                SetStatus(NodeStatus.Error("error"));
                ReportError($"Error: listen EADDRINUSE: port {_port}: {ex.Message}");
                _listener = null;
                return ValueTask.CompletedTask;
            }
            Log($"listening on port {BoundPort}");
            SetStatus(new NodeStatus(Text: "0 connections"));
            _loop = AcceptLoopAsync(_listener, _closing.Token);
        }
        else
        {
            _loop = ClientLoopAsync(_closing.Token);
        }
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        foreach (var client in _connections.Values) client.Dispose();
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closing: the loops end on their own once the sockets are gone.
            }
        }
        _closing.Dispose();
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
            _ = ServeAsync(client, cancellationToken);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N")[..16];
        _connections[id] = client;
        PostStatus();
        try
        {
            await ReadAsync(client, id, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(id, out _);
            client.Dispose();
            if (!cancellationToken.IsCancellationRequested) PostStatus();
        }
    }

    private void PostStatus()
    {
        var count = _connections.Count;
        Post(() =>
        {
            SetStatus(new NodeStatus(Text: count == 1 ? "1 connection" : $"{count} connections"));
            return ValueTask.CompletedTask;
        });
    }

    private async Task ClientLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var client = new TcpClient();
            var id = Guid.NewGuid().ToString("N")[..16];
            try
            {
                PostStatusText(new NodeStatus("grey", "dot", "connecting"));
                await client.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
                _connections[id] = client;
                PostStatusText(new NodeStatus("green", "dot", "connected"));
                await ReadAsync(client, id, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                PostStatusText(new NodeStatus("red", "ring", "disconnected"));
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                _connections.TryRemove(id, out _);
                client.Dispose();
            }
            if (cancellationToken.IsCancellationRequested) return;
            PostStatusText(new NodeStatus("red", "ring", "disconnected"));
            try
            {
                await Task.Delay(_reconnect, Clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void PostStatusText(NodeStatus status) => Post(() =>
    {
        SetStatus(status);
        return ValueTask.CompletedTask;
    });

    private async Task ReadAsync(TcpClient client, string id, CancellationToken cancellationToken)
    {
        var remote = client.Client.RemoteEndPoint as IPEndPoint;
        var ip = remote?.Address.IsIPv4MappedToIPv6 == true ? remote.Address.MapToIPv4().ToString() : remote?.Address.ToString() ?? "";
        var port = (double)(remote?.Port ?? 0);
        var stream = client.GetStream();
        var buffer = new byte[65536];
        var whole = new MemoryStream();
        var pendingText = new StringBuilder();
        var decoder = Encoding.UTF8.GetDecoder();
        var splitLines = !_single && _datatype == "utf8" && _newline.Length > 0;
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                read = 0;
            }
            if (read == 0) break;
            if (_single)
            {
                whole.Write(buffer, 0, read);
                continue;
            }
            if (splitLines)
            {
                var chars = new char[decoder.GetCharCount(buffer, 0, read)];
                decoder.GetChars(buffer, 0, read, chars, 0);
                pendingText.Append(chars);
                var text = pendingText.ToString();
                var parts = text.Split(_newline);
                for (var i = 0; i < parts.Length - 1; i++)
                {
                    Emit(_trim ? parts[i] + _newline : parts[i], ip, port, id);
                }
                pendingText.Clear().Append(parts[^1]);
                continue;
            }
            Emit(Convert(buffer[..read]), ip, port, id);
        }
        if (_single && whole.Length > 0) Emit(Convert(whole.ToArray()), ip, port, id);
        // A last line without a delimiter is still data (Node-RED sends it when the socket ends).
        if (splitLines && pendingText.Length > 0) Emit(pendingText.ToString(), ip, port, id);
    }

    private object Convert(byte[] data) => _datatype switch
    {
        "utf8" => Encoding.UTF8.GetString(data),
        "base64" => System.Convert.ToBase64String(data),
        _ => data,
    };

    private void Emit(object payload, string ip, double port, string id)
    {
        var msg = new JsObject
        {
            ["topic"] = _topic,
            ["payload"] = payload,
            ["ip"] = ip,
            ["port"] = port,
            ["_session"] = new JsObject { ["type"] = "tcp", ["id"] = id },
        };
        Post(() =>
        {
            Send(msg);
            return ValueTask.CompletedTask;
        });
    }
}

/// <summary>Text helpers shared by the tcp nodes.</summary>
internal static class TcpText
{
    /// <summary>The editor stores delimiters typed as "\n", "\r\n", "\t" with the backslash: make them characters.</summary>
    public static string Unescape(string text) =>
        text.Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal)
            .Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\0", "\0", StringComparison.Ordinal);

    /// <summary>What a tcp node writes for a payload: a Buffer as-is, base64 text decoded when asked, else the text.</summary>
    public static byte[] Bytes(object? payload, bool decodeBase64)
    {
        if (payload is byte[] bytes) return bytes;
        var text = payload switch
        {
            null => "",
            string s => s,
            JsObject or List<object?> => JsJson.Serialize(payload),
            _ => JsValue.ToJsString(payload),
        };
        if (decodeBase64)
        {
            try
            {
                return System.Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
                return Encoding.UTF8.GetBytes(text);
            }
        }
        return Encoding.UTF8.GetBytes(text);
    }
}
