using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Services;

/// <summary>Binary encoding ids ("..._Encoding_DefaultBinary") of the service messages and structures used (Part 6 Annex A, NodeIds.csv).</summary>
public static class ServiceIds
{
    public const uint ServiceFault = 397;
    public const uint OpenSecureChannelRequest = 446;
    public const uint OpenSecureChannelResponse = 449;
    public const uint CloseSecureChannelRequest = 452;
    public const uint GetEndpointsRequest = 428;
    public const uint GetEndpointsResponse = 431;
    public const uint CreateSessionRequest = 461;
    public const uint CreateSessionResponse = 464;
    public const uint ActivateSessionRequest = 467;
    public const uint ActivateSessionResponse = 470;
    public const uint CloseSessionRequest = 473;
    public const uint CloseSessionResponse = 476;
    public const uint BrowseRequest = 527;
    public const uint BrowseResponse = 530;
    public const uint BrowseNextRequest = 533;
    public const uint BrowseNextResponse = 536;
    public const uint TranslateBrowsePathsToNodeIdsRequest = 554;
    public const uint TranslateBrowsePathsToNodeIdsResponse = 557;
    public const uint ReadRequest = 631;
    public const uint ReadResponse = 634;
    public const uint WriteRequest = 673;
    public const uint WriteResponse = 676;
    public const uint CallRequest = 712;
    public const uint CallResponse = 715;
    public const uint CreateMonitoredItemsRequest = 751;
    public const uint CreateMonitoredItemsResponse = 754;
    public const uint CreateSubscriptionRequest = 787;
    public const uint CreateSubscriptionResponse = 790;
    public const uint PublishRequest = 826;
    public const uint PublishResponse = 829;
    public const uint RepublishRequest = 832;
    public const uint RepublishResponse = 835;
    public const uint TransferSubscriptionsRequest = 841;
    public const uint TransferSubscriptionsResponse = 844;
    public const uint DeleteSubscriptionsRequest = 847;
    public const uint DeleteSubscriptionsResponse = 850;
    public const uint AnonymousIdentityToken = 321;
    public const uint UserNameIdentityToken = 324;
    public const uint DataChangeFilter = 724;
    public const uint DataChangeNotification = 811;
    public const uint StatusChangeNotification = 820;
    public const uint EventNotificationList = 916;
    public const uint FindServersRequest = 422;
    public const uint FindServersResponse = 425;
    public const uint RegisterNodesRequest = 560;
    public const uint RegisterNodesResponse = 563;
    public const uint UnregisterNodesRequest = 566;
    public const uint UnregisterNodesResponse = 569;
    public const uint ModifyMonitoredItemsRequest = 763;
    public const uint ModifyMonitoredItemsResponse = 766;
    public const uint SetMonitoringModeRequest = 769;
    public const uint SetMonitoringModeResponse = 772;
    public const uint DeleteMonitoredItemsRequest = 781;
    public const uint DeleteMonitoredItemsResponse = 784;
    public const uint ModifySubscriptionRequest = 793;
    public const uint ModifySubscriptionResponse = 796;
    public const uint SetPublishingModeRequest = 799;
    public const uint SetPublishingModeResponse = 802;
    public const uint X509IdentityToken = 327;
    public const uint IssuedIdentityToken = 940;
    public const uint ServerStatusDataType = 864;
}

/// <summary>RequestHeader (Part 4 §7.33).</summary>
public sealed record RequestHeader(NodeId AuthenticationToken, uint RequestHandle, TimeSpan TimeoutHint)
{
    public static RequestHeader Anonymous(uint handle, TimeSpan timeout) => new(NodeId.Null, handle, timeout);

    /// <summary>Reads a request header (server side); the audit entry and additional header are skipped.</summary>
    public static RequestHeader Read(UaBinaryReader r)
    {
        var token = r.ReadNodeId();
        r.ReadDateTime();
        var handle = r.ReadUInt32();
        r.ReadUInt32(); // return diagnostics
        r.ReadString(); // audit entry id
        var timeout = r.ReadUInt32();
        r.ReadExtensionObject();
        return new RequestHeader(token, handle, TimeSpan.FromMilliseconds(timeout));
    }

    public void Write(UaBinaryWriter w)
    {
        w.WriteNodeId(AuthenticationToken);
        w.WriteDateTime(DateTime.UtcNow);
        w.WriteUInt32(RequestHandle);
        w.WriteUInt32(0); // return diagnostics: none
        w.WriteString(null); // audit entry id
        w.WriteUInt32((uint)Math.Min(TimeoutHint.TotalMilliseconds, uint.MaxValue));
        w.WriteExtensionObject(ExtensionObject.Null);
    }
}

/// <summary>ResponseHeader (Part 4 §7.34).</summary>
public sealed record ResponseHeader(DateTime? Timestamp, uint RequestHandle, StatusCode ServiceResult, string?[] StringTable)
{
    /// <summary>A server's header: no diagnostics, no string table, no additional header.</summary>
    public static void Write(UaBinaryWriter w, uint requestHandle, uint serviceResult, DateTime timestamp)
    {
        w.WriteDateTime(timestamp);
        w.WriteUInt32(requestHandle);
        w.WriteUInt32(serviceResult);
        w.WriteByte(0); // service diagnostics: none
        w.WriteInt32(0); // string table
        w.WriteExtensionObject(ExtensionObject.Null);
    }

    public static ResponseHeader Read(UaBinaryReader r)
    {
        var timestamp = r.ReadDateTime();
        var handle = r.ReadUInt32();
        var result = r.ReadStatusCode();
        r.ReadDiagnosticInfo();
        var strings = r.ReadArray(r.ReadString) ?? [];
        r.ReadExtensionObject();
        return new ResponseHeader(timestamp, handle, result, strings);
    }
}

public static class ServiceMessages
{
    /// <summary>Type id, request header, body: one whole service request as the secure channel sends it.</summary>
    public static byte[] Encode(uint encodingId, RequestHeader header, Action<UaBinaryWriter> body)
    {
        var w = new UaBinaryWriter();
        w.WriteNodeId(new NodeId(0, encodingId));
        header.Write(w);
        body(w);
        return w.ToArray();
    }

    /// <summary>
    /// Reads the type id and response header; a ServiceFault or a Bad service result becomes a
    /// <see cref="UaStatusException"/>. Returns the reader placed at the response body.
    /// </summary>
    public static UaBinaryReader OpenResponse(byte[] message, uint expectedId) => OpenResponse(message, expectedId, out _);

    public static UaBinaryReader OpenResponse(byte[] message, uint expectedId, out ResponseHeader header)
    {
        var r = new UaBinaryReader(message);
        var typeId = r.ReadNodeId();
        header = ResponseHeader.Read(r);
        var isFault = typeId.IdType == NodeIdType.Numeric && (uint)typeId.Identifier == ServiceIds.ServiceFault;
        if (isFault || header.ServiceResult.IsBad)
            throw new UaStatusException(header.ServiceResult.Code, $"the server refused the request: {header.ServiceResult.Name}");
        if (typeId.IdType != NodeIdType.Numeric || (uint)typeId.Identifier != expectedId)
            throw new UaStatusException(StatusCodes.BadUnknownResponse, $"expected response type i={expectedId}, got {typeId}");
        return r;
    }
}
