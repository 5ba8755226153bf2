using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Function;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    static partial void RegisterFunctionNodes(NodeRegistry registry)
    {
        registry.Register(FunctionNode.Declaration, s => new FunctionNode(s));
    }
}
