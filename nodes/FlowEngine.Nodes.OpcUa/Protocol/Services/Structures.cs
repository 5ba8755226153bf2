using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;

namespace FlowEngine.Nodes.OpcUa.Protocol.Services;

/// <summary>Attribute ids (Part 6 Annex A.1).</summary>
public static class AttributeIds
{
    public const uint NodeId = 1;
    public const uint NodeClass = 2;
    public const uint BrowseName = 3;
    public const uint DisplayName = 4;
    public const uint Description = 5;
    public const uint WriteMask = 6;
    public const uint UserWriteMask = 7;
    public const uint IsAbstract = 8;
    public const uint Symmetric = 9;
    public const uint InverseName = 10;
    public const uint ContainsNoLoops = 11;
    public const uint EventNotifier = 12;
    public const uint Value = 13;
    public const uint DataType = 14;
    public const uint ValueRank = 15;
    public const uint ArrayDimensions = 16;
    public const uint AccessLevel = 17;
    public const uint UserAccessLevel = 18;
    public const uint MinimumSamplingInterval = 19;
    public const uint Historizing = 20;
    public const uint Executable = 21;
    public const uint UserExecutable = 22;
}

/// <summary>Well-known nodes of namespace 0 (Part 6 Annex A, NodeIds.csv).</summary>
public static class WellKnownNodes
{
    public static readonly NodeId RootFolder = new(0, 84u);
    public static readonly NodeId ObjectsFolder = new(0, 85u);
    public static readonly NodeId HierarchicalReferences = new(0, 33u);
    public static readonly NodeId References = new(0, 31u);
    public static readonly NodeId NamespaceArray = new(0, 2255u);
    public static readonly NodeId ServerStatusState = new(0, 2259u);
}

public enum NodeClass
{
    Unspecified = 0, Object = 1, Variable = 2, Method = 4, ObjectType = 8, VariableType = 16, ReferenceType = 32, DataType = 64, View = 128,
}

public enum TimestampsToReturn { Source = 0, Server = 1, Both = 2, Neither = 3 }

public enum UserTokenType { Anonymous = 0, UserName = 1, Certificate = 2, IssuedToken = 3 }

public sealed record ApplicationDescription(string? ApplicationUri, string? ProductUri, LocalizedText ApplicationName, int ApplicationType, string?[] DiscoveryUrls)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteString(ApplicationUri);
        w.WriteString(ProductUri);
        w.WriteLocalizedText(ApplicationName);
        w.WriteInt32(ApplicationType);
        w.WriteString(null); // gateway server uri
        w.WriteString(null); // discovery profile uri
        w.WriteArray(DiscoveryUrls, w.WriteString);
    }

    public static ApplicationDescription Read(UaBinaryReader r)
    {
        var uri = r.ReadString();
        var product = r.ReadString();
        var name = r.ReadLocalizedText();
        var type = r.ReadInt32();
        r.ReadString();
        r.ReadString();
        var urls = r.ReadArray(r.ReadString) ?? [];
        return new ApplicationDescription(uri, product, name, type, urls);
    }
}

public sealed record UserTokenPolicy(string? PolicyId, UserTokenType TokenType, string? SecurityPolicyUri)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteString(PolicyId);
        w.WriteInt32((int)TokenType);
        w.WriteString(null); // issued token type
        w.WriteString(null); // issuer endpoint url
        w.WriteString(SecurityPolicyUri);
    }

    public static UserTokenPolicy Read(UaBinaryReader r)
    {
        var id = r.ReadString();
        var type = (UserTokenType)r.ReadInt32();
        r.ReadString(); // issued token type
        r.ReadString(); // issuer endpoint url
        var policy = r.ReadString();
        return new UserTokenPolicy(id, type, policy);
    }
}

