using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Alarm;

/// <summary>
/// Alarm management per tag: limit, rate-of-change, frozen-value, bad-quality and discrete alarms with hysteresis and
/// delays, and the ISA-18.2 state model with acknowledge, shelve and suppress. Every state change is an event message
/// and a history entry in the alarm store.
/// </summary>
internal sealed class AlarmNode : IndustrialNode, IAlarmCommandTarget
{
    public static readonly NodeDeclaration Declaration = new("alarm")
    {
        Category = "industrial",
        Color = "#E9967A",
        Icon = "alert.svg",
        PaletteLabel = "alarm",
        Inputs = 1,
        Outputs = 2,
        OutputLabels = ["alarm events", "input passed through"],
        DefaultLabel = "alarm",
        Help = """
            Evaluates alarm rules for every tag it sees and keeps each alarm's state as ISA-18.2 defines it. Tags come
            from **tagProperty** (`msg.topic` by default), values from **property** (`msg.payload`), quality from
            **qualityProperty** (`msg.quality`: "good"/"uncertain"/"bad", an OPC UA status code, or true/false).

            ### Rules
            Each rule is an object: `{tag, type, limit, limitProperty, hysteresis, onDelay, offDelay, duration,
            rocPeriod, alarmOn, severity, priority, message}`.

            * **tag**: an exact tag, a pattern with `*` and `?`, or empty/`*` for every tag. When several rules of the
              same type match a tag, the most specific wins (an exact tag, then the longest pattern).
            * **type**: `HIHI`, `HI` (active while value &gt; limit), `LO`, `LOLO` (active while value &lt; limit),
              `ROC` (|change| scaled to **rocPeriod** seconds, default 60, &gt; limit), `STUCK` (no change larger than
              **hysteresis** for **duration** seconds, whether samples keep coming or not), `BAD` (quality bad),
              `DISCRETE` (value equals **alarmOn**, default true; accepts true/false, 1/0, "on"/"off").
            * **hysteresis** (default 0): a HI alarm returns when value ≤ limit − hysteresis, a LO alarm when
              value ≥ limit + hysteresis, ROC when rate ≤ limit − hysteresis.
            * **onDelay** / **offDelay** (seconds, default 0): the condition must hold (or stay clear) this long
              before the alarm becomes active (or returns). A change back during the delay cancels it.
            * **limitProperty**: a message property (e.g. `asset.limits.hi` from an enrich node) whose number
              overrides **limit** for that message.
            * **severity** 1–1000 (default 700 HIHI/LOLO, 500 HI/LO/DISCRETE, 400 BAD, 300 ROC/STUCK) and
              **priority** `critical`, `high`, `medium`, `low`.
            * **message**: text with `{tag}`, `{condition}`, `{description}`, `{value}`, `{limit}`; default
              `"{tag} {description}"` (e.g. "TT-101 high").

            Limits are checked at deploy: HIHI above HI, HI above LO, LO above LOLO (for rules with the same tag).
            Samples with bad quality evaluate only BAD rules; a value that is not a number (or, for DISCRETE, not
            a boolean) is an error sent to catch nodes and changes nothing, unless the quality is bad.

            ### States (ISA-18.2)
            `NORM` → (active) → `UNACK` → (ack) → `ACKED` → (returns) → `NORM`; `UNACK` → (returns) → `RTNUN` →
            (ack) → `NORM` or (active again) → `UNACK`. `SHLVD`: shelved by an operator until an expiry time;
            `DSUPR`: suppressed by design. Unshelving, shelve expiry and unsuppressing go to `UNACK` if the
            condition is active, else `NORM`. A shelved or suppressed alarm tracks its condition silently.

            ### Commands (input)
            A message with `msg.action` set is a command, not a value: `"ack"`, `"shelve"`, `"unshelve"`,
            `"suppress"`, `"unsuppress"`. Target: `msg.alarmId`, or the tag in the tag property (with an optional
            `msg.condition`, e.g. "HI"), or every alarm of the node when neither is given. `msg.user` (default
            "flow") and `msg.comment` are recorded; `msg.duration` is the shelve time in seconds (default
            **shelveDuration**, at most **maxShelveDuration**).

            ### Output 1: alarm events, one message per state change
            `msg.topic` from the **topic** pattern (placeholders `{tag}`, `{condition}`, `{state}`; default
            `alarms/{tag}/{condition}`) and
            `msg.payload = {id, tag, condition, state, previousState, active, value, limit, severity, priority,
            message, time, reason, ackedBy?, comment?, shelvedUntil?}` where `id` is `"<node id>:<tag>:<condition>"`,
            `value` is the last value (the rate per rocPeriod for ROC, 1/0 for DISCRETE), `limit` the limit in force (the frozen
            time in seconds for STUCK, null for BAD and DISCRETE), `time` an ISO 8601 UTC string, and `reason` one of
            `active`, `returned`, `acknowledged`, `shelved`, `shelve extended`, `unshelved`, `shelve expired`,
            `suppressed`, `unsuppressed`. `ackedBy` is the user of an ack, shelve or suppress command.

            ### Output 2
            Every value message, unchanged, after its events.

            ### State
            Alarm states and history live in the runtime's alarm store (LiteDB `industrial.db` in the user
            directory): alarms survive a restart and a redeploy of this node (rules that still exist keep their
            state; alarms of deleted rules leave the active list). Hysteresis, pending delays and the previous sample
            for ROC are in memory: a redeploy that changes the node or a restart starts them afresh. Deleting the node
            removes its alarms from the active list; the history stays.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("tagProperty", PropertyKind.String) { Default = "topic", Label = "Tag", Help = "message property holding the tag" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Label = "Value", Help = "message property holding the value" },
            new PropertyDeclaration("qualityProperty", PropertyKind.String) { Default = "quality", Label = "Quality" },
            new PropertyDeclaration("rules", PropertyKind.RuleList) { Default = new List<object?>(), Label = "Rules", Help = "list of {tag, type, limit, hysteresis, onDelay, offDelay, duration, rocPeriod, alarmOn, severity, priority, message, limitProperty}" },
            new PropertyDeclaration("topic", PropertyKind.String) { Default = "alarms/{tag}/{condition}", Label = "Event topic" },
            new PropertyDeclaration("shelveDuration", PropertyKind.Number) { Default = 3600.0, Label = "Default shelve time (s)" },
            new PropertyDeclaration("maxShelveDuration", PropertyKind.Number) { Default = 86400.0, Label = "Longest shelve time (s)" },
        ],
    };

    private enum DueKind { Pending, Stuck, Shelve }

    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly IndustrialServices _services;
    private readonly PropertyPath _tagPath;
    private readonly PropertyPath _valuePath;
    private readonly PropertyPath _qualityPath;
    private readonly IReadOnlyList<AlarmRule> _rules;
    private readonly string _topicPattern;
    private readonly long _shelveDefault;
    private readonly long _shelveMax;
    private readonly Dictionary<string, TagAlarms> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AlarmInstance> _byId = new(StringComparer.Ordinal);
    private readonly DueQueue<(AlarmInstance Alarm, DueKind Kind)> _due = new();
    private bool _acquired;

    public AlarmNode(NodeSetup setup, IndustrialServices services) : base(setup)
    {
        _services = services;
        _tagPath = MessageValues.Path(Config, "tagProperty", "topic");
        _valuePath = MessageValues.Path(Config, "property", "payload");
        _qualityPath = MessageValues.Path(Config, "qualityProperty", "quality");
        _rules = AlarmRule.ParseAll(Config);
        _topicPattern = Config.GetString("topic", "alarms/{tag}/{condition}") is { Length: > 0 } t ? t : "alarms/{tag}/{condition}";
        var shelve = MessageValues.Seconds(Config, "shelveDuration", 3600);
        var maxShelve = MessageValues.Seconds(Config, "maxShelveDuration", 86400);
        if (shelve <= 0) throw Config.Invalid("shelveDuration", "must be more than zero");
        if (maxShelve < shelve) throw Config.Invalid("maxShelveDuration", "must not be less than the default shelve time");
        _shelveDefault = MessageValues.SecondsToTicks(shelve);
        _shelveMax = MessageValues.SecondsToTicks(maxShelve);
    }

    private AlarmStore Store => _services.AlarmStore;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _services.Database.Acquire(Services.Settings.UserDir);
        _acquired = true;
        Store.Register(Id, this);
        Restore();
        StartTimer(FlushInterval, FlushInterval, () =>
        {
            Store.RequestFlush();
            if (Store.LastWriteError is not null) StatusChanged();
            return ValueTask.CompletedTask;
        });
        StatusChanged();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        Store.Unregister(Id, this);
        if (removed)
        {
            foreach (var snapshot in Store.ActiveFor(Id)) Store.Forget(snapshot.Id);
        }
        if (_acquired)
        {
            Store.Flush();
            _services.Database.Release();
            _acquired = false;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Takes back the states the store holds for this node (after a restart or a redeploy of this node).</summary>
    private void Restore()
    {
        var now = NowTicks;
        foreach (var snapshot in Store.ActiveFor(Id))
        {
            var alarm = FindOrCreate(snapshot.Tag, snapshot.Condition);
            if (alarm is null)
            {
                Store.Forget(snapshot.Id);
                continue;
            }
            alarm.State = snapshot.State;
            alarm.Active = snapshot.Active;
            alarm.Condition = snapshot.Active;
            alarm.Value = snapshot.Value;
            alarm.Limit = snapshot.Limit;
            alarm.LastChange = snapshot.Time.Ticks;
            alarm.ActiveSince = snapshot.ActiveSince?.Ticks ?? 0;
            alarm.AckedBy = snapshot.AckedBy;
            alarm.AckedAt = snapshot.AckedAt?.Ticks ?? 0;
            alarm.Comment = snapshot.Comment;
            alarm.ShelvedBy = snapshot.ShelvedBy;
            if (snapshot.State == AlarmStates.Shelved)
            {
                alarm.ShelvedUntil = snapshot.ShelvedUntil?.Ticks ?? now;
                Schedule(alarm, DueKind.Shelve, alarm.ShelvedUntil);
            }
        }
    }

    private TagAlarms Tag(string tag)
    {
        if (_tags.TryGetValue(tag, out var existing)) return existing;
        // The most specific matching rule of each type applies (an exact tag over a pattern over "*").
        var chosen = new Dictionary<AlarmCondition, AlarmRule>();
        foreach (var rule in _rules)
        {
            if (!rule.Matches(tag)) continue;
            if (!chosen.TryGetValue(rule.Condition, out var current) || rule.Specificity > current.Specificity) chosen[rule.Condition] = rule;
        }
        var alarms = chosen.Values.OrderBy(r => r.Condition)
            .Select(r => new AlarmInstance(r, tag, $"{Id}:{tag}:{r.ConditionName}")).ToArray();
        var tagAlarms = new TagAlarms(tag, alarms);
        _tags[tag] = tagAlarms;
        foreach (var alarm in alarms) _byId[alarm.Id] = alarm;
        return tagAlarms;
    }

    private AlarmInstance? FindOrCreate(string tag, string condition) =>
        Tag(tag).Alarms.FirstOrDefault(a => a.Rule.ConditionName == condition);

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.Get("action") is string action && action.Length > 0)
        {
            HandleCommandMessage(msg, action);
            return ValueTask.CompletedTask;
        }
        var tag = MessageValues.TagOf(_tagPath, msg);
        var tagAlarms = Tag(tag);
        if (tagAlarms.Alarms.Length > 0) Evaluate(tagAlarms, msg);
        Send(1, msg);
        return ValueTask.CompletedTask;
    }

    private void Evaluate(TagAlarms tag, JsObject msg)
    {
        // Everything that can fail is read before any state changes, so a bad message leaves the alarms as they were.
        var quality = Quality.Parse(_qualityPath.GetValue(msg));
        var bad = quality == QualityLevel.Bad;
        var raw = _valuePath.GetValue(msg);
        var hasNumber = MessageValues.TryNumber(raw, out var value);
        var discrete = false;
        if (!bad)
        {
            if (tag.NeedsNumber && !hasNumber) throw MessageValues.NotANumber(_valuePath, tag.Tag, raw);
            if (tag.NeedsBoolean && !MessageValues.TryBoolean(raw, out discrete))
            {
                throw new IndustrialInputException($"msg.{_valuePath.Text} is not a boolean (got {MessageValues.Describe(raw)}) for tag \"{tag.Tag}\"");
            }
        }
        Span<double> limits = stackalloc double[tag.Alarms.Length];
        for (var i = 0; i < tag.Alarms.Length; i++)
        {
            var rule = tag.Alarms[i].Rule;
            limits[i] = rule.Limit ?? double.NaN;
            if (rule.LimitProperty is { } path && path.GetValue(msg) is { } limitValue)
            {
                if (!MessageValues.TryNumber(limitValue, out var fromMessage))
                {
                    throw new IndustrialInputException($"msg.{path.Text} (limit of the {rule.ConditionName} rule) is not a number (got {MessageValues.Describe(limitValue)}) for tag \"{tag.Tag}\"");
                }
                limits[i] = fromMessage;
            }
        }

        var now = NowTicks;
        for (var i = 0; i < tag.Alarms.Length; i++)
        {
            var alarm = tag.Alarms[i];
            var rule = alarm.Rule;
            var limit = limits[i];
            bool condition;
            switch (rule.Condition)
            {
                case AlarmCondition.HighHigh or AlarmCondition.High:
                    if (bad || double.IsNaN(limit)) continue;
                    condition = alarm.Condition ? value > limit - rule.Hysteresis : value > limit;
                    alarm.Value = value;
                    break;
                case AlarmCondition.LowLow or AlarmCondition.Low:
                    if (bad || double.IsNaN(limit)) continue;
                    condition = alarm.Condition ? value < limit + rule.Hysteresis : value < limit;
                    alarm.Value = value;
                    break;
                case AlarmCondition.RateOfChange:
                    if (bad || double.IsNaN(limit) || !tag.HasLast || now <= tag.LastTicks) continue;
                    var seconds = (now - tag.LastTicks) / (double)TimeSpan.TicksPerSecond;
                    var rate = Math.Abs(value - tag.LastValue) * rule.RocPeriodSeconds / seconds;
                    condition = alarm.Condition ? rate > limit - rule.Hysteresis : rate > limit;
                    alarm.Value = rate;
                    break;
                case AlarmCondition.Stuck:
                    if (bad) continue;
                    alarm.Value = value;
                    if (alarm.StuckReference is { } reference && Math.Abs(value - reference) <= rule.Hysteresis) continue;
                    alarm.StuckReference = value;
                    alarm.StuckDue = now + rule.DurationTicks;
                    Schedule(alarm, DueKind.Stuck, alarm.StuckDue);
                    condition = false;
                    break;
                case AlarmCondition.BadQuality:
                    condition = bad;
                    if (hasNumber) alarm.Value = value;
                    break;
                default:
                    if (bad) continue;
                    condition = discrete == rule.AlarmOn;
                    alarm.Value = discrete ? 1 : 0;
                    break;
            }
            if (!double.IsNaN(limit)) alarm.Limit = limit;
            ApplyCondition(alarm, condition, now);
        }
        if (!bad && hasNumber)
        {
            tag.HasLast = true;
            tag.LastValue = value;
            tag.LastTicks = now;
        }
    }

    /// <summary>A new raw condition: applies on/off delays before the alarm's active flag follows it.</summary>
    private void ApplyCondition(AlarmInstance alarm, bool condition, long now)
    {
        alarm.Condition = condition;
        if (condition == alarm.Active)
        {
            alarm.PendingDue = 0; // the condition came back before its delay ran out
            return;
        }
        var delay = condition ? alarm.Rule.OnDelayTicks : alarm.Rule.OffDelayTicks;
        if (delay == 0)
        {
            SetActive(alarm, condition, now);
            return;
        }
        if (alarm.PendingDue != 0) return; // already counting down towards this change
        alarm.PendingDue = now + delay;
        Schedule(alarm, DueKind.Pending, alarm.PendingDue);
    }

    private void SetActive(AlarmInstance alarm, bool active, long now)
    {
        alarm.Active = active;
        alarm.PendingDue = 0;
        if (active) alarm.ActiveSince = now;
        if (alarm.State is AlarmStates.Shelved or AlarmStates.Suppressed)
        {
            // Shelved and suppressed alarms are not annunciated, but the store must know the condition for later.
            Store.Update(Snapshot(alarm));
            StatusChanged();
            return;
        }
        var next = active
            ? alarm.State is AlarmStates.Normal or AlarmStates.ReturnedUnacknowledged ? AlarmStates.Unacknowledged : alarm.State
            : alarm.State switch
            {
                AlarmStates.Unacknowledged => AlarmStates.ReturnedUnacknowledged,
                AlarmStates.Acknowledged => AlarmStates.Normal,
                _ => alarm.State,
            };
        if (next != alarm.State) Transition(alarm, next, active ? "active" : "returned", now, null, null);
    }

    private void Transition(AlarmInstance alarm, string state, string reason, long now, string? user, string? comment)
    {
        var previous = alarm.State;
        alarm.State = state;
        alarm.LastChange = now;
        if (state == AlarmStates.Unacknowledged)
        {
            alarm.AckedBy = null;
            alarm.AckedAt = 0;
            alarm.Comment = null;
        }
        if (reason == "acknowledged")
        {
            alarm.AckedBy = user;
            alarm.AckedAt = now;
            alarm.Comment = comment;
        }
        else if (user is not null)
        {
            alarm.Comment = comment;
        }
        if (state != AlarmStates.Shelved)
        {
            alarm.ShelvedUntil = 0;
            alarm.ShelvedBy = null;
        }
        var snapshot = Snapshot(alarm);
        var alarmEvent = new AlarmEvent
        {
            AlarmId = alarm.Id,
            NodeId = Id,
            Tag = alarm.Tag,
            Condition = alarm.Rule.ConditionName,
            State = state,
            PreviousState = previous,
            Active = alarm.Active,
            Value = snapshot.Value,
            Limit = snapshot.Limit,
            Severity = snapshot.Severity,
            Priority = snapshot.Priority,
            Message = snapshot.Message,
            Time = ToDateTime(now),
            User = user,
            Comment = comment,
            ShelvedUntil = snapshot.ShelvedUntil,
            Reason = reason,
        };
        Store.Record(alarmEvent, snapshot);
        Send(0, new JsObject
        {
            ["topic"] = _topicPattern
                .Replace("{tag}", alarm.Tag, StringComparison.Ordinal)
                .Replace("{condition}", alarm.Rule.ConditionName, StringComparison.Ordinal)
                .Replace("{state}", state, StringComparison.Ordinal),
            ["payload"] = alarmEvent.ToJson(),
        });
        StatusChanged();
    }

    private AlarmSnapshot Snapshot(AlarmInstance alarm)
    {
        var limit = alarm.Rule.ReportedLimit(alarm.Limit ?? alarm.Rule.Limit);
        return new AlarmSnapshot
        {
            Id = alarm.Id,
            NodeId = Id,
            Tag = alarm.Tag,
            Condition = alarm.Rule.ConditionName,
            State = alarm.State,
            Active = alarm.Active,
            Value = alarm.Value,
            Limit = limit,
            Severity = alarm.Rule.Severity,
            Priority = alarm.Rule.Priority,
            Message = alarm.Rule.FormatMessage(alarm.Tag, alarm.Value, limit),
            Time = ToDateTime(alarm.LastChange),
            ActiveSince = alarm.Active && alarm.ActiveSince != 0 ? ToDateTime(alarm.ActiveSince) : null,
            AckedBy = alarm.AckedBy,
            AckedAt = alarm.AckedAt != 0 ? ToDateTime(alarm.AckedAt) : null,
            Comment = alarm.Comment,
            ShelvedUntil = alarm.ShelvedUntil != 0 ? ToDateTime(alarm.ShelvedUntil) : null,
            ShelvedBy = alarm.ShelvedBy,
        };
    }

    // Each alarm keeps at most one live queue entry per kind: QueuedAt is the due time of that entry. A deadline
    // that moves later is picked up when the old entry comes due; one that moves earlier gets a new entry.
    private void Schedule(AlarmInstance alarm, DueKind kind, long due)
    {
        ref var queuedAt = ref QueuedAt(alarm, kind);
        if (queuedAt != 0 && queuedAt <= due) return;
        queuedAt = due;
        _due.Add((alarm, kind), due);
        WakeAt(due);
    }

    private static ref long QueuedAt(AlarmInstance alarm, DueKind kind)
    {
        switch (kind)
        {
            case DueKind.Pending: return ref alarm.PendingQueuedAt;
            case DueKind.Stuck: return ref alarm.StuckQueuedAt;
            default: return ref alarm.ShelveQueuedAt;
        }
    }

    protected override long? OnWake(long now)
    {
        while (_due.TryTakeDue(now, out var item, out var due))
        {
            var (alarm, kind) = item;
            ref var queuedAt = ref QueuedAt(alarm, kind);
            if (queuedAt != due) continue; // superseded by an earlier entry
            queuedAt = 0;
            var actual = kind switch
            {
                DueKind.Pending => alarm.PendingDue,
                DueKind.Stuck => alarm.StuckDue,
                _ => alarm.State == AlarmStates.Shelved ? alarm.ShelvedUntil : 0,
            };
            if (actual == 0) continue;
            if (actual > now)
            {
                Schedule(alarm, kind, actual);
                continue;
            }
            switch (kind)
            {
                case DueKind.Pending:
                    alarm.PendingDue = 0;
                    if (alarm.Condition != alarm.Active) SetActive(alarm, alarm.Condition, now);
                    break;
                case DueKind.Stuck:
                    alarm.StuckDue = 0;
                    ApplyCondition(alarm, true, now);
                    break;
                default:
                    Transition(alarm, alarm.Active ? AlarmStates.Unacknowledged : AlarmStates.Normal, "shelve expired", now, null, null);
                    break;
            }
        }
        return _due.Next;
    }

    private void HandleCommandMessage(JsObject msg, string action)
    {
        var normalized = NormalizeAction(action)
            ?? throw new IndustrialInputException($"unknown action \"{action}\" (expected ack, shelve, unshelve, suppress or unsuppress)");
        var user = msg.Get("user") is string u && u.Length > 0 ? u : "flow";
        var comment = msg.Get("comment") as string;
        TimeSpan? duration = null;
        if (msg.Get("duration") is { } d)
        {
            if (!MessageValues.TryNumber(d, out var seconds) || seconds <= 0)
            {
                throw new IndustrialInputException($"msg.duration must be a number of seconds above zero (got {MessageValues.Describe(d)})");
            }
            duration = TimeSpan.FromSeconds(seconds);
        }

        List<AlarmInstance> targets;
        if (msg.Get("alarmId") is string alarmId && alarmId.Length > 0)
        {
            var alarm = FindById(alarmId) ?? throw new IndustrialInputException($"no alarm \"{alarmId}\" in this node");
            targets = [alarm];
        }
        else if (_tagPath.GetValue(msg) is { } tagValue && JsValue.ToJsString(tagValue) is var tag && tag is not ("" or "*"))
        {
            var condition = (msg.Get("condition") as string)?.Trim().ToUpperInvariant();
            targets = Tag(tag).Alarms.Where(a => condition is null or "" || a.Rule.ConditionName == condition).ToList();
            if (targets.Count == 0) throw new IndustrialInputException($"no alarm rule applies to tag \"{tag}\"{(condition is { Length: > 0 } ? $" with condition {condition}" : "")}");
        }
        else
        {
            targets = _byId.Values.ToList();
        }

        var now = NowTicks;
        var results = targets.Select(a => Apply(a, normalized, user, comment, duration, now)).ToList();
        if (results.Count == 1 && results[0].Status != AlarmCommandStatus.Done) throw new IndustrialInputException(results[0].Message);
    }

    private static string? NormalizeAction(string action) => action.Trim().ToLowerInvariant() switch
    {
        "ack" or "acknowledge" => "ack",
        "shelve" => "shelve",
        "unshelve" => "unshelve",
        "suppress" => "suppress",
        "unsuppress" => "unsuppress",
        _ => null,
    };

    private AlarmInstance? FindById(string alarmId)
    {
        if (_byId.TryGetValue(alarmId, out var alarm)) return alarm;
        // An alarm of a tag not seen yet: "<node id>:<tag>:<condition>", where the tag may itself contain ':'.
        var prefix = Id + ":";
        var last = alarmId.LastIndexOf(':');
        if (!alarmId.StartsWith(prefix, StringComparison.Ordinal) || last < prefix.Length) return null;
        return FindOrCreate(alarmId[prefix.Length..last], alarmId[(last + 1)..]);
    }

    /// <summary>An operator command on one alarm (from a message or the API), applied on the node's mailbox.</summary>
    private AlarmCommandResult Apply(AlarmInstance alarm, string action, string user, string? comment, TimeSpan? duration, long now)
    {
        AlarmCommandResult Invalid(string what) => new(AlarmCommandStatus.InvalidState, $"{alarm.Id}: cannot {what} in state {alarm.State}", Snapshot(alarm));
        switch (action)
        {
            case "ack":
                if (alarm.State == AlarmStates.Unacknowledged) Transition(alarm, AlarmStates.Acknowledged, "acknowledged", now, user, comment);
                else if (alarm.State == AlarmStates.ReturnedUnacknowledged) Transition(alarm, AlarmStates.Normal, "acknowledged", now, user, comment);
                else return Invalid("acknowledge");
                break;
            case "shelve":
                if (alarm.State == AlarmStates.Suppressed) return Invalid("shelve");
                var ticks = duration is { } d ? Math.Min(d.Ticks, _shelveMax) : _shelveDefault;
                if (ticks <= 0) return new AlarmCommandResult(AlarmCommandStatus.InvalidState, "the shelve time must be more than zero", Snapshot(alarm));
                var extended = alarm.State == AlarmStates.Shelved;
                alarm.ShelvedUntil = now + ticks;
                alarm.ShelvedBy = user;
                Schedule(alarm, DueKind.Shelve, alarm.ShelvedUntil);
                Transition(alarm, AlarmStates.Shelved, extended ? "shelve extended" : "shelved", now, user, comment);
                break;
            case "unshelve":
                if (alarm.State != AlarmStates.Shelved) return Invalid("unshelve");
                Transition(alarm, alarm.Active ? AlarmStates.Unacknowledged : AlarmStates.Normal, "unshelved", now, user, comment);
                break;
            case "suppress":
                if (alarm.State == AlarmStates.Suppressed) return Invalid("suppress");
                Transition(alarm, AlarmStates.Suppressed, "suppressed", now, user, comment);
                break;
            case "unsuppress":
                if (alarm.State != AlarmStates.Suppressed) return Invalid("unsuppress");
                Transition(alarm, alarm.Active ? AlarmStates.Unacknowledged : AlarmStates.Normal, "unsuppressed", now, user, comment);
                break;
        }
        return new AlarmCommandResult(AlarmCommandStatus.Done, $"{alarm.Id}: {alarm.State}", Snapshot(alarm));
    }

    Task<AlarmCommandResult> IAlarmCommandTarget.ExecuteAsync(AlarmCommand command, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<AlarmCommandResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            var alarm = FindById(command.AlarmId);
            completion.TrySetResult(alarm is null
                ? new AlarmCommandResult(AlarmCommandStatus.NotFound, $"no alarm \"{command.AlarmId}\"")
                : Apply(alarm, command.Action, command.User, command.Comment, command.Duration, NowTicks));
            return ValueTask.CompletedTask;
        });
        return completion.Task.WaitAsync(cancellationToken);
    }

    protected override NodeStatus BuildStatus()
    {
        if (Store.LastWriteError is { } error) return NodeStatus.Error($"alarm store: {error}");
        int unack = 0, acked = 0, returned = 0, shelved = 0, suppressed = 0;
        foreach (var alarm in _byId.Values)
        {
            switch (alarm.State)
            {
                case AlarmStates.Unacknowledged: unack++; break;
                case AlarmStates.Acknowledged: acked++; break;
                case AlarmStates.ReturnedUnacknowledged: returned++; break;
                case AlarmStates.Shelved: shelved++; break;
                case AlarmStates.Suppressed: suppressed++; break;
            }
        }
        if (unack + acked + returned + shelved + suppressed == 0) return NodeStatus.Ok($"normal ({_tags.Count(t => t.Value.Alarms.Length > 0)} tags)");
        var parts = new List<string>();
        if (unack > 0) parts.Add($"{unack} unack");
        if (acked > 0) parts.Add($"{acked} acked");
        if (returned > 0) parts.Add($"{returned} returned");
        if (shelved > 0) parts.Add($"{shelved} shelved");
        if (suppressed > 0) parts.Add($"{suppressed} suppressed");
        var text = string.Join(", ", parts);
        return unack > 0 ? new NodeStatus("red", "dot", text) : new NodeStatus("yellow", "dot", text);
    }
}
