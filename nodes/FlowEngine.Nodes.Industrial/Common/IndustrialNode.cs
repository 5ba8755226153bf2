using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Industrial.Common;

/// <summary>
/// Shared plumbing of the industrial nodes: one wake-up timer per node (not one per tag: a node may track tens of
/// thousands of tags) and a status line throttled to one update a second, both on the runtime clock.
/// </summary>
/// <remarks>
/// Each node keeps its own <see cref="DueQueue{T}"/> of per-tag deadlines and asks for a wake-up at the earliest one.
/// Timer callbacks run on the node's mailbox, so state needs no locks.
/// </remarks>
internal abstract class IndustrialNode(NodeSetup setup) : FlowNode(setup)
{
    /// <summary>Status updates are throttled: a node seeing 100,000 messages a second must not flood the editor.</summary>
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    private ITimer? _wakeTimer;
    private long _wakeAt = long.MaxValue;
    private int _wakeGeneration;
    private long _lastStatusAt = long.MinValue;
    private bool _statusPending;

    /// <summary>The runtime clock's current time in UTC ticks.</summary>
    protected long NowTicks => Clock.GetUtcNow().UtcTicks;

    protected static DateTime ToDateTime(long ticks) => new(ticks, DateTimeKind.Utc);

    /// <summary>Asks for <see cref="OnWake"/> to run at (or just after) the given time.</summary>
    protected void WakeAt(long dueTicks)
    {
        if (dueTicks >= _wakeAt) return;
        // An earlier deadline supersedes the armed wake-up; the new one handles everything the old one would have.
        _wakeAt = dueTicks;
        StopTimer(_wakeTimer);
        _wakeTimer = null;
        var generation = ++_wakeGeneration;
        var delay = dueTicks - NowTicks;
        if (delay <= 0)
        {
            // Already due: run on the mailbox after the current work rather than through a zero-length timer.
            Post(() => WakeAsync(generation));
            return;
        }
        _wakeTimer = StartTimer(TimeSpan.FromTicks(delay), Timeout.InfiniteTimeSpan, () => WakeAsync(generation));
    }

    private ValueTask WakeAsync(int generation)
    {
        // A superseded wake-up (its timer fired just before it was stopped) does nothing: the newer one is armed.
        if (generation != _wakeGeneration) return ValueTask.CompletedTask;
        _wakeTimer = null;
        _wakeAt = long.MaxValue;
        var next = OnWake(NowTicks);
        if (next is { } due) WakeAt(due);
        return ValueTask.CompletedTask;
    }

    /// <summary>Handles everything due at <paramref name="nowTicks"/>; returns the next deadline, if any.</summary>
    protected virtual long? OnWake(long nowTicks) => null;

    /// <summary>Marks the status line as changed: published now, or at most once a second.</summary>
    protected void StatusChanged()
    {
        if (_statusPending) return;
        var now = NowTicks;
        var next = _lastStatusAt == long.MinValue ? now : _lastStatusAt + StatusInterval.Ticks;
        if (next <= now)
        {
            PublishStatus(now);
            return;
        }
        _statusPending = true;
        StartTimer(TimeSpan.FromTicks(next - now), Timeout.InfiniteTimeSpan, () =>
        {
            _statusPending = false;
            PublishStatus(NowTicks);
            return ValueTask.CompletedTask;
        });
    }

    private void PublishStatus(long now)
    {
        _lastStatusAt = now;
        SetStatus(BuildStatus());
    }

    /// <summary>The status line to show; called by the throttle.</summary>
    protected virtual NodeStatus BuildStatus() => NodeStatus.Clear;
}
