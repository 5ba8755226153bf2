using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>opcua method: calls a method (the Call service) with arguments from the message.</summary>
internal sealed class OpcUaMethodNode : OpcUaClientNode
{
    public static readonly NodeDeclaration Declaration = new("opcua method")
    {
        Category = "opcua",
        Color = "#3FADB5",
        Icon = "bridge.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "flowengine",
        Set = "flowengine/opcua",
        PaletteLabel = "opcua method",
        DefaultLabel = "opcua method",
        Help = """
            Calls an OPC UA method when a message arrives.

            **endpoint**: the `opcua-endpoint`.
            **objectId**: the object the method belongs to; **methodId**: the method (empty: `msg.objectId` and
            `msg.methodId`). The editor's **browse…** buttons pick both from the deployed endpoint's address space
            (expand the object to see its methods).
            **Arguments**: `msg.payload` is the array of input arguments (a single value is one argument). Each is
            converted to the type the method declares in its `InputArguments` property (read once per method).
            **argumentTypes**: comma-separated built-in types (`Double,Int32`) to use instead, for servers that do
            not describe their arguments.

            `msg.payload` becomes the array of output arguments, `msg.statusCode` the call result. A Bad result (or a
            Bad result of one argument, `BadTypeMismatch`...) is an error for a catch node. Calls are recorded in
            the audit log as `opcua.call`.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("endpoint", PropertyKind.ConfigReference) { ConfigType = "opcua-endpoint", Required = true, Label = "Endpoint" },
            new PropertyDeclaration("objectId", PropertyKind.String) { Default = "", Label = "Object id", Editor = OpcUaBrowseEndpoint.PickerEditor, Help = OpcUaBrowseEndpoint.PickerHelp },
            new PropertyDeclaration("methodId", PropertyKind.String) { Default = "", Label = "Method id", Editor = OpcUaBrowseEndpoint.PickerEditor, Help = OpcUaBrowseEndpoint.PickerHelp },
            new PropertyDeclaration("argumentTypes", PropertyKind.String) { Default = "", Label = "Argument types" },
        ],
    };

    private readonly string _objectId;
    private readonly string _methodId;
    private readonly BuiltInType[]? _argumentTypes;
    private readonly Dictionary<NodeId, BuiltInType[]> _declared = [];

    public OpcUaMethodNode(NodeSetup setup) : base(setup)
    {
        _objectId = Config.GetString("objectId").Trim();
        _methodId = Config.GetString("methodId").Trim();
        var types = Config.GetString("argumentTypes").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (types.Length > 0)
        {
            _argumentTypes = new BuiltInType[types.Length];
            for (var i = 0; i < types.Length; i++)
            {
                if (!OpcUaValues.TryParseType(types[i], out _argumentTypes[i])) throw Config.Invalid("argumentTypes", $"\"{types[i]}\" is not a built-in type name (Double, Int32, String...)");
            }
        }
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var message = input.Message;
        var objectText = _objectId.Length > 0 ? _objectId : message.Get("objectId") as string ?? throw new OpcUaValueException("no objectId: set it on the node or in msg.objectId");
        var methodText = _methodId.Length > 0 ? _methodId : message.Get("methodId") as string ?? throw new OpcUaValueException("no methodId: set it on the node or in msg.methodId");
        var arguments = message.Get("payload") switch
        {
            List<object?> list => list,
            null => [],
            var single => [single],
        };
        CallMethodResult result;
        try
        {
            var session = await Endpoint.SessionAsync().ConfigureAwait(false);
            var objectId = Resolve(session, objectText);
            var methodId = Resolve(session, methodText);
            var types = _argumentTypes ?? await DeclaredTypesAsync(session, methodId).ConfigureAwait(false);
            if (types.Length != arguments.Count) throw new OpcUaValueException($"method {methodText} takes {types.Length} argument(s) ({string.Join(", ", types)}); msg.payload has {arguments.Count}");
            var variants = arguments.Select((a, i) => OpcUaValues.FromJs(a, types[i])).ToList();
            result = (await session.CallMethodsAsync([new CallMethodRequest(objectId, methodId, variants)], CancellationToken.None).ConfigureAwait(false))[0];
        }
        catch (Exception ex) when (OpcUaEndpointNode.IsServerError(ex) || ex is OpcUaValueException)
        {
            SetStatus(OpcUaEndpointNode.StatusFor(ex));
            throw;
        }
        Services.AuditLog()?.Record("opcua.call", AuditLogExtensions.ClientUser(message), new JsObject
        {
            ["endpoint"] = Endpoint.EndpointUrl,
            ["objectId"] = objectText,
            ["methodId"] = methodText,
            ["arguments"] = JsValue.DeepClone(arguments),
            ["statusCode"] = result.Status.Name,
            ["node"] = Id,
        });
        message["statusCode"] = result.Status.Name;
        var badArgument = result.InputArgumentResults.Select((s, i) => (s, i)).FirstOrDefault(p => p.s.IsBad);
        if (result.Status.IsBad)
        {
            SetStatus(NodeStatus.Error(result.Status.Name));
            var detail = badArgument.s.IsBad ? $" (argument {badArgument.i + 1}: {badArgument.s.Name})" : "";
            throw new OpcUaValueException($"call {methodText}: {result.Status.Name}{detail}");
        }
        message["topic"] = methodText;
        message["payload"] = result.OutputArguments.Select(OpcUaValues.ToJs).ToList<object?>();
        SetStatus(NodeStatus.Ok(result.Status.Name));
        Send(message);
    }

    /// <summary>
    /// The types of the method's InputArguments property: an array of Argument structures (Part 3 §8.6) whose
    /// second field is the DataType NodeId.
    /// </summary>
    private async Task<BuiltInType[]> DeclaredTypesAsync(UaSession session, NodeId methodId)
    {
        if (_declared.TryGetValue(methodId, out var known)) return known;
        var paths = await session.TranslateBrowsePathsAsync([new BrowsePath(methodId, [new RelativePathElement(new QualifiedName(0, "InputArguments"), new NodeId(0, 46u))])], CancellationToken.None).ConfigureAwait(false);
        BuiltInType[] types = [];
        if (paths[0].Status.IsGood && paths[0].Targets.Length > 0)
        {
            var values = await session.ReadAsync([new ReadValueId(paths[0].Targets[0].TargetId.NodeId)], CancellationToken.None).ConfigureAwait(false);
            if (values[0].Value is { IsArray: true, Value: object?[] items })
            {
                types = items.Select(item =>
                {
                    if (item is not ExtensionObject { Body: { } body }) throw new UaStatusException(StatusCodes.BadDecodingError, $"method {methodId} has an InputArguments entry that is not an Argument");
                    var reader = new UaBinaryReader(body);
                    reader.ReadString(); // name
                    var dataType = reader.ReadNodeId();
                    return OpcUaValues.FromDataTypeId(dataType) ?? throw new OpcUaValueException($"method {methodId} takes an argument of type {dataType}, which is not a built-in type; set argumentTypes");
                }).ToArray();
            }
        }
        else if (paths[0].Status.Code != StatusCodes.BadNoMatch)
        {
            throw new UaStatusException(paths[0].Status.Code, $"cannot look up the arguments of {methodId}: {paths[0].Status.Name}");
        }
        _declared[methodId] = types;
        return types;
    }
}
