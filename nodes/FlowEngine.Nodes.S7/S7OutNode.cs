using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.S7.Protocol;

namespace FlowEngine.Nodes.S7;

/// <summary>
/// s7 out: writes msg.payload to a variable of the endpoint. Every write is audited (the host's audit trail with the
/// HMI user behind the message, and an Information log line); refused or failed writes are audited too.
/// </summary>
internal sealed class S7OutNode : FlowNode, IS7Subscriber
{
    public static readonly NodeDeclaration Declaration = new("s7 out")
    {
        Category = "plc",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/s7",
        PaletteLabel = "s7 out",
        DefaultLabel = "s7 out",
        Help = """
            Writes `msg.payload` to a variable of an `s7 endpoint`.

            **endpoint**: the `s7 endpoint` (PLC).
            **variable**: the name of a variable of the endpoint. When empty, `msg.variable` names it; `msg.variable` may
            also be an address (`DB2,INT24`, `MW10`, `Q0.1`) for a variable that is not in the table.

            `msg.payload` must fit the variable: a number for BYTE/WORD/INT/DWORD/DINT/REAL/LREAL (whole numbers within the
            type's range; nothing is wrapped or truncated), `true`/`false` (or 1/0) for a bit, a text for CHAR (one character)
            and STRING (at most its declared length, Latin-1), an array of the right length for an array variable, or a
            Buffer of exactly the variable's bytes. Bits are written as single bits, so the other bits of the byte stay as
            the PLC has them. Writes larger than one PDU are split into several requests (not atomic).

            A refused write (for example "object does not exist" for a missing DB, or "access denied"), a value that does not
            fit, or a lost connection is thrown as an error with the message for a catch node, and shown in the status.
            Every write, successful or not, is recorded in the audit trail (action `s7.write`, with the user of
            `msg._client.user` when an HMI widget sent it) and logged.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "s7 endpoint", Required = true, Label = "PLC" },
            new PropertyDeclaration("variable", PropertyKind.String) { Default = "", Label = "Variable" },
        ],
    };

    private readonly S7EndpointNode _endpoint;
    private readonly string _variable;

    public S7OutNode(NodeSetup setup) : base(setup)
    {
        _endpoint = Setup.ConfigNode<S7EndpointNode>("endpoint") ?? throw Config.Invalid("endpoint", "an s7 endpoint is required");
        _variable = Config.GetString("variable");
        if (_variable.Length > 0 && _endpoint.FindVariable(_variable) is null)
            throw Config.Invalid("variable", $"\"{_variable}\" is not a variable of {_endpoint.Label}; it has: {string.Join(", ", _endpoint.Variables.Select(v => v.Name))}");
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _endpoint.Subscribe(this);
        return ValueTask.CompletedTask;
    }

    public void OnState(S7State state, string text) => Post(() =>
    {
        // A refused item on the read side is not this node's business: the connection is what matters for writing.
        SetStatus(state == S7State.Error ? S7Status.For(S7State.Connected, "connected") : S7Status.For(state, text));
        return ValueTask.CompletedTask;
    });

    public void OnCycle(S7Cycle cycle)
    {
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var (name, address) = Resolve(message);
        var value = message.Get("payload");
        var user = AuditLogExtensions.ClientUser(message);
        var shown = value is byte[] bytes ? "Buffer " + Convert.ToHexString(bytes) : JsJson.Serialize(value);
        var who = string.IsNullOrEmpty(Name) ? $"{Type} {Id}" : $"{Type} \"{Name}\" ({Id})";
        var audit = $"s7 write by {who}{(user is null ? "" : $" for {user}")} to {_endpoint.Label}: {name} ({address}) = {shown}";
        try
        {
            await _endpoint.WriteAsync(address, value, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is S7Exception or S7ValueException)
        {
            Record(user, name, address, value, ex.Message);
            Warn($"audit: write refused or failed: {audit}: {ex.Message}");
            SetStatus(ex is S7ItemException or S7ValueException ? new NodeStatus("red", "dot", $"error: {ex.Message}") : NodeStatus.Error(ex.Message));
            throw;
        }
        Record(user, name, address, value, null);
        Log($"audit: {audit}");
        SetStatus(NodeStatus.Ok($"wrote {name}"));
    }

    private (string Name, S7Address Address) Resolve(JsObject message)
    {
        var name = _variable.Length > 0 ? _variable : message.Get("variable") as string;
        if (string.IsNullOrWhiteSpace(name))
            throw new S7ValueException("no variable: set the node's variable or msg.variable (a variable name or an S7 address)");
        if (_endpoint.FindVariable(name) is { } variable)
        {
            return variable.Address is { } known
                ? (name, known)
                : throw new S7ValueException($"variable \"{name}\" has a bad address: {variable.AddressError}");
        }
        try
        {
            return (name, S7Address.Parse(name));
        }
        catch (S7AddressException ex)
        {
            throw new S7ValueException($"\"{name}\" is neither a variable of {_endpoint.Label} nor a valid address ({ex.Message})");
        }
    }

    private void Record(string? user, string name, S7Address address, object? value, string? error)
    {
        var details = new JsObject
        {
            ["node"] = Id,
            ["endpoint"] = _endpoint.Endpoint,
            ["variable"] = name,
            ["address"] = address.Text,
            ["value"] = value is byte[] bytes ? "Buffer " + Convert.ToHexString(bytes) : JsValue.DeepClone(value),
            ["result"] = error ?? "ok",
        };
        Services.AuditLog()?.Record("s7.write", user, details);
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _endpoint.Unsubscribe(this);
        return ValueTask.CompletedTask;
    }
}
