using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    /// <summary>change, switch, range, template, json, rbe (Transform/).</summary>
    static partial void RegisterTransformNodes(NodeRegistry registry)
    {
        registry.Register(ChangeNode.Declaration, s => new ChangeNode(s));
        registry.Register(SwitchNode.Declaration, s => new SwitchNode(s));
        registry.Register(RangeNode.Declaration, s => new RangeNode(s));
        registry.Register(TemplateNode.Declaration, s => new TemplateNode(s));
        registry.Register(JsonNode.Declaration, s => new JsonNode(s));
        registry.Register(RbeNode.Declaration, s => new RbeNode(s));
    }
}
