using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Server;
using FlowEngine.Nodes.Modbus.Protocol.Values;

namespace FlowEngine.Nodes.Modbus;

/// <summary>
/// modbus-server: a Modbus TCP server with its own register banks. Flows write values into it (simulation, or
/// exposing values to a SCADA) and read them back; writes by remote clients come out as messages.
/// </summary>
internal sealed class ModbusServerNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("modbus-server")
    {
        Category = "modbus",
        Color = "#E9967A",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/modbus",
        PaletteLabel = "modbus server",
        DefaultLabel = "modbus server",
        OutputLabels = ["remote writes and reads"],
        Help = """
            A Modbus TCP server (slave) with four tables: coils, discrete inputs, holding registers and input registers.
            Remote clients read all four with FC1–4, write coils and holding registers with FC5, 6, 15, 16 and 23.
            Addresses outside a table get exception 02 (Illegal Data Address).

            **host**: address to listen on. `127.0.0.1` (default) serves this machine only; `0.0.0.0` exposes the
            server to the network, for example to a SCADA.
            **port**: TCP port (Modbus uses 502).
            **unitId**: unit id answered; 0 answers every unit id. Requests for other unit ids get no reply.
            **coils**, **discreteInputs**, **holdingRegisters**, **inputRegisters**: table sizes (0–65536).

            Input: `msg.payload = {area, address, value, type, order, length, scale, offset}` writes a value (or an array
            of values) into any table, encoded like a `modbus-write`. Without `value`, `{area, address, quantity, type}`
            reads and sends the message on with `msg.payload` = the value (or array).

            Output: each write by a remote client sends `msg.topic = "write"`, `msg.payload = {area, address, values}`
            (registers as numbers, coils as booleans) and `msg.modbus = {unitId}`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("host", PropertyKind.String) { Default = "127.0.0.1", Label = "Listen on" },
            new PropertyDeclaration("port", PropertyKind.Number) { Default = 502, Label = "Port", Validate = v => ModbusDeviceNode.Range(v, 0, 65535) },
            new PropertyDeclaration("unitId", PropertyKind.Number) { Default = 0, Label = "Unit id (0 = any)", Validate = v => ModbusDeviceNode.Range(v, 0, 255) },
            new PropertyDeclaration("coils", PropertyKind.Number) { Default = 10000, Label = "Coils", Validate = v => ModbusDeviceNode.Range(v, 0, 65536) },
            new PropertyDeclaration("discreteInputs", PropertyKind.Number) { Default = 10000, Label = "Discrete inputs", Validate = v => ModbusDeviceNode.Range(v, 0, 65536) },
            new PropertyDeclaration("holdingRegisters", PropertyKind.Number) { Default = 10000, Label = "Holding registers", Validate = v => ModbusDeviceNode.Range(v, 0, 65536) },
            new PropertyDeclaration("inputRegisters", PropertyKind.Number) { Default = 10000, Label = "Input registers", Validate = v => ModbusDeviceNode.Range(v, 0, 65536) },
        ],
    };

    private readonly ModbusServerOptions _options;
    private readonly int[] _sizes;
    private ModbusDataBank? _bank;
    private ModbusTcpServer? _server;

    public ModbusServerNode(NodeSetup setup) : base(setup)
    {
        var host = Config.GetString("host", "127.0.0.1").Trim();
        if (!IPAddress.TryParse(host.Length == 0 ? "127.0.0.1" : host, out _)) throw Config.Invalid("host", $"\"{host}\" is not an IP address to listen on");
        var port = Config.GetNumber("port", 502);
        if (port is < 0 or > 65535) throw Config.Invalid("port", $"{port} is not a TCP port");
        var unit = Config.GetNumber("unitId", 0);
        if (unit is < 0 or > 255) throw Config.Invalid("unitId", $"{unit} is not a unit id 0..255");
        _sizes = new int[4];
        string[] names = ["coils", "discreteInputs", "holdingRegisters", "inputRegisters"];
        for (var i = 0; i < 4; i++)
        {
            var size = Config.GetNumber(names[i], 10000);
            if (size is < 0 or > 65536) throw Config.Invalid(names[i], $"{size} is outside 0..65536");
            _sizes[i] = (int)size;
        }
        _options = new ModbusServerOptions
        {
            Host = host.Length == 0 ? "127.0.0.1" : host,
            Port = (int)port,
            UnitIds = unit == 0 ? null : new HashSet<byte> { (byte)unit },
        };
    }

    internal ModbusDataBank? Bank => _bank;
    internal int? LocalPort => _server?.LocalEndPoint.Port;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _bank = new ModbusDataBank(_sizes[0], _sizes[1], _sizes[2], _sizes[3]);
        var server = new ModbusTcpServer(_options, new ModbusDataBankHandler(_bank, OnRemoteWrite));
        try
        {
            server.Start();
        }
        catch (SocketException ex)
        {
            SetStatus(NodeStatus.Error($"cannot listen on {_options.Host}:{_options.Port}"));
            throw new InvalidOperationException($"modbus-server cannot listen on {_options.Host}:{_options.Port}: {ex.Message}", ex);
        }
        _server = server;
        SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"listening on {_options.Host}:{server.LocalEndPoint.Port}")));
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs on a connection's thread: the message is built and sent on this node's mailbox.</summary>
    private void OnRemoteWrite(ModbusBankWrite write)
    {
        Post(() =>
        {
            List<object?> values = write.Registers is { } registers
                ? registers.Select(r => (object?)(double)r).ToList()
                : write.Bits!.Select(b => (object?)b).ToList();
            Send(new JsObject
            {
                ["topic"] = "write",
                ["payload"] = new JsObject
                {
                    ["area"] = ModbusNames.Name(write.Area),
                    ["address"] = (double)write.StartAddress,
                    ["values"] = values,
                },
                ["modbus"] = new JsObject { ["unitId"] = (double)write.UnitId },
            });
            return ValueTask.CompletedTask;
        });
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var bank = _bank ?? throw new InvalidOperationException("modbus-server is not running");
        var message = input.Message;
        if (message.Get("payload") is not JsObject command) throw new ArgumentException("msg.payload must be {area, address, value} to write or {area, address, quantity} to read");
        var spec = new JsObject();
        foreach (var key in new[] { "area", "address", "type", "order", "length", "bit", "scale", "offset" })
        {
            if (command.Get(key) is { } value) spec[key] = value;
        }
        if (!spec.ContainsKey("area")) throw new ArgumentException("msg.payload.area is required: coil, discrete, holding or input");
        if (ModbusNames.TryArea(spec.Get("area") as string, out var area) && ModbusNames.IsBitArea(area)) spec["type"] = "bool";
        ModbusTag tag;
        try
        {
            tag = ModbusTag.Parse(Config, "msg.payload", spec, -1);
        }
        catch (NodeConfigException ex)
        {
            throw new ArgumentException($"{ex.Property}: {ex.Reason}", ex);
        }
        try
        {
            if (command.ContainsKey("value")) Write(bank, tag, command.Get("value"));
            else
            {
                var quantity = command.Get("quantity") is { } q ? (int)JsValue.ToNumber(q) : 1;
                if (quantity < 1) throw new ArgumentException("msg.payload.quantity must be at least 1");
                message["payload"] = Read(bank, tag, quantity);
                Send(message);
            }
        }
        catch (ModbusAddressException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }
        return ValueTask.CompletedTask;
    }

    private static void Write(ModbusDataBank bank, ModbusTag tag, object? value)
    {
        var values = value as List<object?> ?? [value];
        if (ModbusNames.IsBitArea(tag.Area))
        {
            bank.WriteBits(tag.Area, tag.Address, values.Select(ModbusNames.ToBool).ToArray());
            return;
        }
        if (tag.Type == ModbusValueType.Bool && tag.Bit is { } bit)
        {
            // Flows own the bank, so a read-modify-write of one bit is safe here (unlike on a remote device).
            var current = bank.ReadRegisters(tag.Area, tag.Address, 1)[0];
            var set = ModbusNames.ToBool(values[0]);
            bank.WriteRegisters(tag.Area, tag.Address, [(ushort)(set ? current | (1 << bit) : current & ~(1 << bit))]);
            return;
        }
        bank.WriteRegisters(tag.Area, tag.Address, values.SelectMany(tag.Encode).ToArray());
    }

    private static object? Read(ModbusDataBank bank, ModbusTag tag, int quantity)
    {
        var span = tag.Span * quantity;
        if (span > 65536) throw new ArgumentException($"quantity {quantity} is too large");
        ushort[]? registers = null;
        bool[]? bits = null;
        if (ModbusNames.IsBitArea(tag.Area)) bits = bank.ReadBits(tag.Area, tag.Address, span);
        else registers = bank.ReadRegisters(tag.Area, tag.Address, span);
        var values = new List<object?>(quantity);
        for (var i = 0; i < quantity; i++) values.Add((tag with { Address = (ushort)(tag.Address + i * tag.Span) }).Decode(tag.Address, registers, bits));
        return quantity == 1 ? values[0] : values;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_server is { } server) await server.DisposeAsync().ConfigureAwait(false);
        _server = null;
    }
}
