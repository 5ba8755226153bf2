using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Values;

namespace FlowEngine.Nodes.Modbus;

/// <summary>The words used in flow JSON for areas, types and byte orders, and their parsing.</summary>
internal static class ModbusNames
{
    public static readonly IReadOnlyList<string> Areas = ["coil", "discrete", "holding", "input"];
    public static readonly IReadOnlyList<string> WritableAreas = ["coil", "holding"];
    public static readonly IReadOnlyList<string> Types = ["bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string"];
    public static readonly IReadOnlyList<string> Orders = ["ABCD", "CDAB", "BADC", "DCBA"];

    public static bool TryArea(string? text, out ModbusArea area)
    {
        area = (text ?? "").Trim().ToLowerInvariant() switch
        {
            "coil" or "coils" or "0x" => ModbusArea.Coils,
            "discrete" or "discreteinput" or "discreteinputs" or "1x" => ModbusArea.DiscreteInputs,
            "holding" or "holdingregister" or "holdingregisters" or "4x" => ModbusArea.HoldingRegisters,
            "input" or "inputregister" or "inputregisters" or "3x" => ModbusArea.InputRegisters,
            _ => (ModbusArea)(-1),
        };
        return (int)area >= 0;
    }

    public static bool TryType(string? text, out ModbusValueType type)
    {
        type = (text ?? "").Trim().ToLowerInvariant() switch
        {
            "bool" or "boolean" => ModbusValueType.Bool,
            "int16" => ModbusValueType.Int16,
            "uint16" => ModbusValueType.UInt16,
            "int32" => ModbusValueType.Int32,
            "uint32" => ModbusValueType.UInt32,
            "int64" => ModbusValueType.Int64,
            "uint64" => ModbusValueType.UInt64,
            "float32" or "float" or "real" => ModbusValueType.Float32,
            "float64" or "double" or "lreal" => ModbusValueType.Float64,
            "string" => ModbusValueType.String,
            _ => (ModbusValueType)(-1),
        };
        return (int)type >= 0;
    }

    public static bool TryOrder(string? text, out ModbusByteOrder order) =>
        Enum.TryParse((text ?? "").Trim().ToUpperInvariant(), out order) && Enum.IsDefined(order);

    public static string Name(ModbusArea area) => area switch
    {
        ModbusArea.Coils => "coil",
        ModbusArea.DiscreteInputs => "discrete",
        ModbusArea.HoldingRegisters => "holding",
        _ => "input",
    };

    public static string Name(ModbusValueType type) => type.ToString().ToLowerInvariant();

    public static bool IsBitArea(ModbusArea area) => area is ModbusArea.Coils or ModbusArea.DiscreteInputs;

    public static ModbusFunction ReadFunction(ModbusArea area) => area switch
    {
        ModbusArea.Coils => ModbusFunction.ReadCoils,
        ModbusArea.DiscreteInputs => ModbusFunction.ReadDiscreteInputs,
        ModbusArea.HoldingRegisters => ModbusFunction.ReadHoldingRegisters,
        _ => ModbusFunction.ReadInputRegisters,
    };

    public static ModbusRequest ReadRequest(ModbusArea area, ushort start, ushort quantity) => IsBitArea(area)
        ? new ReadBitsRequest(ReadFunction(area), start, quantity)
        : new ReadRegistersRequest(ReadFunction(area), start, quantity);

    /// <summary>A JavaScript value as a coil state: booleans, numbers (non-zero is on) and "true"/"false"/"on"/"off"/"1"/"0".</summary>
    public static bool ToBool(object? value) => value switch
    {
        bool b => b,
        double d => d != 0,
        string s when s.Trim().ToLowerInvariant() is "true" or "on" or "1" => true,
        string s when s.Trim().ToLowerInvariant() is "false" or "off" or "0" or "" => false,
        _ => throw new ModbusValueException($"{JsValue.TypeName(value)} {JsValue.ToJsString(value)} is not a coil state (true/false)"),
    };

    public static double ToNumber(object? value)
    {
        var number = value switch
        {
            bool b => b ? 1 : 0,
            _ => JsValue.ToNumber(value),
        };
        if (double.IsNaN(number) && !(value is double)) throw new ModbusValueException($"\"{JsValue.ToJsString(value)}\" is not a number");
        return number;
    }

