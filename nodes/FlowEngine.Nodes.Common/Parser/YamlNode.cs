using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Sequence;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common.Parser;

/// <summary>Node-RED's yaml node: YAML text to an object and back.</summary>
internal sealed class YamlNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("yaml")
    {
        Category = "parser",
        Color = "#DEBD5C",
        Icon = "parser-yaml.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/YAML",
        Help = """
            Converts between YAML text and an object.

            A string in `property` (default `payload`) is parsed (block and flow collections, quoted and block scalars,
            js-yaml's default types; only the first document); an object or array is written as YAML the way js-yaml's
            `dump` does (two-space indentation, quoting only where needed, multi-line strings as `|` blocks). Anything
            else is dropped with a warning. Invalid YAML raises an error with the message.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload" },
        ],
    };

    private readonly PropertyPath _property;

    public YamlNode(NodeSetup setup) : base(setup)
    {
        _property = SequenceSupport.ParsePath(Config, "property");
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_property.TryGetValue(msg, out var value))
        {
            Send(msg);
            return ValueTask.CompletedTask;
        }
        switch (value)
        {
            case string text:
                // YamlText throws InvalidOperationException with the line: it reaches catch nodes with this message.
                _property.SetValue(msg, YamlText.Parse(text));
                Send(msg);
                break;
            case JsObject or List<object?>:
                _property.SetValue(msg, YamlWriter.Dump(value));
                Send(msg);
                break;
            default:
                Warn("Dropped: " + JsValue.TypeName(value));
                break;
        }
        return ValueTask.CompletedTask;
    }
}
