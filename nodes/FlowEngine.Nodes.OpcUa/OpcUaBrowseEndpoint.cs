using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;
using Microsoft.AspNetCore.Http;
using HttpStatus = Microsoft.AspNetCore.Http.StatusCodes;
using StatusCodes = FlowEngine.Nodes.OpcUa.Protocol.Encoding.StatusCodes;

namespace FlowEngine.Nodes.OpcUa;

/// <summary>
/// <c>GET opcua/browse?endpoint=&amp;nodeId=</c> for the editor's tag picker: the children of one node, read through the
/// deployed opcua-endpoint's shared session (its security and login), with the current value, status and data
/// type of every variable among them. Answers are the admin API's error shape <c>{code, message}</c> on failure.
/// </summary>
internal static class OpcUaBrowseEndpoint
{
    /// <summary>Marks the properties that hold node ids of the node's endpoint: the editor offers its tag picker beside them.</summary>
    public const string PickerEditor = "opcua-node-id";
    public const string PickerHelp = "A node id on the endpoint's server; the editor's browse… button picks it from the address space (the endpoint must be deployed).";
    public const string PickerItemsHelp = "The editor's browse… button adds a node id picked from the endpoint's address space (the endpoint must be deployed).";

    /// <summary>More children than this are cut off (the answer says so): a picker list, not an export.</summary>
    public const int MaxChildren = 2000;
    // Values are shown in a tree row; big arrays, strings and byte strings are cut to keep the answer small.
    private const int MaxArrayItems = 20;
    private const int MaxTextLength = 200;
    // Nodes per Browse call when finding out which children have children of their own.
    private const int ChildCheckBatch = 100;

