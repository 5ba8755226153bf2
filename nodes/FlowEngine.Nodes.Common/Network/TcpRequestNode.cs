using System.Net.Sockets;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Node-RED's tcp request node: sends msg.payload to a TCP server and sends on what comes back, ending the reply
/// after a time, a character, a byte count, at once, or never (stay connected).
/// </summary>
/// <remarks>
/// Messages are handled one at a time per node: each request waits for its reply before the next is written, which
/// keeps replies matched to requests on one connection (Node-RED queues them the same way).
/// </remarks>
internal sealed class TcpRequestNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("tcp request")
    {
        Category = "network",
        Color = "Silver",
        Icon = "bridge-dash.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/tcpin",
        DefaultLabel = "tcp:",
        Help = """
            Sends `msg.payload` to **server**:**port** (`msg.host`/`msg.port` when blank) and returns the reply in
            `msg.payload`.

            **out**: `time` return what arrived within **splitc** ms (default 0 = until the server closes), `char`
            return when the character **splitc** arrives (included), `count` return after **splitc** bytes, `sit`
            stay connected and send every chunk that arrives, `immed` send and return at once with no reply.
            **ret**: `buffer` or `string`. **newline**/**trim**: with `sit` and `string`, split on the delimiter
            (trim removes it). A connection that fails or a peer that closes gives an error to catch nodes and a red
            status; the next message connects again. The connection times out after settings `socketTimeout` ms
            (default 120000) without a reply.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("server", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("out", PropertyKind.Select) { Default = "time", Options = ["time", "char", "count", "sit", "immed"] },
            new PropertyDeclaration("ret", PropertyKind.Select) { Default = "buffer", Options = ["buffer", "string"] },
            new PropertyDeclaration("splitc", PropertyKind.String) { Default = "0" },
            new PropertyDeclaration("newline", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("trim", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { Default = "", ConfigType = "tls-config" },
        ],
    };

    private readonly string _server;
    private readonly int? _port;
    private readonly string _out;
    private readonly bool _asString;
    private readonly string _splitc;
    private readonly string _newline;
    private readonly bool _trim;
    private readonly TimeSpan _socketTimeout;
    private readonly CancellationTokenSource _closing = new();
    private TcpClient? _stay;
    private string? _stayKey;

    public TcpRequestNode(NodeSetup setup) : base(setup)
    {
        _server = Config.GetString("server").Trim();
        var port = Config.GetNumberOrNull("port");
        if (port is { } p && (p < 1 || p > 65535)) throw Config.Invalid("port", $"{p} is not a port number");
        _port = port is null ? null : (int)port.Value;
        _out = Config.GetString("out", "time");
        if (_out is not ("time" or "char" or "count" or "sit" or "immed")) throw Config.Invalid("out", $"\"{_out}\" is not one of time, char, count, sit, immed");
        _asString = Config.GetString("ret", "buffer") == "string";
        _splitc = TcpText.Unescape(Config.GetString("splitc", "0"));
        if (_out == "count" && (!int.TryParse(_splitc, out var count) || count < 1)) throw Config.Invalid("splitc", "the byte count must be a positive number");
        if (_out == "time" && _splitc.Length > 0 && !double.TryParse(_splitc, System.Globalization.CultureInfo.InvariantCulture, out _)) throw Config.Invalid("splitc", "the time must be a number of milliseconds");
        if (_out == "char" && _splitc.Length == 0) throw Config.Invalid("splitc", "a character is required");
        _newline = TcpText.Unescape(Config.GetString("newline"));
        _trim = Config.GetBool("trim", false);
        _socketTimeout = TimeSpan.FromMilliseconds(Services.Settings.Raw.Get("socketTimeout") as double? ?? 120000);
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _stay?.Dispose();
        _closing.Dispose();
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var host = _server.Length > 0 ? _server : msg.Get("host") as string ?? "";
        var port = _port ?? (msg.Get("port") is { } mp ? (int)JsValue.ToNumber(mp) : 0);
        if (host.Length == 0 || port <= 0) throw new InvalidOperationException("Given port is not valid, or no host specified");
        var data = TcpText.Bytes(msg.Get("payload"), false);

        if (_out == "sit")
        {
            await SitAsync(msg, host, port, data).ConfigureAwait(false);
            return;
        }

        SetStatus(new NodeStatus("grey", "dot", "connecting"));
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(_socketTimeout, Clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _closing.Token);
        try
        {
            await client.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            SetStatus(new NodeStatus("green", "dot", "connected"));
            var stream = client.GetStream();
            await stream.WriteAsync(data, linked.Token).ConfigureAwait(false);
            if (_out == "immed")
            {
                msg["payload"] = _asString ? "" : Array.Empty<byte>();
                Send(msg);
                SetStatus(NodeStatus.Clear);
                return;
            }
            var reply = await ReadReplyAsync(stream, linked.Token).ConfigureAwait(false);
            msg["payload"] = _asString ? Encoding.UTF8.GetString(reply) : reply;
            Send(msg);
            SetStatus(NodeStatus.Clear);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            if (_closing.IsCancellationRequested) return;
            SetStatus(new NodeStatus("red", "ring", ex is OperationCanceledException ? "timeout" : "error"));
            throw new IOException(ex is OperationCanceledException ? $"tcp request to {host}:{port} timed out" : $"tcp request to {host}:{port} failed: {ex.Message}", ex);
        }
    }

    private async Task<byte[]> ReadReplyAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[65536];
        var terminator = _out == "char" ? Encoding.UTF8.GetBytes(_splitc)[0] : (byte)0;
        var count = _out == "count" ? int.Parse(_splitc, System.Globalization.CultureInfo.InvariantCulture) : 0;
        CancellationTokenSource? window = null;
        CancellationTokenSource? windowTimer = null;
        if (_out == "time" && double.TryParse(_splitc, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            // "time" ends the reply a fixed time after the request, with whatever has arrived by then.
            windowTimer = new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), Clock);
            window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, windowTimer.Token);
        }
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer, window?.Token ?? cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (window is not null && window.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    return received.ToArray();
                }
                if (read == 0) return received.ToArray();
                for (var i = 0; i < read; i++)
                {
                    received.WriteByte(buffer[i]);
                    if (_out == "char" && buffer[i] == terminator) return received.ToArray();
                    if (_out == "count" && received.Length >= count) return received.ToArray();
                }
            }
        }
        finally
        {
            window?.Dispose();
            windowTimer?.Dispose();
        }
    }

    /// <summary>Stay connected: the reply is every chunk (or line) that arrives, sent as its own message.</summary>
    private async Task SitAsync(JsObject msg, string host, int port, byte[] data)
    {
        var key = $"{host}:{port}";
        if (_stay is null || !_stay.Connected || _stayKey != key)
        {
            _stay?.Dispose();
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(host, port, _closing.Token).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                client.Dispose();
                _stay = null;
                SetStatus(new NodeStatus("red", "ring", "error"));
                throw new IOException($"tcp request to {key} failed: {ex.Message}", ex);
            }
            _stay = client;
            _stayKey = key;
            SetStatus(new NodeStatus("green", "dot", "connected"));
            var template = (JsObject)JsValue.DeepClone(msg)!;
            _ = ListenAsync(client, template, _closing.Token);
        }
        await _stay.GetStream().WriteAsync(data, _closing.Token).ConfigureAwait(false);
    }

    private async Task ListenAsync(TcpClient client, JsObject template, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        var pending = new StringBuilder();
        try
        {
            while (true)
            {
                var read = await client.GetStream().ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                var chunk = buffer[..read];
                if (_asString && _newline.Length > 0)
                {
                    pending.Append(Encoding.UTF8.GetString(chunk));
                    var parts = pending.ToString().Split(_newline);
                    for (var i = 0; i < parts.Length - 1; i++) Emit(template, _trim ? parts[i] : parts[i] + _newline);
                    pending.Clear().Append(parts[^1]);
                }
                else
                {
                    Emit(template, _asString ? Encoding.UTF8.GetString(chunk) : chunk);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Closed by the peer or by the node.
        }
        if (!cancellationToken.IsCancellationRequested)
        {
            Post(() =>
            {
                SetStatus(new NodeStatus("red", "ring", "disconnected"));
                return ValueTask.CompletedTask;
            });
        }
    }

    private void Emit(JsObject template, object payload)
    {
        var msg = (JsObject)JsValue.DeepClone(template)!;
        msg.Remove("_msgid");
        msg["payload"] = payload;
        Post(() =>
        {
            Send(msg);
            return ValueTask.CompletedTask;
        });
    }
}
