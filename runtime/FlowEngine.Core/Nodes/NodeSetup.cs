using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Nodes;

/// <summary>What a node's constructor receives: its configuration (env-substituted), credentials and services.</summary>
public sealed class NodeSetup
{
    internal NodeSetup(NodeConfig config, string runtimeId, string? alias, JsObject credentials, IRuntimeServices services,
        NodeEnvironment environment, Func<string, FlowNode?> configNodes, ILogger logger, string? flowId)
    {
        Config = config;
        RuntimeId = runtimeId;
        Alias = alias;
        Credentials = credentials;
        Services = services;
        Environment = environment;
        _configNodes = configNodes;
        Logger = logger;
        FlowId = flowId;
    }

    private readonly Func<string, FlowNode?> _configNodes;

    public NodeConfig Config { get; }
    public string RuntimeId { get; }
    /// <summary>The template node id when this node lives inside a subflow instance.</summary>
    public string? Alias { get; }
    /// <summary>The runtime id of the flow (tab or subflow instance) this node runs in.</summary>
    public string? FlowId { get; }
    public JsObject Credentials { get; }
    public IRuntimeServices Services { get; }
    public NodeEnvironment Environment { get; }
    public ILogger Logger { get; }

    /// <summary>The running config node a property refers to, or null when the property is empty.</summary>
    public T? ConfigNode<T>(string property) where T : FlowNode
    {
        var id = Config.GetStringOrNull(property);
        if (string.IsNullOrEmpty(id)) return null;
        var node = _configNodes(id) ?? throw Config.Invalid(property, $"config node {id} not found");
        return node as T ?? throw Config.Invalid(property, $"config node {id} is a {node.Type}, not the expected type");
    }

    /// <summary>Creates a setup for tests of a single node, outside a flow.</summary>
    public static NodeSetup ForTest(JsObject config, IRuntimeServices services, JsObject? credentials = null) =>
        new(new NodeConfig(config), config.Get("id") as string ?? "test", null, credentials ?? new JsObject(), services,
            NodeEnvironment.Empty, _ => null, services.LoggerFactory.CreateLogger("FlowEngine.Node"), config.Get("z") as string);
}
