using System.Globalization;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Server;

/// <summary>A reference from or to a node (Part 3 §4.4): its type, direction and the other node.</summary>
public readonly record struct ServerReference(NodeId ReferenceType, bool IsForward, NodeId Target);

/// <summary>A node of the server's address space with the attributes every node class has (Part 3 §5.2).</summary>
public class ServerNode
{
    internal ServerNode(NodeId nodeId, NodeClass nodeClass, QualifiedName browseName, string displayName)
    {
        NodeId = nodeId;
        NodeClass = nodeClass;
        BrowseName = browseName;
        DisplayName = new LocalizedText(null, displayName);
    }

    public NodeId NodeId { get; }
    public NodeClass NodeClass { get; }
    public QualifiedName BrowseName { get; }
    public LocalizedText DisplayName { get; }
    public LocalizedText? Description { get; internal set; }
    public NodeId? TypeDefinition { get; internal set; }
    /// <summary>IsAbstract of a type node.</summary>
    public bool IsAbstract { get; internal set; }
    /// <summary>For reference types: Symmetric and InverseName.</summary>
    public bool Symmetric { get; internal set; }
    public string? InverseName { get; internal set; }
    /// <summary>The path of a folder or variable made by <see cref="AddressSpace.SetVariable"/> ("Line1/Oven"); null for standard nodes.</summary>
    public string? Path { get; internal set; }
    internal List<ServerReference> References { get; } = [];

    public override string ToString() => $"{NodeClass} {NodeId} {BrowseName}";
}

/// <summary>A variable (Part 3 §5.6): its value, data type and access level.</summary>
public sealed class ServerVariable : ServerNode
{
    internal ServerVariable(NodeId nodeId, QualifiedName browseName, string displayName, NodeId dataType, int valueRank)
        : base(nodeId, NodeClass.Variable, browseName, displayName)
    {
        DataType = dataType;
        ValueRank = valueRank;
        TypeDefinition = AddressSpace.BaseDataVariableType;
    }

    public NodeId DataType { get; }
    /// <summary>-1 scalar, 1 one-dimensional array.</summary>
    public int ValueRank { get; }
    public bool Writable { get; internal set; }
    public byte AccessLevel => Writable ? (byte)3 : (byte)1;
    public double MinimumSamplingInterval => Getter is null ? 0 : 100;
    /// <summary>The built-in type of values, or null when any type is allowed (BaseDataType).</summary>
    public BuiltInType? ElementType => DataType.NamespaceIndex == 0 && DataType.IdType == NodeIdType.Numeric && (uint)DataType.Identifier is >= 1 and <= 25 and not 24
        ? (BuiltInType)(uint)DataType.Identifier
        : DataType == AddressSpace.UtcTime ? BuiltInType.DateTime
        : DataType == AddressSpace.ServerStateType ? BuiltInType.Int32
        : null;

    internal DataValue StoredValue { get; set; } = new(Variant.Null, new StatusCode(StatusCodes.BadWaitingForInitialData));
    /// <summary>For values computed when read (CurrentTime); sampled by subscriptions instead of pushed.</summary>
    internal Func<DataValue>? Getter { get; init; }
    internal List<MonitoredItem> Monitors { get; } = [];

    public DataValue Value => Getter?.Invoke() ?? StoredValue;
}

/// <summary>A value change or write that a variable refused.</summary>
public sealed class AddressSpaceException(string message) : Exception(message);

