using FlowEngine.Core.Values;

namespace FlowEngine.Core.Flows;

/// <summary>
/// Turns a configuration into a <see cref="FlowPlan"/>: disabled objects dropped, link wires resolved, and subflow
/// instances expanded into scopes of their own with ids "instance-original" (Node-RED §1.5).
/// </summary>
public static class FlowPlanner
{
    public const string SubflowInstanceType = "subflow-instance";
    public const string SubflowStatusType = "subflow-status";

    public static FlowPlan Build(FlowConfiguration config, Func<string, bool> isKnownType)
    {
        var plan = new FlowPlan();
        var tabs = config.OfKind(FlowItemKind.Tab).ToDictionary(FlowConfiguration.IdOf, StringComparer.Ordinal);
        var subflows = config.OfKind(FlowItemKind.Subflow).ToDictionary(FlowConfiguration.IdOf, StringComparer.Ordinal);
        var linkWires = ResolveLinks(config.Items);

        if (config.Items.FirstOrDefault(i => FlowConfiguration.TypeOf(i) == "global-config") is { } globalConfig)
        {
            plan.GlobalEnv = globalConfig.Get("env") as List<object?> ?? [];
            plan.GlobalConfigId = FlowConfiguration.IdOf(globalConfig);
        }

        plan.Scopes["global"] = new ScopePlan { Id = "global", Kind = "global", UnitId = "global", Label = "global" };
        foreach (var (id, tab) in tabs)
        {
            if (tab.Get("disabled") is true) continue;
            plan.Scopes[id] = new ScopePlan
            {
                Id = id,
                Kind = "tab",
                ParentId = "global",
                Label = tab.Get("label") as string ?? "",
                UnitId = id,
                Env = tab.Get("env") as List<object?> ?? [],
                Path = id,
            };
        }

        foreach (var item in config.Items)
        {
            var kind = config.KindOf(item);
            if (kind is FlowItemKind.Tab or FlowItemKind.Subflow) continue;
            var z = item.Get("z") as string;
            if (z is not null && subflows.ContainsKey(z)) continue; // template members are expanded per instance
            if (IsDisabled(item)) continue;
            string? scopeId;
            if (z is null || !tabs.ContainsKey(z))
            {
                // A config node without z is global. A flow node whose z names no tab still runs (Node-RED invents a tab).
                if (kind == FlowItemKind.Node && z is not null)
                {
                    plan.Scopes.TryAdd(z, new ScopePlan { Id = z, Kind = "tab", ParentId = "global", UnitId = z, Path = z });
                    scopeId = z;
                }
                else
                {
                    scopeId = kind == FlowItemKind.ConfigNode ? null : "global";
                }
            }
            else
            {
                if (tabs[z].Get("disabled") is true) continue;
                scopeId = z;
            }
            var id = FlowConfiguration.IdOf(item);
            switch (kind)
            {
                case FlowItemKind.Group:
                    plan.Groups[id] = new GroupPlan { RuntimeId = id, Config = item, ParentGroupId = item.Get("g") as string, ScopeId = scopeId };
                    break;
                case FlowItemKind.ConfigNode:
                    AddNode(plan, item, id, null, scopeId, id, isConfig: true, Wires(item, linkWires), isKnownType, id, scopeId ?? "global");
                    break;
                case FlowItemKind.Node:
                    var type = FlowConfiguration.TypeOf(item);
                    if (type.StartsWith("subflow:", StringComparison.Ordinal))
                    {
                        ExpandInstance(plan, config, subflows, linkWires, item, id, scopeId!, id, isKnownType, depth: 0);
                    }
                    else
                    {
                        AddNode(plan, item, id, null, scopeId, id, isConfig: false, Wires(item, linkWires), isKnownType, id, $"{scopeId}/{id}");
                    }
                    break;
            }
        }
        foreach (var node in plan.Nodes.Values)
        {
            if (node.Config.Get("g") is string g) node.GroupChain = GroupChain(plan, g);
        }
        return plan;
    }

    private static bool IsDisabled(JsObject item) => item.Get("d") is true;

    private static void AddNode(FlowPlan plan, JsObject item, string runtimeId, string? alias, string? scopeId, string unitId,
        bool isConfig, List<List<string>> wires, Func<string, bool> isKnownType, string credentialId, string path)
    {
        var type = FlowConfiguration.TypeOf(item);
        if (!isKnownType(type) && type != "tab") plan.MissingTypes.Add(type);
        plan.Nodes[runtimeId] = new NodePlan
        {
            RuntimeId = runtimeId,
            Type = type,
            Alias = alias,
            Config = item,
            ScopeId = scopeId,
            UnitId = unitId,
            IsConfig = isConfig,
            Wires = wires,
            CredentialId = credentialId,
            Path = path,
        };
    }