public sealed record EndpointDescription(string? EndpointUrl, ApplicationDescription Server, byte[]? ServerCertificate, MessageSecurityMode SecurityMode,
    string? SecurityPolicyUri, UserTokenPolicy[] UserIdentityTokens, string? TransportProfileUri, byte SecurityLevel)
{
    public static EndpointDescription Read(UaBinaryReader r) => new(
        r.ReadString(), ApplicationDescription.Read(r), r.ReadByteString(), (MessageSecurityMode)r.ReadInt32(), r.ReadString(),
        r.ReadArray(() => UserTokenPolicy.Read(r)) ?? [], r.ReadString(), r.ReadByte());

    public void Write(UaBinaryWriter w)
    {
        w.WriteString(EndpointUrl);
        Server.Write(w);
        w.WriteByteString(ServerCertificate);
        w.WriteInt32((int)SecurityMode);
        w.WriteString(SecurityPolicyUri);
        w.WriteArray(UserIdentityTokens, t => t.Write(w));
        w.WriteString(TransportProfileUri);
        w.WriteByte(SecurityLevel);
    }

    public override string ToString() => $"{EndpointUrl} {SecurityMode} {SecurityPolicyUris.ShortName(SecurityPolicyUri ?? "")}";
}

public sealed record ReferenceDescription(NodeId ReferenceTypeId, bool IsForward, ExpandedNodeId NodeId, QualifiedName BrowseName,
    LocalizedText DisplayName, NodeClass NodeClass, ExpandedNodeId TypeDefinition)
{
    public static ReferenceDescription Read(UaBinaryReader r) => new(
        r.ReadNodeId(), r.ReadBoolean(), r.ReadExpandedNodeId(), r.ReadQualifiedName(), r.ReadLocalizedText(), (NodeClass)r.ReadInt32(), r.ReadExpandedNodeId());
}

public sealed record BrowseResult(StatusCode Status, byte[]? ContinuationPoint, ReferenceDescription[] References)
{
    public static BrowseResult Read(UaBinaryReader r) => new(r.ReadStatusCode(), r.ReadByteString(), r.ReadArray(() => ReferenceDescription.Read(r)) ?? []);
}

public sealed record BrowseDescription(NodeId NodeId, int Direction = 0, NodeId? ReferenceTypeId = null, bool IncludeSubtypes = true, uint NodeClassMask = 0, uint ResultMask = 63)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteNodeId(NodeId);
        w.WriteInt32(Direction);
        w.WriteNodeId(ReferenceTypeId ?? WellKnownNodes.HierarchicalReferences);
        w.WriteBoolean(IncludeSubtypes);
        w.WriteUInt32(NodeClassMask);
        w.WriteUInt32(ResultMask);
    }
}

public sealed record RelativePathElement(QualifiedName TargetName, NodeId? ReferenceTypeId = null, bool IsInverse = false, bool IncludeSubtypes = true);

public sealed record BrowsePath(NodeId StartingNode, IReadOnlyList<RelativePathElement> Elements)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteNodeId(StartingNode);
        w.WriteArray(Elements, e =>
        {
            w.WriteNodeId(e.ReferenceTypeId ?? WellKnownNodes.HierarchicalReferences);
            w.WriteBoolean(e.IsInverse);
            w.WriteBoolean(e.IncludeSubtypes);
            w.WriteQualifiedName(e.TargetName);
        });
    }
}

public sealed record BrowsePathTarget(ExpandedNodeId TargetId, uint RemainingPathIndex);

public sealed record BrowsePathResult(StatusCode Status, BrowsePathTarget[] Targets)
{
    public static BrowsePathResult Read(UaBinaryReader r) => new(r.ReadStatusCode(), r.ReadArray(() => new BrowsePathTarget(r.ReadExpandedNodeId(), r.ReadUInt32())) ?? []);
}

public sealed record ReadValueId(NodeId NodeId, uint AttributeId = AttributeIds.Value, string? IndexRange = null)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteNodeId(NodeId);
        w.WriteUInt32(AttributeId);
        w.WriteString(IndexRange);
        w.WriteQualifiedName(new QualifiedName(0, null));
    }
}

public sealed record WriteValue(NodeId NodeId, DataValue Value, uint AttributeId = AttributeIds.Value, string? IndexRange = null)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteNodeId(NodeId);
        w.WriteUInt32(AttributeId);
        w.WriteString(IndexRange);
        w.WriteDataValue(Value);
    }
}

public sealed record CallMethodRequest(NodeId ObjectId, NodeId MethodId, IReadOnlyList<Variant> InputArguments)
{
    public void Write(UaBinaryWriter w)
    {
        w.WriteNodeId(ObjectId);
        w.WriteNodeId(MethodId);
        w.WriteArray(InputArguments, w.WriteVariant);
    }
}

