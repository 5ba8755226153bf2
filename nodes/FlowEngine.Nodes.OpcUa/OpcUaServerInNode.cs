using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Server;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua server in: one message per value an OPC UA client writes to a variable of the opcua-server.</summary>
internal sealed class OpcUaServerInNode : OpcUaServerUserNode
{
    public static readonly NodeDeclaration Declaration = new("opcua server in")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua server in",
        DefaultLabel = "opcua server in",
        OutputLabels = ["client writes"],
        Help = """
            Emits a message for each value an OPC UA client (a SCADA, an HMI) writes to a variable of an
            `opcua-server`. Only variables made writable by their `opcua server out` node can be written; the server
            refuses a value of the wrong type with `BadTypeMismatch` before it gets here.

            **server**: the `opcua-server`.
            **path**: which variables: `Line1` covers `Line1` and everything under it, `Line1/Oven/Setpoint` only that
            variable; empty: all.
            **apply**: `immediately` (default) stores the written value at once, as SCADA users expect; `confirm`
            leaves the variable unchanged until the flow sends the accepted value to an `opcua server out` node (for
            example after the device took it). The client's write is answered Good in both cases.

            Output: `msg.topic` = the variable path, `msg.payload` = the written value, `msg.nodeId`
            (`ns=1;s=...`), `msg.dataType` (`Double`, `Int32[]`...), `msg.sourceTimestamp` when the client sent one,
            and `msg._client.user` = the user name of the writing session (`anonymous` without login), also
            `msg.opcua = {session, clientApplication}`.

            **Audit**: every client write is recorded in the audit log (action `opcua.server.write`, with the user)
            and as a log line.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("server", PropertyKind.ConfigReference) { ConfigType = "opcua-server", Required = true, Label = "Server", Help = "The opcua-server whose client writes to report." },
            new PropertyDeclaration("path", PropertyKind.String) { Default = "", Label = "Path", Help = "A folder or variable path; writes to it and below it are reported. Empty: all." },
            new PropertyDeclaration("apply", PropertyKind.Select) { Default = "immediately", Options = ["immediately", "confirm"], Label = "Apply writes", Help = "immediately: the written value is stored at once; confirm: only when the flow sends it to opcua server out." },
        ],
    };

    private readonly string _path;

    public OpcUaServerInNode(NodeSetup setup) : base(setup)
    {
        _path = Config.GetString("path").Trim();
        if (_path.Length > 0)
        {
            try
            {
                _path = AddressSpace.NormalizePath(_path);
            }
            catch (AddressSpaceException ex)
            {
                throw Config.Invalid("path", ex.Message);
            }
        }
        var apply = Config.GetString("apply", "immediately");
        if (apply is not ("immediately" or "confirm")) throw Config.Invalid("apply", $"\"{apply}\" is not immediately or confirm");
        ApplyImmediately = apply == "immediately";
    }

    public bool ApplyImmediately { get; }

    public bool Covers(string? path) =>
        path is not null && (_path.Length == 0 || path == _path || path.StartsWith(_path + "/", StringComparison.Ordinal));

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        await base.OnStartAsync(cancellationToken).ConfigureAwait(false);
        ServerNode.AddListener(this);
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        ServerNode.RemoveListener(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Called on the server's connection task: the message is handed to the node's own loop.</summary>
    internal void Deliver(ServerWrite write, object? value)
    {
        var user = write.UserName ?? "anonymous";
        var message = new JsObject
        {
            ["topic"] = write.Variable.Path,
            ["payload"] = value,
            ["nodeId"] = write.Variable.NodeId.ToString(),
            ["dataType"] = write.Value.Value.Type + (write.Value.Value.IsArray ? "[]" : ""),
            ["_client"] = new JsObject { ["user"] = user },
            ["opcua"] = new JsObject { ["session"] = write.SessionName, ["clientApplication"] = write.ClientApplicationUri },
        };
        if (write.Value.SourceTimestamp is { } timestamp) message["sourceTimestamp"] = timestamp;
        Post(() =>
        {
            Send(message);
            SetStatus(NodeStatus.Ok(Shorten($"{write.Variable.Path} = {JsJson.Serialize(value)} by {user}")));
            return ValueTask.CompletedTask;
        });
    }
}
