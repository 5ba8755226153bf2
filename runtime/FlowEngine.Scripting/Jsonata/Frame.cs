using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// A scope of variable bindings. Frames are created per evaluation (blocks, lambda calls, tuple steps) and never
/// shared between evaluations, so they need no locking. Most frames hold zero to three names, hence the linear scan.
/// The root frame is the <see cref="Evaluation"/> itself, so a simple expression allocates one object for both.
/// </summary>
internal class Frame
{
    private string[]? _names;
    private object?[]? _values;
    private int _count;

    protected Frame()
    {
        Evaluation = (Evaluation)this;
    }

    public Frame(Frame parent)
    {
        Parent = parent;
        Evaluation = parent.Evaluation;
    }

    public Frame? Parent { get; }

    public Evaluation Evaluation { get; }

    public void Bind(string name, object? value)
    {
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_names![i], name, StringComparison.Ordinal))
            {
                _values![i] = value;
                return;
            }
        }
        if (_names is null)
        {
            _names = new string[2];
            _values = new object?[2];
        }
        else if (_count == _names.Length)
        {
            Array.Resize(ref _names, _count * 2);
            Array.Resize(ref _values, _count * 2);
        }
        _names[_count] = name;
        _values![_count] = value;
        _count++;
    }

    /// <summary>The bound value, or <see cref="Undefined"/>.</summary>
    public object? Lookup(string name)
    {
        for (var frame = this; frame is not null; frame = frame.Parent)
        {
            for (var i = 0; i < frame._count; i++)
            {
                if (string.Equals(frame._names![i], name, StringComparison.Ordinal))
                {
                    return frame._values![i];
                }
            }
        }
        return Evaluation.LookupGlobal(name);
    }

    public static Frame FromTuple(Frame parent, TupleBinding tuple)
    {
        var frame = new Frame(parent);
        foreach (var (name, value) in tuple.Variables)
        {
            frame.Bind(name, value);
        }
        return frame;
    }
}

/// <summary>
/// The state of one evaluation: root input, host bindings, limits and the timestamp that $now and $millis share.
/// </summary>
internal sealed class Evaluation : Frame
{
    // Checking the clock on every call would cost more than most expressions; every 256th call is often enough
    // to stop a runaway within milliseconds of its deadline.
    private const int CheckInterval = 0xFF;

    private const long NotYet = long.MinValue;

    private readonly long _deadline;
    private readonly int _maxDepth;
    private readonly CancellationToken _cancellationToken;
    private int _depth;
    private int _ticks;
    private long _nowMilliseconds = NotYet;

    public Evaluation(object? rootInput, JsonataBindings? bindings, CancellationToken cancellationToken)
    {
        RootInput = rootInput;
        Bindings = bindings;
        _cancellationToken = cancellationToken;
        _maxDepth = bindings?.MaxDepth ?? JsonataBindings.DefaultMaxDepth;
        var limit = bindings is null ? JsonataBindings.DefaultTimeLimit : bindings.TimeLimit;
        _deadline = limit is { } span ? Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency) : 0;
    }

    public object? RootInput { get; }

    public JsonataBindings? Bindings { get; }

    /// <summary>The evaluation's "now", fixed at first use so that every $now() in one evaluation agrees.</summary>
    public DateTimeOffset Now
    {
        get
        {
            if (_nowMilliseconds == NotYet)
            {
                _nowMilliseconds = (Bindings?.TimeProvider ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
            }
            return DateTimeOffset.FromUnixTimeMilliseconds(_nowMilliseconds);
        }
    }

    public object? LookupGlobal(string name)
    {
        if (Bindings is not null && Bindings.TryLookup(name, out var value))
        {
            return value;
        }
        if (Library.TryGet(name, out var function))
        {
            return function;
        }
        return name == "$" ? RootInput : Undefined.Value;
    }

    /// <summary>Counts work; every so often checks the deadline and cancellation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Tick()
    {
        if ((++_ticks & CheckInterval) == 0)
        {
            CheckLimits();
        }
    }

    public void CheckLimits()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (_deadline != 0 && Stopwatch.GetTimestamp() > _deadline)
        {
            throw Errors.Limit("Expression evaluation timeout: Check for infinite loop");
        }
    }

    /// <summary>Enters a function call; the stack probe backs up the depth count when frames are unusually large.</summary>
    public void Enter()
    {
        if (++_depth > _maxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw Errors.Limit("Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive.");
        }
        Tick();
    }

    public void Exit() => _depth--;
}
