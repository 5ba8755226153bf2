namespace FlowEngine.Nodes.Industrial.Alarm;

/// <summary>One alarm: one rule applied to one tag, with its ISA-18.2 state. Owned by its node's mailbox.</summary>
internal sealed class AlarmInstance(AlarmRule rule, string tag, string id)
{
    public AlarmRule Rule { get; } = rule;
    public string Tag { get; } = tag;
    public string Id { get; } = id;

    /// <summary>The raw condition after hysteresis, before on/off delays.</summary>
    public bool Condition;
    /// <summary>The condition after delays: what ISA-18.2 calls the alarm being active.</summary>
    public bool Active;
    public string State = AlarmStates.Normal;

    /// <summary>When a delayed change of <see cref="Active"/> takes effect (0 = none pending).</summary>
    public long PendingDue;
    public long PendingQueuedAt;
    /// <summary>STUCK: when the value counts as frozen, and the value it must move away from.</summary>
    public long StuckDue;
    public long StuckQueuedAt;
    public double? StuckReference;
    public long ShelvedUntil;
    public long ShelveQueuedAt;
    public string? ShelvedBy;

    public double? Value;
    public double? Limit;
    public long LastChange;
    public long ActiveSince;
    public string? AckedBy;
    public long AckedAt;
    public string? Comment;
}

/// <summary>The alarms of one tag and what rate-of-change needs from the previous sample.</summary>
internal sealed class TagAlarms(string tag, AlarmInstance[] alarms)
{
    public string Tag { get; } = tag;
    public AlarmInstance[] Alarms { get; } = alarms;
    public bool NeedsNumber { get; } = alarms.Any(a => a.Rule.IsAnalog);
    public bool NeedsBoolean { get; } = alarms.Any(a => a.Rule.Condition == AlarmCondition.Discrete);
    public bool HasLast;
    public double LastValue;
    public long LastTicks;
}
