using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua browse: the address space under a node (Browse + BrowseNext), as a tree for a tag picker.</summary>
internal sealed class OpcUaBrowseNode : OpcUaClientNode
{
    private const int MaxNodes = 20000;

    public static readonly NodeDeclaration Declaration = new("opcua browse")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua browse",
        DefaultLabel = "opcua browse",
        Help = """
            Browses the server's address space under a node when a message arrives (Browse, then BrowseNext while the
            server returns continuation points), following hierarchical references forward.

            **endpoint**: the `opcua-endpoint`.
            **nodeId**: where to start (default `i=85`, the Objects folder); empty: `msg.topic`. The editor's **browse…**
            button picks it from the deployed endpoint's address space (the tag picker uses the same Browse service).
            **depth**: how many levels to descend (1 = the direct children; at most 10). Variables and methods are
            leaves; at most 20000 nodes are returned.
            **maxReferences**: references per Browse call (0 = the server decides); smaller values page through
            BrowseNext.

            `msg.payload` is an array of `{nodeId, browseName, displayName, nodeClass, typeDefinition, referenceType}`,
            with `children` (same shape) below objects and folders when depth > 1; `msg.topic` is the start node.
            `browseName` is `ns:Name` as TranslateBrowsePaths takes it.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "opcua-endpoint", Required = true, Label = "Endpoint" },
            new PropertyDeclaration("nodeId", PropertyKind.String) { Default = "i=85", Label = "Start node", Editor = OpcUaBrowseEndpoint.PickerEditor, Help = OpcUaBrowseEndpoint.PickerHelp },
            new PropertyDeclaration("depth", PropertyKind.Number) { Default = 1, Label = "Depth" },
            new PropertyDeclaration("maxReferences", PropertyKind.Number) { Default = 0, Label = "References per call" },
        ],
    };

    private readonly string _nodeId;
    private readonly int _depth;
    private readonly uint _maxReferences;

    public OpcUaBrowseNode(NodeSetup setup) : base(setup)
    {
        _nodeId = Config.GetString("nodeId", "i=85");
        _depth = Config.GetInt("depth", 1);
        if (_depth is < 1 or > 10) throw Config.Invalid("depth", $"{_depth} is outside 1..10");
        var max = Config.GetNumber("maxReferences", 0);
        if (max is < 0 or > 100000) throw Config.Invalid("maxReferences", $"{max} is outside 0..100000");
        _maxReferences = (uint)max;
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var start = NodeIdsOf(_nodeId, message)[0];
        List<object?> tree;
        var count = new StrongBox();
        try
        {
            var session = await Endpoint.SessionAsync().ConfigureAwait(false);
            tree = await BrowseAsync(session, Resolve(session, start), 1, count).ConfigureAwait(false);
        }
        catch (Exception ex) when (OpcUaEndpointNode.IsServerError(ex))
        {
            SetStatus(OpcUaEndpointNode.StatusFor(ex));
            throw;
        }
        message["topic"] = start;
        message["payload"] = tree;
        SetStatus(NodeStatus.Ok(string.Create(CultureInfo.InvariantCulture, $"{count.Value} nodes")));
        Send(message);
    }

    private sealed class StrongBox
    {
        public int Value;
    }

    private async Task<List<object?>> BrowseAsync(UaSession session, NodeId node, int level, StrongBox count)
    {
        var (status, references) = await session.BrowseAllAsync(new BrowseDescription(node), _maxReferences, CancellationToken.None).ConfigureAwait(false);
        if (status.IsBad) throw new Protocol.Transport.UaStatusException(status.Code, $"browse {node}: {status.Name}");
        var result = new List<object?>();
        foreach (var reference in references)
        {
            if (++count.Value > MaxNodes) break;
            var id = reference.NodeId.NamespaceUri is null ? reference.NodeId.NodeId.ToString() : reference.NodeId.ToString();
            var entry = new JsObject
            {
                ["nodeId"] = id,
                ["browseName"] = reference.BrowseName.ToString(),
                ["displayName"] = reference.DisplayName.Text,
                ["nodeClass"] = reference.NodeClass.ToString(),
                ["typeDefinition"] = reference.TypeDefinition.NodeId.IsNull ? null : reference.TypeDefinition.ToString(),
                ["referenceType"] = reference.ReferenceTypeId.ToString(),
            };
            if (level < _depth && reference.NodeClass is NodeClass.Object or NodeClass.View && reference.NodeId.ServerIndex == 0 && reference.NodeId.NamespaceUri is null)
                entry["children"] = await BrowseAsync(session, reference.NodeId.NodeId, level + 1, count).ConfigureAwait(false);
            result.Add(entry);
        }
        return result;
    }
}
