using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Nodes;

/// <summary>
/// Writes the node reference (docs/nodes.md) from the node declarations: the same text the editor shows, so the
/// two can never disagree.
/// </summary>
public static class NodeReference
{
    public static string ToMarkdown(IEnumerable<NodeDeclaration> declarations)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Node reference");
        sb.AppendLine();
        sb.AppendLine("Generated from the node declarations (`NodeReference.ToMarkdown`); the editor shows the same help.");
        sb.AppendLine("Regenerate with `UPDATE_NODE_REFERENCE=1 dotnet test tests/FlowEngine.Integration.Tests --filter NodeReference`.");
        var visible = declarations.Where(d => d.Category != "hidden").OrderBy(d => CategoryOrder(d.Category)).ThenBy(d => d.Category, StringComparer.Ordinal).ThenBy(d => d.Type, StringComparer.Ordinal).ToList();
        foreach (var group in visible.GroupBy(d => d.Category))
        {
            sb.AppendLine();
            sb.Append("## ").AppendLine(group.Key);
            foreach (var d in group)
            {
                sb.AppendLine();
                sb.Append("### `").Append(d.Type).AppendLine("`");
                sb.AppendLine();
                var ports = d.IsConfig ? "configuration node" : string.Create(CultureInfo.InvariantCulture, $"{d.Inputs} input, {(d.OutputsProperty is null ? d.Outputs.ToString(CultureInfo.InvariantCulture) : $"`{d.OutputsProperty}`")} output(s)");
                sb.Append('*').Append(d.PaletteLabel ?? d.Type).Append("* — ").AppendLine(ports);
                sb.AppendLine();
                sb.AppendLine(d.Help.Trim());
                if (d.Properties.Count > 0)
                {
                    sb.AppendLine();
                    sb.AppendLine("| property | kind | default | notes |");
                    sb.AppendLine("|---|---|---|---|");
                    foreach (var p in d.Properties)
                    {
                        var notes = new List<string>();
                        if (p.Required) notes.Add("required");
                        if (p.Options is { Count: > 0 }) notes.Add("one of " + string.Join(", ", p.Options.Select(o => $"`{o}`")));
                        if (p.TypeProperty is not null) notes.Add($"type in `{p.TypeProperty}`");
                        if (p.ConfigType is not null) notes.Add($"a `{p.ConfigType}` node");
                        if (!string.IsNullOrWhiteSpace(p.Help)) notes.Add(p.Help!.Replace("\n", " ", StringComparison.Ordinal));
                        var label = p.Label is null ? "" : $" ({p.Label})";
                        sb.Append("| `").Append(p.Name).Append('`').Append(label).Append(" | ").Append(p.Kind.ToString().ToLowerInvariant())
                          .Append(" | ").Append(p.Default is null ? "" : "`" + Escape(JsJson.Serialize(JsValue.Normalize(p.Default))) + "`")
                          .Append(" | ").Append(Escape(string.Join("; ", notes))).AppendLine(" |");
                    }
                }
                if (d.Credentials.Count > 0)
                {
                    sb.AppendLine();
                    sb.Append("Credentials (kept in `flows_cred.json`, never in the flow file): ")
                      .AppendLine(string.Join(", ", d.Credentials.Select(c => $"`{c.Name}`{(c.IsPassword ? " (secret)" : "")}")));
                }
            }
        }
        return sb.ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static int CategoryOrder(string category) => category switch
    {
        "common" => 0,
        "function" => 1,
        "network" => 2,
        "sequence" => 3,
        "parser" => 4,
        "storage" => 5,
        "config" => 99,
        _ => 10,
    };
}
