using System.Text.RegularExpressions;
using FlowEngine.Core.Context;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>Node-RED's template node: renders a Mustache (or plain) template into a message property or context.</summary>
internal sealed partial class TemplateNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("template")
    {
        Category = "function",
        Color = "rgb(243, 181, 103)",
        Icon = "template.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/template",
        Help = """
            Renders a template and writes the result to a property.

            **template**: the text. With **syntax** `mustache`, `{{payload}}` inserts a message property (HTML-escaped),
            `{{{payload}}}` or `{{& payload}}` inserts it raw, `{{#list}}…{{/list}}` repeats over a list or enters an
            object (and shows the block only when the value is truthy), `{{^x}}…{{/x}}` shows a block when `x` is
            missing, false or an empty list, `{{! … }}` is a comment, `{{=<% %>=}}` changes the delimiters. Partials
            are not supported (they render nothing). Names are looked up in the message first; then
            `{{env.NAME}}` reads an environment variable, `{{flow.key}}` / `{{global.key}}` a context value and
            `{{flow[store].key}}` one from a named store. Unknown names render as nothing. With syntax `plain` the
            template is used as it is.

            When the node's template is empty, `msg.template` is used instead.

            **output**: `str` (the text), `json` (the text parsed as JSON; inserted string values have backslash,
            newline, tab, CR, FF and BS escaped, quotes are not) or `yaml` (the text parsed as YAML).

            **field** / **fieldType**: where to write the result: a `msg` property (default `payload`) or a `flow` or
            `global` context key. **format** only chooses the editor's syntax highlighting.

            Errors (a template that does not parse, output that is not valid JSON/YAML) go to catch nodes and the
            message is not sent.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("field", PropertyKind.TypedInput) { Default = "payload", TypeProperty = "fieldType", Options = ["msg", "flow", "global"] },
            new PropertyDeclaration("fieldType", PropertyKind.Select) { Default = "msg", Options = ["msg", "flow", "global"] },
            new PropertyDeclaration("format", PropertyKind.Select)
            {
                Default = "handlebars",
                Options = ["handlebars", "html", "json", "javascript", "css", "markdown", "php", "python", "sql", "yaml", "text"],
                Help = "editor syntax highlighting only",
            },
            new PropertyDeclaration("syntax", PropertyKind.Select) { Default = "mustache", Options = ["mustache", "plain"] },
            new PropertyDeclaration("template", PropertyKind.Code) { Default = "This is the payload: {{payload}} !" },
            new PropertyDeclaration("output", PropertyKind.Select) { Default = "str", Options = ["str", "json", "yaml"] },
        ],
    };

    private readonly string _template;
    private readonly MustacheTemplate? _compiled;
    private readonly bool _mustache;
    private readonly string _output;
    private readonly string _fieldType;
    private readonly PropertyPath? _fieldPath;
    private readonly string? _contextStore;
    private readonly string _contextKey = "";
    private (string Text, MustacheTemplate Template)? _lastMessageTemplate;

    public TemplateNode(NodeSetup setup) : base(setup)
    {
        _template = Config.GetString("template");
        var syntax = Config.GetString("syntax", "mustache");
        if (syntax.Length == 0) syntax = "mustache";
        if (syntax is not ("mustache" or "plain")) throw Config.Invalid("syntax", $"\"{syntax}\" is not one of mustache, plain");
        _mustache = syntax == "mustache";
        _output = Config.GetString("output", "str");
        if (_output.Length == 0) _output = "str";
        if (_output is not ("str" or "json" or "yaml")) throw Config.Invalid("output", $"\"{_output}\" is not one of str, json, yaml");
        _fieldType = Config.GetString("fieldType", "msg");
        if (_fieldType.Length == 0) _fieldType = "msg";
        var field = Config.GetString("field", "payload");
        if (field.Length == 0) field = "payload";
        switch (_fieldType)
        {
            case "msg":
                try { _fieldPath = PropertyPath.Parse(field); }
                catch (PropertyPathException ex) { throw Config.Invalid("field", ex.Message); }
                break;
            case "flow" or "global":
                (_contextStore, _contextKey) = ContextManager.ParseKey(field);
                break;
            default:
                throw Config.Invalid("fieldType", $"\"{_fieldType}\" is not one of msg, flow, global");
        }
        if (_mustache && _template.Length > 0)
        {
            try
            {
                _compiled = MustacheTemplate.Parse(_template);
            }
            catch (MustacheException ex)
            {
                throw Config.Invalid("template", ex.Message);
            }
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        object? template = _template;
        if (_template.Length == 0 && msg.ContainsKey("template")) template = msg.Get("template");

        object? value;
        if (_mustache)
        {
            var compiled = ReferenceEquals(template, _template) && _compiled is not null ? _compiled : CompileMessageTemplate(template);
            value = compiled.Render(new MustacheContext(msg, Fallback, escapeStrings: _output == "json"));
        }
        else
        {
            value = template;
        }

        if (_output == "json")
        {
            try
            {
                value = JsJson.Parse(JsSemantics.ToJsString(value));
            }
            catch (JsJsonException ex)
            {
                throw new InvalidOperationException(ex.Message, ex);
            }
        }
        else if (_output == "yaml")
        {
            value = YamlText.Parse(JsSemantics.ToJsString(value));
        }

        if (_fieldPath is not null)
        {
            _fieldPath.SetValue(msg, value);
        }
        else
        {
            var scope = _fieldType == "flow" ? FlowContext : GlobalContext;
            scope.Set(_contextKey, value, _contextStore);
        }
        Send(msg);
        return ValueTask.CompletedTask;
    }

    private MustacheTemplate CompileMessageTemplate(object? template)
    {
        if (template is not string text)
        {
            var type = template is List<object?> ? "array" : JsSemantics.TypeOf(template);
            throw new InvalidOperationException(
                $"Invalid template! Template should be a \"string\" but \"{type}\" was given as the first argument for mustache#render(template, view, partials)");
        }
        // msg.template usually repeats: keep the last one compiled.
        if (_lastMessageTemplate is { } last && last.Text == text) return last.Template;
        var compiled = MustacheTemplate.Parse(text);
        _lastMessageTemplate = (text, compiled);
        return compiled;
    }

    /// <summary>Names the message does not have: env.NAME, flow.key, global.key, flow[store].key.</summary>
    private object? Fallback(string name)
    {
        if (name.StartsWith("env.", StringComparison.Ordinal) && name.Length > 4)
        {
            return Setup.Environment.EvaluateEnvString(name[4..]);
        }
        var match = ContextName().Match(name);
        if (!match.Success) return JsUndefined.Value;
        var scope = match.Groups[1].Value == "flow" ? FlowContext : GlobalContext;
        var store = match.Groups[3].Success ? match.Groups[3].Value : null;
        try
        {
            return scope.Get(match.Groups[4].Value, store);
        }
        catch (PropertyPathException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^(flow|global)(\[(\w+)\])?\.(.+)", RegexOptions.Singleline)]
    private static partial Regex ContextName();
}