public sealed record CallMethodResult(StatusCode Status, StatusCode[] InputArgumentResults, Variant[] OutputArguments)
{
    public static CallMethodResult Read(UaBinaryReader r)
    {
        var status = r.ReadStatusCode();
        var inputs = r.ReadArray(r.ReadStatusCode) ?? [];
        r.ReadArray(r.ReadDiagnosticInfo);
        var outputs = r.ReadArray(r.ReadVariant) ?? [];
        return new CallMethodResult(status, inputs, outputs);
    }
}

public enum DeadbandType : uint { None = 0, Absolute = 1, Percent = 2 }

public enum DataChangeTrigger { Status = 0, StatusValue = 1, StatusValueTimestamp = 2 }

/// <summary>DataChangeFilter (Part 4 §7.22.2).</summary>
public sealed record DataChangeFilter(DataChangeTrigger Trigger, DeadbandType DeadbandType, double DeadbandValue)
{
    public ExtensionObject ToExtensionObject()
    {
        var w = new UaBinaryWriter();
        w.WriteInt32((int)Trigger);
        w.WriteUInt32((uint)DeadbandType);
        w.WriteDouble(DeadbandValue);
        return new ExtensionObject(new NodeId(0, ServiceIds.DataChangeFilter), ExtensionObject.BinaryBody, w.ToArray());
    }
}

public sealed record MonitoredItemRequest(ReadValueId Item, uint ClientHandle, double SamplingInterval, uint QueueSize, bool DiscardOldest = true, DataChangeFilter? Filter = null)
{
    public void Write(UaBinaryWriter w)
    {
        Item.Write(w);
        w.WriteInt32(2); // MonitoringMode Reporting
        w.WriteUInt32(ClientHandle);
        w.WriteDouble(SamplingInterval);
        w.WriteExtensionObject(Filter?.ToExtensionObject());
        w.WriteUInt32(QueueSize);
        w.WriteBoolean(DiscardOldest);
    }
}

public sealed record MonitoredItemCreateResult(StatusCode Status, uint MonitoredItemId, double RevisedSamplingInterval, uint RevisedQueueSize)
{
    public static MonitoredItemCreateResult Read(UaBinaryReader r)
    {
        var result = new MonitoredItemCreateResult(r.ReadStatusCode(), r.ReadUInt32(), r.ReadDouble(), r.ReadUInt32());
        r.ReadExtensionObject(); // filter result
        return result;
    }
}

public sealed record MonitoredItemNotification(uint ClientHandle, DataValue Value);

/// <summary>A NotificationMessage (Part 4 §7.25) with the data changes and status changes it carried decoded.</summary>
public sealed record NotificationMessage(uint SequenceNumber, DateTime? PublishTime, IReadOnlyList<MonitoredItemNotification> DataChanges, StatusCode? StatusChange)
{
    public bool IsKeepAlive => DataChanges.Count == 0 && StatusChange is null;

    public static NotificationMessage Read(UaBinaryReader r)
    {
        var sequence = r.ReadUInt32();
        var time = r.ReadDateTime();
        var data = r.ReadArray(r.ReadExtensionObject) ?? [];
        var changes = new List<MonitoredItemNotification>();
        StatusCode? status = null;
        foreach (var notification in data)
        {
            if (notification.Body is null || notification.TypeId.IdType != NodeIdType.Numeric) continue;
            var body = new UaBinaryReader(notification.Body);
            switch ((uint)notification.TypeId.Identifier)
            {
                case ServiceIds.DataChangeNotification:
                    var items = body.ReadArray(() => new MonitoredItemNotification(body.ReadUInt32(), body.ReadDataValue())) ?? [];
                    changes.AddRange(items);
                    break;
                case ServiceIds.StatusChangeNotification:
                    status = body.ReadStatusCode();
                    break;
            }
        }
        return new NotificationMessage(sequence, time, changes, status);
    }
}

public sealed record PublishResult(uint SubscriptionId, uint[] AvailableSequenceNumbers, bool MoreNotifications, NotificationMessage Message, StatusCode[] AcknowledgeResults);

public sealed record SubscriptionParameters(double PublishingInterval, uint LifetimeCount, uint MaxKeepAliveCount, uint MaxNotificationsPerPublish = 0, byte Priority = 0);

public sealed record SubscriptionCreated(uint SubscriptionId, double RevisedPublishingInterval, uint RevisedLifetimeCount, uint RevisedMaxKeepAliveCount);
