using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>A callable value: built-in, lambda, host function, partial application, chain, regex or transform.</summary>
internal abstract class FunctionValue
{
    /// <summary>How the function is named in error messages.</summary>
    public abstract string Name { get; }

    /// <summary>How many of (value, index, array) higher-order functions pass to it.</summary>
    public abstract int Arity { get; }

    public virtual Signature? Signature => null;

    /// <summary>Runs the function once. Lambdas may return a <see cref="TailCall"/>; only <see cref="Invoker.Apply"/> calls this.</summary>
    public abstract object? Invoke(object?[] args, object? input, Frame environment);

    public override string ToString() => Name;
}

internal static class Invoker
{
    /// <summary>Calls a function with signature checking, the depth limit and the tail-call trampoline.</summary>
    public static object? Apply(FunctionValue function, object?[] args, object? input, Frame environment)
    {
        var evaluation = environment.Evaluation;
        evaluation.Enter();
        var result = InvokeOnce(function, args, input, environment);
        while (result is TailCall call)
        {
            evaluation.Tick();
            result = InvokeOnce(call.Function, call.Arguments, call.Input, environment);
        }
        evaluation.Exit();
        return result;
    }

    private static object? InvokeOnce(FunctionValue function, object?[] args, object? input, Frame environment)
    {
        if (function.Signature is { } signature)
        {
            args = signature.Validate(args, input, function.Name);
        }
        return function.Invoke(args, input, environment);
    }

    /// <summary>Calls a higher-order function's callback with as many of (value, index, array) as it declares.</summary>
    public static object? CallWithItem(FunctionValue function, object? value, int index, object? collection, Frame environment)
    {
        var arity = function.Arity;
        object?[] args = arity switch
        {
            <= 1 => [value],
            2 => [value, (double)index],
            _ => [value, (double)index, collection],
        };
        return Apply(function, args, Undefined.Value, environment);
    }

    /// <summary>Like <see cref="CallWithItem"/> for object entries: (value, key, object).</summary>
    public static object? CallWithEntry(FunctionValue function, object? value, string key, JsObject obj, Frame environment)
    {
        var arity = function.Arity;
        object?[] args = arity switch
        {
            <= 1 => [value],
            2 => [value, key],
            _ => [value, key, obj],
        };
        return Apply(function, args, Undefined.Value, environment);
    }

    public static object? Argument(object?[] args, int index) => index < args.Length ? args[index] : Undefined.Value;
}

internal delegate object? BuiltinBody(object?[] args, object? input, Frame environment);

internal sealed class BuiltinFunction : FunctionValue
{
    private readonly BuiltinBody _body;
    private readonly Signature _signature;
    private readonly int _arity;

    public BuiltinFunction(string name, string signature, BuiltinBody body)
    {
        Name = "$" + name;
        _signature = Signature.Parse(signature);
        _body = body;
        _arity = Math.Max(1, _signature.DeclaredArity);
    }

    public override string Name { get; }

    public override int Arity => _arity;

    public override Signature Signature => _signature;

    public override object? Invoke(object?[] args, object? input, Frame environment) => _body(args, input, environment);
}

internal sealed class LambdaFunction(LambdaNode definition, object? input, Frame environment) : FunctionValue
{
    public override string Name => "lambda";

    public override int Arity => definition.Parameters.Length;

    public override Signature? Signature => definition.Signature;

    public override object? Invoke(object?[] args, object? callInput, Frame callEnvironment)
    {
        var frame = new Frame(environment);
        var parameters = definition.Parameters;
        for (var i = 0; i < parameters.Length; i++)
        {
            frame.Bind(parameters[i], i < args.Length ? args[i] : Undefined.Value);
        }
        // A lambda sees the context it was defined in, not the caller's.
        return definition.Body.Evaluate(input, frame);
    }
}

internal sealed class HostFunction(JsonataFunction host, Signature? signature) : FunctionValue
{
    public override string Name => "host function";

    public override int Arity => host.Arity;

    public override Signature? Signature => signature;

    public override object? Invoke(object?[] args, object? input, Frame environment)
    {
        var hostArgs = new object?[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            hostArgs[i] = args[i] is Undefined ? null : Values.ToPublic(args[i]);
        }
        return Values.FromHost(host.Implementation(hostArgs));
    }
}

/// <summary><c>$f(?, 2)</c>: a function of the remaining (placeholder) arguments.</summary>
internal sealed class PartialFunction(FunctionValue target, object?[] bound) : FunctionValue
{
    public override string Name => target.Name;

    public override int Arity
    {
        get
        {
            var count = 0;
            foreach (var arg in bound)
            {
                if (arg is Placeholder)
                {
                    count++;
                }
            }
            return count;
        }
    }

    public override object? Invoke(object?[] args, object? input, Frame environment)
    {
        var filled = new object?[bound.Length];
        var next = 0;
        for (var i = 0; i < bound.Length; i++)
        {
            filled[i] = bound[i] is Placeholder ? Invoker.Argument(args, next++) : bound[i];
        }
        return Invoker.Apply(target, filled, input, environment);
    }
}

/// <summary><c>$f ~> $g</c> where both sides are functions: a function that applies $f then $g.</summary>
internal sealed class ChainFunction(FunctionValue first, FunctionValue second) : FunctionValue
{
    public override string Name => "chain";

    public override int Arity => 1;

    public override object? Invoke(object?[] args, object? input, Frame environment)
    {
        var intermediate = Invoker.Apply(first, [Invoker.Argument(args, 0)], input, environment);
        return Invoker.Apply(second, [intermediate], input, environment);
    }
}

