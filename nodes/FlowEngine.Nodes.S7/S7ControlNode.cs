using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.S7;

/// <summary>s7 control: changes the endpoint's cycle time or triggers a read cycle.</summary>
internal sealed class S7ControlNode : FlowNode, IS7Subscriber
{
    public static readonly NodeDeclaration Declaration = new("s7 control")
    {
        Category = "plc",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/s7",
        PaletteLabel = "s7 control",
        DefaultLabel = "s7 control",
        Help = """
            Controls an `s7 endpoint`'s reading.

            **endpoint**: the `s7 endpoint` (PLC).
            **function**:
            - `cycletime`: `msg.payload` is the new cycle time in ms (`0` stops automatic reading). The change is audited
              (action `s7.cycletime`).
            - `trigger`: reads all variables now, once; s7 in nodes get the values as from any cycle. Useful with cycle time 0.

            The message is passed on. A payload that is not a cycle time is an error for catch nodes.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "s7 endpoint", Required = true, Label = "PLC" },
            new PropertyDeclaration("function", PropertyKind.Select) { Default = "cycletime", Options = ["cycletime", "trigger"], Label = "Function" },
        ],
    };

    private readonly S7EndpointNode _endpoint;
    private readonly string _function;

    public S7ControlNode(NodeSetup setup) : base(setup)
    {
        _endpoint = Setup.ConfigNode<S7EndpointNode>("endpoint") ?? throw Config.Invalid("endpoint", "an s7 endpoint is required");
        _function = Config.GetString("function", "cycletime");
        if (_function is not ("cycletime" or "trigger")) throw Config.Invalid("function", $"\"{_function}\" is not cycletime or trigger");
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _endpoint.Subscribe(this);
        return ValueTask.CompletedTask;
    }

    public void OnState(S7State state, string text) => Post(() =>
    {
        SetStatus(S7Status.For(state, text));
        return ValueTask.CompletedTask;
    });

    public void OnCycle(S7Cycle cycle)
    {
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        if (_function == "trigger")
        {
            _endpoint.Trigger();
            Send(message);
            return ValueTask.CompletedTask;
        }
        var payload = message.Get("payload");
        var ms = payload switch
        {
            double d => d,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => double.NaN,
        };
        if (double.IsNaN(ms) || double.IsInfinity(ms) || ms < 0)
            throw new ArgumentException($"cycletime: msg.payload must be a cycle time in ms (0 = manual), got {JsJson.Serialize(payload)}");
        _endpoint.ChangeCycleTime(TimeSpan.FromMilliseconds(ms));
        Services.AuditLog()?.Record("s7.cycletime", AuditLogExtensions.ClientUser(message),
            new JsObject { ["node"] = Id, ["endpoint"] = _endpoint.Endpoint, ["cycletime"] = ms });
        Send(message);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _endpoint.Unsubscribe(this);
        return ValueTask.CompletedTask;
    }
}
