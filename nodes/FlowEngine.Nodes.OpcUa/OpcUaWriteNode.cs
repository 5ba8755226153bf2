using System.Collections.Concurrent;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua write: writes the value of each message to a variable; every write is audited.</summary>
internal sealed class OpcUaWriteNode : OpcUaClientNode
{
    public static readonly NodeDeclaration Declaration = new("opcua write")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua write",
        DefaultLabel = "opcua write",
        Help = """
            Writes a value to an OPC UA variable (the Write service, Value attribute).

            **endpoint**: the `opcua-endpoint`.
            **nodeId**: the variable (see `opcua read`); empty: `msg.topic`. The editor's **browse…** button picks it from
            the deployed endpoint's address space (data type, current value and whether it is writable are shown).
            **dataType**: the OPC UA type to write. `auto` (default) reads the variable's DataType attribute once and
            converts the value to it (a Double variable gets a Double even when the value is a whole number). A
            variable of a structured type cannot be written.
            **value** / **valueType**: where the value comes from (default `msg.payload`). An array writes an array.

            After the server confirmed the write, the message goes on with `msg.statusCode = "Good"`. A refusal
            (`BadNotWritable`, `BadTypeMismatch`, `BadUserAccessDenied`...) or a value that does not fit the type is
            an error for a catch node and shows in the status.

            **Audit**: every write is recorded — in the audit log (action `opcua.write`, with the HMI user from
            `msg._client.user` when there is one) and as an Information log line; refused writes as a Warning.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "opcua-endpoint", Required = true, Label = "Endpoint" },
            new PropertyDeclaration("nodeId", PropertyKind.String) { Default = "", Label = "Node id", Editor = OpcUaBrowseEndpoint.PickerEditor, Help = OpcUaBrowseEndpoint.PickerHelp },
            new PropertyDeclaration("dataType", PropertyKind.Select) { Default = "auto", Options = OpcUaValues.WritableTypes, Label = "Data type" },
            new PropertyDeclaration("value", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "valueType", Options = ["msg", "flow", "global", "num", "bool", "str", "json", "date", "env", "jsonata"], Label = "Value" },
            new PropertyDeclaration("valueType", PropertyKind.String) { Default = "msg" },
        ],
    };

    private readonly string _nodeId;
    private readonly BuiltInType? _type;
    private readonly TypedValue _value;
    private readonly ConcurrentDictionary<NodeId, BuiltInType?> _dataTypes = new();

    public OpcUaWriteNode(NodeSetup setup) : base(setup)
    {
        _nodeId = Config.GetString("nodeId");
        if (!string.IsNullOrWhiteSpace(_nodeId) && !_nodeId.TrimStart().StartsWith("nsu=", StringComparison.Ordinal) && !NodeId.TryParse(_nodeId, out _, out var error))
            throw Config.Invalid("nodeId", error);
        var type = Config.GetString("dataType", "auto");
        if (type != "auto")
        {
            if (!OpcUaValues.TryParseType(type, out var parsed)) throw Config.Invalid("dataType", $"\"{type}\" is not one of {string.Join(", ", OpcUaValues.WritableTypes)}");
            _type = parsed;
        }
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
        var id = NodeIdsOf(_nodeId, message)[0];
        var value = _value.Evaluate(this, message);
        var who = string.IsNullOrEmpty(Name) ? $"{Type} {Id}" : $"{Type} \"{Name}\" ({Id})";
        var shown = value is byte[] bytes ? "Buffer " + Convert.ToHexString(bytes) : JsJson.Serialize(value);
        StatusCode result;
        BuiltInType type;
        try
        {
            var session = await Endpoint.SessionAsync().ConfigureAwait(false);
            var nodeId = Resolve(session, id);
            type = _type ?? await DataTypeOfAsync(session, nodeId).ConfigureAwait(false) ?? OpcUaValues.Guess(value);
            var variant = OpcUaValues.FromJs(value, type);
            result = (await session.WriteAsync([new WriteValue(nodeId, DataValue.FromValue(variant))], CancellationToken.None).ConfigureAwait(false))[0];
        }
        catch (Exception ex) when (OpcUaEndpointNode.IsServerError(ex) || ex is OpcUaValueException)
        {
            Warn($"audit: opcua write refused or failed: {who} to {Endpoint.Label} {id} = {shown}: {ex.Message}");
            SetStatus(OpcUaEndpointNode.StatusFor(ex));
            throw;
        }
        var details = new JsObject
        {
            ["endpoint"] = Endpoint.EndpointUrl,
            ["nodeId"] = id,
            ["value"] = value is byte[] ? shown : JsValue.DeepClone(value),
            ["dataType"] = type.ToString(),
            ["statusCode"] = result.Name,
            ["node"] = Id,
        };
        Services.AuditLog()?.Record("opcua.write", AuditLogExtensions.ClientUser(message), details);
        message["statusCode"] = result.Name;
        if (result.IsBad)
        {
            Warn($"audit: opcua write refused: {who} to {Endpoint.Label} {id} = {shown} as {type}: {result.Name}");
            SetStatus(NodeStatus.Error($"{id}: {result.Name}"));
            throw new OpcUaValueException($"write {id} = {shown}: {result.Name}");
        }
        Log($"audit: opcua write by {who} to {Endpoint.Label} {id} = {shown} as {type}: {result.Name}");
        message["topic"] = id;
        message["dataType"] = type.ToString();
        SetStatus(NodeStatus.Ok($"wrote {id}"));
        Send(message);
    }

    private async Task<BuiltInType?> DataTypeOfAsync(Protocol.Client.UaSession session, NodeId nodeId)
    {
        if (_dataTypes.TryGetValue(nodeId, out var known)) return known;
        var values = await session.ReadAsync([new ReadValueId(nodeId, AttributeIds.DataType)], CancellationToken.None).ConfigureAwait(false);
        if (values[0].Status.IsBad) throw new Protocol.Transport.UaStatusException(values[0].Status.Code, $"cannot read the data type of {nodeId}: {values[0].Status.Name}");
        var type = values[0].Value.Value is NodeId dataType ? OpcUaValues.FromDataTypeId(dataType) : null;
        _dataTypes[nodeId] = type;
        return type;
    }
}
