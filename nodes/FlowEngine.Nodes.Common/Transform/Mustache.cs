using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>A template that cannot be parsed (unclosed tag or section, bad delimiters). Messages as mustache.js words them.</summary>
internal sealed class MustacheException(string message) : Exception(message);

/// <summary>
/// A logic-less Mustache template with mustache.js 4 behaviour (the engine Node-RED's template node uses):
/// <c>{{name}}</c> HTML-escaped (numbers are not), <c>{{{name}}}</c> and <c>{{&amp; name}}</c> raw, sections
/// <c>{{#name}}…{{/name}}</c> over lists, objects and other truthy values, inverted sections <c>{{^name}}</c>,
/// comments <c>{{! … }}</c>, set delimiters <c>{{=&lt;% %&gt;=}}</c>, and standalone tag lines removed.
/// Partials render nothing (no partials are ever registered).
/// </summary>
internal sealed class MustacheTemplate
{
    private abstract record Token;
    private sealed record TextToken(string Text) : Token;
    private sealed record ValueToken(string Name, bool Escape) : Token;
    private sealed record SectionToken(string Name, bool Inverted, List<Token> Children) : Token;

    /// <summary>A token as the scanner sees it, before sections are nested; type is mustache.js's tag character.</summary>
    private sealed record RawToken(char Type, string Value, int Start);

    private const char TextType = 't';
    private const char NameType = 'n';

    private readonly List<Token> _tokens;

    private MustacheTemplate(List<Token> tokens) => _tokens = tokens;

    public static MustacheTemplate Parse(string template)
    {
        var raw = Scan(template);
        return new MustacheTemplate(Nest(Squash(raw)));
    }

    public string Render(MustacheContext context)
    {
        var sb = new StringBuilder();
        RenderTokens(_tokens, context, sb);
        return sb.ToString();
    }

    private static void RenderTokens(List<Token> tokens, MustacheContext context, StringBuilder sb)
    {
        foreach (var token in tokens)
        {
            switch (token)
            {
                case TextToken text:
                    sb.Append(text.Text);
                    break;
                case ValueToken value:
                    var v = context.Lookup(value.Name);
                    if (v is null || JsSemantics.IsUndefined(v)) break;
                    if (!value.Escape || v is double) sb.Append(JsValue.ToJsString(v));
                    else AppendEscaped(sb, JsValue.ToJsString(v));
                    break;
                case SectionToken { Inverted: false } section:
                    var sectionValue = context.Lookup(section.Name);
                    if (!JsSemantics.IsTruthy(sectionValue)) break;
                    switch (sectionValue)
                    {
                        case List<object?> items:
                            foreach (var item in items) RenderTokens(section.Children, context.Push(item), sb);
                            break;
                        case bool:
                            RenderTokens(section.Children, context, sb);
                            break;
                        default:
                            // Objects, strings and numbers become the context of the section.
                            RenderTokens(section.Children, context.Push(sectionValue), sb);
                            break;
                    }
                    break;
                case SectionToken inverted:
                    var invertedValue = context.Lookup(inverted.Name);
                    if (!JsSemantics.IsTruthy(invertedValue) || invertedValue is List<object?> { Count: 0 })
                    {
                        RenderTokens(inverted.Children, context, sb);
                    }
                    break;
            }
        }
    }

