using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Protocol.Client;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Values;

namespace FlowEngine.Nodes.Modbus;

/// <summary>
/// modbus-write: writes the value of each message to a coil or holding register(s). Every write is audited: one
/// Information log line with node, device, address and value (and a warning when the device refuses).
/// </summary>
internal sealed class ModbusWriteNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("modbus-write")
    {
        Category = "modbus",
        Color = "#E9967A",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/modbus",
        PaletteLabel = "modbus write",
        DefaultLabel = "modbus write",
        Help = """
            Writes a value from each message to a Modbus device.

            **device**: the `modbus-device`.
            **area**: `coil` or `holding` (the writable tables).
            **address**: 0-based address of the first coil or register.
            **dataType** (a tag's `type`), **order**, **length**, **scale**, **offset**: how the value becomes registers, as for a tag of
            `modbus-read` (the raw value written is (value − offset) / scale, rounded for integer types). Coils take
            `true`/`false` (or 1/0).
            **value** / **valueType**: where the value comes from (default `msg.payload`). An array writes consecutive
            values; a Buffer writes its bytes as registers (big-endian, even length).
            **mode**: `auto` uses Write Single Coil/Register (FC5/FC6) for one coil or register and Write Multiple
            Coils/Registers (FC15/FC16) otherwise; `single` allows only FC5/FC6; `multiple` always uses FC15/FC16
            (some devices accept only those).

            The message is sent on after the device confirmed the write, with `msg.modbus = {device, unitId, area,
            address, function, registers|bits}`. A refusal (for example Illegal Data Address) or a timeout is thrown as
            an error with the message for a catch node, and shown in the status.

            Every write is logged at Information level ("audit: ..."), and every refused or failed write at Warning.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("device", PropertyKind.ConfigReference) { ConfigType = "modbus-device", Required = true, Label = "Device" },
            new PropertyDeclaration("area", PropertyKind.Select) { Default = "holding", Options = ModbusNames.WritableAreas, Label = "Area" },
            new PropertyDeclaration("address", PropertyKind.Number) { Default = 0, Label = "Address", Validate = v => ModbusDeviceNode.Range(v, 0, 65535) },
            new PropertyDeclaration("dataType", PropertyKind.Select) { Default = "uint16", Options = ModbusNames.Types, Label = "Type" },
            new PropertyDeclaration("order", PropertyKind.Select) { Default = "ABCD", Options = ModbusNames.Orders, Label = "Byte order" },
            new PropertyDeclaration("length", PropertyKind.Number) { Default = 1, Label = "String registers" },
            new PropertyDeclaration("scale", PropertyKind.Number) { Default = 1, Label = "Scale" },
            new PropertyDeclaration("offset", PropertyKind.Number) { Default = 0, Label = "Offset" },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "auto", Options = ["auto", "single", "multiple"], Label = "Function" },
            new PropertyDeclaration("value", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "valueType", Options = ["msg", "flow", "global", "num", "bool", "str", "json", "env", "jsonata"], Label = "Value" },
            new PropertyDeclaration("valueType", PropertyKind.String) { Default = "msg" },
        ],
    };

    private readonly ModbusDeviceNode _device;
    private readonly ModbusTag _tag;
    private readonly string _mode;
    private readonly TypedValue _value;

    public ModbusWriteNode(NodeSetup setup) : base(setup)
    {
        _device = Setup.ConfigNode<ModbusDeviceNode>("device") ?? throw Config.Invalid("device", "a modbus-device is required");
        var area = Config.GetString("area", "holding");
        if (!ModbusNames.TryArea(area, out var parsed) || parsed is not (ModbusArea.Coils or ModbusArea.HoldingRegisters))
            throw Config.Invalid("area", $"\"{area}\" is not writable; use coil or holding");
        var tag = new JsObject();
        foreach (var key in new[] { "area", "address", "order", "length", "scale", "offset" })
        {
            if (Config.Get(key) is { } value) tag[key] = value;
        }
        // "type" is the node's own type in flow JSON, so the value type is stored as dataType.
        if (Config.Get("dataType") is { } dataType) tag["type"] = dataType;
        if (parsed == ModbusArea.Coils) tag["type"] = "bool";
        _tag = ModbusTag.Parse(Config, "", tag, -1);
        _mode = Config.GetString("mode", "auto");
        if (_mode is not ("auto" or "single" or "multiple")) throw Config.Invalid("mode", $"\"{_mode}\" is not auto, single or multiple");
        if (_mode == "single" && _tag.Span > 1) throw Config.Invalid("mode", $"a {ModbusNames.Name(_tag.Type)} takes {_tag.Span} registers; single-register writes (FC6) cannot carry it");
        try
        {
            _value = TypedValue.Create(Config.GetString("valueType", "msg"), Config.GetString("value", "payload"), Services.Expressions);
        }
        catch (TypedValueException ex)
        {
            throw Config.Invalid("value", ex.Message);
        }
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var value = _value.Evaluate(this, message);
        var request = BuildRequest(value);
        var audit = Audit(request, value);
        try
        {
            await _device.ExecuteAsync(request, null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ModbusDeviceNode.IsDeviceError(ex))
        {
            Warn($"audit: write refused or failed: {audit}: {ex.Message}");
            SetStatus(_device.StatusFor(ex));
            throw;
        }
        Log($"audit: {audit}");
        var info = new JsObject
        {
            ["device"] = _device.Endpoint,
            ["unitId"] = (double)_device.UnitId,
            ["area"] = ModbusNames.Name(_tag.Area),
            ["address"] = (double)_tag.Address,
            ["function"] = (double)(byte)request.Function,
        };
        switch (request)
        {
            case WriteSingleCoilRequest c: info["bits"] = new List<object?> { c.Value }; break;
            case WriteMultipleCoilsRequest c: info["bits"] = c.Values.Select(b => (object?)b).ToList(); break;
            case WriteSingleRegisterRequest r: info["registers"] = new List<object?> { (double)r.Value }; break;
            case WriteMultipleRegistersRequest r: info["registers"] = r.Values.Select(v => (object?)(double)v).ToList(); break;
        }
        message["modbus"] = info;
        SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"wrote {ModbusNames.Name(_tag.Area)} {_tag.Address}")));
        Send(message);
    }

    /// <summary>Turns the value into FC5/6/15/16. Errors here are the message's fault and go to catch nodes.</summary>
    internal ModbusRequest BuildRequest(object? value)
    {
        var items = value as List<object?>;
        if (_tag.Area == ModbusArea.Coils)
        {
            var bits = items is null ? [ModbusNames.ToBool(value)] : items.Select(ModbusNames.ToBool).ToArray();
            if (bits.Length == 0) throw new ModbusValueException("nothing to write: the array is empty");
            if (bits.Length > ModbusLimits.MaxWriteCoils) throw new ModbusValueException($"{bits.Length} coils exceed the {ModbusLimits.MaxWriteCoils} one write can carry");
            if (bits.Length == 1 && _mode != "multiple") return new WriteSingleCoilRequest(_tag.Address, bits[0]);
            if (_mode == "single") throw new ModbusValueException($"{bits.Length} coils cannot be written with Write Single Coil (mode single)");
            return new WriteMultipleCoilsRequest(_tag.Address, bits);
        }
        ushort[] registers;
        if (value is byte[] buffer)
        {
            if (buffer.Length == 0 || buffer.Length % 2 != 0) throw new ModbusValueException($"a Buffer of {buffer.Length} bytes is not whole registers");
            registers = new ushort[buffer.Length / 2];
            for (var i = 0; i < registers.Length; i++) registers[i] = (ushort)(buffer[i * 2] << 8 | buffer[i * 2 + 1]);
        }
        else
        {
            var values = items ?? [value];
            if (values.Count == 0) throw new ModbusValueException("nothing to write: the array is empty");
            registers = values.SelectMany(_tag.Encode).ToArray();
        }
        if (registers.Length > ModbusLimits.MaxWriteRegisters)
            throw new ModbusValueException($"{registers.Length} registers exceed the {ModbusLimits.MaxWriteRegisters} one write can carry");
        if (_tag.Address + registers.Length > 65536) throw new ModbusValueException($"{registers.Length} registers at {_tag.Address} run past address 65535");
        if (registers.Length == 1 && _mode != "multiple") return new WriteSingleRegisterRequest(_tag.Address, registers[0]);
        if (_mode == "single") throw new ModbusValueException($"{registers.Length} registers cannot be written with Write Single Register (mode single)");
        return new WriteMultipleRegistersRequest(_tag.Address, registers);
    }

    private string Audit(ModbusRequest request, object? value)
    {
        var who = string.IsNullOrEmpty(Name) ? $"{Type} {Id}" : $"{Type} \"{Name}\" ({Id})";
        var shown = value switch
        {
            byte[] bytes => "Buffer " + Convert.ToHexString(bytes),
            _ => JsJson.Serialize(value),
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"modbus write by {who} to {_device.Label} unit {_device.UnitId}: {ModbusNames.Name(_tag.Area)} {_tag.Address} = {shown} as {ModbusNames.Name(_tag.Type)} ({request})");
    }
}
