using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.Scripting.Jsonata;

namespace FlowEngine.Scripting;

/// <summary>
/// JSONata for the runtime's typed inputs, change and switch rules: our evaluator plus Node-RED's extra bindings
/// ($flowContext, $globalContext, $env, $clone, $moment) and its legacy "msg" mode.
/// </summary>
public sealed partial class JsonataExpressionEngine : IExpressionEngine
{
    // One bindings object per scope (a node's flow, global and env): built on first use, shared by every message.
    private readonly ConditionalWeakTable<ExpressionScope, JsonataBindings> _scopeBindings = new();

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ICompiledExpression Compile(string expression)
    {
        try
        {
            return new Compiled(this, JsonataExpression.Compile(expression), LegacyMsgToken().IsMatch(StripStrings(expression)));
        }
        catch (JsonataException ex)
        {
            throw new TypedValueException($"invalid JSONata expression: {ex.Message}", ex);
        }
    }

    private JsonataBindings BindingsFor(ExpressionScope scope) => _scopeBindings.GetValue(scope, s =>
    {
        var bindings = new JsonataBindings { TimeProvider = TimeProvider };
        bindings.SetFunction("flowContext", args => Found(s.Flow?.Get(Text(args, 0), Store(args))), "<s-s?:x>");
        bindings.SetFunction("globalContext", args => Found(s.Global?.Get(Text(args, 0), Store(args))), "<s-s?:x>");
        bindings.SetFunction("env", args => Found(s.Env(Text(args, 0))), "<s-:x>");
        bindings.SetFunction("clone", args => args.Count > 0 ? JsValue.DeepClone(args[0]) : JsonataFunction.Undefined, "<x-:x>");
        bindings.SetFunction("moment", args => Moment(args), "<x?s?:s>");
        return bindings;
    });

    private static object? Found(object? value) => value ?? JsonataFunction.Undefined;

    private static string Text(IReadOnlyList<object?> args, int index) => index < args.Count && args[index] is { } v ? JsValue.ToJsString(v) : "";

    private static string? Store(IReadOnlyList<object?> args) => args.Count > 1 && args[1] is string s ? s : null;

    /// <summary>The subset of Node-RED's $moment() that flows use: now, or a date, formatted with moment tokens.</summary>
    private object? Moment(IReadOnlyList<object?> args)
    {
        var date = args.Count > 0 && args[0] is { } v
            ? v switch
            {
                double ms => JsValue.FromEpochMilliseconds(ms),
                string s when DateTime.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
                DateTime dt => dt,
                _ => TimeProvider.GetUtcNow().UtcDateTime,
            }
            : TimeProvider.GetUtcNow().UtcDateTime;
        return args.Count > 1 && args[1] is string format ? MomentFormat.Format(date, format) : JsJson.FormatIsoDate(date);
    }

    /// <summary>Blanks string literals so a "msg" inside quotes does not switch on legacy mode.</summary>
    private static string StripStrings(string expression) => StringLiteral().Replace(expression, "\"\"");

    // Node-RED: an expression that names the bare token msg is evaluated against {msg: msg} (legacy mode).
    [GeneratedRegex(@"(?<![\w$.])msg(?![\w])")]
    private static partial Regex LegacyMsgToken();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'")]
    private static partial Regex StringLiteral();

    private sealed class Compiled(JsonataExpressionEngine engine, JsonataExpression expression, bool legacyMsg) : ICompiledExpression
    {
        public object? Evaluate(JsObject message, ExpressionScope scope) => TryEvaluate(message, scope, out var result) ? result : null;

        public bool TryEvaluate(JsObject message, ExpressionScope scope, out object? result)
        {
            var bindings = engine.BindingsFor(scope);
            if (scope.Variables is { Count: > 0 } variables)
            {
                bindings = new JsonataBindings(bindings);
                foreach (var (name, value) in variables) bindings.Set(name, value);
            }
            object input = legacyMsg ? new JsObject { ["msg"] = message } : message;
            try
            {
                return expression.TryEvaluate(input, bindings, out result);
            }
            catch (JsonataException ex)
            {
                throw new TypedValueException($"JSONata: {ex.Message}", ex);
            }
        }
    }
}