    /// <summary>mustache.js's HTML escaping (it also escapes / ` and =).</summary>
    private static void AppendEscaped(StringBuilder sb, string text)
    {
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '/' => "&#x2F;",
                '`' => "&#x60;",
                '=' => "&#x3D;",
                _ => null,
            } ?? c.ToString());
        }
    }

    // --- scanning, after mustache.js's parseTemplate ---

    private static List<RawToken?> Scan(string template)
    {
        var tokens = new List<RawToken?>();
        var sections = new Stack<RawToken>();
        var spaces = new List<int>();
        var hasTag = false;
        var nonSpace = false;
        var open = "{{";
        var close = "}}";
        var pos = 0;

        // A line holding only whitespace and section/comment/partial/delimiter tags is removed with its newline.
        void StripSpace()
        {
            if (hasTag && !nonSpace)
            {
                foreach (var index in spaces) tokens[index] = null;
            }
            spaces.Clear();
            hasTag = false;
            nonSpace = false;
        }

        while (pos < template.Length)
        {
            var openIndex = template.IndexOf(open, pos, StringComparison.Ordinal);
            var textEnd = openIndex < 0 ? template.Length : openIndex;
            for (var i = pos; i < textEnd; i++)
            {
                var chr = template[i];
                if (char.IsWhiteSpace(chr)) spaces.Add(tokens.Count);
                else nonSpace = true;
                tokens.Add(new RawToken(TextType, chr.ToString(), i));
                if (chr == '\n') StripSpace();
            }
            pos = textEnd;
            if (openIndex < 0) break;

            var start = pos;
            pos += open.Length;
            pos = SkipWhite(template, pos);
            hasTag = true;
            var type = pos < template.Length && "#^/>{&=!".Contains(template[pos], StringComparison.Ordinal) ? template[pos++] : NameType;
            pos = SkipWhite(template, pos);
            string value;
            if (type == '=')
            {
                var equals = template.IndexOf('=', pos);
                var end = equals < 0 ? template.Length : TrimBack(template, pos, equals);
                value = template[pos..end];
                pos = equals < 0 ? template.Length : equals + 1;
                pos = ScanUntilClose(template, pos, close);
            }
            else if (type == '{')
            {
                var curly = template.IndexOf("}" + close, pos, StringComparison.Ordinal);
                var end = curly < 0 ? template.Length : TrimBack(template, pos, curly);
                value = template[pos..end];
                pos = curly < 0 ? template.Length : curly + 1;
                pos = ScanUntilClose(template, pos, close);
                type = '&';
            }
            else
            {
                var end = ScanUntilClose(template, pos, close);
                value = template[pos..end];
                pos = end;
            }
            pos = SkipWhite(template, pos);
            if (pos >= template.Length || string.CompareOrdinal(template, pos, close, 0, close.Length) != 0)
            {
                throw new MustacheException($"Unclosed tag at {template.Length}");
            }
            pos += close.Length;

            var token = new RawToken(type, value, start);
            tokens.Add(token);
            switch (type)
            {
                case '#' or '^':
                    sections.Push(token);
                    break;
                case '/':
                    if (!sections.TryPop(out var opened)) throw new MustacheException($"Unopened section \"{value}\" at {start}");
                    if (opened.Value != value) throw new MustacheException($"Unclosed section \"{opened.Value}\" at {start}");
                    break;
                case NameType or '&':
                    nonSpace = true;
                    break;
                case '=':
                    var tags = value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    if (tags.Length < 2) throw new MustacheException($"Invalid tags: {value}");
                    (open, close) = (tags[0], tags[1]);
                    break;
            }
        }
        StripSpace();
        if (sections.TryPop(out var unclosed)) throw new MustacheException($"Unclosed section \"{unclosed.Value}\" at {pos}");
        return tokens;
    }

    private static int SkipWhite(string text, int pos)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
        return pos;
    }

    /// <summary>The start of the whitespace run that ends at <paramref name="end"/> (not before <paramref name="min"/>).</summary>
    private static int TrimBack(string text, int min, int end)
    {
        while (end > min && char.IsWhiteSpace(text[end - 1])) end--;
        return end;
    }

    /// <summary>Where the closing delimiter (with the whitespace before it) starts; the end of the text when there is none.</summary>
    private static int ScanUntilClose(string text, int pos, string close)
    {
        var index = text.IndexOf(close, pos, StringComparison.Ordinal);
        return index < 0 ? text.Length : TrimBack(text, pos, index);
    }

    private static List<RawToken> Squash(List<RawToken?> tokens)
    {
        var result = new List<RawToken>();
        StringBuilder? text = null;
        var textStart = 0;
        foreach (var token in tokens)
        {
            if (token is null) continue;
            if (token.Type == TextType)
            {
                if (text is null)
                {
                    text = new StringBuilder();
                    textStart = token.Start;
                }
                text.Append(token.Value);
                continue;
            }
            if (text is not null)
            {
                result.Add(new RawToken(TextType, text.ToString(), textStart));
                text = null;
            }
            result.Add(token);
        }
        if (text is not null) result.Add(new RawToken(TextType, text.ToString(), textStart));
        return result;
    }

    private static List<Token> Nest(List<RawToken> tokens)
    {
        var root = new List<Token>();
        var collectors = new Stack<List<Token>>();
        var current = root;
        foreach (var token in tokens)
        {
            switch (token.Type)
            {
                case TextType:
                    current.Add(new TextToken(token.Value));
                    break;
                case NameType:
                    current.Add(new ValueToken(token.Value, Escape: true));
                    break;
                case '&':
                    current.Add(new ValueToken(token.Value, Escape: false));
                    break;
                case '#' or '^':
                    var section = new SectionToken(token.Value, token.Type == '^', []);
                    current.Add(section);
                    collectors.Push(current);
                    current = section.Children;
                    break;
                case '/':
                    current = collectors.Pop();
                    break;
                // '!' comments, '=' delimiter changes and '>' partials produce no output.
            }
        }
        return root;
    }
}

