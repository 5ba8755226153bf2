using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.S7;

/// <summary>Status of s7 nodes from their endpoint's state.</summary>
internal static class S7Status
{
    public static NodeStatus For(S7State state, string text) => state switch
    {
        S7State.Connected => NodeStatus.Ok(text),
        S7State.Connecting => NodeStatus.Warning(text),
        S7State.Disconnected => NodeStatus.Error(text),
        _ => new NodeStatus("red", "dot", text),
    };
}

/// <summary>
/// s7 in: sends the values its endpoint reads each cycle, for one variable, all variables in one message, or all variables
/// one message each; with diff, only what changed.
/// </summary>
internal sealed class S7InNode : FlowNode, IS7Subscriber
{
    public static readonly NodeDeclaration Declaration = new("s7 in")
    {
        Category = "plc",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/s7",
        PaletteLabel = "s7 in",
        DefaultLabel = "s7 in",
        Help = """
            Sends the values of variables of an `s7 endpoint`, read every cycle of the endpoint.

            **endpoint**: the `s7 endpoint` (PLC).
            **mode**:
            - `single`: one variable (**variable**, a name from the endpoint's variables); `msg.payload` is its value and
              `msg.topic` its name.
            - `all-split`: every variable, one message each, with the name in `msg.topic`.
            - `all`: one message per cycle, `msg.payload` an object `{name: value, ...}`. Variables that could not be read
              are left out and listed in `msg.errors` `{name: reason}`.
            **diff**: send only when a value changed since the last message (in `all` mode: when any value changed; the
            first cycle always sends).

            The status shows the endpoint's connection: connected, disconnected (with the reason; the endpoint reconnects
            with back-off) or error (the PLC refused a variable, e.g. "object does not exist"), and the number of cycles
            skipped because the PLC answered slower than the cycle time. Errors are logged once per change.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "s7 endpoint", Required = true, Label = "PLC" },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "single", Options = ["single", "all-split", "all"], Label = "Mode" },
            new PropertyDeclaration("variable", PropertyKind.String) { Default = "", Label = "Variable" },
            new PropertyDeclaration("diff", PropertyKind.Bool) { Default = true, Label = "Emit only when value changes" },
        ],
    };

    private readonly S7EndpointNode _endpoint;
    private readonly string _mode;
    private readonly string _variable;
    private readonly bool _diff;
    private readonly Dictionary<string, string> _lastSent = new(StringComparer.Ordinal);
    private S7State _state = S7State.Connecting;
    private string _stateText = "connecting";
    private long _skipped;
    private string? _lastError;

    public S7InNode(NodeSetup setup) : base(setup)
    {
        _endpoint = Setup.ConfigNode<S7EndpointNode>("endpoint") ?? throw Config.Invalid("endpoint", "an s7 endpoint is required");
        _mode = Config.GetString("mode", "single");
        if (_mode is not ("single" or "all-split" or "all")) throw Config.Invalid("mode", $"\"{_mode}\" is not single, all-split or all");
        _variable = Config.GetString("variable");
        if (_mode == "single")
        {
            if (_variable.Length == 0) throw Config.Invalid("variable", "single mode needs a variable of the endpoint");
            if (_endpoint.FindVariable(_variable) is null)
                throw Config.Invalid("variable", $"\"{_variable}\" is not a variable of {_endpoint.Label}; it has: {string.Join(", ", _endpoint.Variables.Select(v => v.Name))}");
        }
        _diff = Config.GetBool("diff", true);
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _endpoint.Subscribe(this);
        return ValueTask.CompletedTask;
    }

    public void OnState(S7State state, string text) => Post(() =>
    {
        _state = state;
        _stateText = text;
        ShowStatus();
        return ValueTask.CompletedTask;
    });

    public void OnCycle(S7Cycle cycle) => Post(() =>
    {
        Deliver(cycle);
        return ValueTask.CompletedTask;
    });

    private void Deliver(S7Cycle cycle)
    {
        _skipped = cycle.Skipped;
        string? error = null;
        switch (_mode)
        {
            case "single":
                if (cycle.Values.TryGetValue(_variable, out var value)) SendIfChanged(_variable, value);
                else if (cycle.Errors.TryGetValue(_variable, out var reason)) error = $"{_variable}: {reason}";
                break;
            case "all-split":
                foreach (var variable in _endpoint.Variables)
                {
                    if (cycle.Values.TryGetValue(variable.Name, out var item)) SendIfChanged(variable.Name, item);
                }
                error = FirstError(cycle);
                break;
            default:
                var changed = !_diff;
                var payload = new JsObject();
                foreach (var variable in _endpoint.Variables)
                {
                    if (!cycle.Values.TryGetValue(variable.Name, out var item)) continue;
                    payload[variable.Name] = Copy(item);
                    changed |= Remember(variable.Name, item);
                }
                if (changed && (payload.Count > 0 || cycle.Errors.Count > 0))
                {
                    var message = new JsObject { ["payload"] = payload };
                    if (cycle.Errors.Count > 0)
                    {
                        var errors = new JsObject();
                        foreach (var (name, reason) in cycle.Errors) errors[name] = reason;
                        message["errors"] = errors;
                    }
                    Send(message);
                }
                error = FirstError(cycle);
                break;
        }
        if (error is not null && error != _lastError) ReportError($"{_endpoint.Label}: {error}");
        _lastError = error;
        ShowStatus(error);
    }

    private static string? FirstError(S7Cycle cycle) => cycle.Errors.Count == 0 ? null : $"{cycle.Errors.First().Key}: {cycle.Errors.First().Value}";

    private void SendIfChanged(string name, object? value)
    {
        if (!Remember(name, value) && _diff) return;
        Send(new JsObject { ["payload"] = Copy(value), ["topic"] = name });
    }

    /// <summary>Records the value; true when it differs from the last one seen (or is the first).</summary>
    private bool Remember(string name, object? value)
    {
        var text = JsJson.Serialize(value);
        if (_lastSent.TryGetValue(name, out var last) && last == text) return false;
        _lastSent[name] = text;
        return true;
    }

    // Each message gets its own copy: a downstream node that changes an array must not change another message's.
    private static object? Copy(object? value) => value is List<object?> list ? new List<object?>(list) : value;

    private void ShowStatus(string? error = null)
    {
        var skipped = _skipped > 0 ? string.Create(CultureInfo.InvariantCulture, $" · {_skipped} skipped") : "";
        if (error is not null && _state is S7State.Connected or S7State.Error)
        {
            SetStatus(new NodeStatus("red", "dot", "error: " + error + skipped));
            return;
        }
        var text = _state == S7State.Error && _mode == "single" ? "connected" : _stateText;
        SetStatus(S7Status.For(_state == S7State.Error && _mode == "single" ? S7State.Connected : _state, text + skipped));
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _endpoint.Unsubscribe(this);
        return ValueTask.CompletedTask;
    }
}