/// <summary>
/// The server's address space: the standard nodes generic clients need (Root, Objects, Types, Views, the Server
/// object with ServerStatus and NamespaceArray, the type nodes references point to) and the application's folders
/// and variables in namespace 1, named by path: "Line1/Oven/Temperature" is folder Line1, folder Oven, variable
/// Temperature, node id ns=1;s=Line1/Oven/Temperature. Thread safe; value changes reach the monitored items at once.
/// </summary>
public sealed class AddressSpace
{
    public static readonly NodeId References = new(0, 31u);
    public static readonly NodeId NonHierarchicalReferences = new(0, 32u);
    public static readonly NodeId HierarchicalReferences = new(0, 33u);
    public static readonly NodeId HasChild = new(0, 34u);
    public static readonly NodeId Organizes = new(0, 35u);
    public static readonly NodeId HasEventSource = new(0, 36u);
    public static readonly NodeId HasModellingRule = new(0, 37u);
    public static readonly NodeId HasEncoding = new(0, 38u);
    public static readonly NodeId HasTypeDefinition = new(0, 40u);
    public static readonly NodeId Aggregates = new(0, 44u);
    public static readonly NodeId HasSubtype = new(0, 45u);
    public static readonly NodeId HasProperty = new(0, 46u);
    public static readonly NodeId HasComponent = new(0, 47u);
    public static readonly NodeId BaseObjectType = new(0, 58u);
    public static readonly NodeId FolderType = new(0, 61u);
    public static readonly NodeId BaseVariableType = new(0, 62u);
    public static readonly NodeId BaseDataVariableType = new(0, 63u);
    public static readonly NodeId PropertyType = new(0, 68u);
    public static readonly NodeId ServerType = new(0, 2004u);
    public static readonly NodeId ServerStatusType = new(0, 2138u);
    public static readonly NodeId BuildInfoType = new(0, 3051u);
    public static readonly NodeId UtcTime = new(0, 294u);
    public static readonly NodeId ServerStateType = new(0, 852u);
    public static readonly NodeId ServerStatusDataType = new(0, 862u);
    public static readonly NodeId BuildInfoDataType = new(0, 338u);
    public static readonly NodeId RootFolder = new(0, 84u);
    public static readonly NodeId ObjectsFolder = new(0, 85u);
    public static readonly NodeId TypesFolder = new(0, 86u);
    public static readonly NodeId ViewsFolder = new(0, 87u);
    public static readonly NodeId ServerObject = new(0, 2253u);
    public static readonly NodeId ServerArray = new(0, 2254u);
    public static readonly NodeId NamespaceArray = new(0, 2255u);
    public static readonly NodeId ServerStatus = new(0, 2256u);
    public static readonly NodeId ServerStatusStartTime = new(0, 2257u);
    public static readonly NodeId ServerStatusCurrentTime = new(0, 2258u);
    public static readonly NodeId ServerStatusState = new(0, 2259u);

    private readonly Lock _gate = new();
    private readonly Dictionary<NodeId, ServerNode> _nodes = [];
    private readonly Dictionary<NodeId, NodeId> _supertypes = [];
    private readonly DateTime _startTime = DateTime.UtcNow;
    private readonly string _applicationUri;
    private readonly string _productUri;
    private int _variableCount;

    public AddressSpace(string namespaceUri, string applicationUri, string productUri = "urn:flowengine", int maxVariables = 100_000)
    {
        NamespaceUri = namespaceUri;
        _applicationUri = applicationUri;
        _productUri = productUri;
        MaxVariables = maxVariables;
        BuildStandardNodes();
    }

    public string NamespaceUri { get; }
    public ushort NamespaceIndex => 1;
    public int MaxVariables { get; }
    public int VariableCount => Volatile.Read(ref _variableCount);
    /// <summary>The State in ServerStatus: Running (0) while serving, Shutdown (4) when stopping.</summary>
    public int ServerState { get; set; }

    public ServerNode? Find(NodeId nodeId)
    {
        lock (_gate) return _nodes.GetValueOrDefault(nodeId);
    }

    public ServerVariable? FindVariable(string path) => Find(new NodeId(NamespaceIndex, NormalizePath(path))) as ServerVariable;

    /// <summary>Every variable made by <see cref="SetVariable"/>.</summary>
    public IReadOnlyList<ServerVariable> Variables()
    {
        lock (_gate) return _nodes.Values.OfType<ServerVariable>().Where(v => v.Path is not null).ToList();
    }

