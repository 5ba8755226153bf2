using System.Collections.Frozen;
using System.Globalization;

namespace FlowEngine.Nodes.OpcUa.Protocol.Encoding;

/// <summary>
/// A 32-bit status code (Part 4 §7.39): the top two bits give the severity (00 Good, 01 Uncertain, 10 Bad), bits
/// 16..29 the code; the low bits carry info flags (overflow, limits) that do not change the meaning.
/// </summary>
public readonly record struct StatusCode(uint Code)
{
    public static readonly StatusCode Good = new(0);

    public bool IsGood => (Code & 0xC0000000) == 0;
    public bool IsUncertain => (Code & 0xC0000000) == 0x40000000;
    public bool IsBad => (Code & 0x80000000) != 0;

    /// <summary>The code without its info bits, as the name table has it.</summary>
    public uint Base => Code & 0xFFFF0000;

    public string Name => StatusCodes.NameOf(Code);

    public override string ToString() => Name;
}

/// <summary>Names of the standard status codes this client meets (values from the OPC Foundation's StatusCode.csv).</summary>
public static class StatusCodes
{
    public const uint Good = 0x00000000;
    public const uint BadUnexpectedError = 0x80010000;
    public const uint BadInternalError = 0x80020000;
    public const uint BadOutOfMemory = 0x80030000;
    public const uint BadResourceUnavailable = 0x80040000;
    public const uint BadCommunicationError = 0x80050000;
    public const uint BadEncodingError = 0x80060000;
    public const uint BadDecodingError = 0x80070000;
    public const uint BadEncodingLimitsExceeded = 0x80080000;
    public const uint BadRequestTooLarge = 0x80B80000;
    public const uint BadResponseTooLarge = 0x80B90000;
    public const uint BadUnknownResponse = 0x80090000;
    public const uint BadTimeout = 0x800A0000;
    public const uint BadServiceUnsupported = 0x800B0000;
    public const uint BadShutdown = 0x800C0000;
    public const uint BadServerNotConnected = 0x800D0000;
    public const uint BadServerHalted = 0x800E0000;
    public const uint BadNothingToDo = 0x800F0000;
    public const uint BadTooManyOperations = 0x80100000;
    public const uint BadDataTypeIdUnknown = 0x80110000;
    public const uint BadCertificateInvalid = 0x80120000;
    public const uint BadSecurityChecksFailed = 0x80130000;
    public const uint BadCertificateTimeInvalid = 0x80140000;
    public const uint BadCertificateUriInvalid = 0x80170000;
    public const uint BadCertificateUseNotAllowed = 0x80180000;
    public const uint BadCertificateUntrusted = 0x801A0000;
    public const uint BadCertificateRevoked = 0x801D0000;
    public const uint BadUserAccessDenied = 0x801F0000;
    public const uint BadIdentityTokenInvalid = 0x80200000;
    public const uint BadIdentityTokenRejected = 0x80210000;
    public const uint BadSecureChannelIdInvalid = 0x80220000;
    public const uint BadInvalidTimestamp = 0x80230000;
    public const uint BadNonceInvalid = 0x80240000;
    public const uint BadSessionIdInvalid = 0x80250000;
    public const uint BadSessionClosed = 0x80260000;
    public const uint BadSessionNotActivated = 0x80270000;
    public const uint BadSubscriptionIdInvalid = 0x80280000;
    public const uint BadRequestHeaderInvalid = 0x802A0000;
    public const uint BadTimestampsToReturnInvalid = 0x802B0000;
    public const uint BadRequestCancelledByClient = 0x802C0000;
    public const uint GoodSubscriptionTransferred = 0x002D0000;
    public const uint GoodCompletesAsynchronously = 0x002E0000;
    public const uint GoodOverload = 0x002F0000;
    public const uint GoodClamped = 0x00300000;
    public const uint BadNoCommunication = 0x80310000;
    public const uint BadWaitingForInitialData = 0x80320000;
    public const uint BadNodeIdInvalid = 0x80330000;
    public const uint BadNodeIdUnknown = 0x80340000;
    public const uint BadAttributeIdInvalid = 0x80350000;
    public const uint BadIndexRangeInvalid = 0x80360000;
    public const uint BadIndexRangeNoData = 0x80370000;
    public const uint BadDataEncodingInvalid = 0x80380000;
    public const uint BadDataEncodingUnsupported = 0x80390000;
    public const uint BadNotReadable = 0x803A0000;
    public const uint BadNotWritable = 0x803B0000;
    public const uint BadOutOfRange = 0x803C0000;
    public const uint BadNotSupported = 0x803D0000;
    public const uint BadNotFound = 0x803E0000;
    public const uint BadObjectDeleted = 0x803F0000;
    public const uint BadNotImplemented = 0x80400000;
    public const uint BadMonitoringModeInvalid = 0x80410000;
    public const uint BadMonitoredItemIdInvalid = 0x80420000;
    public const uint BadMonitoredItemFilterInvalid = 0x80430000;
    public const uint BadMonitoredItemFilterUnsupported = 0x80440000;
    public const uint BadFilterNotAllowed = 0x80450000;
    public const uint BadContinuationPointInvalid = 0x804A0000;
    public const uint BadNoContinuationPoints = 0x804B0000;
    public const uint BadReferenceTypeIdInvalid = 0x804C0000;
    public const uint BadBrowseDirectionInvalid = 0x804D0000;
    public const uint BadNodeNotInView = 0x804E0000;
    public const uint BadServerUriInvalid = 0x804F0000;
    public const uint BadServerNameMissing = 0x80500000;
    public const uint BadDiscoveryUrlMissing = 0x80510000;
    public const uint BadSempahoreFileMissing = 0x80520000;
    public const uint BadRequestTypeInvalid = 0x80530000;
    public const uint BadSecurityModeRejected = 0x80540000;
    public const uint BadSecurityPolicyRejected = 0x80550000;
    public const uint BadTooManySessions = 0x80560000;
    public const uint BadUserSignatureInvalid = 0x80570000;
    public const uint BadApplicationSignatureInvalid = 0x80580000;
    public const uint BadNoValidCertificates = 0x80590000;
    public const uint BadRequestCancelledByRequest = 0x805A0000;
    public const uint BadParentNodeIdInvalid = 0x805B0000;
    public const uint BadNoMatch = 0x806F0000;
    public const uint BadTooManySubscriptions = 0x80770000;
    public const uint BadTooManyPublishRequests = 0x80780000;
    public const uint BadNoSubscription = 0x80790000;
    public const uint BadSequenceNumberUnknown = 0x807A0000;
    public const uint BadMessageNotAvailable = 0x807B0000;
    public const uint BadInsufficientClientProfile = 0x807C0000;
    public const uint BadTcpServerTooBusy = 0x807D0000;
    public const uint BadTcpMessageTypeInvalid = 0x807E0000;
    public const uint BadTcpSecureChannelUnknown = 0x807F0000;
    public const uint BadTcpMessageTooLarge = 0x80800000;
    public const uint BadTcpNotEnoughResources = 0x80810000;
    public const uint BadTcpInternalError = 0x80820000;
    public const uint BadTcpEndpointUrlInvalid = 0x80830000;
    public const uint BadRequestInterrupted = 0x80840000;
    public const uint BadRequestTimeout = 0x80850000;
    public const uint BadSecureChannelClosed = 0x80860000;
    public const uint BadSecureChannelTokenUnknown = 0x80870000;
    public const uint BadSequenceNumberInvalid = 0x80880000;
    public const uint BadConfigurationError = 0x80890000;
    public const uint BadNotConnected = 0x808A0000;
    public const uint BadDeviceFailure = 0x808B0000;
    public const uint BadSensorFailure = 0x808C0000;
    public const uint BadOutOfService = 0x808D0000;
    public const uint BadDeadbandFilterInvalid = 0x808E0000;
    public const uint UncertainNoCommunicationLastUsableValue = 0x408F0000;
    public const uint UncertainLastUsableValue = 0x40900000;
    public const uint UncertainSubstituteValue = 0x40910000;
    public const uint UncertainInitialValue = 0x40920000;
    public const uint UncertainSensorNotAccurate = 0x40930000;
    public const uint UncertainEngineeringUnitsExceeded = 0x40940000;
    public const uint UncertainSubNormal = 0x40950000;
    public const uint GoodLocalOverride = 0x00960000;
    public const uint BadRefreshInProgress = 0x80970000;
    public const uint BadConditionAlreadyDisabled = 0x80980000;
    public const uint BadTypeMismatch = 0x80740000;
    public const uint BadMethodInvalid = 0x80750000;
    public const uint BadArgumentsMissing = 0x80760000;
    public const uint BadTooManyMonitoredItems = 0x80DB0000;
    public const uint BadInvalidArgument = 0x80AB0000;
    public const uint BadConnectionRejected = 0x80AC0000;
    public const uint BadDisconnect = 0x80AD0000;
    public const uint BadConnectionClosed = 0x80AE0000;
    public const uint BadInvalidState = 0x80AF0000;
    public const uint BadEndOfStream = 0x80B00000;
    public const uint BadNoDataAvailable = 0x80B10000;
    public const uint BadWaitingForResponse = 0x80B20000;
    public const uint BadOperationAbandoned = 0x80B30000;
    public const uint BadExpectedStreamToBlock = 0x80B40000;
    public const uint BadWouldBlock = 0x80B50000;
    public const uint BadSyntaxError = 0x80B60000;
    public const uint BadMaxConnectionsReached = 0x80B70000;
    public const uint BadWriteNotSupported = 0x80730000;
    public const uint BadUserAccessDeniedSession = 0x80C70000;
    public const uint BadIdentityChangeNotSupported = 0x80C60000;
    public const uint BadNoDeleteRights = 0x80C80000;
    public const uint BadLicenseExpired = 0x810E0000;
    public const uint BadDataLost = 0x809D0000;
    public const uint BadNoData = 0x809B0000;
    public const uint GoodMoreData = 0x00A60000;
    public const uint GoodNoData = 0x00A50000;
    public const uint GoodCommunicationEvent = 0x00A70000;
    public const uint GoodShutdownEvent = 0x00A80000;
    public const uint GoodCallAgain = 0x00A90000;
    public const uint GoodNonCriticalTimeout = 0x00AA0000;
    public const uint BadCertificateHostNameInvalid = 0x80160000;
    public const uint BadCertificateIssuerTimeInvalid = 0x80150000;
    public const uint BadCertificateIssuerUseNotAllowed = 0x80190000;
    public const uint BadCertificateIssuerRevocationUnknown = 0x801C0000;
    public const uint BadCertificateRevocationUnknown = 0x801B0000;
    public const uint BadCertificateIssuerRevoked = 0x801E0000;
    public const uint BadCertificateChainIncomplete = 0x810D0000;
    public const uint BadEntryExists = 0x809F0000;
    public const uint BadViewIdUnknown = 0x806B0000;
    public const uint BadMaxAgeInvalid = 0x80700000;
    public const uint BadBrowseNameInvalid = 0x80600000;

    private static readonly FrozenDictionary<uint, string> Names = typeof(StatusCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(uint))
        .GroupBy(f => (uint)f.GetRawConstantValue()!)
        .ToFrozenDictionary(g => g.Key, g => g.First().Name);

    /// <summary>"BadNotWritable", or the hex form with the severity for a code outside the table.</summary>
    public static string NameOf(uint code)
    {
        if (Names.TryGetValue(code, out var name)) return name;
        if (Names.TryGetValue(code & 0xFFFF0000, out name)) return name;
        var severity = (code & 0xC0000000) switch { 0 => "Good", 0x40000000 => "Uncertain", _ => "Bad" };
        return string.Create(CultureInfo.InvariantCulture, $"{severity}(0x{code:X8})");
    }

    public static bool TryParse(string name, out uint code)
    {
        foreach (var (value, known) in Names)
        {
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase))
            {
                code = value;
                return true;
            }
        }
        code = 0;
        return false;
    }
}
