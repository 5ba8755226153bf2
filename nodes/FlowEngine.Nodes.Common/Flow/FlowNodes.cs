using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Flow;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    static partial void RegisterFlowNodes(NodeRegistry registry)
    {
        registry.Register(CommentNode.Declaration, s => new CommentNode(s));
        registry.Register(JunctionNode.Declaration, s => new JunctionNode(s));
        registry.Register(CatchNode.Declaration, s => new CatchNode(s));
        registry.Register(StatusNode.Declaration, s => new StatusNode(s));
        registry.Register(CompleteNode.Declaration, s => new CompleteNode(s));
    }
}
