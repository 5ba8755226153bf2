using System.Text.RegularExpressions;
using FlowEngine.Core.Context;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Transform;

/// <summary>
/// Node-RED's change node: applies set / change / delete / move rules, in order, to the message or to flow and
/// global context, then sends the message on.
/// </summary>
internal sealed class ChangeNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("change")
    {
        Category = "function",
        Color = "#E2D96E",
        Icon = "swap.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/change",
        Help = """
            Sets, changes, deletes or moves properties of the message, flow context or global context. The rules run in
            order against the same message; the message is sent on when all rules have run.

            **rules**: a list of `{t, p, pt, to, tot, from, fromt, dc}`:
            - `t`: `set` (write the value `to`), `change` (search and replace in the property), `delete`, or `move`
              (to the property `to` in scope `tot`).
            - `p` / `pt`: the property and its scope, `msg`, `flow` or `global` (context keys may name a store as
              `#:(store)::key` and may contain `[msg.x]`).
            - `to` / `tot`: the value and its type: `str`, `num`, `bool`, `json`, `bin`, `date`, `jsonata`, `env`,
              `msg`, `flow` or `global`. An `env` value is read once, when the flow starts.
            - `from` / `fromt` (change only): what to search for, of type `str`, `num`, `bool`, `re` (regular
              expression), `msg`, `flow` or `global`.
            - `dc`: deep-copy the value being set instead of sharing it.

            Change semantics: when the property is a string, a `str`/`num`/`bool` search value that equals the whole
            string replaces the whole value with `to` (keeping the type of `to`); otherwise every match is replaced
            (the search text is taken literally unless its type is `re`; `$1`, `$&` work in the replacement); when `to`
            is a boolean and the result is `"true"`/`"false"`, the property becomes that boolean. A number is replaced
            when it equals a `num` search value, a boolean when it equals a `bool` one.

            Setting a property below a value that is not an object (e.g. `payload.a` when payload is a string) leaves
            the message unchanged and logs a warning. Setting a property to a missing value (an unset `msg` or context
            property) deletes it. Moving a property into one of its own children works (`payload` to `payload.a`).

            Legacy single-rule nodes (`action`, `property`, `from`, `to`, `reg`) are accepted; `action: "replace"`
            means `set`.

            Reads and writes the properties named in the rules; errors of JSONata values go to catch nodes and the
            message is not sent.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("rules", PropertyKind.RuleList)
            {
                Default = new List<object?> { new JsObject { ["t"] = "set", ["p"] = "payload", ["pt"] = "msg", ["to"] = "", ["tot"] = "str" } },
                Help = "list of {t, p, pt, to, tot, from, fromt, dc}",
                Validate = value => value is null or List<object?> ? null : "rules must be a list",
            },
            new PropertyDeclaration("action", PropertyKind.String) { Default = "", Help = "legacy: replace | change | delete | move (used when rules is missing)" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "", Help = "legacy: the message property" },
            new PropertyDeclaration("from", PropertyKind.String) { Default = "", Help = "legacy: the search value" },
            new PropertyDeclaration("to", PropertyKind.String) { Default = "", Help = "legacy: the new value" },
            new PropertyDeclaration("reg", PropertyKind.Bool) { Default = false, Help = "legacy: from is a regular expression" },
        ],
    };

    private enum RuleAction { Set, Change, Delete }

    private enum Scope { Msg, Flow, Global }

    /// <summary>Where a rule reads or writes: a message path, or a context key with an optional store.</summary>
    private sealed record Target(Scope Scope, string Text, PropertyPath? Path, string? Store, string Key);

    /// <summary>The search value of a change rule. Dynamic (msg/flow/global) ones are resolved per message.</summary>
    private sealed record From(string Type, object? Value, Regex? Pattern, Func<JsObject, object?>? Dynamic);

    private sealed record Step(RuleAction Action, Target Target, Func<JsObject, object?>? To, string ToType, From? From, bool DeepCopy);

    private const string TempMoveKey = "_temp_move";

    private readonly Step[] _steps;

    public ChangeNode(NodeSetup setup) : base(setup)
    {
        var rules = Config.Get("rules") switch
        {
            List<object?> list => list,
            null => LegacyRule() is { } legacy ? [legacy] : [],
            _ => throw Config.Invalid("rules", "expected a list of rules"),
        };
        var steps = new List<Step>();
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i] is not JsObject rule) throw Config.Invalid("rules", $"rule {i + 1} is not an object");
            try
            {
                AddRule(rule, steps);
            }
            catch (TypedValueException ex)
            {
                throw Config.Invalid("rules", $"rule {i + 1}: {ex.Message}");
            }
            catch (RuleException ex)
            {
                throw Config.Invalid("rules", $"rule {i + 1}: {ex.Message}");
            }
        }
        _steps = steps.ToArray();
    }

    private sealed class RuleException(string message) : Exception(message);

    /// <summary>Node-RED 0.x change nodes kept one rule in action/property/from/to/reg.</summary>
    private JsObject? LegacyRule()
    {
        var action = Config.GetString("action");
        if (action.Length == 0) return null; // neither rules nor an action: Node-RED's rule does nothing
        var rule = new JsObject
        {
            ["t"] = action == "replace" ? "set" : action,
            ["p"] = Config.GetString("property"),
        };
        if (action is "replace" or "set" or "move")
        {
            rule["to"] = Config.GetString("to");
        }
        else if (action == "change")
        {
            rule["from"] = Config.GetString("from");
            rule["to"] = Config.GetString("to");
            // Node-RED treats an explicit null reg as true (a missing one as false).
            rule["re"] = (Config.Has("reg") && Config.Get("reg") is null) || Config.GetBool("reg", false);
        }
        return rule;
    }

    private static string Text(JsObject rule, string key) => rule.Get(key) switch
    {
        null => "",
        string s => s,
        object other => JsValue.ToJsString(other),
    };

    private void AddRule(JsObject rule, List<Step> steps)
    {
        var t = Text(rule, "t");
        var p = Text(rule, "p");
        var pt = Text(rule, "pt") is { Length: > 0 } scope ? scope : "msg";
        var to = Text(rule, "to");
        var tot = Text(rule, "tot");
        var from = Text(rule, "from");
        var fromt = Text(rule, "fromt");
        if (t == "change" && JsValue.IsTruthy(rule.Get("re"))) fromt = "re";
        if (t == "set" && tot.Length == 0 && to.StartsWith("msg.", StringComparison.Ordinal))
        {
            // Rules from before typed values wrote "msg.topic" to copy a property.
            to = to[4..];
            tot = "msg";
        }
        if (tot.Length == 0) tot = "str";
        if (fromt.Length == 0) fromt = "str";
        var deepCopy = JsValue.IsTruthy(rule.Get("dc"));

        switch (t)
        {
            case "set":
                steps.Add(new Step(RuleAction.Set, ParseTarget(pt, p, "p"), ToValue(tot, to), tot, null, deepCopy));
                break;
            case "change":
                steps.Add(new Step(RuleAction.Change, ParseTarget(pt, p, "p"), ToValue(tot, to), tot, ParseFrom(fromt, from), deepCopy));
                break;
            case "delete":
                steps.Add(new Step(RuleAction.Delete, ParseTarget(pt, p, "p"), null, "", null, false));
                break;
            case "move":
                AddMove(pt, p, tot, to, steps);
                break;
            default:
                throw new RuleException($"unknown rule type \"{t}\" (expected set, change, delete or move)");
        }
    }

    /// <summary>
    /// A move is a set of the destination from the source followed by a delete of the source. When both are in
    /// the same scope and the destination is not part of the source path (moving into a child, or onto itself), the
    /// value goes through a temporary property first so deleting the source cannot delete what was just written.
    /// </summary>
    private void AddMove(string pt, string p, string tot, string to, List<Step> steps)
    {
        if (tot is not ("msg" or "flow" or "global")) throw new RuleException($"a move destination must be msg, flow or global, not \"{tot}\"");
        var source = ParseTarget(pt, p, "p");
        var destination = ParseTarget(tot, to, "to");
        if (tot != pt || (p.Contains(to, StringComparison.Ordinal) && p != to))
        {
            steps.Add(new Step(RuleAction.Set, destination, ToValue(pt, p), pt, null, false));
            steps.Add(new Step(RuleAction.Delete, source, null, "", null, false));
            return;
        }
        var temp = ParseTarget(tot, TempMoveKey, "to");
        steps.Add(new Step(RuleAction.Set, temp, ToValue(pt, p), pt, null, false));
        steps.Add(new Step(RuleAction.Delete, source, null, "", null, false));
        steps.Add(new Step(RuleAction.Set, destination, ToValue(pt, TempMoveKey), pt, null, false));
        steps.Add(new Step(RuleAction.Delete, ParseTarget(pt, TempMoveKey, "p"), null, "", null, false));
    }

    private static Target ParseTarget(string scope, string text, string field)
    {
        switch (scope)
        {
            case "msg":
                if (text.Length == 0) throw new RuleException($"'{field}' needs a message property");
                try
                {
                    return new Target(Scope.Msg, text, PropertyPath.Parse(text), null, "");
                }
                catch (PropertyPathException ex)
                {
                    throw new RuleException(ex.Message);
                }
            case "flow" or "global":
                var (store, key) = ContextManager.ParseKey(text);
                if (key.Length == 0) throw new RuleException($"'{field}' needs a {scope} context key");
                return new Target(scope == "flow" ? Scope.Flow : Scope.Global, text, null, store, key);
            default:
                throw new RuleException($"unknown property scope \"{scope}\" (expected msg, flow or global)");
        }
    }

    /// <summary>The "to" value of a rule, as a function of the message (undefined = <see cref="JsUndefined"/>).</summary>
    private Func<JsObject, object?> ToValue(string type, string raw)
    {
        switch (type)
        {
            case "str":
                return _ => raw;
            case "num":
                var number = JsValue.StringToNumber(raw);
                if (double.IsNaN(number) && raw.Trim() != "NaN") throw new RuleException($"\"{raw}\" is not a number");
                // Boxed once: a boxed number cannot be changed, so every message may share it.
                object boxedNumber = number;
                return _ => boxedNumber;
            case "bool":
                object flag = raw.Equals("true", StringComparison.OrdinalIgnoreCase);
                return _ => flag;
            case "json" or "bin" or "date":
                var typed = TypedValue.Create(type, raw, Services.Expressions);
                return msg => typed.Evaluate(this, msg);
            case "env":
                // Node-RED reads env values once, when the node is created.
                var env = Setup.Environment.EvaluateEnvString(raw);
                return _ => JsValue.DeepClone(env);
            case "jsonata":
                var engine = Services.Expressions ?? throw new TypedValueException("JSONata is not available in this runtime");
                var expression = engine.Compile(raw);
                return msg =>
                {
                    try
                    {
                        // No result (JSONata's undefined) deletes the property, as in Node-RED.
                        return expression.TryEvaluate(msg, TypedValue.ScopeFor(this), out var result) ? result : JsUndefined.Value;
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        throw new InvalidOperationException($"Invalid JSONata expression: {(ex.InnerException ?? ex).Message}", ex);
                    }
                };
            case "msg":
                if (raw.Length == 0) throw new RuleException("'to' needs a message property");
                PropertyPath path;
                try { path = PropertyPath.Parse(raw); }
                catch (PropertyPathException ex) { throw new RuleException(ex.Message); }
                return msg => MessageProperties.Get(msg, path);
            case "flow" or "global":
                var context = TypedValue.Create(type, raw, Services.Expressions);
                // Context holds no undefined values: a missing key reads as null and means "not set".
                return msg => context.Evaluate(this, msg) ?? JsUndefined.Value;
            default:
                // Node-RED passes the text through for types it does not evaluate.
                return _ => raw;
        }
    }

    private From ParseFrom(string type, string raw)
    {
        switch (type)
        {
            case "msg":
                if (raw.Length == 0) throw new RuleException("'from' needs a message property");
                PropertyPath path;
                try { path = PropertyPath.Parse(raw); }
                catch (PropertyPathException ex) { throw new RuleException(ex.Message); }
                return new From(type, null, null, msg => MessageProperties.Get(msg, path));
            case "flow" or "global":
                var context = TypedValue.Create(type, raw, Services.Expressions);
                return new From(type, null, null, msg => context.Evaluate(this, msg) ?? JsUndefined.Value);
            case "re":
                try
                {
                    return new From(type, raw, JsSemantics.CreateRegex(raw, ignoreCase: false), null);
                }
                catch (ArgumentException ex)
                {
                    throw new RuleException($"Invalid 'from' property: {ex.Message}");
                }
            default:
                // str, num and bool search for their text literally; an exact match of the whole string is checked
                // against the raw text too.
                return new From(type, raw, new Regex(Regex.Escape(raw), RegexOptions.CultureInvariant, JsSemantics.RegexTimeout), null);
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        foreach (var step in _steps)
        {
            Apply(step, msg);
        }
        Send(msg);
        return ValueTask.CompletedTask;
    }

    private void Apply(Step step, JsObject msg)
    {
        object? value = null;
        if (step.To is not null)
        {
            value = step.To(msg);
            if (step.DeepCopy && !JsSemantics.IsUndefined(value)) value = JsValue.DeepClone(value);
        }
        switch (step.Action)
        {
            case RuleAction.Delete:
                Delete(step.Target, msg);
                break;
            case RuleAction.Set:
                SetValue(step.Target, msg, value, warn: true);
                break;
            case RuleAction.Change:
                Change(step, msg, value);
                break;
        }
    }

    private void SetValue(Target target, JsObject msg, object? value, bool warn)
    {
        if (target.Scope == Scope.Msg)
        {
            if (!MessageProperties.Set(msg, target.Path!, value) && warn)
            {
                Warn($"Cannot set property of non-object type: {target.Text}");
            }
            return;
        }
        ContextFor(target).Set(MessageProperties.ResolveContextKey(target.Key, msg), JsSemantics.IsUndefined(value) ? null : value, target.Store);
    }

    private void Delete(Target target, JsObject msg)
    {
        if (target.Scope == Scope.Msg)
        {
            MessageProperties.Delete(msg, target.Path!);
            return;
        }
        ContextFor(target).Set(MessageProperties.ResolveContextKey(target.Key, msg), null, target.Store);
    }

    private ContextScope ContextFor(Target target) => target.Scope == Scope.Flow ? FlowContext : GlobalContext;

    private void Change(Step step, JsObject msg, object? value)
    {
        var (fromType, fromValue, pattern) = ResolveFrom(step.From!, msg);
        var target = step.Target;
        object? current = target.Scope == Scope.Msg
            ? MessageProperties.Get(msg, target.Path!)
            : ContextFor(target).Get(MessageProperties.ResolveContextKey(target.Key, msg), target.Store);
        switch (current)
        {
            case string text:
                if (fromType is "num" or "bool" or "str" && fromValue is string exact && text == exact)
                {
                    // The whole string is the search value: the property takes the new value with its own type.
                    SetValue(target, msg, value, warn: false);
                    return;
                }
                var replacement = JsSemantics.ToJsString(value);
                // Without a pattern (a msg/flow/global search value that is a number or boolean) JavaScript's
                // replace(undefined, ...) looks for the text "undefined".
                var replaced = pattern is not null
                    ? JsSemantics.ReplaceAll(pattern, text, replacement)
                    : JsSemantics.ReplaceFirst(text, "undefined", replacement);
                object? result = replaced;
                // Node-RED turns a "true"/"false" result into the boolean when the new value is a boolean (messages only).
                if (step.ToType == "bool" && target.Scope == Scope.Msg && replaced == replacement) result = value;
                SetValue(target, msg, result, warn: false);
                return;
            case double number when fromType == "num":
                if (number == JsSemantics.ToNumber(fromValue)) SetValue(target, msg, value, warn: false);
                return;
            case bool flag when fromType == "bool":
                if (fromValue is string s && s == (flag ? "true" : "false")) SetValue(target, msg, value, warn: false);
                return;
        }
    }

    private (string? Type, object? Value, Regex? Pattern) ResolveFrom(From from, JsObject msg)
    {
        if (from.Dynamic is null) return (from.Type, from.Value, from.Pattern);
        var value = from.Dynamic(msg);
        switch (value)
        {
            case double:
                return ("num", value, null);
            case bool:
                return ("bool", value, null);
            case Regex regex:
                return ("re", value, regex);
            case string s:
                return ("str", s, new Regex(Regex.Escape(s), RegexOptions.CultureInvariant, JsSemantics.RegexTimeout));
            default:
                // Node-RED reports the error and (through a double callback) still applies the rule with no search
                // value, so the message goes on; the same is observable here.
                ReportError($"Invalid 'from' property: unsupported type: {JsSemantics.TypeOf(value)}", msg);
                return (null, value, null);
        }
    }
}
