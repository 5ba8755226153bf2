using System.Globalization;
using System.Text;
using static System.FormattableString;

namespace FlowEngine.Nodes.Modbus.Protocol.Frames;

/// <summary>The public function codes this stack speaks (Modbus Application Protocol v1.1b3 §5.1, §6).</summary>
public enum ModbusFunction : byte
{
    ReadCoils = 0x01,
    ReadDiscreteInputs = 0x02,
    ReadHoldingRegisters = 0x03,
    ReadInputRegisters = 0x04,
    WriteSingleCoil = 0x05,
    WriteSingleRegister = 0x06,
    WriteMultipleCoils = 0x0F,
    WriteMultipleRegisters = 0x10,
    ReadWriteMultipleRegisters = 0x17,
}

/// <summary>The four primary tables of the Modbus data model (Modbus Application Protocol v1.1b3 §4.3).</summary>
public enum ModbusArea
{
    Coils,
    DiscreteInputs,
    HoldingRegisters,
    InputRegisters,
}

/// <summary>Exception codes a server answers with (Modbus Application Protocol v1.1b3 §7).</summary>
public enum ModbusExceptionCode : byte
{
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetDeviceFailedToRespond = 0x0B,
}

/// <summary>
/// The MBAP header in front of every Modbus TCP PDU (MODBUS Messaging on TCP/IP Implementation Guide v1.0b §3.1.3):
/// transaction id, protocol id (0 = Modbus), length of the bytes that follow (unit id + PDU), unit id.
/// </summary>
public readonly record struct MbapHeader(ushort TransactionId, ushort ProtocolId, ushort Length, byte UnitId)
{
    /// <summary>Length of the PDU that follows the header.</summary>
    public int PduLength => Length - 1;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"MBAP tid={TransactionId} proto={ProtocolId} len={Length} unit={UnitId}");
}

/// <summary>One Modbus TCP frame: the header fields that matter plus the PDU bytes (function code first).</summary>
public sealed record ModbusTcpFrame(ushort TransactionId, byte UnitId, byte[] Pdu)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"frame tid={TransactionId} unit={UnitId} pdu={Convert.ToHexString(Pdu)}");
}

/// <summary>A request PDU.</summary>
public abstract record ModbusRequest(ModbusFunction Function)
{
    /// <summary>The first data address the request touches, for messages and audit lines.</summary>
    public abstract ushort Address { get; }
}

/// <summary>FC1 Read Coils or FC2 Read Discrete Inputs (§6.1, §6.2).</summary>
public sealed record ReadBitsRequest(ModbusFunction Function, ushort StartAddress, ushort Quantity) : ModbusRequest(Function)
{
    public override ushort Address => StartAddress;
    public override string ToString() => Invariant($"{Function} start={StartAddress} qty={Quantity}");
}

/// <summary>FC3 Read Holding Registers or FC4 Read Input Registers (§6.3, §6.4).</summary>
public sealed record ReadRegistersRequest(ModbusFunction Function, ushort StartAddress, ushort Quantity) : ModbusRequest(Function)
{
    public override ushort Address => StartAddress;
    public override string ToString() => Invariant($"{Function} start={StartAddress} qty={Quantity}");
}

/// <summary>FC5 Write Single Coil (§6.5).</summary>
public sealed record WriteSingleCoilRequest(ushort OutputAddress, bool Value) : ModbusRequest(ModbusFunction.WriteSingleCoil)
{
    public override ushort Address => OutputAddress;
    public override string ToString() => Invariant($"{Function} addr={OutputAddress} value={(Value ? "ON" : "OFF")}");
}

/// <summary>FC6 Write Single Register (§6.6).</summary>
public sealed record WriteSingleRegisterRequest(ushort RegisterAddress, ushort Value) : ModbusRequest(ModbusFunction.WriteSingleRegister)
{
    public override ushort Address => RegisterAddress;
    public override string ToString() => Invariant($"{Function} addr={RegisterAddress} value=0x{Value:X4}");
}

