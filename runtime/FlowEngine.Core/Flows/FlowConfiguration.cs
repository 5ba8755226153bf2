using System.Security.Cryptography;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Flows;

public enum FlowItemKind
{
    Tab,
    Subflow,
    Group,
    Node,
    ConfigNode,
}

/// <summary>A problem with a flow configuration: which object, which property, and why.</summary>
public sealed record FlowProblem(string? NodeId, string? NodeName, string? NodeType, string? Property, string Reason)
{
    public override string ToString()
    {
        var who = NodeId is null ? "flow file" : string.IsNullOrEmpty(NodeName) ? $"{NodeType} node {NodeId}" : $"{NodeType} node \"{NodeName}\" ({NodeId})";
        return Property is null ? $"{who}: {Reason}" : $"{who}, property '{Property}': {Reason}";
    }
}

/// <summary>A flow configuration refused as a whole, with every problem found.</summary>
public sealed class FlowValidationException(IReadOnlyList<FlowProblem> problems)
    : Exception("The flow configuration is invalid: " + string.Join("; ", problems.Select(p => p.ToString())))
{
    public IReadOnlyList<FlowProblem> Problems { get; } = problems;
}

/// <summary>
/// A Node-RED flow configuration: the flat array of objects exactly as given (unknown keys kept, order kept) plus
/// the classification of each object (§1.2).
/// </summary>
public sealed class FlowConfiguration
{
    private FlowConfiguration(List<JsObject> items)
    {
        Items = items;
        var byId = new Dictionary<string, JsObject>(StringComparer.Ordinal);
        foreach (var item in items) byId[(string)item["id"]!] = item;
        ById = byId;
        Revision = ComputeRevision(items);
    }

    public static FlowConfiguration Empty { get; } = new([]);

    public IReadOnlyList<JsObject> Items { get; }
    public IReadOnlyDictionary<string, JsObject> ById { get; }
    /// <summary>Hex SHA-256 of the compact JSON text: changes whenever the stored configuration changes.</summary>
    public string Revision { get; }

    /// <summary>
    /// Reads a parsed JSON value as a flow configuration. Accepts the plain array (v1) and the {flows:[...]} wrapper.
    /// Throws <see cref="FlowValidationException"/> for structural problems (not an array, missing ids, duplicates).
    /// </summary>
    public static FlowConfiguration FromJson(object? json)
    {
        if (json is JsObject wrapper && wrapper.Get("flows") is List<object?> wrapped) json = wrapped;
        if (json is not List<object?> array)
        {
            throw new FlowValidationException([new FlowProblem(null, null, null, null, "a flow configuration must be a JSON array of objects")]);
        }
        var problems = new List<FlowProblem>();
        var items = new List<JsObject>(array.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsObject obj)
            {
                problems.Add(new FlowProblem(null, null, null, null, $"element {i} is not an object"));
                continue;
            }
            var id = obj.Get("id") as string;
            var type = obj.Get("type") as string;
            if (string.IsNullOrEmpty(id))
            {
                problems.Add(new FlowProblem(null, obj.Get("name") as string, type, "id", $"element {i} has no id"));
                continue;
            }
            if (string.IsNullOrEmpty(type))
            {
                problems.Add(new FlowProblem(id, obj.Get("name") as string, null, "type", "missing type"));
                continue;
            }
            if (!seen.Add(id))
            {
                problems.Add(new FlowProblem(id, obj.Get("name") as string, type, "id", "duplicate id"));
                continue;
            }
            items.Add(obj);
        }
        if (problems.Count > 0) throw new FlowValidationException(problems);
        return new FlowConfiguration(items);
    }

    public static FlowConfiguration Parse(string jsonText) => FromJson(JsJson.Parse(jsonText));

    public static string ComputeRevision(IEnumerable<JsObject> items)
    {
        var list = items.Cast<object?>().ToList();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsJson.Serialize(list))));
    }

    /// <summary>The configuration as a JSON value (the original objects, in order).</summary>
    public List<object?> ToJson() => Items.Cast<object?>().ToList();

    /// <summary>Node-RED's classification: by type for tab/subflow/group, then by the presence of x and y (§1.2).</summary>
    public FlowItemKind KindOf(JsObject item)
    {
        var type = item.Get("type") as string;
        if (type == "tab") return FlowItemKind.Tab;
        if (type == "subflow") return FlowItemKind.Subflow;
        if (type == "group") return FlowItemKind.Group;
        if (item.ContainsKey("x") && item.ContainsKey("y")) return FlowItemKind.Node;
        return FlowItemKind.ConfigNode;
    }

    public IEnumerable<JsObject> OfKind(FlowItemKind kind) => Items.Where(i => KindOf(i) == kind);

    public static string IdOf(JsObject item) => (string)item["id"]!;
    public static string TypeOf(JsObject item) => (string)item["type"]!;
}
