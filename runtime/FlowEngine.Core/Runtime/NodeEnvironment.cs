using System.Text.RegularExpressions;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// One level of environment variables (a group, a tab, a subflow instance, global-config), evaluated from Node-RED
/// env definitions <c>{name, type, value}</c>.
/// </summary>
public sealed class EnvLayer
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    public EnvLayer(string kind) => Kind = kind;

    /// <summary>"group", "flow", "subflow" or "global"; <c>$parent.</c> lookups skip to the next flow-level layer.</summary>
    public string Kind { get; }

    public IReadOnlyDictionary<string, object?> Values => _values;

    public void Set(string name, object? value) => _values[name] = value;

    public bool TryGet(string name, out object? value) => _values.TryGetValue(name, out value);

    /// <summary>
    /// Evaluates env definitions in order. Entries of type env and jsonata are resolved after the others of the same
    /// level (as Node-RED does), reading this level first, then <paramref name="outer"/>.
    /// </summary>
    public static EnvLayer FromDefinitions(string kind, IEnumerable<object?>? definitions, JsObject? credentials,
        Func<string, object?> outer, IExpressionEngine? expressions, Action<string>? warn = null)
    {
        var layer = new EnvLayer(kind);
        if (definitions is null) return layer;
        var deferred = new List<JsObject>();
        foreach (var item in definitions)
        {
            if (item is not JsObject def || def.Get("name") is not string name || name.Length == 0) continue;
            var type = def.Get("type") as string ?? "str";
            if (type is "env" or "jsonata")
            {
                deferred.Add(def);
                continue;
            }
            try
            {
                layer.Set(name, type switch
                {
                    "cred" => credentials?.Get(name),
                    _ => TypedValue.EvaluateStatic(type, def.Get("value")),
                });
            }
            catch (Exception ex) when (ex is TypedValueException or JsJsonException)
            {
                warn?.Invoke($"env variable {name}: {ex.Message}");
            }
        }
        foreach (var def in deferred)
        {
            var name = (string)def.Get("name")!;
            var type = (string)def.Get("type")!;
            var raw = JsValue.ToJsString(def.Get("value") ?? "");
            object? Lookup(string n) => layer.TryGet(n, out var v) ? v : outer(n);
            if (type == "env")
            {
                layer.Set(name, NodeEnvironment.EvaluateEnvString(raw, Lookup));
            }
            else if (expressions is not null)
            {
                try
                {
                    layer.Set(name, expressions.Compile(raw).Evaluate(new JsObject(), new ExpressionScope(null, Lookup)));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    warn?.Invoke($"env variable {name}: {ex.Message}");
                }
            }
        }
        return layer;
    }
}

/// <summary>The environment variable chain seen by one node (Node-RED §2.10).</summary>
public sealed partial class NodeEnvironment
{
    private readonly IReadOnlyDictionary<string, object?> _reserved;
    private readonly IReadOnlyList<EnvLayer> _layers;
    private readonly Func<string, string?> _os;

    public NodeEnvironment(IReadOnlyDictionary<string, object?> reserved, IReadOnlyList<EnvLayer> layers, Func<string, string?>? os = null)
    {
        _reserved = reserved;
        _layers = layers;
        _os = os ?? Environment.GetEnvironmentVariable;
    }

    public static NodeEnvironment Empty { get; } = new(new Dictionary<string, object?>(), []);

    public IReadOnlyList<EnvLayer> Layers => _layers;

    /// <summary>Value of a variable, or null when no level defines it. Object values are deep-cloned on every read.</summary>
    public object? Get(string name)
    {
        var skip = 0;
        while (name.StartsWith("$parent.", StringComparison.Ordinal))
        {
            skip++;
            name = name["$parent.".Length..];
        }
        if (skip == 0 && _reserved.TryGetValue(name, out var reserved)) return reserved;
        var flowLevelsSkipped = 0;
        foreach (var layer in _layers)
        {
            if (skip > 0 && layer.Kind is "flow" or "subflow" && flowLevelsSkipped < skip)
            {
                flowLevelsSkipped++;
                continue;
            }
            if (skip > 0 && flowLevelsSkipped < skip) continue;
            if (layer.TryGet(name, out var value)) return JsValue.DeepClone(value);
        }
        return _os(name);
    }

    public bool IsDefined(string name) => Get(name) is not null;

    /// <summary>Typed input "env": "${A}" → A; a string without ${...} is a name; otherwise each ${X} is replaced.</summary>
    public static object? EvaluateEnvString(string text, Func<string, object?> lookup)
    {
        var whole = WholeVariable().Match(text);
        if (whole.Success) return lookup(whole.Groups[1].Value) ?? "";
        if (!text.Contains("${", StringComparison.Ordinal)) return lookup(text) ?? "";
        return EmbeddedVariable().Replace(text, m => lookup(m.Groups[1].Value) is { } v ? JsValue.ToJsString(v) : "");
    }

    public object? EvaluateEnvString(string text) => EvaluateEnvString(text, Get);

    /// <summary>
    /// Node-RED's whole-property substitution at node creation: every string property (recursively) equal to
    /// exactly ${NAME} or $(NAME) is replaced by the variable's value when it resolves.
    /// </summary>
    public object? Substitute(object? value)
    {
        switch (value)
        {
            case string s when s.Length > 3 && (s[0] == '$') && (s[1] == '{' || s[1] == '('):
                var m = WholeVariableEither().Match(s);
                if (!m.Success) return s;
                return Get(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) ?? s;
            case JsObject obj:
                List<(string, object?)>? changes = null;
                foreach (var (key, item) in obj)
                {
                    if (key is "id" or "type" or "z" or "wires") continue;
                    var replaced = Substitute(item);
                    if (!ReferenceEquals(replaced, item)) (changes ??= []).Add((key, replaced));
                }
                if (changes is not null) foreach (var (key, item) in changes) obj[key] = item;
                return obj;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++) list[i] = Substitute(list[i]);
                return list;
            default:
                return value;
        }
    }

    [GeneratedRegex(@"^\$\{([^}]+)\}$")]
    private static partial Regex WholeVariable();

    [GeneratedRegex(@"^(?:\$\{([^}]+)\}|\$\(([^)]+)\))$")]
    private static partial Regex WholeVariableEither();

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex EmbeddedVariable();
}
