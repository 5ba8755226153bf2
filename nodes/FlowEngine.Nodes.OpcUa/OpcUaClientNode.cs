using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>What every node using an opcua-endpoint shares: the endpoint, its status in the node's status line, NodeId handling.</summary>
internal abstract class OpcUaClientNode : FlowNode
{
    protected OpcUaClientNode(NodeSetup setup) : base(setup)
    {
        Endpoint = Setup.ConfigNode<OpcUaEndpointNode>("endpoint") ?? throw Config.Invalid("endpoint", "an opcua-endpoint is required");
    }

    protected OpcUaEndpointNode Endpoint { get; }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        Endpoint.Changed += OnEndpointChanged;
        return ValueTask.CompletedTask;
    }

    protected virtual void OnEndpointChanged(UaConnectionEvent change)
    {
        // Connected is shown by the node's own results; failures and reconnects are shown as they happen.
        if (change.State != UaConnectionState.Connected) SetStatus(OpcUaEndpointNode.StatusFor(change));
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        Endpoint.Changed -= OnEndpointChanged;
        return ValueTask.CompletedTask;
    }

    /// <summary>The node ids of a message: the configured one, else msg.topic (a string or an array of strings).</summary>
    protected static IReadOnlyList<string> NodeIdsOf(string configured, JsObject message, string what = "nodeId")
    {
        if (!string.IsNullOrWhiteSpace(configured)) return [configured.Trim()];
        return message.Get("topic") switch
        {
            string topic when !string.IsNullOrWhiteSpace(topic) => [topic.Trim()],
            List<object?> list when list.Count > 0 && list.All(i => i is string) => list.Cast<string>().ToList(),
            _ => throw new OpcUaValueException($"no {what}: set it on the node or send it in msg.topic (for example ns=1;s=Temperature)"),
        };
    }

    /// <summary>Fills the standard message fields of a value: topic, payload, statusCode, timestamps, dataType.</summary>
    public static void Fill(JsObject message, string nodeId, DataValue value)
    {
        message["topic"] = nodeId;
        message["payload"] = OpcUaValues.ToJs(value.Value);
        message["statusCode"] = value.Status.Name;
        message["sourceTimestamp"] = value.SourceTimestamp;
        message["serverTimestamp"] = value.ServerTimestamp;
        message["dataType"] = value.Value.Type == BuiltInType.Null ? null : value.Value.Type.ToString() + (value.Value.IsArray ? "[]" : "");
    }

    protected static NodeId Resolve(UaSession session, string text)
    {
        try
        {
            return session.ResolveNodeId(text);
        }
        catch (FormatException ex)
        {
            throw new OpcUaValueException(ex.Message);
        }
    }

    protected static readonly Dictionary<string, uint> Attributes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Value"] = AttributeIds.Value,
        ["DisplayName"] = AttributeIds.DisplayName,
        ["BrowseName"] = AttributeIds.BrowseName,
        ["Description"] = AttributeIds.Description,
        ["DataType"] = AttributeIds.DataType,
        ["NodeClass"] = AttributeIds.NodeClass,
        ["ValueRank"] = AttributeIds.ValueRank,
        ["AccessLevel"] = AttributeIds.AccessLevel,
        ["UserAccessLevel"] = AttributeIds.UserAccessLevel,
        ["NodeId"] = AttributeIds.NodeId,
    };
}
