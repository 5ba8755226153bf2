using System.Globalization;

namespace FlowEngine.Nodes.S7.Protocol;

/// <summary>The per-item return code of a read or write response (S7comm "return code" byte).</summary>
internal enum S7ReturnCode : byte
{
    Reserved = 0x00,
    HardwareFault = 0x01,
    AccessDenied = 0x03,
    AddressOutOfRange = 0x05,
    DataTypeNotSupported = 0x06,
    DataTypeInconsistent = 0x07,
    ObjectDoesNotExist = 0x0A,
    Success = 0xFF,
}

/// <summary>Anything that went wrong talking to a PLC.</summary>
internal abstract class S7Exception(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The PLC refused one item (the device answered: the connection is fine).</summary>
internal sealed class S7ItemException(S7ReturnCode code, string item) : S7Exception($"{item}: {Describe(code)}")
{
    public S7ReturnCode Code { get; } = code;

    public string CodeName => Describe(Code);

    public static string Describe(S7ReturnCode code) => code switch
    {
        S7ReturnCode.HardwareFault => "hardware fault",
        S7ReturnCode.AccessDenied => "access denied",
        S7ReturnCode.AddressOutOfRange => "address out of range",
        S7ReturnCode.DataTypeNotSupported => "data type not supported",
        S7ReturnCode.DataTypeInconsistent => "data type inconsistent",
        S7ReturnCode.ObjectDoesNotExist => "object does not exist",
        _ => string.Create(CultureInfo.InvariantCulture, $"return code 0x{(byte)code:X2}"),
    };
}

/// <summary>The PLC rejected the whole request with an error class and code in the S7 header.</summary>
internal sealed class S7ResponseException(byte errorClass, byte errorCode)
    : S7Exception(string.Create(CultureInfo.InvariantCulture, $"PLC rejected the request: {Describe(errorClass, errorCode)}"))
{
    public byte ErrorClass { get; } = errorClass;
    public byte ErrorCode { get; } = errorCode;

    private static string Describe(byte errorClass, byte errorCode)
    {
        var kind = errorClass switch
        {
            0x81 => "application relationship error",
            0x82 => "object definition error",
            0x83 => "no resources available",
            0x84 => "error on service processing",
            0x85 => "error on supplies",
            0x87 => "access error",
            _ => "error",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{kind} (class 0x{errorClass:X2}, code 0x{errorCode:X2})");
    }
}

/// <summary>No answer within the timeout; the connection is closed because a late answer would be mismatched.</summary>
internal sealed class S7TimeoutException(string message) : S7Exception(message);

/// <summary>The TCP connection, ISO connection or S7 setup failed or was lost.</summary>
internal sealed class S7ConnectionException(string message, Exception? inner = null) : S7Exception(message, inner);

/// <summary>The peer sent bytes that are not valid ISO-on-TCP / S7comm.</summary>
internal sealed class S7ProtocolException(string message) : S7Exception(message);

/// <summary>A value that cannot be written to a variable of that type.</summary>
internal sealed class S7ValueException(string message) : Exception(message);
