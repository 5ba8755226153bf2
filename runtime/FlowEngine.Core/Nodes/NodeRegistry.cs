namespace FlowEngine.Core.Nodes;

/// <summary>Creates a node from its setup. Constructors parse configuration only; side effects wait for OnStartAsync.</summary>
public delegate FlowNode NodeFactory(NodeSetup setup);

/// <summary>The node types a runtime knows: declaration plus factory, registered by each node family at start.</summary>
public sealed class NodeRegistry
{
    private readonly Dictionary<string, (NodeDeclaration Declaration, NodeFactory Factory)> _types = new(StringComparer.Ordinal);

    public void Register(NodeDeclaration declaration, NodeFactory factory)
    {
        if (!_types.TryAdd(declaration.Type, (declaration, factory)))
        {
            throw new InvalidOperationException($"Node type \"{declaration.Type}\" is registered twice.");
        }
    }

    public bool IsKnown(string type) => _types.ContainsKey(type);

    public NodeDeclaration? Declaration(string type) => _types.TryGetValue(type, out var entry) ? entry.Declaration : null;

    public NodeFactory? Factory(string type) => _types.TryGetValue(type, out var entry) ? entry.Factory : null;

    public IEnumerable<NodeDeclaration> Declarations => _types.Values.Select(t => t.Declaration);

    /// <summary>Node types that never signal completion (Node-RED handlers without done: switch, rbe).</summary>
    public bool ReportsCompletion(string type) => !_types.TryGetValue(type, out var entry) || entry.Declaration.ReportsCompletion;
}