/// <summary>
/// One level of the Mustache context stack. Names are looked up in the current view, then in the enclosing ones
/// (mustache.js rules: dotted names walk into objects, "." is the current view); what no view has goes to the
/// fallback (Node-RED: env.X, flow.x, global.x) and finally renders as "".
/// </summary>
internal sealed class MustacheContext
{
    private readonly object? _view;
    private readonly MustacheContext? _parent;
    private readonly Func<string, object?>? _fallback;
    private readonly bool _escapeStrings;

    /// <param name="view">The top view (the message).</param>
    /// <param name="fallback">Resolves names no view has; returns <see cref="JsUndefined.Value"/> when it does not know the name.</param>
    /// <param name="escapeStrings">
    /// Node-RED's JSON output: strings found at the top level get backslash, newline, tab, CR, FF and BS escaped.
    /// Node-RED does not carry this into sections, and neither does this.
    /// </param>
    public MustacheContext(object? view, Func<string, object?>? fallback, bool escapeStrings)
        : this(view, null, fallback, escapeStrings)
    {
    }

    private MustacheContext(object? view, MustacheContext? parent, Func<string, object?>? fallback, bool escapeStrings)
    {
        _view = view;
        _parent = parent;
        _fallback = fallback;
        _escapeStrings = escapeStrings;
    }

    public MustacheContext Push(object? view) => new(view, this, _fallback, escapeStrings: false);

    public object? Lookup(string name)
    {
        var value = LookupViews(name);
        if (!JsSemantics.IsUndefined(value))
        {
            return _escapeStrings && value is string s ? EscapeForJson(s) : value;
        }
        if (_fallback is not null)
        {
            var fallback = _fallback(name);
            if (!JsSemantics.IsUndefined(fallback)) return fallback;
        }
        return "";
    }

    private object? LookupViews(string name)
    {
        if (name == ".") return _view;
        var dotted = name.IndexOf('.', StringComparison.Ordinal) > 0;
        var names = dotted ? name.Split('.') : null;
        for (var context = this; context is not null; context = context._parent)
        {
            if (dotted)
            {
                object? current = context._view;
                var hit = false;
                for (var i = 0; i < names!.Length && current is not null && !JsSemantics.IsUndefined(current); i++)
                {
                    if (i == names.Length - 1) hit = HasProperty(current, names[i], primitivesToo: true);
                    current = Property(current, names[i]);
                }
                if (hit) return current;
            }
            else if (HasProperty(context._view, name, primitivesToo: false))
            {
                return Property(context._view, name);
            }
        }
        return JsUndefined.Value;
    }

    /// <summary>JavaScript's "name in object" (objects), or hasOwnProperty (primitives, when asked).</summary>
    private static bool HasProperty(object? value, string name, bool primitivesToo) => value switch
    {
        JsObject obj => obj.ContainsKey(name),
        List<object?> list => name == "length" || IsIndex(name, list.Count),
        byte[] bytes => name == "length" || IsIndex(name, bytes.Length),
        string s => primitivesToo && (name == "length" || IsIndex(name, s.Length)),
        _ => false,
    };

    private static object? Property(object? value, string name) => value switch
    {
        JsObject obj => obj.TryGetValue(name, out var v) ? v : JsUndefined.Value,
        List<object?> list => name == "length" ? (double)list.Count : IsIndex(name, list.Count) ? list[int.Parse(name, CultureInfo.InvariantCulture)] : JsUndefined.Value,
        byte[] bytes => name == "length" ? (double)bytes.Length : IsIndex(name, bytes.Length) ? (double)bytes[int.Parse(name, CultureInfo.InvariantCulture)] : JsUndefined.Value,
        string s => name == "length" ? (double)s.Length : IsIndex(name, s.Length) ? s[int.Parse(name, CultureInfo.InvariantCulture)].ToString() : JsUndefined.Value,
        _ => JsUndefined.Value,
    };

    private static bool IsIndex(string name, int length) =>
        int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
        && index.ToString(CultureInfo.InvariantCulture) == name && index < length;

    private static string EscapeForJson(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\f' => "\\f",
                '\b' => "\\b",
                _ => null,
            } ?? c.ToString());
        }
        return sb.ToString();
    }
}
