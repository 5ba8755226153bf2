using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Hmi;

/// <summary>
/// A widget on an HMI page. A message into the node changes what every open page shows; a person's action on a
/// page (input widgets) leaves the node as a message with <c>msg._client = {user, permissions}</c> and goes to the
/// audit trail. The widget keeps its last state so a page that connects (or reconnects) draws it at once.
/// </summary>
/// <remarks>
/// State changes happen on the node's mailbox; pages read the state from request threads, so the state is an
/// immutable snapshot swapped under a lock together with its sequence number.
/// </remarks>
internal abstract class HmiWidgetNode : FlowNode
{
    private readonly Lock _gate = new();
    private object? _state;
    private long _sequence;

    protected HmiWidgetNode(NodeSetup setup, HmiServices hmi) : base(setup)
    {
        Hmi = hmi;
        GroupId = Config.GetStringOrNull("group") is { Length: > 0 } group ? group : null;
        Order = Config.GetNumber("order", 0);
        Width = HmiGroupNode.ColumnsOf(Config, "width", 0);
        Label = Config.GetString("label", "") is { Length: > 0 } label ? label : Name;
    }

    protected HmiServices Hmi { get; }
    public string? GroupId { get; }
    public double Order { get; }
    /// <summary>Columns of the group's 12-column grid; 0 = the whole group width.</summary>
    public int Width { get; }
    public string Label { get; }

    /// <summary>Whether people act on this widget (button, switch...): the page enables it for hmi.write holders.</summary>
    public virtual bool AcceptsActions => false;

    /// <summary>Per-type settings the page needs to draw the widget (range, unit, options...).</summary>
    protected virtual JsObject Options() => [];

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (GroupId is null) SetStatus(NodeStatus.Warning("no group: not shown"));
        Hmi.Add(this);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        Hmi.Remove(this);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        try
        {
            Receive(input.Message);
            return ValueTask.CompletedTask;
        }
        catch (HmiValueException ex)
        {
            SetStatus(NodeStatus.Error(ex.Message));
            throw;
        }
    }

    /// <summary>A message from the flow: update the state (throw <see cref="HmiValueException"/> for a value the widget cannot show).</summary>
    protected abstract void Receive(JsObject message);

    /// <summary>What the page draws: identity, layout, options and the current state with its sequence number.</summary>
    public JsObject Describe()
    {
        object? state;
        long sequence;
        lock (_gate)
        {
            state = _state;
            sequence = _sequence;
        }
        return new JsObject
        {
            ["id"] = Id,
            ["type"] = Type,
            ["label"] = Label,
            ["width"] = (double)Width,
            ["actions"] = AcceptsActions,
            ["options"] = Options(),
            ["state"] = JsValue.DeepClone(state),
            ["seq"] = (double)sequence,
        };
    }

    /// <summary>The current state (a deep copy), for tests and for widgets that build on it.</summary>
    public object? State
    {
        get
        {
            lock (_gate) return JsValue.DeepClone(_state);
        }
    }

    /// <summary>Replaces the state and pushes it to every open page. <paramref name="state"/> must not be changed afterwards.</summary>
    protected void SetState(object? state)
    {
        lock (_gate)
        {
            _state = state;
            _sequence = Hmi.NextSequence();
            Hmi.Enqueue(new JsObject { ["kind"] = "state", ["id"] = Id, ["seq"] = (double)_sequence, ["state"] = JsValue.DeepClone(state) });
        }
    }

    /// <summary>
    /// Changes the state in place and pushes only <paramref name="update"/> (a chart point) to open pages, so a
    /// long history is not resent with every value. Pages apply it only when it is newer than the state they hold.
    /// </summary>
    protected void ChangeState(Func<object?, object?> change, JsObject update)
    {
        lock (_gate)
        {
            _state = change(_state);
            _sequence = Hmi.NextSequence();
            update["id"] = Id;
            update["seq"] = (double)_sequence;
            Hmi.Enqueue(update);
        }
    }

    /// <summary>
    /// Checks a value a page sent (on the request thread, so a bad value is refused with 400 before anything
    /// happens) and answers the value to act on. Throws <see cref="HmiValueException"/>.
    /// </summary>
    public virtual object? ValidateAction(object? value) =>
        throw new HmiValueException($"{Type} {Id} does not take actions");

    /// <summary>
    /// A person acted on a page: runs on the node's mailbox after the messages already queued. The value was
    /// validated by <see cref="ValidateAction"/>.
    /// </summary>
    public void Act(object? value, HmiClient client) => Post(() =>
    {
        OnAction(value, client);
        return ValueTask.CompletedTask;
    });

    protected virtual void OnAction(object? value, HmiClient client)
    {
    }

    /// <summary>A message leaving the node for a person's action, with who did it, recorded in the audit trail.</summary>
    protected JsObject SendAction(object? payload, HmiClient client, string? topic = null, string action = "hmi.action")
    {
        var message = new JsObject
        {
            ["_msgid"] = Guid.NewGuid().ToString("N")[..16],
            ["payload"] = payload,
        };
        if (topic is { Length: > 0 }) message["topic"] = topic;
        message["_client"] = client.ToJson();
        Services.AuditLog()?.Record(action, client.User, new JsObject
        {
            ["node"] = Id,
            ["type"] = Type,
            ["label"] = Label,
            ["value"] = JsValue.DeepClone(payload),
        });
        Send(message);
        return message;
    }

    /// <summary>A value shortened for the node status under the node in the editor.</summary>
    protected static string Short(object? value)
    {
        var text = value is JsObject or List<object?> ? JsJson.Serialize(value) : JsValue.ToJsString(value);
        return text.Length > 32 ? text[..32] + "…" : text;
    }
}

/// <summary>The person behind an action: their name (null without adminAuth) and the permissions they hold.</summary>
public sealed record HmiClient(string? User, IReadOnlyList<string>? Permissions)
{
    public JsObject ToJson()
    {
        var json = new JsObject { ["user"] = User };
        if (Permissions is not null) json["permissions"] = Permissions.Select(p => (object?)p).ToList();
        return json;
    }
}

/// <summary>A value a widget cannot show or an action value it cannot take; the message says what was expected.</summary>
public sealed class HmiValueException(string message) : Exception(message);