    public static string Text(double value) => JsValue.FormatNumber(value);
}

/// <summary>
/// One value at one address: area, address, type, byte order, string length, bit, scaling, and (for the read node)
/// its own poll interval.
/// </summary>
internal sealed record ModbusTag(string Name, ModbusArea Area, ushort Address, ModbusValueType Type, ModbusByteOrder Order,
    int Length, int? Bit, double Scale, double Offset, TimeSpan? Interval)
{
    /// <summary>Registers (or bits, in coil/discrete areas) the tag covers.</summary>
    public int Span => ModbusNames.IsBitArea(Area) ? 1 : ModbusValues.RegisterCount(Type, Length);

    public int End => Address + Span;

    /// <summary>Parses a tag object from a node's configuration; errors name the property "tags[i].field".</summary>
    public static ModbusTag Parse(NodeConfig config, string property, JsObject tag, int index)
    {
        string Where(string field) => index < 0 ? field : $"{property}[{index}].{field}";
        var name = tag.Get("name") is { } n ? JsValue.ToJsString(n) : "";
        if (!ModbusNames.TryArea(tag.Get("area") as string ?? "holding", out var area))
            throw config.Invalid(Where("area"), $"\"{tag.Get("area")}\" is not one of {string.Join(", ", ModbusNames.Areas)}");
        var address = Number(config, tag, "address", Where("address"), 0);
        if (address is < 0 or > 65535 || address != Math.Floor(address)) throw config.Invalid(Where("address"), $"{address} is not an address 0..65535");
        var typeText = tag.Get("type") as string;
        var defaultType = ModbusNames.IsBitArea(area) ? ModbusValueType.Bool : ModbusValueType.UInt16;
        var type = defaultType;
        if (!string.IsNullOrEmpty(typeText) && !ModbusNames.TryType(typeText, out type))
            throw config.Invalid(Where("type"), $"\"{typeText}\" is not one of {string.Join(", ", ModbusNames.Types)}");
        if (ModbusNames.IsBitArea(area) && type != ModbusValueType.Bool)
            throw config.Invalid(Where("type"), $"{ModbusNames.Name(area)} holds bits: the type must be bool, not {ModbusNames.Name(type)}");
        var orderText = tag.Get("order") as string ?? tag.Get("byteOrder") as string;
        var order = ModbusByteOrder.ABCD;
        if (!string.IsNullOrEmpty(orderText) && !ModbusNames.TryOrder(orderText, out order))
            throw config.Invalid(Where("order"), $"\"{orderText}\" is not one of {string.Join(", ", ModbusNames.Orders)}");
        var length = (int)Number(config, tag, "length", Where("length"), 1);
        if (type == ModbusValueType.String && length is < 1 or > ModbusLimits.MaxReadRegisters)
            throw config.Invalid(Where("length"), $"a string takes 1..{ModbusLimits.MaxReadRegisters} registers, not {length}");
        int? bit = null;
        if (tag.Get("bit") is { } rawBit && !(rawBit is string { Length: 0 }))
        {
            var b = Number(config, tag, "bit", Where("bit"), 0);
            if (b is < 0 or > 15 || b != Math.Floor(b)) throw config.Invalid(Where("bit"), $"{b} is not a bit 0..15");
            if (type != ModbusValueType.Bool || ModbusNames.IsBitArea(area)) throw config.Invalid(Where("bit"), "a bit applies to bool tags in register areas only");
            bit = (int)b;
        }
        var scale = Number(config, tag, "scale", Where("scale"), 1);
        var offset = Number(config, tag, "offset", Where("offset"), 0);
        TimeSpan? interval = null;
        if (tag.Get("interval") is { } rawInterval && !(rawInterval is string { Length: 0 }))
        {
            var ms = Number(config, tag, "interval", Where("interval"), 0);
            if (ms < 10) throw config.Invalid(Where("interval"), $"{ms} ms is below the 10 ms minimum");
            interval = TimeSpan.FromMilliseconds(ms);
        }
        var result = new ModbusTag(name.Length > 0 ? name : $"{ModbusNames.Name(area)}{address}", area, (ushort)address, type, order, length, bit, scale, offset, interval);
        if (result.End > 65536) throw config.Invalid(Where("address"), $"{ModbusNames.Name(type)} at {address} runs past address 65535");
        return result;
    }

    private static double Number(NodeConfig config, JsObject tag, string key, string where, double defaultValue)
    {
        var value = tag.Get(key);
        switch (value)
        {
            case null:
            case string s when string.IsNullOrWhiteSpace(s):
                return defaultValue;
            case double d:
                return d;
            case string s:
                var parsed = JsValue.StringToNumber(s);
                if (double.IsNaN(parsed)) throw config.Invalid(where, $"expected a number, got \"{s}\"");
                return parsed;
            default:
                throw config.Invalid(where, $"expected a number, got {JsValue.TypeName(value)}");
        }
    }

    /// <summary>The tag's value from the registers (or bits) of a read that starts at <paramref name="blockStart"/>.</summary>
    public object? Decode(int blockStart, ushort[]? registers, bool[]? bits)
    {
        var at = Address - blockStart;
        if (ModbusNames.IsBitArea(Area)) return bits![at];
        var span = registers.AsSpan(at, Span);
        return Type switch
        {
            ModbusValueType.Bool => ModbusValues.DecodeBool(span[0], Bit),
            ModbusValueType.String => ModbusValues.DecodeString(span, Order),
            _ => ModbusValues.Scale(ModbusValues.DecodeNumber(span, Type, Order), Scale, Offset),
        };
    }

    /// <summary>Registers for one value of this tag's type (after removing scaling).</summary>
    public ushort[] Encode(object? value) => Type switch
    {
        ModbusValueType.Bool when Bit is not null => throw new ModbusValueException("writing one bit of a register is not supported; write the whole register"),
        ModbusValueType.Bool => [ModbusNames.ToBool(value) ? (ushort)1 : (ushort)0],
        ModbusValueType.String => ModbusValues.EncodeString(value as string ?? JsValue.ToJsString(value), Length, Order),
        _ => ModbusValues.EncodeNumber(ModbusValues.Unscale(ModbusNames.ToNumber(value), Scale, Offset), Type, Order),
    };

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name} {ModbusNames.Name(Area)} {Address} {ModbusNames.Name(Type)}");
}