    internal List<ServerReference> ReferencesOf(ServerNode node)
    {
        lock (_gate) return [.. node.References];
    }

    /// <summary>True when <paramref name="type"/> is <paramref name="ancestor"/> or one of its subtypes (HasSubtype chain).</summary>
    public bool IsSubtypeOf(NodeId type, NodeId ancestor)
    {
        var current = type;
        for (var depth = 0; depth < 32; depth++)
        {
            if (current == ancestor) return true;
            lock (_gate)
            {
                if (!_supertypes.TryGetValue(current, out var parent)) return false;
                current = parent;
            }
        }
        return false;
    }

    /// <summary>"/Line1//Oven/Temperature " becomes "Line1/Oven/Temperature"; an empty path or segment is refused.</summary>
    public static string NormalizePath(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (segments.Length == 0) throw new AddressSpaceException("a variable path is required, for example Line1/Oven/Temperature");
        if (segments.Length > 16) throw new AddressSpaceException($"\"{path}\" has more than 16 levels");
        if (segments.Any(s => s.Length > 256)) throw new AddressSpaceException($"\"{path}\" has a name longer than 256 characters");
        return string.Join('/', segments);
    }

    /// <summary>
    /// Creates (with its folders) or updates the variable at <paramref name="path"/>. A new variable takes
    /// <paramref name="dataType"/> and <paramref name="isArray"/>; an existing one must have them (the caller converts
    /// first). The value reaches every monitored item of the variable.
    /// </summary>
    public ServerVariable SetVariable(string path, BuiltInType dataType, bool isArray, DataValue value, bool? writable = null)
    {
        var normalized = NormalizePath(path);
        var nodeId = new NodeId(NamespaceIndex, normalized);
        lock (_gate)
        {
            if (_nodes.TryGetValue(nodeId, out var existing))
            {
                if (existing is not ServerVariable variable) throw new AddressSpaceException($"\"{normalized}\" is a folder, not a variable");
                if (variable.ElementType != dataType || (variable.ValueRank == 1) != isArray)
                    throw new AddressSpaceException($"\"{normalized}\" is a {TypeName(variable)}; a {dataType}{(isArray ? "[]" : "")} cannot be stored in it");
                if (writable is { } flag) variable.Writable = flag;
                ApplyLocked(variable, value);
                return variable;
            }
            if (_variableCount >= MaxVariables) throw new AddressSpaceException($"the server already has {MaxVariables} variables (its limit)");
            var segments = normalized.Split('/');
            var parent = ObjectsFolder;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                var folderPath = string.Join('/', segments, 0, i + 1);
                var folderId = new NodeId(NamespaceIndex, folderPath);
                if (_nodes.TryGetValue(folderId, out var folder))
                {
                    if (folder.NodeClass != NodeClass.Object) throw new AddressSpaceException($"\"{folderPath}\" is a variable, so \"{normalized}\" cannot be put under it");
                }
                else
                {
                    folder = new ServerNode(folderId, NodeClass.Object, new QualifiedName(NamespaceIndex, segments[i]), segments[i]) { TypeDefinition = FolderType, Path = folderPath };
                    AddLocked(folder, parent, Organizes);
                }
                parent = folderId;
            }
            var created = new ServerVariable(nodeId, new QualifiedName(NamespaceIndex, segments[^1]), segments[^1], new NodeId(0, (uint)dataType), isArray ? 1 : -1)
            {
                Writable = writable ?? false,
                Path = normalized,
            };
            AddLocked(created, parent, Organizes);
            _variableCount++;
            ApplyLocked(created, value);
            return created;
        }
    }

    /// <summary>Stores a value written by a client (already type-checked) and tells the monitored items.</summary>
    internal void Apply(ServerVariable variable, DataValue value)
    {
        lock (_gate) ApplyLocked(variable, value);
    }

    private void ApplyLocked(ServerVariable variable, DataValue value)
    {
        var stored = value with { ServerTimestamp = DateTime.UtcNow, SourceTimestamp = value.SourceTimestamp ?? DateTime.UtcNow };
        variable.StoredValue = stored;
        foreach (var monitor in variable.Monitors) monitor.Offer(stored);
    }

    /// <summary>Removes a variable made by <see cref="SetVariable"/> (and folders left empty); its monitored items stop getting values.</summary>
    public bool RemoveVariable(string path)
    {
        var nodeId = new NodeId(NamespaceIndex, NormalizePath(path));
        lock (_gate)
        {
            if (!_nodes.TryGetValue(nodeId, out var node) || node is not ServerVariable) return false;
            RemoveLocked(node);
            _variableCount--;
            return true;
        }
    }

    private void RemoveLocked(ServerNode node)
    {
        _nodes.Remove(node.NodeId);
        foreach (var reference in node.References.Where(r => !r.IsForward).ToList())
        {
            if (!_nodes.TryGetValue(reference.Target, out var parent)) continue;
            parent.References.RemoveAll(r => r.Target == node.NodeId);
            if (parent.Path is not null && parent.References.All(r => !r.IsForward || r.ReferenceType == HasTypeDefinition)) RemoveLocked(parent);
        }
    }

    internal void AddMonitor(ServerVariable variable, MonitoredItem item)
    {
        lock (_gate)
        {
            variable.Monitors.Add(item);
            if (variable.Getter is null) item.Offer(variable.StoredValue);
        }
    }

    internal void RemoveMonitor(ServerVariable variable, MonitoredItem item)
    {
        lock (_gate) variable.Monitors.Remove(item);
    }

    public static string TypeName(ServerVariable variable) =>
        (variable.ElementType?.ToString() ?? variable.DataType.ToString()) + (variable.ValueRank == 1 ? "[]" : "");

    private void AddLocked(ServerNode node, NodeId? parent, NodeId? referenceType)
    {
        _nodes[node.NodeId] = node;
        if (node.TypeDefinition is { } typeDefinition) node.References.Add(new ServerReference(HasTypeDefinition, true, typeDefinition));
        if (parent is null || referenceType is null) return;
        _nodes[parent].References.Add(new ServerReference(referenceType, true, node.NodeId));
        node.References.Add(new ServerReference(referenceType, false, parent));
        if (referenceType == HasSubtype) _supertypes[node.NodeId] = parent;
    }

    // ---------------------------------------------------------------- the standard nodes (Part 5)

    private void Add(uint id, NodeClass nodeClass, string name, uint? parent, NodeId? referenceType, NodeId? typeDefinition = null, bool isAbstract = false)
    {
        var node = nodeClass == NodeClass.Variable
            ? throw new ArgumentException("variables are added with AddVariable")
            : new ServerNode(new NodeId(0, id), nodeClass, new QualifiedName(0, name), name) { TypeDefinition = typeDefinition, IsAbstract = isAbstract };
        AddLocked(node, parent is null ? null : new NodeId(0, parent.Value), referenceType);
    }

    private void AddVariable(uint id, string name, uint parent, NodeId referenceType, NodeId dataType, int valueRank, Func<DataValue>? getter, NodeId? typeDefinition = null)
    {
        var variable = new ServerVariable(new NodeId(0, id), new QualifiedName(0, name), name, dataType, valueRank) { Getter = getter };
        variable.TypeDefinition = typeDefinition ?? (referenceType == HasProperty ? PropertyType : BaseDataVariableType);
        AddLocked(variable, new NodeId(0, parent), referenceType);
    }

    private void BuildStandardNodes()
    {
        Add(84, NodeClass.Object, "Root", null, null, FolderType);
        Add(85, NodeClass.Object, "Objects", 84, Organizes, FolderType);
        Add(86, NodeClass.Object, "Types", 84, Organizes, FolderType);
        Add(87, NodeClass.Object, "Views", 84, Organizes, FolderType);
        Add(88, NodeClass.Object, "ObjectTypes", 86, Organizes, FolderType);
        Add(89, NodeClass.Object, "VariableTypes", 86, Organizes, FolderType);
        Add(90, NodeClass.Object, "DataTypes", 86, Organizes, FolderType);
        Add(91, NodeClass.Object, "ReferenceTypes", 86, Organizes, FolderType);

        // Reference types (Part 3 §11): the hierarchy Browse and TranslateBrowsePaths use for includeSubtypes.
        Add(31, NodeClass.ReferenceType, "References", 91, Organizes, isAbstract: true);
        Add(33, NodeClass.ReferenceType, "HierarchicalReferences", 31, HasSubtype, isAbstract: true);
        Add(32, NodeClass.ReferenceType, "NonHierarchicalReferences", 31, HasSubtype, isAbstract: true);
        Add(34, NodeClass.ReferenceType, "HasChild", 33, HasSubtype, isAbstract: true);
        Add(35, NodeClass.ReferenceType, "Organizes", 33, HasSubtype);
        Add(36, NodeClass.ReferenceType, "HasEventSource", 33, HasSubtype);
        Add(44, NodeClass.ReferenceType, "Aggregates", 34, HasSubtype, isAbstract: true);
        Add(45, NodeClass.ReferenceType, "HasSubtype", 34, HasSubtype);
        Add(46, NodeClass.ReferenceType, "HasProperty", 44, HasSubtype);
        Add(47, NodeClass.ReferenceType, "HasComponent", 44, HasSubtype);
        Add(40, NodeClass.ReferenceType, "HasTypeDefinition", 32, HasSubtype);
        Add(37, NodeClass.ReferenceType, "HasModellingRule", 32, HasSubtype);
        Add(38, NodeClass.ReferenceType, "HasEncoding", 32, HasSubtype);
        foreach (var (id, inverse) in new (uint, string?)[] { (31, null), (33, null), (32, null), (34, "ChildOf"), (35, "OrganizedBy"), (36, "EventSourceOf"), (44, "AggregatedBy"), (45, "SubtypeOf"), (46, "PropertyOf"), (47, "ComponentOf"), (40, "TypeDefinitionOf"), (37, "ModellingRuleOf"), (38, "EncodingOf") })
        {
            var node = _nodes[new NodeId(0, id)];
            node.InverseName = inverse;
            node.Symmetric = id == 31;
        }

        // Object and variable types the nodes point to with HasTypeDefinition.
        Add(58, NodeClass.ObjectType, "BaseObjectType", 88, Organizes);
        Add(61, NodeClass.ObjectType, "FolderType", 58, HasSubtype);
        Add(2004, NodeClass.ObjectType, "ServerType", 58, HasSubtype);
        Add(62, NodeClass.VariableType, "BaseVariableType", 89, Organizes, isAbstract: true);
        Add(63, NodeClass.VariableType, "BaseDataVariableType", 62, HasSubtype);
        Add(68, NodeClass.VariableType, "PropertyType", 62, HasSubtype);
        Add(2138, NodeClass.VariableType, "ServerStatusType", 63, HasSubtype);
        Add(3051, NodeClass.VariableType, "BuildInfoType", 63, HasSubtype);

        // Data types: the built-in ones and the few the Server object uses.
        Add(24, NodeClass.DataType, "BaseDataType", 90, Organizes, isAbstract: true);
        Add(26, NodeClass.DataType, "Number", 24, HasSubtype, isAbstract: true);
        Add(27, NodeClass.DataType, "Integer", 26, HasSubtype, isAbstract: true);
        Add(28, NodeClass.DataType, "UInteger", 26, HasSubtype, isAbstract: true);
        Add(29, NodeClass.DataType, "Enumeration", 24, HasSubtype, isAbstract: true);
        Add(22, NodeClass.DataType, "Structure", 24, HasSubtype, isAbstract: true);
        foreach (var (id, parent) in new (uint, uint)[] { (1, 24), (2, 27), (3, 28), (4, 27), (5, 28), (6, 27), (7, 28), (8, 27), (9, 28), (10, 26), (11, 26), (12, 24), (13, 24), (14, 24), (15, 24), (16, 24), (17, 24), (18, 24), (19, 24), (20, 24), (21, 24), (23, 24), (25, 24) })
            Add(id, NodeClass.DataType, ((BuiltInType)id).ToString(), parent, HasSubtype);
        Add(290, NodeClass.DataType, "Duration", 11, HasSubtype);
        Add(294, NodeClass.DataType, "UtcTime", 13, HasSubtype);
        Add(295, NodeClass.DataType, "LocaleId", 12, HasSubtype);
        Add(852, NodeClass.DataType, "ServerState", 29, HasSubtype);
        Add(862, NodeClass.DataType, "ServerStatusDataType", 22, HasSubtype);
        Add(338, NodeClass.DataType, "BuildInfo", 22, HasSubtype);

        // The Server object (Part 5 §6.3.1) with what generic clients read on connect and for keep-alive.
        Add(2253, NodeClass.Object, "Server", 85, Organizes, ServerType);
        _nodes[ServerObject].Description = new LocalizedText(null, "FlowEngine OPC UA server");
        AddVariable(2254, "ServerArray", 2253, HasProperty, new NodeId(0, 12u), 1, () => Good(new Variant(BuiltInType.String, new object?[] { _applicationUri }, true)));
        AddVariable(2255, "NamespaceArray", 2253, HasProperty, new NodeId(0, 12u), 1, () => Good(new Variant(BuiltInType.String, new object?[] { "http://opcfoundation.org/UA/", NamespaceUri }, true)));
        AddVariable(2267, "ServiceLevel", 2253, HasProperty, new NodeId(0, 3u), -1, () => Good(new Variant(BuiltInType.Byte, (byte)255)));
        AddVariable(2256, "ServerStatus", 2253, HasComponent, ServerStatusDataType, -1, () => Good(new Variant(BuiltInType.ExtensionObject, ServerStatusValue())), ServerStatusType);
        AddVariable(2257, "StartTime", 2256, HasComponent, UtcTime, -1, () => Good(new Variant(BuiltInType.DateTime, _startTime)));
        AddVariable(2258, "CurrentTime", 2256, HasComponent, UtcTime, -1, () => Good(new Variant(BuiltInType.DateTime, DateTime.UtcNow)));
        AddVariable(2259, "State", 2256, HasComponent, ServerStateType, -1, () => Good(new Variant(BuiltInType.Int32, ServerState)));
        AddVariable(2260, "BuildInfo", 2256, HasComponent, BuildInfoDataType, -1, () => Good(new Variant(BuiltInType.ExtensionObject, BuildInfoValue())), BuildInfoType);
        AddVariable(2262, "ProductUri", 2260, HasComponent, new NodeId(0, 12u), -1, () => Good(new Variant(BuiltInType.String, _productUri)));
        AddVariable(2263, "ManufacturerName", 2260, HasComponent, new NodeId(0, 12u), -1, () => Good(new Variant(BuiltInType.String, "FlowEngine")));
        AddVariable(2261, "ProductName", 2260, HasComponent, new NodeId(0, 12u), -1, () => Good(new Variant(BuiltInType.String, "FlowEngine OPC UA server")));
        AddVariable(2264, "SoftwareVersion", 2260, HasComponent, new NodeId(0, 12u), -1, () => Good(new Variant(BuiltInType.String, SoftwareVersion)));
        AddVariable(2265, "BuildNumber", 2260, HasComponent, new NodeId(0, 12u), -1, () => Good(new Variant(BuiltInType.String, SoftwareVersion)));
        AddVariable(2266, "BuildDate", 2260, HasComponent, UtcTime, -1, () => Good(new Variant(BuiltInType.DateTime, _startTime.Date)));
        AddVariable(2992, "SecondsTillShutdown", 2256, HasComponent, new NodeId(0, 7u), -1, () => Good(new Variant(BuiltInType.UInt32, 0u)));
        AddVariable(2993, "ShutdownReason", 2256, HasComponent, new NodeId(0, 21u), -1, () => Good(new Variant(BuiltInType.LocalizedText, new LocalizedText(null, null))));
    }

    private static string SoftwareVersion => typeof(AddressSpace).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static DataValue Good(Variant value) => new(value, StatusCode.Good, null, DateTime.UtcNow);

    private void WriteBuildInfo(UaBinaryWriter w)
    {
        w.WriteString(_productUri);
        w.WriteString("FlowEngine");
        w.WriteString("FlowEngine OPC UA server");
        w.WriteString(SoftwareVersion);
        w.WriteString(SoftwareVersion);
        w.WriteDateTime(_startTime.Date);
    }

    private ExtensionObject BuildInfoValue()
    {
        var w = new UaBinaryWriter();
        WriteBuildInfo(w);
        return new ExtensionObject(new NodeId(0, 340u), ExtensionObject.BinaryBody, w.ToArray());
    }

    /// <summary>ServerStatusDataType (Part 5 §12.10) in its binary encoding.</summary>
    private ExtensionObject ServerStatusValue()
    {
        var w = new UaBinaryWriter();
        w.WriteDateTime(_startTime);
        w.WriteDateTime(DateTime.UtcNow);
        w.WriteInt32(ServerState);
        WriteBuildInfo(w);
        w.WriteUInt32(0);
        w.WriteLocalizedText(new LocalizedText(null, null));
        return new ExtensionObject(new NodeId(0, ServiceIds.ServerStatusDataType), ExtensionObject.BinaryBody, w.ToArray());
    }

    // ---------------------------------------------------------------- attributes (Read service)

    /// <summary>Reads one attribute (Part 4 §5.10.2); BadAttributeIdInvalid for an attribute the node class does not have.</summary>
    internal DataValue ReadAttribute(ServerNode node, uint attributeId, string? indexRange)
    {
        Variant? result = attributeId switch
        {
            AttributeIds.NodeId => new Variant(BuiltInType.NodeId, node.NodeId),
            AttributeIds.NodeClass => new Variant(BuiltInType.Int32, (int)node.NodeClass),
            AttributeIds.BrowseName => new Variant(BuiltInType.QualifiedName, node.BrowseName),
            AttributeIds.DisplayName => new Variant(BuiltInType.LocalizedText, node.DisplayName),
            AttributeIds.Description => new Variant(BuiltInType.LocalizedText, node.Description ?? new LocalizedText(null, null)),
            AttributeIds.WriteMask or AttributeIds.UserWriteMask => new Variant(BuiltInType.UInt32, 0u),
            AttributeIds.IsAbstract when node.NodeClass is NodeClass.ObjectType or NodeClass.VariableType or NodeClass.DataType or NodeClass.ReferenceType => new Variant(BuiltInType.Boolean, node.IsAbstract),
            AttributeIds.Symmetric when node.NodeClass == NodeClass.ReferenceType => new Variant(BuiltInType.Boolean, node.Symmetric),
            AttributeIds.InverseName when node.NodeClass == NodeClass.ReferenceType => new Variant(BuiltInType.LocalizedText, new LocalizedText(null, node.InverseName)),
            AttributeIds.EventNotifier when node.NodeClass is NodeClass.Object or NodeClass.View => new Variant(BuiltInType.Byte, (byte)0),
            AttributeIds.ContainsNoLoops when node.NodeClass == NodeClass.View => new Variant(BuiltInType.Boolean, true),
            _ => null,
        };
        if (result is not null) return new DataValue(result, StatusCode.Good);
        if (node is ServerVariable variable)
        {
            switch (attributeId)
            {
                case AttributeIds.Value:
                    var value = variable.Value;
                    return string.IsNullOrEmpty(indexRange) ? value : ApplyIndexRange(value, indexRange);
                case AttributeIds.DataType: return new DataValue(new Variant(BuiltInType.NodeId, variable.DataType), StatusCode.Good);
                case AttributeIds.ValueRank: return new DataValue(new Variant(BuiltInType.Int32, variable.ValueRank), StatusCode.Good);
                case AttributeIds.ArrayDimensions:
                    return variable.ValueRank == 1
                        ? new DataValue(new Variant(BuiltInType.UInt32, new object?[] { 0u }, true), StatusCode.Good)
                        : new DataValue(new Variant(BuiltInType.UInt32, null, true), StatusCode.Good);
                case AttributeIds.AccessLevel:
                case AttributeIds.UserAccessLevel: return new DataValue(new Variant(BuiltInType.Byte, variable.AccessLevel), StatusCode.Good);
                case AttributeIds.MinimumSamplingInterval: return new DataValue(new Variant(BuiltInType.Double, variable.MinimumSamplingInterval), StatusCode.Good);
                case AttributeIds.Historizing: return new DataValue(new Variant(BuiltInType.Boolean, false), StatusCode.Good);
            }
        }
        return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadAttributeIdInvalid));
    }

    /// <summary>NumericRange "i" or "i:j" (Part 4 §7.27) on a one-dimensional array or a string.</summary>
    internal static DataValue ApplyIndexRange(DataValue value, string range)
    {
        var parts = range.Split(':');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first) ||
            (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var check) || check <= first)))
            return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadIndexRangeInvalid));
        var last = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : first;
        if (value.Value is { IsArray: true, Value: object?[] items, Dimensions: null or { Length: <= 1 } })
        {
            if (first >= items.Length) return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadIndexRangeNoData));
            var slice = items[first..Math.Min(last + 1, items.Length)];
            return value with { Value = new Variant(value.Value.Type, slice, true) };
        }
        if (value.Value is { IsArray: false, Value: string text })
        {
            if (first >= text.Length) return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadIndexRangeNoData));
            return value with { Value = new Variant(BuiltInType.String, text[first..Math.Min(last + 1, text.Length)]) };
        }
        return new DataValue(Variant.Null, new StatusCode(StatusCodes.BadIndexRangeNoData));
    }

    /// <summary>
    /// Checks a client's write of the Value attribute (Part 4 §5.10.4): writable variable, matching built-in type and
    /// rank. Returns Good or the status to answer.
    /// </summary>
    internal static uint CheckWrite(ServerNode? node, uint attributeId, string? indexRange, DataValue value)
    {
        if (node is null) return StatusCodes.BadNodeIdUnknown;
        if (attributeId is 0 or > 27) return StatusCodes.BadAttributeIdInvalid;
        if (attributeId != AttributeIds.Value) return StatusCodes.BadNotWritable;
        if (node is not ServerVariable variable) return StatusCodes.BadAttributeIdInvalid;
        if (!variable.Writable || variable.Getter is not null) return StatusCodes.BadNotWritable;
        if (!string.IsNullOrEmpty(indexRange)) return StatusCodes.BadWriteNotSupported;
        var expected = variable.ElementType;
        if (value.Value.Type == BuiltInType.Null) return StatusCodes.BadTypeMismatch;
        if (expected is { } type && value.Value.Type != type) return StatusCodes.BadTypeMismatch;
        if ((variable.ValueRank == 1) != value.Value.IsArray) return StatusCodes.BadTypeMismatch;
        if (value.Value.IsArray && value.Value.Dimensions is { Length: > 1 }) return StatusCodes.BadTypeMismatch;
        return StatusCodes.Good;
    }

    internal static UaStatusException Unknown(NodeId nodeId) => new(StatusCodes.BadNodeIdUnknown, $"node {nodeId} is not in the address space");
}
