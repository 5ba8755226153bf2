using FlowEngine.Core.Values;

namespace FlowEngine.Core.Flows;

/// <summary>A flow scope at run time: a tab, a subflow instance (nested in its parent), or the global scope.</summary>
public sealed class ScopePlan
{
    public required string Id { get; init; }
    public required string Kind { get; init; } // "tab", "subflow", "global"
    public string? ParentId { get; init; }
    public string Label { get; init; } = "";
    /// <summary>The top-level object whose change restarts this scope (tab id, or the top-level subflow instance id).</summary>
    public required string UnitId { get; init; }
    /// <summary>Env definitions for this scope, instance overrides already merged over template defaults.</summary>
    public List<object?> Env { get; init; } = [];
    public string? SubflowTemplateId { get; init; }
    public string? SubflowName { get; init; }
    /// <summary>The instance node's runtime id (for subflow scopes): errors and status bubble up as coming from it.</summary>
    public string? InstanceNodeId { get; init; }
    public string Path { get; init; } = "";
}

/// <summary>One node to run: its runtime id, configuration, wiring and where it belongs.</summary>
public sealed class NodePlan
{
    public required string RuntimeId { get; init; }
    public required string Type { get; init; }
    public string? Alias { get; init; }
    public required JsObject Config { get; init; }
    public string? ScopeId { get; init; }
    /// <summary>The top-level configuration object this node comes from (itself, or its top-level subflow instance).</summary>
    public required string UnitId { get; init; }
    public bool IsConfig { get; init; }
    public List<List<string>> Wires { get; init; } = [];
    public string[] GroupChain { get; set; } = [];
    /// <summary>Id used to look up credentials: the template node id inside subflows (Node-RED).</summary>
    public required string CredentialId { get; init; }
    public string Path { get; init; } = "";
}

public sealed class GroupPlan
{
    public required string RuntimeId { get; init; }
    public required JsObject Config { get; init; }
    public string? ParentGroupId { get; init; }
    public string? ScopeId { get; init; }
}

/// <summary>Everything the runtime needs to start a configuration.</summary>
public sealed class FlowPlan
{
    public Dictionary<string, ScopePlan> Scopes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, NodePlan> Nodes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, GroupPlan> Groups { get; } = new(StringComparer.Ordinal);
    public List<object?> GlobalEnv { get; set; } = [];
    public string? GlobalConfigId { get; set; }
    /// <summary>Types used by the configuration that no node family provides.</summary>
    public SortedSet<string> MissingTypes { get; } = new(StringComparer.Ordinal);
}
