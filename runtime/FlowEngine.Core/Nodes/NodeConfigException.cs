namespace FlowEngine.Core.Nodes;

/// <summary>A node's configuration cannot be used. Names the node and the property so the user can fix it.</summary>
public sealed class NodeConfigException(string nodeId, string? nodeName, string nodeType, string? property, string reason)
    : Exception(Describe(nodeId, nodeName, nodeType, property, reason))
{
    public string NodeId { get; } = nodeId;
    public string? NodeName { get; } = nodeName;
    public string NodeType { get; } = nodeType;
    public string? Property { get; } = property;
    public string Reason { get; } = reason;

    private static string Describe(string id, string? name, string type, string? property, string reason)
    {
        var who = string.IsNullOrEmpty(name) ? $"{type} node {id}" : $"{type} node \"{name}\" ({id})";
        return property is null ? $"{who}: {reason}" : $"{who}, property '{property}': {reason}";
    }
}
