using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Parser;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    /// <summary>csv, xml, yaml, html (Parser/).</summary>
    static partial void RegisterParserNodes(NodeRegistry registry)
    {
        registry.Register(CsvNode.Declaration, s => new CsvNode(s));
        registry.Register(XmlNode.Declaration, s => new XmlNode(s));
        registry.Register(YamlNode.Declaration, s => new YamlNode(s));
        registry.Register(HtmlNode.Declaration, s => new HtmlNode(s));
    }
}
