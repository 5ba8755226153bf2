using System.Security.Cryptography;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// The single-flow API (§4.1): GET /flow/:id, POST /flow, PUT /flow/:id, DELETE /flow/:id, with Node-RED's shapes.
/// Changes are applied as a "flows" deploy of the whole configuration with the tab replaced.
/// </summary>
internal static class FlowEndpoints
{
    private const string GlobalId = "global";

    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/flow/{id}", (string id) => AdminResults.Json(Describe(services.Flows.Current, id)
            ?? throw ErrorResponses.NotFoundError($"No flow with id {id}")));
        group.MapPost("/flow", Task<IResult> (HttpContext context) => AddAsync(context, services));
        group.MapPut("/flow/{id}", (HttpContext context, string id) => UpdateAsync(context, services, id));
        group.MapDelete("/flow/{id}", (string id) => RemoveAsync(services, id));
    }

    /// <summary>
    /// One tab as {id, label?, disabled?, info?, env?, nodes:[groups and nodes], configs?}, or "global" as
    /// {id, configs?, subflows?} with each subflow carrying its nodes and configs. Link out wires and credentials
    /// are left out, as Node-RED does.
    /// </summary>
    internal static JsObject? Describe(FlowConfiguration config, string id)
    {
        var containers = new HashSet<string>(config.Items.Where(i => config.KindOf(i) is FlowItemKind.Tab or FlowItemKind.Subflow).Select(FlowConfiguration.IdOf), StringComparer.Ordinal);
        if (id == GlobalId)
        {
            var result = new JsObject { ["id"] = GlobalId };
            var configs = config.Items.Where(i => config.KindOf(i) == FlowItemKind.ConfigNode && !(i.Get("z") is string z && containers.Contains(z)))
                .Select(Clean).ToList();
            if (configs.Count > 0) result["configs"] = configs;
            var subflows = config.OfKind(FlowItemKind.Subflow).Select(template =>
            {
                var subflow = (JsObject)Clean(template)!;
                var templateId = FlowConfiguration.IdOf(template);
                subflow["nodes"] = ContentsOf(config, templateId, configs: false);
                subflow["configs"] = ContentsOf(config, templateId, configs: true);
                return (object?)subflow;
            }).ToList();
            if (subflows.Count > 0) result["subflows"] = subflows;
            return result;
        }
        if (!config.ById.TryGetValue(id, out var tab) || config.KindOf(tab) != FlowItemKind.Tab) return null;
        var flow = new JsObject { ["id"] = id };
        if (JsValue.IsTruthy(tab.Get("label"))) flow["label"] = tab["label"];
        foreach (var key in (string[])["disabled", "locked", "info", "env"])
        {
            if (tab.TryGetValue(key, out var value)) flow[key] = JsValue.DeepClone(value);
        }
        flow["nodes"] = ContentsOf(config, id, configs: false);
        var tabConfigs = ContentsOf(config, id, configs: true);
        if (tabConfigs.Count > 0) flow["configs"] = tabConfigs;
        return flow;
    }

    private static List<object?> ContentsOf(FlowConfiguration config, string containerId, bool configs) =>
        config.Items
            .Where(i => i.Get("z") as string == containerId && config.KindOf(i) is var kind
                && (configs ? kind == FlowItemKind.ConfigNode : kind is FlowItemKind.Node or FlowItemKind.Group))
            .Select(Clean)
            .ToList();

    private static object? Clean(JsObject item)
    {
        var copy = (JsObject)JsValue.DeepClone(item)!;
        copy.Remove("credentials");
        if (copy.Get("type") as string == "link out") copy.Remove("wires");
        return copy;
    }

    private static async Task<IResult> AddAsync(HttpContext context, AdminServices services)
    {
        var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
        if (body.Value is not JsObject flow || flow.Get("nodes") is not List<object?> nodes)
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, "missing nodes property: the body must be {\"label\", \"nodes\":[...], \"configs\"?:[...]}");
        }
        var id = await services.Flows.UpdateAsync<string>(current =>
        {
            var newId = NewId(current);
            var tab = new JsObject { ["type"] = "tab" };
            if (flow.TryGetValue("label", out var label)) tab["label"] = label;
            tab["id"] = newId;
            CopyTabProperties(flow, tab);
            var added = new List<object?> { tab };
            var seen = new HashSet<string>(StringComparer.Ordinal);
            AddMembers(nodes, newId, current, seen, added);
            AddMembers(flow.Get("configs") as List<object?> ?? [], newId, current, seen, added);
            List<object?> flows = [.. current.ToJson(), .. added];
            return (flows, newId);
        }, CancellationToken.None).ConfigureAwait(false);
        return AdminResults.Json(new JsObject { ["id"] = id });
    }

    private static void AddMembers(List<object?> members, string tabId, FlowConfiguration current, HashSet<string> seen, List<object?> added)
    {
        foreach (var member in members)
        {
            if (member is JsObject node)
            {
                if (node.Get("id") is string memberId && (current.ById.ContainsKey(memberId) || !seen.Add(memberId)))
                {
                    throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, $"duplicate id: {memberId}");
                }
                if (node.Get("type") is "tab" or "subflow")
                {
                    throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, $"invalid node type: {node.Get("type")}");
                }
                node["z"] = tabId;
            }
            added.Add(member);
        }
    }

    private static void CopyTabProperties(JsObject from, JsObject tab)
    {
        foreach (var key in (string[])["info", "disabled", "locked", "env", "credentials"])
        {
            if (from.TryGetValue(key, out var value)) tab[key] = value;
        }
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, AdminServices services, string id)
    {
        var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
        if (body.Value is not JsObject flow)
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, "The body must be a flow object {\"label\", \"nodes\":[...], \"configs\"?:[...]}");
        }
        await services.Flows.UpdateAsync<string>(current =>
        {
            var tabs = new HashSet<string>(current.OfKind(FlowItemKind.Tab).Select(FlowConfiguration.IdOf), StringComparer.Ordinal);
            List<object?> result;
            if (id == GlobalId)
            {
                // Everything not on a tab is replaced: global config nodes, subflow templates and their contents.
                result = current.Items.Where(i => i.Get("type") as string == "tab" || (i.Get("z") is string z && tabs.Contains(z))).Cast<object?>().ToList();
                result.AddRange(flow.Get("configs") as List<object?> ?? []);
                foreach (var subflow in (flow.Get("subflows") as List<object?> ?? []).OfType<JsObject>())
                {
                    result.AddRange(subflow.Get("nodes") as List<object?> ?? []);
                    result.AddRange(subflow.Get("configs") as List<object?> ?? []);
                    var template = new JsObject();
                    foreach (var (key, value) in subflow)
                    {
                        if (key is not ("nodes" or "configs")) template[key] = value;
                    }
                    result.Add(template);
                }
            }
            else
            {
                if (!tabs.Contains(id)) throw ErrorResponses.NotFoundError($"No flow with id {id}");
                result = current.Items.Where(i => i.Get("z") as string != id && FlowConfiguration.IdOf(i) != id).Cast<object?>().ToList();
                var tab = new JsObject { ["type"] = "tab" };
                if (flow.TryGetValue("label", out var label)) tab["label"] = label;
                tab["id"] = id;
                CopyTabProperties(flow, tab);
                result.Add(tab);
                foreach (var member in (flow.Get("nodes") as List<object?> ?? []).Concat(flow.Get("configs") as List<object?> ?? []))
                {
                    if (member is JsObject node && node.Get("type") as string != "tab") node["z"] = id;
                    result.Add(member);
                }
            }
            return (result, id);
        }, CancellationToken.None).ConfigureAwait(false);
        return AdminResults.Json(new JsObject { ["id"] = id });
    }

    private static async Task<IResult> RemoveAsync(AdminServices services, string id)
    {
        if (id == GlobalId) throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, "not allowed to remove global");
        await services.Flows.UpdateAsync<string>(current =>
        {
            if (!current.ById.TryGetValue(id, out var tab) || current.KindOf(tab) != FlowItemKind.Tab)
            {
                throw ErrorResponses.NotFoundError($"No flow with id {id}");
            }
            var result = current.Items.Where(i => i.Get("z") as string != id && FlowConfiguration.IdOf(i) != id).Cast<object?>().ToList();
            return (result, id);
        }, CancellationToken.None).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>Node-RED's id form: 8 random bytes as 16 lowercase hex characters.</summary>
    private static string NewId(FlowConfiguration current)
    {
        while (true)
        {
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            if (!current.ById.ContainsKey(id)) return id;
        }
    }
}
