using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua read: reads one or more nodes per message with the Read service.</summary>
internal sealed class OpcUaReadNode : OpcUaClientNode
{
    public static readonly NodeDeclaration Declaration = new("opcua read")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua read",
        DefaultLabel = "opcua read",
        Help = """
            Reads an attribute of OPC UA nodes when a message arrives.

            **endpoint**: the `opcua-endpoint`.
            **nodeId**: the node to read, `ns=1;s=Temperature`, `i=2258`, `ns=2;g=<guid>`, `ns=3;b=<base64>`, or by namespace URI
            `nsu=urn:vendor:plc;s=Speed` (the index is looked up on the server). Empty: taken from `msg.topic`, which
            may also be an array of node ids (all read in one request).
            In the editor, **browse…** beside the field opens the deployed endpoint's address space (folders and
            objects expand on demand; variables show their data type and current value) and fills in the picked node id.
            **attribute**: `Value` (default), `DisplayName`, `BrowseName`, `Description`, `DataType`, `NodeClass`,
            `ValueRank`, `AccessLevel`, `UserAccessLevel` or `NodeId`.

            One message per node: `msg.topic` = the node id, `msg.payload` = the value (numbers, strings, booleans,
            dates, Buffers for ByteString, arrays; 64-bit integers beyond 2^53 as strings; LocalizedText as
            `{locale, text}`; ExtensionObjects kept raw as `{typeId, encoding, body}`), `msg.statusCode` (its name,
            e.g. `Good`), `msg.sourceTimestamp`, `msg.serverTimestamp` and `msg.dataType` (built-in type name, `[]`
            for arrays). A node whose status is Bad (for example `BadNodeIdUnknown`) is reported as an error with its
            message, for a catch node, instead of being sent.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "opcua-endpoint", Required = true, Label = "Endpoint" },
            new PropertyDeclaration("nodeId", PropertyKind.String) { Default = "", Label = "Node id", Editor = OpcUaBrowseEndpoint.PickerEditor, Help = OpcUaBrowseEndpoint.PickerHelp },
            new PropertyDeclaration("attribute", PropertyKind.Select) { Default = "Value", Options = [.. Attributes.Keys], Label = "Attribute" },
        ],
    };

    private readonly string _nodeId;
    private readonly uint _attribute;

    public OpcUaReadNode(NodeSetup setup) : base(setup)
    {
        _nodeId = Config.GetString("nodeId");
        var attribute = Config.GetString("attribute", "Value");
        if (!Attributes.TryGetValue(attribute, out _attribute)) throw Config.Invalid("attribute", $"\"{attribute}\" is not one of {string.Join(", ", Attributes.Keys)}");
        if (!string.IsNullOrWhiteSpace(_nodeId) && !_nodeId.TrimStart().StartsWith("nsu=", StringComparison.Ordinal)
            && !Protocol.Encoding.NodeId.TryParse(_nodeId, out _, out var error))
            throw Config.Invalid("nodeId", error);
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var ids = NodeIdsOf(_nodeId, message);
        Protocol.Encoding.DataValue[] values;
        try
        {
            var session = await Endpoint.SessionAsync().ConfigureAwait(false);
            var nodes = ids.Select(id => new ReadValueId(Resolve(session, id), _attribute)).ToList();
            values = await session.ReadAsync(nodes, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (OpcUaEndpointNode.IsServerError(ex))
        {
            SetStatus(OpcUaEndpointNode.StatusFor(ex));
            throw;
        }
        var bad = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            var output = i == ids.Count - 1 ? message : (JsObject)JsValue.DeepClone(message)!;
            Fill(output, ids[i], values[i]);
            if (values[i].Status.IsBad)
            {
                bad++;
                ReportError($"read {ids[i]}: {values[i].Status.Name}", output);
                continue;
            }
            Send(output);
        }
        SetStatus(bad == 0
            ? NodeStatus.Ok(ids.Count == 1 ? $"{values[0].Status.Name}" : $"{ids.Count} read")
            : NodeStatus.Error(ids.Count == 1 ? values[0].Status.Name : $"{bad} of {ids.Count} Bad"));
    }
}
