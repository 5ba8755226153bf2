using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>Node-RED's udp in node: receives datagrams on a port (optionally joining a multicast group).</summary>
internal sealed class UdpInNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("udp in")
    {
        Category = "network",
        Color = "Silver",
        Icon = "bridge-dash.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/udp",
        DefaultLabel = "udp",
        Help = """
            Receives UDP datagrams on **port**. **ipv**: `udp4` or `udp6`. **multicast**: `"true"` joins the
            multicast **group** (on the interface **iface** when given); off by default. **datatype**: `buffer`,
            `utf8` or `base64`. Output: `{payload, fromip:"ip:port", ip, port}`. A port already in use gives an
            error and a red status.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = "", Required = true },
            new PropertyDeclaration("iface", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("ipv", PropertyKind.Select) { Default = "udp4", Options = ["udp4", "udp6"] },
            new PropertyDeclaration("multicast", PropertyKind.Select) { Default = "false", Options = ["false", "true"] },
            new PropertyDeclaration("group", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("datatype", PropertyKind.Select) { Default = "buffer", Options = ["buffer", "utf8", "base64"] },
        ],
    };

    private readonly int _port;
    private readonly bool _ipv6;
    private readonly bool _multicast;
    private readonly IPAddress? _group;
    private readonly string _iface;
    private readonly string _datatype;
    private readonly CancellationTokenSource _closing = new();
    private UdpClient? _socket;
    private Task? _loop;

    public UdpInNode(NodeSetup setup) : base(setup)
    {
        _port = Config.GetInt("port", -1);
        if (_port is < 0 or > 65535) throw Config.Invalid("port", "a port number 0-65535 is required");
        _ipv6 = Config.GetString("ipv", "udp4") == "udp6";
        _multicast = Config.GetBool("multicast", false);
        _iface = Config.GetString("iface").Trim();
        if (_multicast)
        {
            if (!IPAddress.TryParse(Config.GetString("group").Trim(), out var group)) throw Config.Invalid("group", "a multicast group address is required");
            _group = group;
        }
        _datatype = Config.GetString("datatype", "buffer");
        if (_datatype is not ("buffer" or "utf8" or "base64")) throw Config.Invalid("datatype", $"\"{_datatype}\" is not one of buffer, utf8, base64");
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var family = _ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
            var socket = new UdpClient(family);
            socket.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, _multicast);
            socket.Client.Bind(new IPEndPoint(_ipv6 ? IPAddress.IPv6Any : IPAddress.Any, _port));
            if (_group is not null)
            {
                if (IPAddress.TryParse(_iface, out var iface)) socket.JoinMulticastGroup(_group, iface);
                else socket.JoinMulticastGroup(_group);
            }
            _socket = socket;
        }
        catch (SocketException ex)
        {
            SetStatus(NodeStatus.Error("error"));
            ReportError($"udp: cannot listen on port {_port}: {ex.Message}");
            return ValueTask.CompletedTask;
        }
        SetStatus(NodeStatus.Clear);
        _loop = ReceiveLoopAsync(_socket, _closing.Token);
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closing anyway.
            }
        }
        _closing.Dispose();
    }

    private async Task ReceiveLoopAsync(UdpClient socket, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            UdpReceiveResult datagram;
            try
            {
                datagram = await socket.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from an earlier send shows up here on some systems: keep receiving.
                continue;
            }
            var address = datagram.RemoteEndPoint.Address;
            var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
            var msg = new JsObject
            {
                ["payload"] = _datatype switch
                {
                    "utf8" => Encoding.UTF8.GetString(datagram.Buffer),
                    "base64" => Convert.ToBase64String(datagram.Buffer),
                    _ => datagram.Buffer,
                },
                ["fromip"] = $"{ip}:{datagram.RemoteEndPoint.Port}",
                ["ip"] = ip,
                ["port"] = (double)datagram.RemoteEndPoint.Port,
            };
            Post(() =>
            {
                Send(msg);
                return ValueTask.CompletedTask;
            });
        }
    }
}

/// <summary>Node-RED's udp out node: sends msg.payload as a datagram.</summary>
internal sealed class UdpOutNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("udp out")
    {
        Category = "network",
        Color = "Silver",
        Icon = "bridge-dash.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/udp",
        DefaultLabel = "udp",
        Help = """
            Sends `msg.payload` as a UDP datagram to **addr**:**port** (`msg.ip`/`msg.port` when blank).
            **outport**: bind the local port (empty = any). **ipv**: `udp4` or `udp6`. **multicast**: `false`,
            `broad` (broadcast allowed) or `multi` (multicast, on **iface**). **base64**: decode a base64 string
            payload first. A Buffer is sent as-is, other payloads as text (objects as JSON).
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("addr", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("outport", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("iface", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("ipv", PropertyKind.Select) { Default = "udp4", Options = ["udp4", "udp6"] },
            new PropertyDeclaration("multicast", PropertyKind.Select) { Default = "false", Options = ["false", "broad", "multi"] },
            new PropertyDeclaration("base64", PropertyKind.Bool) { Default = false },
        ],
    };

    private readonly string _addr;
    private readonly int? _port;
    private readonly int? _outport;
    private readonly bool _ipv6;
    private readonly string _multicast;
    private readonly bool _base64;
    private UdpClient? _socket;

    public UdpOutNode(NodeSetup setup) : base(setup)
    {
        _addr = Config.GetString("addr").Trim();
        var port = Config.GetNumberOrNull("port");
        if (port is { } p && (p < 1 || p > 65535)) throw Config.Invalid("port", $"{p} is not a port number");
        _port = port is null ? null : (int)port.Value;
        var outport = Config.GetNumberOrNull("outport");
        if (outport is { } o && (o < 0 || o > 65535)) throw Config.Invalid("outport", $"{o} is not a port number");
        _outport = outport is null ? null : (int)outport.Value;
        _ipv6 = Config.GetString("ipv", "udp4") == "udp6";
        _multicast = Config.GetString("multicast", "false");
        if (_multicast is not ("false" or "broad" or "multi")) throw Config.Invalid("multicast", $"\"{_multicast}\" is not one of false, broad, multi");
        _base64 = Config.GetBool("base64", false);
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var socket = new UdpClient(_ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
            socket.Client.Bind(new IPEndPoint(_ipv6 ? IPAddress.IPv6Any : IPAddress.Any, _outport ?? 0));
            if (_multicast == "broad") socket.EnableBroadcast = true;
            _socket = socket;
        }
        catch (SocketException ex)
        {
            SetStatus(NodeStatus.Error("error"));
            ReportError($"udp: cannot bind local port {_outport}: {ex.Message}");
        }
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _socket?.Dispose();
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (_socket is null) throw new InvalidOperationException("udp: the socket is not open");
        var host = _addr.Length > 0 ? _addr : msg.Get("ip") as string ?? "";
        var port = _port ?? (msg.Get("port") is { } mp ? (int)JsValue.ToNumber(mp) : 0);
        if (host.Length == 0 || port <= 0 || port > 65535) throw new InvalidOperationException("udp: ip address or port not set");
        if (!msg.ContainsKey("payload")) return;
        var data = TcpText.Bytes(msg.Get("payload"), _base64);
        try
        {
            await _socket.SendAsync(data, host, port).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"udp: send to {host}:{port} failed: {ex.Message}", ex);
        }
    }
}
