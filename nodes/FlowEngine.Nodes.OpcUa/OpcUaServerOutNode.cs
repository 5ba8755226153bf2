using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Server;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua server out: each message sets the value of a variable of the opcua-server (created on first value).</summary>
internal sealed class OpcUaServerOutNode : OpcUaServerUserNode
{
    /// <summary>The types a variable can be given; Json stores objects as their JSON text in a String.</summary>
    public static readonly string[] DataTypes =
    [
        "auto", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double",
        "String", "DateTime", "ByteString", "Json",
    ];

    public static readonly NodeDeclaration Declaration = new("opcua server out")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua server out",
        DefaultLabel = "opcua server out",
        Help = """
            Publishes flow values as variables of an `opcua-server`, for a SCADA to read and subscribe to.

            **server**: the `opcua-server`.
            **path**: the variable, as folders and a name separated by `/`: `Line1/Oven/Temperature` makes folders
            `Line1` and `Oven` under Objects and the variable `Temperature`, node id `ns=1;s=Line1/Oven/Temperature`.
            Empty: `msg.topic`. The variable is created by its first value.
            **dataType**: `auto` (default) takes the type from the first value: boolean → Boolean, number → Double,
            string → String, Date → DateTime, Buffer → ByteString, array → array of its first element's type,
            object → String holding its JSON. Choose a type (`Int32`, `Int64`, `Float`...) to fix it; `Json` stores
            any value as JSON text. Later values are converted to the variable's type; a value that does not fit is an
            error (the variable keeps its value).
            **writable**: whether clients may write the variable (their writes arrive at `opcua server in` nodes).

            Input: `msg.payload` = the value. Optional `msg.sourceTimestamp` (Date, epoch ms or ISO text) is the
            value's source timestamp (default: now). Optional `msg.statusCode`, a status name or number such as
            `"BadCommunicationError"` or `"UncertainLastUsableValue"`, marks the quality: a device that dropped can
            send its bad status without a payload, and the variable keeps its last value with that status.

            A flow can also confirm a client's write (`opcua server in` with apply `confirm`) by sending the value here.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("server", PropertyKind.ConfigReference) { ConfigType = "opcua-server", Required = true, Label = "Server", Help = "The opcua-server to publish in." },
            new PropertyDeclaration("path", PropertyKind.String) { Default = "", Label = "Variable path", Help = "Folders and name separated by /, for example Line1/Oven/Temperature; empty: msg.topic." },
            new PropertyDeclaration("dataType", PropertyKind.Select) { Default = "auto", Options = DataTypes, Label = "Data type", Help = "auto: from the first value; or a fixed OPC UA type (Json: the value as JSON text)." },
            new PropertyDeclaration("writable", PropertyKind.Bool) { Default = false, Label = "Writable by clients", Help = "Let OPC UA clients write this variable." },
        ],
    };

    private readonly string _path;
    private readonly string _dataType;
    private readonly bool _writable;

    public OpcUaServerOutNode(NodeSetup setup) : base(setup)
    {
        _path = Config.GetString("path").Trim();
        if (_path.Length > 0)
        {
            try
            {
                _path = AddressSpace.NormalizePath(_path);
            }
            catch (AddressSpaceException ex)
            {
                throw Config.Invalid("path", ex.Message);
            }
        }
        _dataType = Config.GetString("dataType", "auto");
        if (!DataTypes.Contains(_dataType)) throw Config.Invalid("dataType", $"\"{_dataType}\" is not one of {string.Join(", ", DataTypes)}");
        _writable = Config.GetBool("writable", false);
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var server = ServerNode.RequireServer();
        var path = _path;
        if (path.Length == 0)
        {
            path = message.Get("topic") as string ?? "";
            if (string.IsNullOrWhiteSpace(path)) throw new OpcUaValueException("no variable path: set it on the node or send it in msg.topic (for example Line1/Oven/Temperature)");
        }
        try
        {
            var status = StatusOf(message.Get("statusCode"));
            var timestamp = TimestampOf(message.Get("sourceTimestamp"));
            var existing = server.AddressSpace.FindVariable(path);
            var payload = message.Get("payload");
            Variant value;
            BuiltInType type;
            bool isArray;
            if (payload is null && status.IsBad && existing is not null)
            {
                // A device that dropped: the last value stays, with the bad status.
                value = existing.Value.Value;
                type = existing.ElementType ?? BuiltInType.String;
                isArray = existing.ValueRank == 1;
            }
            else
            {
                (type, isArray) = existing is { ElementType: { } known }
                    ? (known, existing.ValueRank == 1)
                    : TypeFor(payload);
                value = Convert(payload, type, isArray);
            }
            var variable = server.AddressSpace.SetVariable(path, type, isArray, new DataValue(value, status, timestamp), _writable);
            var shown = Shorten($"{variable.Path} = {JsJson.Serialize(OpcUaValues.ToJs(value))}{(status.IsGood ? "" : " " + status.Name)}");
            SetStatus(status.IsGood ? NodeStatus.Ok(shown) : NodeStatus.Warning(shown));
        }
        catch (Exception ex) when (ex is AddressSpaceException or OpcUaValueException)
        {
            SetStatus(NodeStatus.Error(Shorten($"{path}: {ex.Message}")));
            throw new OpcUaValueException($"{path}: {ex.Message}");
        }
        return ValueTask.CompletedTask;
    }

    private (BuiltInType Type, bool IsArray) TypeFor(object? payload)
    {
        var isArray = payload is List<object?>;
        if (_dataType == "Json") return (BuiltInType.String, false);
        if (_dataType != "auto") return (Enum.Parse<BuiltInType>(_dataType), isArray);
        if (payload is List<object?> list)
        {
            if (list.Count == 0) throw new OpcUaValueException("an empty array gives no type: set the data type");
            return (Infer(list[0]), true);
        }
        return (Infer(payload), false);
    }

    private static BuiltInType Infer(object? value) => value switch
    {
        bool => BuiltInType.Boolean,
        double => BuiltInType.Double,
        string => BuiltInType.String,
        DateTime => BuiltInType.DateTime,
        byte[] => BuiltInType.ByteString,
        JsObject or List<object?> => BuiltInType.String,
        null => throw new OpcUaValueException("msg.payload is missing: a variable needs a value (or msg.statusCode with a bad status for a known variable)"),
        _ => throw new OpcUaValueException($"a {JsValue.TypeName(value)} payload cannot be published; set the data type"),
    };

    private Variant Convert(object? payload, BuiltInType type, bool isArray)
    {
        if (_dataType == "Json" || (type == BuiltInType.String && payload is JsObject or List<object?> && !isArray))
            return new Variant(BuiltInType.String, JsJson.Serialize(payload));
        if (isArray)
        {
            if (payload is not List<object?> list) throw new OpcUaValueException($"the variable is an array of {type}; {JsValue.TypeName(payload)} is not an array");
            return new Variant(type, list.Select(i => Scalar(i, type)).ToArray(), true);
        }
        if (payload is List<object?>) throw new OpcUaValueException($"the variable is a single {type}, not an array");
        return new Variant(type, Scalar(payload, type));
    }

    private static object? Scalar(object? value, BuiltInType type)
    {
        if (value is null) throw new OpcUaValueException($"null cannot be stored as an OPC UA {type}");
        if (type == BuiltInType.String && value is JsObject or List<object?>) return JsJson.Serialize(value);
        return OpcUaValues.FromJs(value, type).Value;
    }

    private static StatusCode StatusOf(object? value) => value switch
    {
        null => StatusCode.Good,
        string name when StatusCodes.TryParse(name.Trim(), out var code) => new StatusCode(code),
        string name when name.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && uint.TryParse(name.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex) => new StatusCode(hex),
        double number when number >= 0 && number <= uint.MaxValue && Math.Floor(number) == number => new StatusCode((uint)number),
        JsObject o when o.Get("code") is double code => new StatusCode((uint)code),
        _ => throw new OpcUaValueException($"msg.statusCode {JsJson.Serialize(value)} is not a status name (Good, BadCommunicationError, UncertainLastUsableValue...) or number"),
    };

    private static DateTime? TimestampOf(object? value) => value switch
    {
        null => null,
        DateTime time => time.ToUniversalTime(),
        double ms when !double.IsNaN(ms) => JsValue.FromEpochMilliseconds(ms),
        string text when DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => throw new OpcUaValueException($"msg.sourceTimestamp {JsJson.Serialize(value)} is not a Date, epoch milliseconds or ISO time"),
    };
}
