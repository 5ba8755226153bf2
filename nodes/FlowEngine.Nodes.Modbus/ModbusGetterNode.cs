using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus;

/// <summary>modbus-getter: reads on demand, once per incoming message.</summary>
internal sealed class ModbusGetterNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("modbus-getter")
    {
        Category = "modbus",
        Color = "#E9967A",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/modbus",
        PaletteLabel = "modbus getter",
        DefaultLabel = "modbus getter",
        Help = """
            Reads from a Modbus device when a message arrives, and sends the message on with the value.

            **device**: the `modbus-device`.
            **area**: `coil` (FC1), `discrete` (FC2), `holding` (FC3) or `input` (FC4).
            **address**: first 0-based address.
            **quantity**: how many values of **dataType** to read; 1 gives a single value, more give an array.
            **dataType** (a tag's `type`; named so because `type` is the node's own type in flow JSON), **order**,
            **length**, **bit**, **scale**, **offset**: as for a tag of `modbus-read`.

            `msg.payload` may be an object that overrides any of `{area, address, quantity, type, order, length, unitId}`
            for this one read.

            Output: `msg.payload` = the value (or array), `msg.modbus = {device, unitId, area, address, quantity, type, raw}`
            where `raw` holds the registers (or bits) as read. A refusal (exception response), a timeout or a device that
            is backed off is thrown as an error with the message, for a catch node; the status shows it.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("device", PropertyKind.ConfigReference) { ConfigType = "modbus-device", Required = true, Label = "Device" },
            new PropertyDeclaration("area", PropertyKind.Select) { Default = "holding", Options = ModbusNames.Areas, Label = "Area" },
            new PropertyDeclaration("address", PropertyKind.Number) { Default = 0, Label = "Address", Validate = v => ModbusDeviceNode.Range(v, 0, 65535) },
            new PropertyDeclaration("quantity", PropertyKind.Number) { Default = 1, Label = "Quantity", Validate = v => ModbusDeviceNode.Range(v, 1, 2000) },
            new PropertyDeclaration("dataType", PropertyKind.Select) { Default = "uint16", Options = ModbusNames.Types, Label = "Type" },
            new PropertyDeclaration("order", PropertyKind.Select) { Default = "ABCD", Options = ModbusNames.Orders, Label = "Byte order" },
            new PropertyDeclaration("length", PropertyKind.Number) { Default = 1, Label = "String registers" },
            new PropertyDeclaration("bit", PropertyKind.Number) { Label = "Bit" },
            new PropertyDeclaration("scale", PropertyKind.Number) { Default = 1, Label = "Scale" },
            new PropertyDeclaration("offset", PropertyKind.Number) { Default = 0, Label = "Offset" },
        ],
    };

    private readonly ModbusDeviceNode _device;
    private readonly JsObject _defaults;
    private readonly ModbusTag _tag;
    private readonly int _quantity;

    public ModbusGetterNode(NodeSetup setup) : base(setup)
    {
        _device = Setup.ConfigNode<ModbusDeviceNode>("device") ?? throw Config.Invalid("device", "a modbus-device is required");
        _defaults = new JsObject();
        foreach (var key in new[] { "area", "address", "order", "length", "bit", "scale", "offset" })
        {
            if (Config.Get(key) is { } value) _defaults[key] = value;
        }
        // "type" is the node's own type in flow JSON, so the value type is stored as dataType.
        if (Config.Get("dataType") is { } dataType) _defaults["type"] = dataType;
        if (ModbusNames.TryArea(Config.GetString("area", "holding"), out var area) && ModbusNames.IsBitArea(area)) _defaults["type"] = "bool";
        _tag = ModbusTag.Parse(Config, "", _defaults, -1);
        _quantity = Config.GetInt("quantity", 1);
        CheckQuantity(_tag, _quantity, Config);
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var (tag, quantity, unitId) = Resolve(message.Get("payload") as JsObject);
        var span = tag.Span * quantity;
        var request = ModbusNames.ReadRequest(tag.Area, tag.Address, (ushort)span);
        ModbusResponse response;
        try
        {
            response = await _device.ExecuteAsync(request, unitId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ModbusDeviceNode.IsDeviceError(ex))
        {
            SetStatus(_device.StatusFor(ex));
            throw;
        }
        var registers = (response as ReadRegistersResponse)?.Values;
        var bits = (response as ReadBitsResponse)?.Values;
        var values = new List<object?>(quantity);
        for (var i = 0; i < quantity; i++)
        {
            var item = tag with { Address = (ushort)(tag.Address + i * tag.Span) };
            values.Add(item.Decode(tag.Address, registers, bits));
        }
        message["payload"] = quantity == 1 ? values[0] : values;
        message["modbus"] = new JsObject
        {
            ["device"] = _device.Endpoint,
            ["unitId"] = (double)(unitId ?? _device.UnitId),
            ["area"] = ModbusNames.Name(tag.Area),
            ["address"] = (double)tag.Address,
            ["quantity"] = (double)quantity,
            ["type"] = ModbusNames.Name(tag.Type),
            ["raw"] = registers is not null ? registers.Select(r => (object?)(double)r).ToList() : bits!.Select(b => (object?)b).ToList(),
        };
        SetStatus(NodeStatus.Ok($"{ModbusNames.Name(tag.Area)} {tag.Address}"));
        Send(message);
    }

    private (ModbusTag Tag, int Quantity, byte? UnitId) Resolve(JsObject? overrides)
    {
        if (overrides is null || !overrides.Keys.Any(k => k is "area" or "address" or "quantity" or "type" or "order" or "length" or "bit" or "unitId"))
            return (_tag, _quantity, null);
        var merged = (JsObject)JsValue.DeepClone(_defaults)!;
        foreach (var key in new[] { "area", "address", "type", "order", "length", "bit", "scale", "offset" })
        {
            if (overrides.Get(key) is { } value) merged[key] = value;
        }
        if (overrides.ContainsKey("area") && !overrides.ContainsKey("type") && ModbusNames.TryArea(overrides.Get("area") as string, out var area))
            merged["type"] = ModbusNames.IsBitArea(area) ? "bool" : "uint16";
        try
        {
            var tag = ModbusTag.Parse(Config, "msg.payload", merged, -1);
            var quantity = overrides.Get("quantity") is { } q ? (int)JsValue.ToNumber(q) : _quantity;
            CheckQuantity(tag, quantity, Config);
            byte? unitId = null;
            if (overrides.Get("unitId") is { } u)
            {
                var unit = JsValue.ToNumber(u);
                if (unit is < 0 or > 255 || double.IsNaN(unit)) throw new ArgumentException($"msg.payload.unitId {JsValue.ToJsString(u)} is not 0..255");
                unitId = (byte)unit;
            }
            return (tag, quantity, unitId);
        }
        catch (NodeConfigException ex)
        {
            // The same checks as the configuration, but the culprit is this message: report it as a message error.
            throw new ArgumentException(ex.Reason.Length > 0 ? $"{ex.Property}: {ex.Reason}" : ex.Message, ex);
        }
    }

    private static void CheckQuantity(ModbusTag tag, int quantity, NodeConfig config)
    {
        var limit = ModbusNames.IsBitArea(tag.Area) ? ModbusLimits.MaxReadBits : ModbusLimits.MaxReadRegisters;
        if (quantity < 1 || tag.Span * quantity > limit || tag.Address + tag.Span * quantity > 65536)
            throw config.Invalid("quantity", $"{quantity} × {ModbusNames.Name(tag.Type)} does not fit one request (at most {limit} {(ModbusNames.IsBitArea(tag.Area) ? "bits" : "registers")})");
    }
}