    private static string[] GroupChain(FlowPlan plan, string groupId)
    {
        var chain = new List<string>();
        var current = groupId;
        while (current is not null && plan.Groups.TryGetValue(current, out var group) && !chain.Contains(current))
        {
            chain.Add(current);
            current = group.ParentGroupId;
        }
        return chain.ToArray();
    }

    private static List<List<string>> Wires(JsObject item, Dictionary<string, List<string>> linkWires)
    {
        if (FlowConfiguration.TypeOf(item) == "link out" && linkWires.TryGetValue(FlowConfiguration.IdOf(item), out var targets))
        {
            return [targets];
        }
        var result = new List<List<string>>();
        if (item.Get("wires") is List<object?> ports)
        {
            foreach (var port in ports)
            {
                result.Add(port is List<object?> ids ? ids.OfType<string>().ToList() : []);
            }
        }
        return result;
    }

    /// <summary>Each link out's wires become the union of link ins it names and link ins that name it (§1.11).</summary>
    private static Dictionary<string, List<string>> ResolveLinks(IReadOnlyList<JsObject> items)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var linkIns = items.Where(i => FlowConfiguration.TypeOf(i) == "link in").ToDictionary(FlowConfiguration.IdOf, StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (FlowConfiguration.TypeOf(item) != "link out") continue;
            var id = FlowConfiguration.IdOf(item);
            if (item.Get("mode") as string == "return")
            {
                result[id] = [];
                continue;
            }
            var targets = new List<string>();
            if (item.Get("links") is List<object?> links)
            {
                targets.AddRange(links.OfType<string>().Where(linkIns.ContainsKey));
            }
            foreach (var (inId, linkIn) in linkIns)
            {
                if (linkIn.Get("links") is List<object?> back && back.Contains(id) && !targets.Contains(inId)) targets.Add(inId);
            }
            result[id] = targets;
        }
        return result;
    }

    private static void ExpandInstance(FlowPlan plan, FlowConfiguration config, Dictionary<string, JsObject> subflows,
        Dictionary<string, List<string>> linkWires, JsObject instance, string instanceRuntimeId, string parentScopeId,
        string unitId, Func<string, bool> isKnownType, int depth)
    {
        var templateId = FlowConfiguration.TypeOf(instance)["subflow:".Length..];
        var outerWires = Wires(instance, linkWires);
        if (!subflows.TryGetValue(templateId, out var template) || depth > 32)
        {
            // Missing template: an unknown-type placeholder keeps the instance's place in the flow.
            AddNode(plan, instance, instanceRuntimeId, null, parentScopeId, unitId, false, outerWires, isKnownType, FlowConfiguration.IdOf(instance), instanceRuntimeId);
            return;
        }
        var members = config.Items.Where(i => i.Get("z") as string == templateId && !IsDisabled(i)).ToList();
        var internalIds = new HashSet<string>(members.Select(FlowConfiguration.IdOf), StringComparer.Ordinal);
        string Remap(string id) => internalIds.Contains(id) ? $"{instanceRuntimeId}-{id}" : id;
        var parentPath = plan.Scopes.TryGetValue(parentScopeId, out var parentScope) ? parentScope.Path : parentScopeId;

        plan.Scopes[instanceRuntimeId] = new ScopePlan
        {
            Id = instanceRuntimeId,
            Kind = "subflow",
            ParentId = parentScopeId,
            Label = instance.Get("name") as string is { Length: > 0 } n ? n : template.Get("name") as string ?? "",
            UnitId = unitId,
            Env = MergeEnv(template.Get("env") as List<object?>, instance.Get("env") as List<object?>),
            SubflowTemplateId = templateId,
            SubflowName = template.Get("name") as string,
            InstanceNodeId = instanceRuntimeId,
            Path = $"{parentPath}/{instanceRuntimeId}",
        };

        // Internal node wired to output i gets the instance's outgoing wires on that port.
        var extraWires = new Dictionary<(string Id, int Port), List<string>>();
        var passThrough = new List<string>();
        if (template.Get("in") is List<object?> { Count: > 0 } inPorts && inPorts[0] is JsObject inPort && inPort.Get("wires") is List<object?> inWires)
        {
            foreach (var w in inWires.OfType<JsObject>())
            {
                if (w.Get("id") is string target && internalIds.Contains(target)) passThrough.Add(Remap(target));
            }
        }
        if (template.Get("out") is List<object?> outPorts)
        {
            for (var i = 0; i < outPorts.Count; i++)
            {
                if (outPorts[i] is not JsObject outPort || outPort.Get("wires") is not List<object?> ow) continue;
                var targets = i < outerWires.Count ? outerWires[i] : [];
                foreach (var w in ow.OfType<JsObject>())
                {
                    var source = w.Get("id") as string;
                    var port = (int)(w.Get("port") as double? ?? 0);
                    if (source == templateId) passThrough.AddRange(targets);
                    else if (source is not null && internalIds.Contains(source))
                    {
                        var key = (source, port);
                        if (!extraWires.TryGetValue(key, out var list)) extraWires[key] = list = [];
                        list.AddRange(targets);
                    }
                }
            }
        }
        string? statusNodeId = null;
        if (template.Get("status") is JsObject statusPort && statusPort.Get("wires") is List<object?> sw)
        {
            statusNodeId = $"{instanceRuntimeId}-status";
            foreach (var w in sw.OfType<JsObject>())
            {
                if (w.Get("id") is string source && internalIds.Contains(source))
                {
                    var key = (source, (int)(w.Get("port") as double? ?? 0));
                    if (!extraWires.TryGetValue(key, out var list)) extraWires[key] = list = [];
                    list.Add(statusNodeId);
                }
            }
            plan.Nodes[statusNodeId] = new NodePlan
            {
                RuntimeId = statusNodeId,
                Type = SubflowStatusType,
                Config = new JsObject { ["id"] = statusNodeId, ["type"] = SubflowStatusType, ["z"] = instanceRuntimeId, ["instance"] = instanceRuntimeId },
                ScopeId = instanceRuntimeId,
                UnitId = unitId,
                CredentialId = statusNodeId,
                Path = $"{parentPath}/{instanceRuntimeId}/status",
            };
        }

        // The instance node itself: receives the subflow's input and passes it to the internal targets.
        var instanceConfig = (JsObject)JsValue.DeepClone(instance)!;
        instanceConfig["id"] = instanceRuntimeId;
        plan.Nodes[instanceRuntimeId] = new NodePlan
        {
            RuntimeId = instanceRuntimeId,
            Type = SubflowInstanceType,
            Config = instanceConfig,
            ScopeId = parentScopeId,
            UnitId = unitId,
            Wires = [passThrough],
            CredentialId = FlowConfiguration.IdOf(instance),
            Path = $"{parentPath}/{instanceRuntimeId}",
        };

        foreach (var member in members)
        {
            var memberId = FlowConfiguration.IdOf(member);
            var runtimeId = Remap(memberId);
            var copy = RemapReferences(member, internalIds, instanceRuntimeId);
            copy["id"] = runtimeId;
            copy["z"] = instanceRuntimeId;
            copy["_alias"] = memberId;
            var kind = config.KindOf(member);
            if (kind == FlowItemKind.Group)
            {
                plan.Groups[runtimeId] = new GroupPlan { RuntimeId = runtimeId, Config = copy, ParentGroupId = copy.Get("g") as string, ScopeId = instanceRuntimeId };
                continue;
            }
            var wires = Wires(member, linkWires).Select(port => port.Select(Remap).ToList()).ToList();
            foreach (var ((source, port), targets) in extraWires)
            {
                if (source != memberId) continue;
                while (wires.Count <= port) wires.Add([]);
                wires[port].AddRange(targets);
            }
            if (kind == FlowItemKind.Node)
            {
                copy["wires"] = wires.Select(p => (object?)p.Cast<object?>().ToList()).ToList();
            }
            var type = FlowConfiguration.TypeOf(member);
            if (kind == FlowItemKind.Node && type.StartsWith("subflow:", StringComparison.Ordinal))
            {
                ExpandInstance(plan, config, subflows, linkWires, copy, runtimeId, instanceRuntimeId, unitId, isKnownType, depth + 1);
                continue;
            }
            AddNode(plan, copy, runtimeId, memberId, instanceRuntimeId, unitId, kind == FlowItemKind.ConfigNode, wires, isKnownType,
                memberId, $"{parentPath}/{instanceRuntimeId}/{memberId}");
        }
    }

    private static List<object?> MergeEnv(List<object?>? templateEnv, List<object?>? instanceEnv)
    {
        var merged = new List<object?>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var source in new[] { templateEnv, instanceEnv })
        {
            if (source is null) continue;
            foreach (var item in source.OfType<JsObject>())
            {
                if (item.Get("name") is not string name) continue;
                if (byName.TryGetValue(name, out var index)) merged[index] = item;
                else
                {
                    byName[name] = merged.Count;
                    merged.Add(item);
                }
            }
        }
        return merged;
    }

    /// <summary>Copies a template member with every property value that names another member remapped (wires, scope lists, links, g, config references).</summary>
    private static JsObject RemapReferences(JsObject member, HashSet<string> internalIds, string instanceId)
    {
        var copy = new JsObject(member.Count);
        foreach (var (key, value) in member)
        {
            copy[key] = key is "id" or "type" or "z" ? value : RemapValue(value, internalIds, instanceId, depth: 0);
        }
        return copy;
    }

    private static object? RemapValue(object? value, HashSet<string> internalIds, string instanceId, int depth) => value switch
    {
        string s when internalIds.Contains(s) => $"{instanceId}-{s}",
        List<object?> list when depth < 3 => list.Select(v => RemapValue(v, internalIds, instanceId, depth + 1)).ToList(),
        _ => JsValue.DeepClone(value),
    };
}
