namespace FlowEngine.Core.Nodes;

/// <summary>What kind of editor field a property is; the editor draws its form from this and load-time validation checks it.</summary>
public enum PropertyKind
{
    String,
    Number,
    Bool,
    Select,
    /// <summary>A value plus a type in a sibling property (payload + payloadType), as Node-RED's typed input.</summary>
    TypedInput,
    Code,
    Json,
    /// <summary>The id of a config node of <see cref="PropertyDeclaration.ConfigType"/>.</summary>
    ConfigReference,
    /// <summary>A list edited by a dedicated form (switch rules, change rules, inject props).</summary>
    RuleList,
    /// <summary>Anything else the node keeps (arrays of ids, objects); validated by the node itself.</summary>
    Any,
}

/// <summary>One property of a node type: its editor kind, default, and validation.</summary>
public sealed record PropertyDeclaration(string Name, PropertyKind Kind)
{
    public object? Default { get; init; }
    public bool Required { get; init; }
    public string? Label { get; init; }
    public string? Help { get; init; }
    /// <summary>Allowed values for <see cref="PropertyKind.Select"/> (and, for typed inputs, the allowed types).</summary>
    public IReadOnlyList<string>? Options { get; init; }
    /// <summary>For typed inputs: the sibling property that holds the type (payload → payloadType).</summary>
    public string? TypeProperty { get; init; }
    /// <summary>For config references: the config node type expected.</summary>
    public string? ConfigType { get; init; }
    /// <summary>A picker the editor offers beside the field (e.g. "opcua-node-id": browse the node's OPC UA endpoint).</summary>
    public string? Editor { get; init; }
    /// <summary>Extra validation: returns an error text or null. Receives the raw JSON value.</summary>
    public Func<object?, string?>? Validate { get; init; }
}

/// <summary>A secret field stored in flows_cred.json rather than in the flow file.</summary>
public sealed record CredentialDeclaration(string Name, bool IsPassword, string? Label = null);

/// <summary>
/// Everything FlowEngine knows about a node type besides its code: the single source of truth for
/// <c>GET /nodes</c>, the editor's palette and forms, load-time validation and the node reference.
/// </summary>
public sealed record NodeDeclaration(string Type)
{
    public string Category { get; init; } = "common";
    public string Color { get; init; } = "#DDDDDD";
    public string Icon { get; init; } = "arrow-in.svg";
    public string? PaletteLabel { get; init; }
    public int Inputs { get; init; } = 1;
    public int Outputs { get; init; } = 1;
    /// <summary>Node types whose output count comes from their configuration (function outputs, switch rules).</summary>
    public string? OutputsProperty { get; init; }
    public bool IsConfig { get; init; }
    /// <summary>
    /// False for nodes whose Node-RED input handler takes no <c>done</c> callback (switch, rbe):
    /// complete nodes never fire for them.
    /// </summary>
    public bool ReportsCompletion { get; init; } = true;
    /// <summary>Node-RED module and set this type belongs to, for GET /nodes (e.g. "node-red/inject").</summary>
    public string Module { get; init; } = "flowengine";
    public string? Set { get; init; }
    /// <summary>Help text (Markdown) shown in the editor and written to the node reference.</summary>
    public string Help { get; init; } = "";
    public IReadOnlyList<PropertyDeclaration> Properties { get; init; } = [];
    public IReadOnlyList<CredentialDeclaration> Credentials { get; init; } = [];
    /// <summary>Port labels for the editor.</summary>
    public IReadOnlyList<string>? OutputLabels { get; init; }
    public IReadOnlyList<string>? InputLabels { get; init; }
    /// <summary>Label shown on the canvas when the node has no name (a fixed text; the editor adds rules of its own).</summary>
    public string? DefaultLabel { get; init; }
    public bool HasButton { get; init; }
}