/// <summary>FC15 Write Multiple Coils (§6.11).</summary>
public sealed record WriteMultipleCoilsRequest(ushort StartAddress, bool[] Values) : ModbusRequest(ModbusFunction.WriteMultipleCoils)
{
    public override ushort Address => StartAddress;
    public override string ToString() => Invariant($"{Function} start={StartAddress} values=[{Frame.Bits(Values)}]");
}

/// <summary>FC16 Write Multiple Registers (§6.12).</summary>
public sealed record WriteMultipleRegistersRequest(ushort StartAddress, ushort[] Values) : ModbusRequest(ModbusFunction.WriteMultipleRegisters)
{
    public override ushort Address => StartAddress;
    public override string ToString() => Invariant($"{Function} start={StartAddress} values=[{Frame.Words(Values)}]");
}

/// <summary>FC23 Read/Write Multiple Registers (§6.17): the write is performed before the read.</summary>
public sealed record ReadWriteMultipleRegistersRequest(ushort ReadStartAddress, ushort ReadQuantity, ushort WriteStartAddress, ushort[] WriteValues)
    : ModbusRequest(ModbusFunction.ReadWriteMultipleRegisters)
{
    public override ushort Address => WriteStartAddress;
    public override string ToString() =>
        Invariant($"{Function} read start={ReadStartAddress} qty={ReadQuantity} write start={WriteStartAddress} values=[{Frame.Words(WriteValues)}]");
}

/// <summary>A response PDU.</summary>
public abstract record ModbusResponse(ModbusFunction Function);

/// <summary>FC1/FC2 response. The PDU carries whole bytes, so <see cref="Values"/> has 8 × byte count bits; the client trims to the quantity asked for.</summary>
public sealed record ReadBitsResponse(ModbusFunction Function, bool[] Values) : ModbusResponse(Function)
{
    public override string ToString() => Invariant($"{Function} response bits=[{Frame.Bits(Values)}]");
}

/// <summary>FC3/FC4/FC23 response.</summary>
public sealed record ReadRegistersResponse(ModbusFunction Function, ushort[] Values) : ModbusResponse(Function)
{
    public override string ToString() => Invariant($"{Function} response registers=[{Frame.Words(Values)}]");
}

/// <summary>FC5 response: an echo of the request (§6.5).</summary>
public sealed record WriteSingleCoilResponse(ushort OutputAddress, bool Value) : ModbusResponse(ModbusFunction.WriteSingleCoil)
{
    public override string ToString() => Invariant($"{Function} response addr={OutputAddress} value={(Value ? "ON" : "OFF")}");
}

/// <summary>FC6 response: an echo of the request (§6.6).</summary>
public sealed record WriteSingleRegisterResponse(ushort RegisterAddress, ushort Value) : ModbusResponse(ModbusFunction.WriteSingleRegister)
{
    public override string ToString() => Invariant($"{Function} response addr={RegisterAddress} value=0x{Value:X4}");
}

/// <summary>FC15/FC16 response: start address and quantity written (§6.11, §6.12).</summary>
public sealed record WriteMultipleResponse(ModbusFunction Function, ushort StartAddress, ushort Quantity) : ModbusResponse(Function)
{
    public override string ToString() => Invariant($"{Function} response start={StartAddress} qty={Quantity}");
}

/// <summary>An exception response: function code + 0x80, then the exception code (§7).</summary>
public sealed record ExceptionResponse(ModbusFunction Function, ModbusExceptionCode Code) : ModbusResponse(Function)
{
    public override string ToString() => Invariant($"{Function} exception {(byte)Code:X2} {Code}");
}

file static class Frame
{
    public static string Bits(bool[] values)
    {
        var text = new StringBuilder(values.Length * 2);
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(values[i] ? '1' : '0');
        }
        return text.ToString();
    }

    public static string Words(ushort[] values) =>
        string.Join(",", values.Select(v => "0x" + v.ToString("X4", CultureInfo.InvariantCulture)));
}