/// <summary>One read request covering several tags.</summary>
internal sealed record ModbusReadBlock(ModbusArea Area, ushort Start, ushort Quantity, IReadOnlyList<ModbusTag> Tags)
{
    public ModbusRequest Request => ModbusNames.ReadRequest(Area, Start, Quantity);

    public override string ToString() => $"{ModbusNames.Name(Area)} {Start}+{Quantity} ({Tags.Count} tags)";
}

/// <summary>
/// Merges tags into as few requests as the spec allows: tags of one area whose ranges touch (or overlap, or leave a
/// gap of at most <c>maxGap</c> unused addresses) share a request, up to 125 registers or 2000 bits (§6.1–§6.4).
/// </summary>
internal static class ModbusReadPlanner
{
    public static List<ModbusReadBlock> Plan(IEnumerable<ModbusTag> tags, int maxGap, int maxRegisters = ModbusLimits.MaxReadRegisters, int maxBits = ModbusLimits.MaxReadBits)
    {
        var blocks = new List<ModbusReadBlock>();
        foreach (var area in tags.GroupBy(t => t.Area).OrderBy(g => g.Key))
        {
            var limit = ModbusNames.IsBitArea(area.Key) ? maxBits : maxRegisters;
            var current = new List<ModbusTag>();
            int start = 0, end = 0;
            foreach (var tag in area.OrderBy(t => t.Address).ThenBy(t => t.End))
            {
                if (current.Count > 0 && tag.Address <= end + maxGap && Math.Max(end, tag.End) - start <= limit)
                {
                    current.Add(tag);
                    end = Math.Max(end, tag.End);
                    continue;
                }
                if (current.Count > 0) blocks.Add(new ModbusReadBlock(area.Key, (ushort)start, (ushort)(end - start), current));
                current = [tag];
                (start, end) = (tag.Address, tag.End);
            }
            if (current.Count > 0) blocks.Add(new ModbusReadBlock(area.Key, (ushort)start, (ushort)(end - start), current));
        }
        return blocks;
    }
}
