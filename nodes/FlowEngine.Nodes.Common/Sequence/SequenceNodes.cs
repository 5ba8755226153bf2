using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Sequence;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    /// <summary>split, join, sort, batch (Sequence/).</summary>
    static partial void RegisterSequenceNodes(NodeRegistry registry)
    {
        registry.Register(SplitNode.Declaration, s => new SplitNode(s));
        registry.Register(JoinNode.Declaration, s => new JoinNode(s));
        registry.Register(SortNode.Declaration, s => new SortNode(s));
        registry.Register(BatchNode.Declaration, s => new BatchNode(s));
    }
}
