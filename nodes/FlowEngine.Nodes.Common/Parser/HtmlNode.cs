using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Sequence;

namespace FlowEngine.Nodes.Common.Parser;

/// <summary>Node-RED's html node: picks elements out of an HTML document with a CSS selector.</summary>
internal sealed class HtmlNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("html")
    {
        Category = "parser",
        Color = "#DEBD5C",
        Icon = "parser-html.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/HTML",
        Help = """
            Extracts elements from the HTML in `property` (default `payload`) matching the CSS selector `tag` (when empty,
            `msg.select` is used).

            `ret` chooses what is returned for each element: `html` (its inner HTML, trimmed), `text` (its text content,
            trimmed), `attr` (an object of its attributes) or `compl` (its attributes plus its inner HTML under the key
            `chr`, default `_`).

            `as` `single` writes an array of the results (empty when nothing matched) to `outproperty` (default `payload`)
            and sends one message; `multi` sends one message per element with `msg.parts` = `{id, index, count, type:
            "string", ch: ""}`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload" },
            new PropertyDeclaration("outproperty", PropertyKind.String) { Default = "payload" },
            new PropertyDeclaration("tag", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("ret", PropertyKind.Select) { Default = "html", Options = ["html", "text", "attr", "compl"] },
            new PropertyDeclaration("as", PropertyKind.Select) { Default = "single", Options = ["single", "multi"] },
            new PropertyDeclaration("chr", PropertyKind.String) { Default = "_" },
        ],
    };

    private readonly PropertyPath _property;
    private readonly PropertyPath _outProperty;
    private readonly string _tag;
    private readonly string _ret;
    private readonly bool _multi;
    private readonly string _chr;

    public HtmlNode(NodeSetup setup) : base(setup)
    {
        _property = SequenceSupport.ParsePath(Config, "property");
        _outProperty = SequenceSupport.ParsePath(Config, "outproperty");
        _tag = Config.GetString("tag");
        _ret = Config.GetString("ret", "html");
        if (_ret.Length == 0) _ret = "html";
        if (_ret is not ("html" or "text" or "attr" or "compl")) throw Config.Invalid("ret", $"\"{_ret}\" is not one of html, text, attr, compl");
        _multi = Config.GetString("as", "single") == "multi";
        _chr = Config.GetString("chr", "_") is { Length: > 0 } c ? c : "_";
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_property.TryGetValue(msg, out var value) || value is not (string or byte[]))
        {
            Send(msg);
            return ValueTask.CompletedTask;
        }
        var html = value as string ?? Encoding.UTF8.GetString((byte[])value);
        var selector = _tag.Length > 0 ? _tag : JsValue.ToJsString(msg.Get("select") ?? "");
        if (selector.Length == 0) throw new InvalidOperationException("No selector: set the node's tag or msg.select");

        var document = new HtmlParser().ParseDocument(html);
        IHtmlCollection<IElement> elements;
        try
        {
            elements = document.QuerySelectorAll(selector);
        }
        catch (DomException ex)
        {
            throw new InvalidOperationException($"Invalid selector \"{selector}\": {ex.Message}", ex);
        }
        var results = elements.Select(Extract).ToList();
        if (!_multi)
        {
            _outProperty.SetValue(msg, results);
            Send(msg);
            return ValueTask.CompletedTask;
        }
        var id = msg.Get("_msgid") as string ?? MessageIds.NewId();
        for (var i = 0; i < results.Count; i++)
        {
            var copy = NodeRunner.CloneMessage(msg);
            copy.Remove("_msgid");
            copy["parts"] = new JsObject { ["id"] = id, ["index"] = (double)i, ["count"] = (double)results.Count, ["type"] = "string", ["ch"] = "" };
            _outProperty.SetValue(copy, results[i]);
            Send(copy);
        }
        return ValueTask.CompletedTask;
    }

    private object? Extract(IElement element)
    {
        switch (_ret)
        {
            case "text":
                return element.TextContent.Trim();
            case "attr":
                return Attributes(element);
            case "compl":
                var all = Attributes(element);
                all[_chr] = element.InnerHtml.Trim();
                return all;
            default:
                return element.InnerHtml.Trim();
        }
    }

    private static JsObject Attributes(IElement element)
    {
        var attributes = new JsObject();
        foreach (var attribute in element.Attributes) attributes[attribute.Name] = attribute.Value;
        return attributes;
    }
}
