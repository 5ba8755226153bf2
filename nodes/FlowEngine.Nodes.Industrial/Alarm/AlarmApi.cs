using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial;

/// <summary>ISA-18.2 alarm states (ANSI/ISA-18.2-2016 §11.5, the alarm state transition diagram), by their standard abbreviations.</summary>
public static class AlarmStates
{
    /// <summary>Normal: condition not active, nothing to acknowledge.</summary>
    public const string Normal = "NORM";
    /// <summary>Active, unacknowledged.</summary>
    public const string Unacknowledged = "UNACK";
    /// <summary>Active, acknowledged.</summary>
    public const string Acknowledged = "ACKED";
    /// <summary>Returned to normal, unacknowledged.</summary>
    public const string ReturnedUnacknowledged = "RTNUN";
    /// <summary>Shelved by an operator, until an expiry time.</summary>
    public const string Shelved = "SHLVD";
    /// <summary>Suppressed by design (by flow logic or a message).</summary>
    public const string Suppressed = "DSUPR";
}

/// <summary>An alarm as it stands now (one tag and one condition of one alarm node).</summary>
public sealed record AlarmSnapshot
{
    /// <summary>"nodeId:tag:condition". Contains the tag, which may hold '/': URL-encode it in paths.</summary>
    public required string Id { get; init; }
    public required string NodeId { get; init; }
    public required string Tag { get; init; }
    /// <summary>HIHI, HI, LO, LOLO, ROC, STUCK, BAD or DISCRETE.</summary>
    public required string Condition { get; init; }
    /// <summary>One of <see cref="AlarmStates"/>.</summary>
    public required string State { get; init; }
    /// <summary>Whether the condition is active now (also while shelved or suppressed).</summary>
    public bool Active { get; init; }
    public double? Value { get; init; }
    public double? Limit { get; init; }
    /// <summary>1 to 1000, as OPC UA Alarms and Conditions (Part 9 §5.5.2).</summary>
    public int Severity { get; init; }
    /// <summary>critical, high, medium or low.</summary>
    public string Priority { get; init; } = "medium";
    public string? Message { get; init; }
    /// <summary>Time of the last state change, UTC.</summary>
    public DateTime Time { get; init; }
    public DateTime? ActiveSince { get; init; }
    public string? AckedBy { get; init; }
    public DateTime? AckedAt { get; init; }
    public string? Comment { get; init; }
    public DateTime? ShelvedUntil { get; init; }
    public string? ShelvedBy { get; init; }

    /// <summary>
    /// The JSON shape used by the HTTP endpoints and HMI pages:
    /// <c>{id, tag, condition, state, active, value, limit, severity, priority, message, time, activeSince?, ackedBy?, ackedAt?, comment?, shelvedUntil?, shelvedBy?}</c>.
    /// </summary>
    public JsObject ToJson()
    {
        var json = new JsObject
        {
            ["id"] = Id,
            ["nodeId"] = NodeId,
            ["tag"] = Tag,
            ["condition"] = Condition,
            ["state"] = State,
            ["active"] = Active,
            ["value"] = Value,
            ["limit"] = Limit,
            ["severity"] = (double)Severity,
            ["priority"] = Priority,
            ["message"] = Message,
            ["time"] = JsJson.FormatIsoDate(Time),
        };
        if (ActiveSince is { } since) json["activeSince"] = JsJson.FormatIsoDate(since);
        if (AckedBy is not null) json["ackedBy"] = AckedBy;
        if (AckedAt is { } ackedAt) json["ackedAt"] = JsJson.FormatIsoDate(ackedAt);
        if (Comment is not null) json["comment"] = Comment;
        if (ShelvedUntil is { } until) json["shelvedUntil"] = JsJson.FormatIsoDate(until);
        if (ShelvedBy is not null) json["shelvedBy"] = ShelvedBy;
        return json;
    }
}

/// <summary>One state change of one alarm: what alarm nodes send as events and what the history keeps.</summary>
public sealed record AlarmEvent
{
    /// <summary>Position in the history (assigned when written; 0 before).</summary>
    public long Sequence { get; init; }
    public required string AlarmId { get; init; }
    public required string NodeId { get; init; }
    public required string Tag { get; init; }
    public required string Condition { get; init; }
    public required string State { get; init; }
    public required string PreviousState { get; init; }
    public bool Active { get; init; }
    public double? Value { get; init; }
    public double? Limit { get; init; }
    public int Severity { get; init; }
    public string Priority { get; init; } = "medium";
    public string? Message { get; init; }
    public DateTime Time { get; init; }
    /// <summary>Who acknowledged, shelved or suppressed (commands only).</summary>
    public string? User { get; init; }
    public string? Comment { get; init; }
    public DateTime? ShelvedUntil { get; init; }
    /// <summary>Why the state changed: active, returned, acknowledged, shelved, shelve extended, unshelved, shelve expired, suppressed, unsuppressed.</summary>
    public required string Reason { get; init; }

