using System.Text;
using System.Xml;
using System.Xml.Linq;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Sequence;

namespace FlowEngine.Nodes.Common.Parser;

/// <summary>Node-RED's xml node: XML text to objects and back, with the conventions of xml2js.</summary>
internal sealed class XmlNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("xml")
    {
        Category = "parser",
        Color = "#DEBD5C",
        Icon = "parser-xml.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/XML",
        Help = """
            Converts between XML text and an object, as xml2js does.

            **From XML**: the root element becomes a key of the result; attributes go in an object under `attr` (default
            `$`), text under `chr` (default `_`) when the element also has attributes or children, else the element is its
            text; child elements are always arrays (`explicitArray`). Values stay strings.

            **To XML**: the object's single key is the root (else `root`); arrays repeat an element; `$` holds attributes
            and `_` text. The output starts with `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` and is indented
            by two spaces.

            `msg.options` passes xml2js options: for parsing `explicitArray`, `explicitRoot`, `ignoreAttrs`, `mergeAttrs`,
            `trim`, `normalize`, `explicitCharkey`, `emptyTag`, `attrkey`, `charkey`; for building `headless`, `rootName`,
            `renderOpts` (`pretty`, `indent`, `newline`), `xmldec`. Invalid XML raises an error with the message.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload" },
            new PropertyDeclaration("attr", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("chr", PropertyKind.String) { Default = "" },
        ],
    };

    private readonly PropertyPath _property;
    private readonly string _attrKey;
    private readonly string _charKey;

    public XmlNode(NodeSetup setup) : base(setup)
    {
        _property = SequenceSupport.ParsePath(Config, "property");
        _attrKey = Config.GetString("attr") is { Length: > 0 } a ? a : "$";
        _charKey = Config.GetString("chr") is { Length: > 0 } c ? c : "_";
    }

    private sealed record ParseOptions(string AttrKey, string CharKey, bool ExplicitArray, bool ExplicitRoot, bool IgnoreAttrs,
        bool MergeAttrs, bool Trim, bool Normalize, bool ExplicitCharkey, object? EmptyTag);

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_property.TryGetValue(msg, out var value))
        {
            Send(msg);
            return ValueTask.CompletedTask;
        }
        var options = msg.Get("options") as JsObject ?? [];
        switch (value)
        {
            case string text:
                _property.SetValue(msg, Parse(text, options));
                Send(msg);
                break;
            case JsObject or List<object?>:
                _property.SetValue(msg, Build(value, options));
                Send(msg);
                break;
            default:
                Warn("This node only handles xml strings or js objects.");
                break;
        }
        return ValueTask.CompletedTask;
    }

    private object? Parse(string text, JsObject o)
    {
        var options = new ParseOptions(
            o.Get("attrkey") as string ?? _attrKey,
            o.Get("charkey") as string ?? _charKey,
            o.Get("explicitArray") as bool? ?? true,
            o.Get("explicitRoot") as bool? ?? true,
            o.Get("ignoreAttrs") as bool? ?? false,
            o.Get("mergeAttrs") as bool? ?? false,
            o.Get("trim") as bool? ?? false,
            o.Get("normalize") as bool? ?? false,
            o.Get("explicitCharkey") as bool? ?? false,
            o.TryGetValue("emptyTag", out var empty) ? empty : "");
        XDocument document;
        try
        {
            document = XDocument.Parse(text, LoadOptions.PreserveWhitespace);
        }
        catch (XmlException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        var root = document.Root!;
        var converted = Convert(root, options);
        return options.ExplicitRoot ? new JsObject { [root.Name.LocalName == root.Name.ToString() ? root.Name.LocalName : QualifiedName(root)] = converted } : converted;
    }

    private static string QualifiedName(XElement element)
    {
        var prefix = element.GetPrefixOfNamespace(element.Name.Namespace);
        return string.IsNullOrEmpty(prefix) ? element.Name.LocalName : $"{prefix}:{element.Name.LocalName}";
    }

    private static string AttributeName(XAttribute attribute)
    {
        if (attribute.IsNamespaceDeclaration)
        {
            return attribute.Name.Namespace == XNamespace.None ? "xmlns" : $"xmlns:{attribute.Name.LocalName}";
        }
        var prefix = attribute.Parent?.GetPrefixOfNamespace(attribute.Name.Namespace);
        return string.IsNullOrEmpty(prefix) ? attribute.Name.LocalName : $"{prefix}:{attribute.Name.LocalName}";
    }

    private static object? Convert(XElement element, ParseOptions options)
    {
        var obj = new JsObject();
        if (!options.IgnoreAttrs && element.HasAttributes)
        {
            var attributes = new JsObject();
            foreach (var attribute in element.Attributes()) attributes[AttributeName(attribute)] = attribute.Value;
            if (options.MergeAttrs)
            {
                foreach (var (k, v) in attributes) obj[k] = options.ExplicitArray ? new List<object?> { v } : v;
            }
            else
            {
                obj[options.AttrKey] = attributes;
            }
        }
        var text = new StringBuilder();
        var hasChildren = false;
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText t:
                    text.Append(t.Value);
                    break;
                case XElement child:
                    hasChildren = true;
                    var name = QualifiedName(child);
                    var value = Convert(child, options);
                    if (obj.TryGetValue(name, out var existing))
                    {
                        if (existing is List<object?> list && (options.ExplicitArray || IsRepeated(existing))) list.Add(value);
                        else obj[name] = new List<object?> { existing, value };
                    }
                    else
                    {
                        obj[name] = options.ExplicitArray ? new List<object?> { value } : value;
                    }
                    break;
            }
        }
        var content = text.ToString();
        if (options.Trim) content = content.Trim();
        if (options.Normalize) content = System.Text.RegularExpressions.Regex.Replace(content, @"\s{2,}", " ").Trim();
        // xml2js drops text that is only whitespace when the element has other content.
        var meaningful = content.Trim().Length > 0 || (!hasChildren && content.Length > 0);
        if (meaningful) obj[options.CharKey] = content;

        if (obj.Count == 0) return JsValue.DeepClone(options.EmptyTag);
        if (obj.Count == 1 && obj.ContainsKey(options.CharKey) && !options.ExplicitCharkey) return obj[options.CharKey];
        return obj;
    }

    // Without explicitArray a second occurrence turns a value into a list; a list already made that way keeps growing.
    private static bool IsRepeated(object? existing) => existing is List<object?>;

    private string Build(object value, JsObject o)
    {
        var attrKey = o.Get("attrkey") as string ?? _attrKey;
        var charKey = o.Get("charkey") as string ?? _charKey;
        var render = o.Get("renderOpts") as JsObject;
        var pretty = render?.Get("pretty") as bool? ?? true;
        var indent = render?.Get("indent") as string ?? "  ";
        var newline = render?.Get("newline") as string ?? "\n";
        var headless = o.Get("headless") as bool? ?? false;
        string rootName;
        object? rootValue;
        if (value is JsObject obj && obj.Count == 1 && o.Get("rootName") is null)
        {
            rootName = obj.Keys.First();
            rootValue = obj[rootName];
        }
        else
        {
            rootName = o.Get("rootName") as string ?? "root";
            rootValue = value;
        }
        var sb = new StringBuilder();
        if (!headless)
        {
            var dec = o.Get("xmldec") as JsObject;
            var version = dec?.Get("version") as string ?? "1.0";
            var encoding = dec?.Get("encoding") as string ?? "UTF-8";
            var standalone = dec?.Get("standalone") as bool? ?? true;
            sb.Append($"<?xml version=\"{version}\" encoding=\"{encoding}\" standalone=\"{(standalone ? "yes" : "no")}\"?>");
            if (pretty) sb.Append(newline);
        }
        var writer = new XmlWriterState(sb, attrKey, charKey, pretty, indent, newline);
        if (rootValue is List<object?> rootList && value is JsObject)
        {
            // An array under the single key repeats the root; xml2js writes each as its own element.
            for (var i = 0; i < rootList.Count; i++)
            {
                if (i > 0 && pretty) sb.Append(newline);
                writer.Element(rootName, rootList[i], 0);
            }
        }
        else
        {
            writer.Element(rootName, rootValue, 0);
        }
        return sb.ToString();
    }

    private sealed class XmlWriterState(StringBuilder sb, string attrKey, string charKey, bool pretty, string indent, string newline)
    {
        public void Element(string name, object? value, int depth)
        {
            var pad = pretty ? string.Concat(Enumerable.Repeat(indent, depth)) : "";
            sb.Append(pad).Append('<').Append(name);
            if (value is not JsObject obj)
            {
                var text = value is null ? "" : value is List<object?> ? JsJson.Serialize(value) : JsValue.ToJsString(value);
                if (text.Length == 0) sb.Append("/>");
                else sb.Append('>').Append(Escape(text)).Append("</").Append(name).Append('>');
                return;
            }
            if (obj.Get(attrKey) is JsObject attributes)
            {
                foreach (var (k, v) in attributes) sb.Append(' ').Append(k).Append("=\"").Append(EscapeAttribute(JsValue.ToJsString(v))).Append('"');
            }
            var children = obj.Where(p => p.Key != attrKey && p.Key != charKey).ToList();
            var ownText = obj.TryGetValue(charKey, out var t) && t is not null ? JsValue.ToJsString(t) : null;
            if (children.Count == 0)
            {
                if (string.IsNullOrEmpty(ownText)) sb.Append("/>");
                else sb.Append('>').Append(Escape(ownText)).Append("</").Append(name).Append('>');
                return;
            }
            sb.Append('>');
            if (ownText is { Length: > 0 })
            {
                if (pretty) sb.Append(newline).Append(pad).Append(indent);
                sb.Append(Escape(ownText));
            }
            foreach (var (childName, childValue) in children)
            {
                foreach (var item in childValue is List<object?> list ? list : [childValue])
                {
                    if (pretty) sb.Append(newline);
                    Element(childName, item, depth + 1);
                }
            }
            if (pretty) sb.Append(newline).Append(pad);
            sb.Append("</").Append(name).Append('>');
        }

        private static string Escape(string text) =>
            text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

        private static string EscapeAttribute(string text) => Escape(text).Replace("\"", "&quot;", StringComparison.Ordinal);
    }
}
