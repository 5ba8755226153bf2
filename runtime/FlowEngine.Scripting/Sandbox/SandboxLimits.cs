using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// The resource limits of one sandboxed script call (one message, one timer callback, On Start, On Stop).
/// Every limit applies per call into the engine, not per node lifetime.
/// </summary>
/// <remarks>
/// There is always a time limit: Node-RED's default is "no limit", but one script that loops forever would take a
/// core away from every other flow. Settings may raise the limits; they cannot switch them off.
/// </remarks>
public sealed record SandboxLimits
{
    /// <summary>Time a single call may run (settings <c>functionTimeout</c>, node property <c>timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes a single call may allocate (settings <c>functionMemoryLimit</c>, in MB). Counted as allocation, not
    /// live size, so it also stops a script that churns garbage without end; 128 MB is far above what a message
    /// transform needs and far below what takes a small device down.
    /// </summary>
    public long MemoryBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>
    /// Statements a single call may execute (settings <c>functionMaxStatements</c>). By default 100 million per second
    /// of the time limit: more than the interpreter runs in that time, so on a normal machine the time limit speaks
    /// first, and this bound still holds when the machine is so busy that wall time says little.
    /// </summary>
    public int MaxStatements { get; init; } = StatementsPerSecond;

    /// <summary>
    /// Nested script calls (settings <c>functionRecursionLimit</c>). Small enough that the interpreter's native
    /// stack on a thread-pool thread cannot overflow; the stack guard is on as well for the routes it does not count.
    /// </summary>
    public int RecursionDepth { get; init; } = 400;

    /// <summary>Largest array or typed array a script may create in one allocation (elements).</summary>
    public uint MaxArraySize { get; init; } = 16 * 1024 * 1024;

    private const int StatementsPerSecond = 100_000_000;

    /// <summary>Default limits: 1 s, 128 MB, 100 million statements, 400 nested calls.</summary>
    public static SandboxLimits Default { get; } = new();

    /// <summary>
    /// Limits for a node: its own <paramref name="nodeTimeoutSeconds"/> when above zero, else the settings'
    /// <c>functionTimeout</c>; memory, statements and recursion from settings when present.
    /// </summary>
    public static SandboxLimits FromSettings(RuntimeSettings settings, double nodeTimeoutSeconds)
    {
        var limits = Default;
        var seconds = nodeTimeoutSeconds > 0 ? nodeTimeoutSeconds : settings.FunctionTimeoutSeconds;
        // A settings value of 0 means "no limit" in Node-RED's settings.js template; here it falls back to the default.
        if (seconds > 0 && double.IsFinite(seconds))
        {
            seconds = Math.Min(seconds, 24 * 3600);
            limits = limits with
            {
                Timeout = TimeSpan.FromSeconds(seconds),
                MaxStatements = (int)Math.Min(int.MaxValue - 1, StatementsPerSecond * Math.Max(1, seconds)),
            };
        }
        if (Positive(settings.Raw, "functionMemoryLimit") is { } mb) limits = limits with { MemoryBytes = (long)(mb * 1024 * 1024) };
        if (Positive(settings.Raw, "functionMaxStatements") is { } statements) limits = limits with { MaxStatements = (int)Math.Min(statements, int.MaxValue - 1) };
        if (Positive(settings.Raw, "functionRecursionLimit") is { } depth) limits = limits with { RecursionDepth = (int)Math.Min(depth, 100_000) };
        return limits;
    }

    private static double? Positive(JsObject raw, string key) => raw.Get(key) switch
    {
        double d when d > 0 && double.IsFinite(d) => d,
        string s when double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0 && double.IsFinite(d) => d,
        _ => null,
    };
}
