using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Network;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    /// <summary>http in, http response, http request, tcp, udp, websocket (Network/).</summary>
    static partial void RegisterNetworkNodes(NodeRegistry registry)
    {
        registry.Register(HttpInNode.Declaration, s => new HttpInNode(s));
        registry.Register(HttpResponseNode.Declaration, s => new HttpResponseNode(s));
        registry.Register(HttpRequestNode.Declaration, s => new HttpRequestNode(s));
        registry.Register(TcpInNode.Declaration, s => new TcpInNode(s));
        registry.Register(TcpOutNode.Declaration, s => new TcpOutNode(s));
        registry.Register(TcpRequestNode.Declaration, s => new TcpRequestNode(s));
        registry.Register(UdpInNode.Declaration, s => new UdpInNode(s));
        registry.Register(UdpOutNode.Declaration, s => new UdpOutNode(s));
        registry.Register(WebSocketListenerNode.Declaration, s => new WebSocketListenerNode(s));
        registry.Register(WebSocketClientNode.Declaration, s => new WebSocketClientNode(s));
        registry.Register(WebSocketInNode.Declaration, s => new WebSocketInNode(s));
        registry.Register(WebSocketOutNode.Declaration, s => new WebSocketOutNode(s));
    }
}
