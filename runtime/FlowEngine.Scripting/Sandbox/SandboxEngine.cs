using System.Diagnostics;
using System.Globalization;
using Jint;
using Jint.Runtime;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// Creates the Jint engines scripts run in: no CLR access, no string compilation, per-call limits on time, memory,
/// statements and recursion, and the runtime's clock behind <c>Date</c>.
/// </summary>
/// <remarks>
/// One engine per node instance: built-in prototypes and globals of one node's script can then never be seen or
/// changed by another node's script. Engines are not thread-safe; callers serialise their use.
/// </remarks>
internal static class SandboxEngine
{
    /// <summary>A new engine and the time limit it checks, which the caller may change between calls.</summary>
    public static (Engine Engine, CallDeadline Deadline) Create(SandboxLimits limits, TimeProvider clock)
    {
        var deadline = new CallDeadline { Limit = limits.Timeout };
        var options = new Options
        {
            // Node-RED runs function bodies in sloppy mode: flows that assign undeclared variables must keep working.
            Strict = false,
            // Atomics.wait would block a thread-pool thread beyond every time limit.
            AgentCanSuspend = false,
            TimeSystem = new ClockTimeSystem(clock),
        };
        // No .NET types, no reflection: scripts see JavaScript values and the functions we hand them, nothing else.
        options.Interop.Enabled = false;
        options.Interop.AllowGetType = false;
        options.Interop.AllowSystemReflection = false;
        // eval, new Function and constructor.constructor('...') would only reach the same sandbox, but refusing
        // them closes the door most escape recipes start from and keeps every script visible to the deploy check.
        options.Host.StringCompilationAllowed = false;
        options.Constraint(deadline);
        options.LimitMemory(limits.MemoryBytes);
        options.MaxStatements(limits.MaxStatements);
        options.LimitRecursion(limits.RecursionDepth);
        // Deep recursion through getters, coercions or callbacks is not counted by LimitRecursion: the guard turns
        // an imminent native stack overflow (which would end the process) into a catchable RangeError.
        options.Constraints.StackOverflowGuard = true;
        options.Constraints.MaxArraySize = limits.MaxArraySize;
        // A regular expression with catastrophic backtracking is one statement: only the regex timeout stops it.
        options.Constraints.RegexTimeout = limits.Timeout;
        return (new Engine(options), deadline);
    }

    /// <summary>
    /// The wall-clock limit of one call into the engine, re-armed by the engine at every entry. Unlike Jint's own
    /// TimeoutInterval the limit can change between calls: setting up an engine (the Buffer and API script) gets
    /// more time than one message, so a busy machine cannot make a node fail to start.
    /// </summary>
    internal sealed class CallDeadline : Constraint
    {
        private long _deadline = long.MaxValue;

        public TimeSpan Limit { get; set; }

        // Observes the clock without consuming anything: checking every few statements only delays detection a little.
        public override bool IsAmortizable => true;

        public override void Reset() =>
            _deadline = Stopwatch.GetTimestamp() + (long)(Limit.TotalSeconds * Stopwatch.Frequency);

        public override void Check()
        {
            if (Stopwatch.GetTimestamp() > _deadline) throw new TimeoutException("The script ran longer than its time limit.");
        }
    }

    /// <summary><c>Date.now()</c> and <c>new Date()</c> read the runtime's clock, so tests with a fake clock see its time.</summary>
    private sealed class ClockTimeSystem(TimeProvider clock) : ITimeSystem
    {
        private readonly DefaultTimeSystem _default = new(clock.LocalTimeZone, CultureInfo.InvariantCulture);

        public TimeZoneInfo DefaultTimeZone => _default.DefaultTimeZone;

        public DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public TimeSpan GetUtcOffset(long epochMilliseconds) => _default.GetUtcOffset(epochMilliseconds);

        public bool TryParse(string date, out long epochMilliseconds) => _default.TryParse(date, out epochMilliseconds);
    }
}
