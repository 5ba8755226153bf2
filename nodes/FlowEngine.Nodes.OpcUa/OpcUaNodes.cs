using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>Registers the OPC UA node family: endpoint (config), read, write, browse, method and subscribe; the server (config) with server out and server in.</summary>
public static class OpcUaNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(OpcUaEndpointNode.Declaration, s => new OpcUaEndpointNode(s));
        registry.Register(OpcUaReadNode.Declaration, s => new OpcUaReadNode(s));
        registry.Register(OpcUaWriteNode.Declaration, s => new OpcUaWriteNode(s));
        registry.Register(OpcUaBrowseNode.Declaration, s => new OpcUaBrowseNode(s));
        registry.Register(OpcUaMethodNode.Declaration, s => new OpcUaMethodNode(s));
        registry.Register(OpcUaSubscribeNode.Declaration, s => new OpcUaSubscribeNode(s));
        registry.Register(OpcUaServerNode.Declaration, s => new OpcUaServerNode(s));
        registry.Register(OpcUaServerOutNode.Declaration, s => new OpcUaServerOutNode(s));
        registry.Register(OpcUaServerInNode.Declaration, s => new OpcUaServerInNode(s));
    }

    /// <summary>
    /// The editor's tag picker: <c>GET &lt;adminRoot&gt;opcua/browse?endpoint=&lt;opcua-endpoint id&gt;&amp;nodeId=&lt;node, default i=85&gt;</c>
    /// answers the children of a node through the deployed endpoint's shared session (see <see cref="OpcUaBrowseEndpoint"/>).
    /// It sits beside the admin API (the editor calls it relative to its page) and needs "flows.read" when adminAuth
    /// is set: it shows what the flows' endpoints can see. Nothing is mapped when the admin API is off (null root).
    /// </summary>
    public static void MapEndpoints(IEndpointRouteBuilder endpoints, FlowRuntime runtime, string? adminRoot = "/")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(runtime);
        if (adminRoot is null) return;
        var prefix = "/" + adminRoot.Trim('/');
        endpoints.MapGet(prefix.TrimEnd('/') + "/opcua/browse", Task<IResult> (HttpContext context) => OpcUaBrowseEndpoint.HandleAsync(context, runtime.FindNode))
            .WithMetadata(new EndpointPermission("flows.read"));
    }
}
