using System.Net;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /nodes and /nodes/:module[/:set] (§4.1): the node-set list as JSON (Accept: application/json) or the
/// per-set HTML; plus FlowEngine's GET /nodes/declarations (or /nodes?format=declarations): every
/// <see cref="NodeDeclaration"/> as JSON, the data the editor draws palettes and forms from.
/// </summary>
internal static class NodesEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/nodes", (HttpContext context) =>
        {
            var registry = services.Runtime.Registry;
            if (context.Request.Query["format"].ToString() == "declarations") return Declarations(registry);
            var sets = NodeSets(registry);
            return WantsJson(context) ? AdminResults.Json(sets.Select(s => (object?)s.Info).ToList()) : Html(sets);
        });
        group.MapGet("/nodes/declarations", () => Declarations(services.Runtime.Registry));
        group.MapGet("/nodes/{**path}", (HttpContext context, string path) => GetModuleOrSet(context, services.Runtime.Registry, path));
    }

    private static bool WantsJson(HttpContext context) =>
        context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);

    private static IResult Declarations(NodeRegistry registry) =>
        AdminResults.Json(registry.Declarations.Select(d => (object?)DeclarationJson.From(d)).ToList());

    /// <summary>One node set (Node-RED: one .js/.html file pair) and the types it provides.</summary>
    internal sealed record NodeSet(string Id, string Module, List<NodeDeclaration> Types)
    {
        public JsObject Info => new()
        {
            ["id"] = Id,
            ["name"] = Id[(Id.LastIndexOf('/') + 1)..],
            ["types"] = Types.Select(t => (object?)t.Type).ToList(),
            ["enabled"] = true,
            ["local"] = false,
            ["user"] = false,
            ["module"] = Module,
            ["version"] = HostInfo.Version,
        };
    }

    internal static List<NodeSet> NodeSets(NodeRegistry registry)
    {
        var sets = new List<NodeSet>();
        var byId = new Dictionary<string, NodeSet>(StringComparer.Ordinal);
        foreach (var declaration in registry.Declarations)
        {
            var id = declaration.Set ?? $"{declaration.Module}/{declaration.Type}";
            if (!byId.TryGetValue(id, out var set))
            {
                set = new NodeSet(id, declaration.Module, []);
                byId[id] = set;
                sets.Add(set);
            }
            set.Types.Add(declaration);
        }
        return sets;
    }

    /// <summary>
    /// Node-RED's HTML form: each set behind its marker comment. FlowEngine's editor draws forms from the
    /// declarations, so each type contributes its help text only.
    /// </summary>
    private static IResult Html(IEnumerable<NodeSet> sets)
    {
        var html = new StringBuilder();
        foreach (var set in sets)
        {
            html.Append("<!-- --- [red-module:").Append(set.Id).Append("] --- -->\n");
            foreach (var type in set.Types)
            {
                html.Append("<script type=\"text/markdown\" data-help-name=\"").Append(WebUtility.HtmlEncode(type.Type)).Append("\">")
                    .Append(type.Help.Replace("</", "<\\/", StringComparison.Ordinal))
                    .Append("</script>\n");
            }
        }
        return Results.Text(html.ToString(), "text/html; charset=utf-8");
    }

    /// <summary>/nodes/node-red, /nodes/node-red/inject, /nodes/@scope/module[/set].</summary>
    private static IResult GetModuleOrSet(HttpContext context, NodeRegistry registry, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var moduleLength = segments.Length > 0 && segments[0].StartsWith('@') ? 2 : 1;
        if (segments.Length < moduleLength || segments.Length > moduleLength + 1)
        {
            throw ErrorResponses.NotFoundError($"No node module or set {path}");
        }
        var module = string.Join('/', segments.Take(moduleLength));
        var sets = NodeSets(registry).Where(s => s.Module == module).ToList();
        if (sets.Count == 0) throw ErrorResponses.NotFoundError($"No node module {module}");
        if (segments.Length == moduleLength)
        {
            if (!WantsJson(context)) return Html(sets);
            return AdminResults.Json(new JsObject
            {
                ["name"] = module,
                ["version"] = HostInfo.Version,
                ["local"] = false,
                ["user"] = false,
                ["nodes"] = sets.Select(s => (object?)s.Info).ToList(),
            });
        }
        var setId = $"{module}/{segments[^1]}";
        var set = sets.FirstOrDefault(s => s.Id == setId) ?? throw ErrorResponses.NotFoundError($"No node set {setId}");
        return WantsJson(context) ? AdminResults.Json(set.Info) : Html([set]);
    }
}

/// <summary>A node declaration as JSON, with every member present (null when unset) so clients see one stable shape.</summary>
internal static class DeclarationJson
{
    public static JsObject From(NodeDeclaration d) => new()
    {
        ["type"] = d.Type,
        ["category"] = d.Category,
        ["color"] = d.Color,
        ["icon"] = d.Icon,
        ["paletteLabel"] = d.PaletteLabel,
        ["defaultLabel"] = d.DefaultLabel,
        ["inputs"] = (double)d.Inputs,
        ["outputs"] = (double)d.Outputs,
        ["outputsProperty"] = d.OutputsProperty,
        ["inputLabels"] = Strings(d.InputLabels),
        ["outputLabels"] = Strings(d.OutputLabels),
        ["isConfig"] = d.IsConfig,
        ["hasButton"] = d.HasButton,
        ["reportsCompletion"] = d.ReportsCompletion,
        ["module"] = d.Module,
        ["set"] = d.Set,
        ["help"] = d.Help,
        ["properties"] = d.Properties.Select(p => (object?)Property(p)).ToList(),
        ["credentials"] = d.Credentials.Select(c => (object?)new JsObject
        {
            ["name"] = c.Name,
            ["type"] = c.IsPassword ? "password" : "text",
            ["label"] = c.Label,
        }).ToList(),
    };

    private static JsObject Property(PropertyDeclaration p) => new()
    {
        ["name"] = p.Name,
        ["kind"] = KindName(p.Kind),
        ["default"] = JsValue.Normalize(p.Default),
        ["required"] = p.Required,
        ["label"] = p.Label,
        ["help"] = p.Help,
        ["options"] = Strings(p.Options),
        ["typeProperty"] = p.TypeProperty,
        ["configType"] = p.ConfigType,
        ["editor"] = p.Editor,
    };

    /// <summary>The enum name in camelCase: typedInput, configReference, ruleList...</summary>
    internal static string KindName(PropertyKind kind)
    {
        var name = kind.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static List<object?>? Strings(IReadOnlyList<string>? values) => values?.Select(v => (object?)v).ToList();
}
