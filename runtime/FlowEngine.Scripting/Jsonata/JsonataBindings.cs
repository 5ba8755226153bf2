using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// Variables and limits for one or more evaluations. Names are given without the leading <c>$</c>.
/// A value is a plain value (normalised into the value model) or a <see cref="JsonataFunction"/>.
/// Build it, then share it read-only: concurrent evaluations may read one instance, but it must not be
/// changed while they run. A child (<c>new JsonataBindings(parent)</c>) adds or hides names without copying,
/// so a node can keep its context functions in one instance and add <c>$I</c>/<c>$N</c> per message.
/// </summary>
public sealed class JsonataBindings
{
    /// <summary>
    /// Nested function calls allowed by default. Deep enough for ordinary recursive helpers, shallow enough
    /// that a runaway recursion ends in a JsonataException long before the thread's stack is exhausted
    /// (a stack overflow would end the whole process, not just the flow).
    /// </summary>
    public const int DefaultMaxDepth = 1000;

    /// <summary>
    /// Wall-clock budget of one evaluation by default. Expressions run inside message handling, so an
    /// accidental infinite recursion must not hold a node's queue for long; real expressions take microseconds.
    /// </summary>
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(5);

    private readonly JsonataBindings? _parent;
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);
    private int? _maxDepth;
    private TimeSpan? _timeLimit;
    private bool _timeLimitSet;
    private TimeProvider? _timeProvider;

    public JsonataBindings(JsonataBindings? parent = null)
    {
        _parent = parent;
    }

    /// <summary>Binds <c>$name</c> to a value or a <see cref="JsonataFunction"/>.</summary>
    public JsonataBindings Set(string name, object? value)
    {
        _values[StripDollar(name)] = value is JsonataFunction ? value : JsValue.Normalize(value);
        return this;
    }

    /// <summary>Binds <c>$name</c> to a host function.</summary>
    public JsonataBindings SetFunction(string name, Func<IReadOnlyList<object?>, object?> implementation, string? signature = null, int? arity = null) =>
        Set(name, new JsonataFunction(implementation, signature, arity));

    public bool Contains(string name) => TryGetRaw(StripDollar(name), out _);

    /// <summary>Most nested function calls (recursion depth) before U1001; defaults to <see cref="DefaultMaxDepth"/>.</summary>
    public int MaxDepth
    {
        get => _maxDepth ?? _parent?.MaxDepth ?? DefaultMaxDepth;
        set => _maxDepth = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "must be positive");
    }

    /// <summary>Longest one evaluation may run before U1001; null for no limit. Defaults to <see cref="DefaultTimeLimit"/>.</summary>
    public TimeSpan? TimeLimit
    {
        get => _timeLimitSet ? _timeLimit : _parent is null ? DefaultTimeLimit : _parent.TimeLimit;
        set
        {
            _timeLimit = value;
            _timeLimitSet = true;
        }
    }

    /// <summary>The clock behind <c>$now()</c> and <c>$millis()</c>; the system clock when not set.</summary>
    public TimeProvider? TimeProvider
    {
        get => _timeProvider ?? _parent?.TimeProvider;
        set => _timeProvider = value;
    }

    internal bool TryGetRaw(string name, out object? value)
    {
        for (var bindings = this; bindings is not null; bindings = bindings._parent)
        {
            if (bindings._values.TryGetValue(name, out value))
            {
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Looks a name up as the evaluator sees it: host functions as callable values.</summary>
    internal bool TryLookup(string name, out object? value)
    {
        if (!TryGetRaw(name, out value))
        {
            return false;
        }
        if (value is JsonataFunction function)
        {
            value = function.Adapter;
        }
        return true;
    }

    private static string StripDollar(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name[0] == '$' ? name[1..] : name;
    }
}