/// <summary>A regular expression literal. Used by $match/$replace/$split/$contains; called directly it returns the first match.</summary>
internal sealed class RegexFunction(Regex regex, string source) : FunctionValue
{
    public Regex Regex { get; } = regex;

    public string Source { get; } = source;

    public override string Name => "/" + Source + "/";

    public override int Arity => 1;

    public override object? Invoke(object?[] args, object? input, Frame environment)
    {
        if (Invoker.Argument(args, 0) is not string text)
        {
            return Undefined.Value;
        }
        var match = RegexSupport.Match(Regex, text, 0);
        if (match is null)
        {
            return Undefined.Value;
        }
        var result = new JsObject(4)
        {
            ["match"] = match.Value,
            ["start"] = (double)match.Index,
            ["end"] = (double)(match.Index + match.Length),
            ["groups"] = RegexSupport.Groups(match),
        };
        return result;
    }
}

/// <summary>One match, from a regular expression or a matcher function.</summary>
internal sealed record MatchResult(string Value, int Index, List<object?> Groups)
{
    public JsObject ToObject() => new(3) { ["match"] = Value, ["index"] = (double)Index, ["groups"] = Groups };
}

internal static class RegexSupport
{
    public static Match? Match(Regex regex, string text, int start)
    {
        try
        {
            var match = regex.Match(text, start);
            return match.Success ? match : null;
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw Errors.Create("U1001", value: "Regular expression evaluation timed out", inner: ex);
        }
    }

    /// <summary>
    /// All matches as JSONata's matcher yields them: after the first, a zero-length match is an error (D1004),
    /// and matching stops once the end of the string is reached.
    /// </summary>
    public static IEnumerable<Match> Matches(Regex regex, string text, int limit = int.MaxValue)
    {
        var count = 0;
        var match = Match(regex, text, 0);
        while (match is not null && count < limit)
        {
            yield return match;
            count++;
            var next = match.Index + match.Length;
            if (next >= text.Length || count >= limit)
            {
                yield break;
            }
            match = Match(regex, text, next);
            if (match is { Length: 0 })
            {
                throw Errors.Create("D1004", value: regex.ToString());
            }
        }
    }

    /// <summary>
    /// The matches of a regular expression, or of a JSONata matcher function: a function of a string returning
    /// <c>{match, start, end, groups, next}</c>, where next() returns the following match (JSONata's matcher protocol).
    /// </summary>
    public static IEnumerable<MatchResult> MatchAll(FunctionValue pattern, string text, int limit, string functionName, Frame environment)
    {
        if (pattern is RegexFunction regex)
        {
            foreach (var match in Matches(regex.Regex, text, limit))
            {
                yield return new MatchResult(match.Value, match.Index, Groups(match));
            }
            yield break;
        }
        var count = 0;
        var result = Invoker.Apply(pattern, [text], Undefined.Value, environment);
        while (result is not Undefined && count < limit)
        {
            if (result is not JsObject obj || obj.Get("match") is not string matched || obj.Get("start") is not double start ||
                obj.Get("end") is not double || obj.Get("groups") is not List<object?> groups)
            {
                throw Errors.Create("T1010", token: functionName);
            }
            yield return new MatchResult(matched, (int)start, groups);
            count++;
            result = count < limit && obj.Get("next") is FunctionValue next ? Invoker.Apply(next, [], Undefined.Value, environment) : Undefined.Value;
        }
    }

    public static List<object?> Groups(Match match)
    {
        var groups = new List<object?>(Math.Max(0, match.Groups.Count - 1));
        for (var i = 1; i < match.Groups.Count; i++)
        {
            groups.Add(match.Groups[i].Success ? match.Groups[i].Value : null);
        }
        return groups;
    }

    /// <summary>
    /// Compiles a JavaScript regular expression. ECMAScript mode gives JavaScript's meaning of \d, \w and
    /// backreferences; patterns it rejects (lookbehind, named groups) are retried in .NET's own dialect.
    /// </summary>
    public static Regex Create(string pattern, bool ignoreCase, bool multiline)
    {
        var options = RegexOptions.CultureInvariant;
        if (ignoreCase)
        {
            options |= RegexOptions.IgnoreCase;
        }
        if (multiline)
        {
            options |= RegexOptions.Multiline;
        }
        var timeout = TimeSpan.FromSeconds(2);
        try
        {
            return new Regex(pattern, (options & ~RegexOptions.CultureInvariant) | RegexOptions.ECMAScript, timeout);
        }
        catch (ArgumentException)
        {
            return new Regex(TranslateJavaScriptOnly(pattern), options, timeout);
        }
    }

    // JavaScript's [^] (any character) has no .NET spelling inside a class.
    private static string TranslateJavaScriptOnly(string pattern) => pattern.Replace("[^]", @"[\s\S]", StringComparison.Ordinal);
}

/// <summary>The function a transform expression <c>|pattern|update,delete|</c> evaluates to.</summary>
internal sealed class TransformFunction(TransformNode definition, Frame environment) : FunctionValue
{
    private static readonly Signature TransformSignature = Signature.Parse("<(oa):o>");

    public override string Name => "transform";

    public override int Arity => 1;

    public override Signature? Signature => TransformSignature;

    public override object? Invoke(object?[] args, object? input, Frame callEnvironment) =>
        definition.Transform(Invoker.Argument(args, 0), environment);
}