    public static async Task<IResult> HandleAsync(HttpContext context, Func<string, FlowNode?> findNode)
    {
        var endpointId = context.Request.Query["endpoint"].ToString().Trim();
        var nodeIdText = context.Request.Query["nodeId"].ToString().Trim();
        if (nodeIdText.Length == 0) nodeIdText = "i=85";
        if (endpointId.Length == 0) return Error(HttpStatus.Status400BadRequest, "invalid_request", "endpoint: the id of a deployed opcua-endpoint config node is required");
        var node = findNode(endpointId);
        if (node is null)
            return Error(HttpStatus.Status404NotFound, "not_deployed", $"opcua-endpoint {endpointId} is not deployed: deploy the endpoint first");
        if (node is not OpcUaEndpointNode endpoint)
            return Error(HttpStatus.Status400BadRequest, "invalid_request", $"node {endpointId} is not an opcua-endpoint");
        if (!nodeIdText.StartsWith("nsu=", StringComparison.Ordinal) && !NodeId.TryParse(nodeIdText, out _, out var syntax))
            return Error(HttpStatus.Status400BadRequest, "bad_node_id", $"nodeId: {syntax}");

        // The session wait is bounded by the endpoint's own connect and request timeouts; this deadline also covers
        // the Browse and Read calls that follow, so the picker always gets an answer.
        var options = endpoint.Connection.Options;
        var deadline = options.ConnectTimeout + options.RequestTimeout * 4;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(deadline);
        try
        {
            UaSession session;
            try
            {
                session = await endpoint.SessionAsync(timeout.Token).WaitAsync(deadline, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (OpcUaEndpointNode.IsServerError(ex))
            {
                return Error(HttpStatus.Status503ServiceUnavailable, "not_connected", $"{endpoint.EndpointUrl}: {ex.Message}");
            }
            NodeId start;
            try
            {
                start = session.ResolveNodeId(nodeIdText);
            }
            catch (FormatException ex)
            {
                return Error(HttpStatus.Status400BadRequest, "bad_node_id", $"nodeId: {ex.Message}");
            }
            catch (UaStatusException ex)
            {
                return Error(HttpStatus.Status404NotFound, "bad_node_id", $"nodeId: {ex.Message}");
            }
            var (status, references) = await session.BrowseAllAsync(new BrowseDescription(start), 0, timeout.Token).WaitAsync(deadline, timeout.Token).ConfigureAwait(false);
            if (status.Code is StatusCodes.BadNodeIdUnknown or StatusCodes.BadNodeIdInvalid)
                return Error(HttpStatus.Status404NotFound, "bad_node_id", $"nodeId: {nodeIdText} is not on the server ({status.Name})");
            if (status.IsBad) return Error(HttpStatus.Status502BadGateway, "server_error", $"browse {nodeIdText}: {status.Name}");
            var truncated = references.Count > MaxChildren;
            var children = await DescribeAsync(session, references.Take(MaxChildren).ToList(), timeout.Token).WaitAsync(deadline, timeout.Token).ConfigureAwait(false);
            var body = new JsObject
            {
                ["endpoint"] = endpointId,
                ["nodeId"] = nodeIdText,
                ["children"] = children,
                ["truncated"] = truncated,
            };
            return new JsonText(body, HttpStatus.Status200OK);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
        {
            return Error(HttpStatus.Status504GatewayTimeout, "timeout",
                string.Create(CultureInfo.InvariantCulture, $"{endpoint.EndpointUrl} did not answer within {deadline.TotalSeconds:0.#} s"));
        }
        catch (Exception ex) when (OpcUaEndpointNode.IsServerError(ex))
        {
            return Error(HttpStatus.Status502BadGateway, "server_error", $"{endpoint.EndpointUrl}: {ex.Message}");
        }
    }

    /// <summary>
    /// One entry per reference: whether it has children (one Browse per batch of nodes) and, for variables, value,
    /// status, data type and access (one Read for all of them; one more for data types that are not built in).
    /// </summary>
    internal static async Task<List<object?>> DescribeAsync(UaSession session, List<ReferenceDescription> references, CancellationToken cancellationToken)
    {
        var entries = new List<JsObject>(references.Count);
        var local = new List<(int Index, NodeId Id)>();
        for (var i = 0; i < references.Count; i++)
        {
            var reference = references[i];
            var id = reference.NodeId;
            entries.Add(new JsObject
            {
                ["nodeId"] = id.NamespaceUri is null && id.ServerIndex == 0 ? id.NodeId.ToString() : id.ToString(),
                ["browseName"] = reference.BrowseName.ToString(),
                ["displayName"] = string.IsNullOrEmpty(reference.DisplayName.Text) ? reference.BrowseName.Name : reference.DisplayName.Text,
                ["nodeClass"] = reference.NodeClass.ToString(),
                ["typeDefinition"] = reference.TypeDefinition.NodeId.IsNull ? null : reference.TypeDefinition.ToString(),
                ["hasChildren"] = false,
            });
            // Nodes on other servers or named by namespace URI only cannot be browsed or read through this session.
            if (id.ServerIndex == 0 && id.NamespaceUri is null) local.Add((i, id.NodeId));
        }
        await MarkChildrenAsync(session, entries, local, cancellationToken).ConfigureAwait(false);
        await ReadVariablesAsync(session, entries, local.Where(l => references[l.Index].NodeClass == NodeClass.Variable).ToList(), cancellationToken).ConfigureAwait(false);
        return [.. entries];
    }

    private static async Task MarkChildrenAsync(UaSession session, List<JsObject> entries, List<(int Index, NodeId Id)> nodes, CancellationToken cancellationToken)
    {
        foreach (var batch in nodes.Chunk(ChildCheckBatch))
        {
            // One reference per node is enough to know; continuation points the server hands out are released at once
            // (servers keep only a few per session).
            var results = await session.BrowseAsync(batch.Select(n => new BrowseDescription(n.Id, ResultMask: 0)).ToList(), 1, cancellationToken).ConfigureAwait(false);
            var open = new List<byte[]>();
            for (var i = 0; i < batch.Length; i++)
            {
                var result = results[i];
                if (result.ContinuationPoint is { Length: > 0 } point) open.Add(point);
                // A server out of continuation points did find references; anything else Bad leaves the node a leaf.
                entries[batch[i].Index]["hasChildren"] = result.References.Length > 0 || result.ContinuationPoint is { Length: > 0 }
                    || result.Status.Code == StatusCodes.BadNoContinuationPoints;
            }
            if (open.Count > 0) await session.BrowseNextAsync(open, true, cancellationToken).ConfigureAwait(false);
        }
    }

    private static readonly uint[] VariableAttributes = [AttributeIds.Value, AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.AccessLevel];

    private static async Task ReadVariablesAsync(UaSession session, List<JsObject> entries, List<(int Index, NodeId Id)> variables, CancellationToken cancellationToken)
    {
        if (variables.Count == 0) return;
        var reads = variables.SelectMany(v => VariableAttributes.Select(a => new ReadValueId(v.Id, a))).ToList();
        var values = await session.ReadAsync(reads, cancellationToken, TimestampsToReturn.Source).ConfigureAwait(false);
        var unnamedTypes = new Dictionary<NodeId, List<(JsObject Entry, bool Array)>>();
        for (var i = 0; i < variables.Count; i++)
        {
            var entry = entries[variables[i].Index];
            var value = values[i * 4];
            var dataType = values[i * 4 + 1].Value.Value as NodeId;
            var valueRank = values[i * 4 + 2].Value.Value is int rank ? rank : -1;
            var isArray = valueRank >= 0 || value.Value.IsArray;
            // Structures are not decoded (ExtensionObject bodies are opaque here): the picker says "structure" instead.
            var structure = value.Value.Type == BuiltInType.ExtensionObject;
            entry["value"] = value.Status.IsBad || structure ? null : Shorten(OpcUaValues.ToJs(value.Value));
            if (structure) entry["structure"] = true;
            entry["statusCode"] = value.Status.Name;
            entry["sourceTimestamp"] = value.SourceTimestamp;
            if (values[i * 4 + 3].Value.Value is byte access) entry["writable"] = (access & 0x02) != 0;
            if (dataType is null)
            {
                entry["dataType"] = value.Value.Type == BuiltInType.Null ? null : value.Value.Type + (isArray ? "[]" : "");
            }
            else if (WellKnownDataTypeName(dataType) is { } name)
            {
                entry["dataType"] = name + (isArray ? "[]" : "");
            }
            else
            {
                entry["dataType"] = dataType.ToString() + (isArray ? "[]" : "");
                if (!unnamedTypes.TryGetValue(dataType, out var waiting)) unnamedTypes[dataType] = waiting = [];
                waiting.Add((entry, isArray));
            }
        }
        if (unnamedTypes.Count == 0) return;
        // Vendor and structure types: their display name, so the picker shows "MotorData" rather than "ns=2;i=3001".
        var types = unnamedTypes.Keys.ToList();
        var names = await session.ReadAsync(types.Select(t => new ReadValueId(t, AttributeIds.DisplayName)).ToList(), cancellationToken, TimestampsToReturn.Neither).ConfigureAwait(false);
        for (var i = 0; i < types.Count; i++)
        {
            if (names[i].Value.Value is not LocalizedText { Text: { Length: > 0 } text }) continue;
            foreach (var (entry, isArray) in unnamedTypes[types[i]]) entry["dataType"] = text + (isArray ? "[]" : "");
        }
    }

    /// <summary>Names of namespace 0 data types: the built-in types and the common abstract and derived ones.</summary>
    internal static string? WellKnownDataTypeName(NodeId dataType)
    {
        if (dataType.NamespaceIndex != 0 || dataType.IdType != NodeIdType.Numeric) return null;
        var id = (uint)dataType.Identifier;
        // i=24 is the DataType node BaseDataType (any value), whose built-in encoding is Variant.
        if (id is >= 1 and <= 25 and not 24) return ((BuiltInType)id).ToString();
        return id switch
        {
            24 => "BaseDataType",
            26 => "Number",
            27 => "Integer",
            28 => "UInteger",
            29 => "Enumeration",
            30 => "Image",
            256 => "IdType",
            257 => "NodeClass",
            288 => "IntegerId",
            289 => "Counter",
            290 => "Duration",
            291 => "NumericRange",
            292 => "Time",
            293 => "Date",
            294 => "UtcTime",
            295 => "LocaleId",
            338 => "BuildInfo",
            852 => "ServerState",
            862 => "ServerStatusDataType",
            _ => null,
        };
    }

    private static object? Shorten(object? value) => value switch
    {
        string s when s.Length > MaxTextLength => s[..MaxTextLength] + "…",
        byte[] bytes when bytes.Length > MaxArrayItems => bytes[..MaxArrayItems],
        List<object?> list => list.Count > MaxArrayItems
            ? [.. list.Take(MaxArrayItems).Select(Shorten), string.Create(CultureInfo.InvariantCulture, $"… {list.Count} items")]
            : list.Select(Shorten).ToList(),
        _ => value,
    };

    private static JsonText Error(int status, string code, string message) => new(new JsObject { ["code"] = code, ["message"] = message }, status);

    /// <summary>A JSON answer written with FlowEngine's serializer (dates as ISO text, Buffers as Node-RED writes them).</summary>
    private sealed class JsonText(object body, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            return httpContext.Response.Body.WriteAsync(JsJson.SerializeToUtf8(body), httpContext.RequestAborted).AsTask();
        }
    }
}
