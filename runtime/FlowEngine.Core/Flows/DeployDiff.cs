using FlowEngine.Core.Values;

namespace FlowEngine.Core.Flows;

/// <summary>Node-RED's deployment types (header Node-RED-Deployment-Type).</summary>
public enum DeploymentType
{
    Full,
    Flows,
    Nodes,
    Reload,
}

public static class DeploymentTypes
{
    public static bool TryParse(string? text, out DeploymentType type)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "full": type = DeploymentType.Full; return true;
            case "flows": type = DeploymentType.Flows; return true;
            case "nodes": type = DeploymentType.Nodes; return true;
            case "reload": type = DeploymentType.Reload; return true;
            default: type = DeploymentType.Full; return false;
        }
    }
}

/// <summary>
/// What changed between two configurations, by Node-RED's rules (§3.1): changed, added, removed, rewired and
/// linked objects, with changes propagated to config-node users, group members and subflow instances.
/// </summary>
public sealed class DeployDiff
{
    public HashSet<string> Changed { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Added { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Removed { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Rewired { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Linked { get; } = new(StringComparer.Ordinal);
    /// <summary>Tabs added, removed, enabled, disabled or with changed env: all their nodes restart.</summary>
    public HashSet<string> RestartedTabs { get; } = new(StringComparer.Ordinal);
    public bool GlobalConfigChanged { get; private set; }

    private static readonly HashSet<string> PositionKeys = ["x", "y", "wires"];
    private static readonly HashSet<string> GroupLayoutKeys = ["x", "y", "wires", "nodes", "style", "w", "h"];

    public static DeployDiff Compute(FlowConfiguration oldConfig, FlowConfiguration newConfig, IReadOnlySet<string>? withCredentials = null)
    {
        var diff = new DeployDiff();
        var oldById = oldConfig.ById;
        var newById = newConfig.ById;

        foreach (var (id, item) in newById)
        {
            var enabled = item.Get("d") is not true;
            if (!oldById.TryGetValue(id, out var before))
            {
                if (enabled) diff.Added.Add(id);
                continue;
            }
            var wasEnabled = before.Get("d") is not true;
            if (wasEnabled && !enabled) diff.Removed.Add(id);
            else if (!wasEnabled && enabled) diff.Added.Add(id);
            else if (!SameIgnoring(before, item, FlowConfiguration.TypeOf(item) == "group" ? GroupLayoutKeys : PositionKeys) || (withCredentials?.Contains(id) ?? false))
            {
                diff.Changed.Add(id);
            }
            if (!JsValue.DeepEquals(before.Get("wires"), item.Get("wires"))) diff.Rewired.Add(id);
            if (FlowConfiguration.TypeOf(item) == "tab")
            {
                var envChanged = !JsValue.DeepEquals(before.Get("env"), item.Get("env"));
                var disabledToggled = (before.Get("disabled") is true) != (item.Get("disabled") is true);
                if (envChanged || disabledToggled) diff.RestartedTabs.Add(id);
            }
            if (FlowConfiguration.TypeOf(item) == "global-config" && diff.Changed.Contains(id)) diff.GlobalConfigChanged = true;
        }
        foreach (var (id, item) in oldById)
        {
            if (!newById.ContainsKey(id))
            {
                if (item.Get("d") is not true) diff.Removed.Add(id);
                if (FlowConfiguration.TypeOf(item) == "tab") diff.RestartedTabs.Add(id);
            }
        }
        foreach (var id in diff.Added)
        {
            if (FlowConfiguration.TypeOf(newById[id]) == "tab") diff.RestartedTabs.Add(id);
        }

        diff.Propagate(oldConfig, newConfig);
        diff.FindLinked(oldConfig, newConfig);
        return diff;
    }

    private static bool SameIgnoring(JsObject a, JsObject b, HashSet<string> ignored)
    {
        var countA = a.Keys.Count(k => !ignored.Contains(k));
        var countB = b.Keys.Count(k => !ignored.Contains(k));
        if (countA != countB) return false;
        foreach (var (key, value) in a)
        {
            if (ignored.Contains(key)) continue;
            if (!b.TryGetValue(key, out var other) || !JsValue.DeepEquals(value, other)) return false;
        }
        return true;
    }

    private void Propagate(FlowConfiguration oldConfig, FlowConfiguration newConfig)
    {
        var items = newConfig.Items;
        bool progress;
        do
        {
            progress = false;
            var dirty = new HashSet<string>(Changed, StringComparer.Ordinal);
            dirty.UnionWith(Removed);
            foreach (var item in items)
            {
                var id = FlowConfiguration.IdOf(item);
                if (Changed.Contains(id) || Added.Contains(id) || item.Get("d") is true) continue;
                var type = FlowConfiguration.TypeOf(item);
                var becameChanged = false;
                foreach (var (key, value) in item)
                {
                    if (key is "id" or "wires" or "type" or "z" or "g") continue;
                    if (References(value, dirty))
                    {
                        becameChanged = true;
                        break;
                    }
                }
                // A changed group changes its members; a changed subflow template (or a node inside it) changes its instances.
                if (!becameChanged && item.Get("g") is string g && Changed.Contains(g)) becameChanged = true;
                if (!becameChanged && type.StartsWith("subflow:", StringComparison.Ordinal) && Changed.Contains(type["subflow:".Length..])) becameChanged = true;
                if (becameChanged)
                {
                    Changed.Add(id);
                    progress = true;
                }
            }
            foreach (var id in Changed.Concat(Removed).Concat(Added).ToList())
            {
                var item = newConfig.ById.TryGetValue(id, out var n) ? n : oldConfig.ById.GetValueOrDefault(id);
                if (item?.Get("z") is string z && (newConfig.ById.TryGetValue(z, out var container) || oldConfig.ById.TryGetValue(z, out container))
                    && FlowConfiguration.TypeOf(container) == "subflow" && !Changed.Contains(z) && !Added.Contains(z))
                {
                    Changed.Add(z);
                    progress = true;
                }
            }
        }
        while (progress);
    }

    private static bool References(object? value, HashSet<string> ids) => value switch
    {
        string s => ids.Contains(s),
        List<object?> list => list.Any(v => v is string s && ids.Contains(s)),
        _ => false,
    };

    private void FindLinked(FlowConfiguration oldConfig, FlowConfiguration newConfig)
    {
        var neighbours = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Connect(string a, string b)
        {
            if (!neighbours.TryGetValue(a, out var set)) neighbours[a] = set = new(StringComparer.Ordinal);
            set.Add(b);
            if (!neighbours.TryGetValue(b, out var back)) neighbours[b] = back = new(StringComparer.Ordinal);
            back.Add(a);
        }
        foreach (var config in new[] { oldConfig, newConfig })
        {
            foreach (var item in config.Items)
            {
                if (item.Get("wires") is not List<object?> ports) continue;
                var id = FlowConfiguration.IdOf(item);
                foreach (var port in ports.OfType<List<object?>>())
                {
                    foreach (var target in port.OfType<string>()) Connect(id, target);
                }
            }
        }
        var queue = new Queue<string>(Changed.Concat(Added).Concat(Removed).Concat(Rewired));
        var seen = new HashSet<string>(queue, StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            var id = queue.Dequeue();
            if (!neighbours.TryGetValue(id, out var next)) continue;
            foreach (var n in next)
            {
                if (seen.Add(n))
                {
                    Linked.Add(n);
                    queue.Enqueue(n);
                }
            }
        }
    }

    /// <summary>Top-level ids whose running instances must be stopped (and started again if still present).</summary>
    public HashSet<string> UnitsToRestart(DeploymentType type)
    {
        var units = new HashSet<string>(Changed, StringComparer.Ordinal);
        units.UnionWith(Removed);
        if (type == DeploymentType.Flows)
        {
            units.UnionWith(Rewired);
            units.UnionWith(Linked);
        }
        return units;
    }
}
