using System.Globalization;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus.Protocol.Client;

/// <summary>
/// The device answered with an exception response (Modbus Application Protocol v1.1b3 §7): it is alive but refused
/// the request. <see cref="CodeName"/> is the spec's name for the code.
/// </summary>
public sealed class ModbusException(ModbusExceptionCode code, ModbusRequest request, byte unitId)
    : Exception(Describe(code, request, unitId))
{
    public ModbusExceptionCode Code { get; } = code;
    public ModbusFunction Function => Request.Function;
    public ModbusRequest Request { get; } = request;
    public byte UnitId { get; } = unitId;
    public string CodeName => Name(Code);

    /// <summary>The spec's wording (§7) for each exception code, or "Unknown exception" for codes it does not define.</summary>
    public static string Name(ModbusExceptionCode code) => code switch
    {
        ModbusExceptionCode.IllegalFunction => "Illegal Function",
        ModbusExceptionCode.IllegalDataAddress => "Illegal Data Address",
        ModbusExceptionCode.IllegalDataValue => "Illegal Data Value",
        ModbusExceptionCode.ServerDeviceFailure => "Server Device Failure",
        ModbusExceptionCode.Acknowledge => "Acknowledge",
        ModbusExceptionCode.ServerDeviceBusy => "Server Device Busy",
        ModbusExceptionCode.MemoryParityError => "Memory Parity Error",
        ModbusExceptionCode.GatewayPathUnavailable => "Gateway Path Unavailable",
        ModbusExceptionCode.GatewayTargetDeviceFailedToRespond => "Gateway Target Device Failed to Respond",
        _ => "Unknown exception",
    };

    private static string Describe(ModbusExceptionCode code, ModbusRequest request, byte unitId) =>
        string.Create(CultureInfo.InvariantCulture, $"Modbus exception {(byte)code:X2} {Name(code)} for {request} (unit {unitId})");
}

/// <summary>No response arrived within the request timeout.</summary>
public sealed class ModbusTimeoutException(string message) : TimeoutException(message);

/// <summary>The response did not fit the request (wrong function, wrong size, wrong unit).</summary>
public sealed class ModbusProtocolException(string message) : Exception(message);