    /// <summary>
    /// The event payload: <c>{id, tag, condition, state, previousState, active, value, limit, severity, priority, message,
    /// time, reason, ackedBy?, comment?, shelvedUntil?}</c> (plus <c>sequence</c> in history pages).
    /// </summary>
    public JsObject ToJson(bool includeSequence = false)
    {
        var json = new JsObject();
        if (includeSequence) json["sequence"] = (double)Sequence;
        json["id"] = AlarmId;
        json["tag"] = Tag;
        json["condition"] = Condition;
        json["state"] = State;
        json["previousState"] = PreviousState;
        json["active"] = Active;
        json["value"] = Value;
        json["limit"] = Limit;
        json["severity"] = (double)Severity;
        json["priority"] = Priority;
        json["message"] = Message;
        json["time"] = JsJson.FormatIsoDate(Time);
        json["reason"] = Reason;
        if (User is not null) json["ackedBy"] = User;
        if (Comment is not null) json["comment"] = Comment;
        if (ShelvedUntil is { } until) json["shelvedUntil"] = JsJson.FormatIsoDate(until);
        return json;
    }
}

/// <summary>A query of the alarm history; every filter is optional. Pages count from 1, newest first.</summary>
public sealed record AlarmHistoryQuery
{
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 50;
    public string? Tag { get; init; }
    public string? AlarmId { get; init; }
    public string? NodeId { get; init; }
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }

    /// <summary>Largest page the store returns, whatever was asked.</summary>
    public const int MaxPageSize = 1000;
}

public sealed record AlarmHistoryPage(int Page, int PageSize, long Total, IReadOnlyList<AlarmEvent> Items)
{
    /// <summary><c>{page, pageSize, total, items:[event...]}</c>.</summary>
    public JsObject ToJson() => new()
    {
        ["page"] = (double)Page,
        ["pageSize"] = (double)PageSize,
        ["total"] = (double)Total,
        ["items"] = Items.Select(e => (object?)e.ToJson(includeSequence: true)).ToList(),
    };
}

public enum AlarmCommandStatus
{
    /// <summary>Applied; <see cref="AlarmCommandResult.Alarm"/> is the new state.</summary>
    Done,
    /// <summary>No such alarm (or it is in NORM, which is not listed).</summary>
    NotFound,
    /// <summary>The alarm's node is not running (stopped, or flows not started yet).</summary>
    NotRunning,
    /// <summary>The command does not apply in the alarm's state (acknowledging an acknowledged alarm...).</summary>
    InvalidState,
}

public sealed record AlarmCommandResult(AlarmCommandStatus Status, string Message, AlarmSnapshot? Alarm = null);

/// <summary>
/// Active alarms and their history across every alarm node of one runtime, and operator commands on them. The host
/// exposes it over HTTP; HMI pages use it through the host.
/// </summary>
public interface IAlarmStore
{
    /// <summary>Every alarm not in NORM (UNACK, ACKED, RTNUN, SHLVD, DSUPR), by time of last change, newest first.</summary>
    IReadOnlyList<AlarmSnapshot> Active();

    AlarmSnapshot? Get(string alarmId);

    /// <summary>History of state changes, newest first.</summary>
    AlarmHistoryPage History(AlarmHistoryQuery query);

    Task<AlarmCommandResult> AcknowledgeAsync(string alarmId, string user, string? comment = null, CancellationToken cancellationToken = default);

    /// <summary>Shelves for a duration (capped by the node's maximum shelve time).</summary>
    Task<AlarmCommandResult> ShelveAsync(string alarmId, TimeSpan duration, string user, string? comment = null, CancellationToken cancellationToken = default);

    Task<AlarmCommandResult> UnshelveAsync(string alarmId, string user, string? comment = null, CancellationToken cancellationToken = default);

    /// <summary>Called with every state change of every alarm (on the alarm node's thread: keep handlers short).</summary>
    IDisposable Subscribe(Action<AlarmEvent> listener);
}
