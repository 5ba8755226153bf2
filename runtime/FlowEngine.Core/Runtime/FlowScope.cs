using FlowEngine.Core.Context;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// A running flow scope (tab, subflow instance or global): its context, its env, and the catch and status nodes
/// that receive errors and status changes of its nodes (Node-RED §2.5, §2.6).
/// </summary>
internal sealed class FlowScope
{
    public FlowScope(ScopePlan plan, FlowScope? parent, ContextScope context)
    {
        Plan = plan;
        Parent = parent;
        Context = context;
    }

    public ScopePlan Plan { get; }
    public string Id => Plan.Id;
    public FlowScope? Parent { get; }
    public ContextScope Context { get; }
    public IReadOnlyList<EnvLayer> EnvChain { get; set; } = [];

    /// <summary>Catch nodes, sorted at start: explicitly scoped, then unscoped, then uncaught.</summary>
    public List<ScopedListener> Catchers { get; } = [];
    public List<ScopedListener> StatusListeners { get; } = [];

    /// <summary>For a subflow scope: the runner of its instance node, which errors and status bubble up as.</summary>
    public NodeRunner? InstanceRunner { get; set; }
}

/// <summary>A catch or status node and what it listens to.</summary>
internal sealed class ScopedListener
{
    public required NodeRunner Runner { get; init; }
    /// <summary>null = every node of the flow; otherwise the ids listed.</summary>
    public HashSet<string>? Ids { get; init; }
    public bool GroupScoped { get; init; }
    public bool Uncaught { get; init; }
    public string[] OwnGroups => Runner.Groups;

    public static ScopedListener From(NodeRunner runner, JsObject config, bool isStatus)
    {
        var scope = config.Get("scope");
        HashSet<string>? ids = null;
        var group = false;
        if (scope is List<object?> list)
        {
            ids = new HashSet<string>(list.OfType<string>().Select(id => Remap(runner, id)), StringComparer.Ordinal);
            if (isStatus)
            {
                // A status node does not listen to the nodes it is itself wired to (loop protection, §2.6).
                foreach (var port in runner.Wires) foreach (var target in port) ids.Remove(target.Id);
            }
        }
        else if (scope is "group")
        {
            group = true;
        }
        return new ScopedListener { Runner = runner, Ids = ids, GroupScoped = group, Uncaught = !isStatus && config.Get("uncaught") is true };
    }

    private static string Remap(NodeRunner runner, string id)
    {
        // Inside a subflow instance the scope lists were already remapped by the planner.
        return id;
    }

    /// <summary>Whether this listener hears from a node; returns the group distance for ordering (0 when ungrouped).</summary>
    public bool Matches(NodeRunner reporter, out int distance)
    {
        distance = 0;
        if (GroupScoped)
        {
            if (OwnGroups.Length == 0) return false;
            var own = OwnGroups[0];
            var index = Array.IndexOf(reporter.Groups, own);
            if (index < 0) return false;
            distance = index;
            return true;
        }
        if (Ids is not null) return Ids.Contains(reporter.Id) || (reporter.Identity.Alias is { } alias && Ids.Contains(alias));
        if (reporter.Groups.Length > 0 && OwnGroups.Length > 0)
        {
            var index = Array.IndexOf(reporter.Groups, OwnGroups[0]);
            distance = index < 0 ? reporter.Groups.Length : index;
        }
        return true;
    }

    public int Rank => Uncaught ? 2 : GroupScoped || Ids is not null ? 0 : 1;
}
