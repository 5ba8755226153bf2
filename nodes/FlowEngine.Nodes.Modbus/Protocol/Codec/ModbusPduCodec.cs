using System.Buffers.Binary;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus.Protocol.Codec;

/// <summary>
/// A PDU that cannot be used. <see cref="Answer"/> is the exception code a server replies with (IllegalFunction,
/// IllegalDataValue per the request state diagrams of Modbus Application Protocol v1.1b3 §6); null means the bytes are
/// malformed beyond answering.
/// </summary>
public sealed class ModbusCodecException(string message, ModbusExceptionCode? answer = null) : Exception(message)
{
    public ModbusExceptionCode? Answer { get; } = answer;
}

/// <summary>Sizes the spec fixes.</summary>
public static class ModbusLimits
{
    /// <summary>§4.1: a PDU is at most 253 bytes (256-byte serial ADU minus address and CRC).</summary>
    public const int MaxPduLength = 253;
    /// <summary>TCP Implementation Guide §3.1.3: MBAP header of 7 bytes.</summary>
    public const int MbapLength = 7;
    /// <summary>TCP Implementation Guide §3.1.3: 253 + 7 = 260 bytes.</summary>
    public const int MaxAduLength = MbapLength + MaxPduLength;
    /// <summary>§6.1, §6.2: 1 to 2000 (0x7D0) coils or inputs per read.</summary>
    public const int MaxReadBits = 2000;
    /// <summary>§6.3, §6.4: 1 to 125 (0x7D) registers per read.</summary>
    public const int MaxReadRegisters = 125;
    /// <summary>§6.11: 1 to 1968 (0x7B0) coils per write.</summary>
    public const int MaxWriteCoils = 1968;
    /// <summary>§6.12: 1 to 123 (0x7B) registers per write.</summary>
    public const int MaxWriteRegisters = 123;
    /// <summary>§6.17: read quantity 1 to 125 (0x7D), write quantity 1 to 121 (0x79).</summary>
    public const int MaxReadWriteReadRegisters = 125;
    public const int MaxReadWriteWriteRegisters = 121;
}

/// <summary>
/// Pure encode/decode of Modbus PDUs (function code + data), Modbus Application Protocol v1.1b3 §6 and §7. All
/// fields are big-endian (§4.2). Spans in, frames out: no I/O, no state.
/// </summary>
public static class ModbusPduCodec
{
    private const byte ExceptionFlag = 0x80;
    /// <summary>§6.5: 0xFF00 requests ON, 0x0000 requests OFF; anything else is illegal.</summary>
    private const ushort CoilOn = 0xFF00;

    public static int RequestLength(ModbusRequest request) => request switch
    {
        ReadBitsRequest or ReadRegistersRequest or WriteSingleCoilRequest or WriteSingleRegisterRequest => 5,
        WriteMultipleCoilsRequest c => 6 + PackedLength(c.Values.Length),
        WriteMultipleRegistersRequest r => 6 + r.Values.Length * 2,
        ReadWriteMultipleRegistersRequest rw => 10 + rw.WriteValues.Length * 2,
        _ => throw new ArgumentException($"unsupported request {request.GetType().Name}", nameof(request)),
    };

    public static byte[] EncodeRequest(ModbusRequest request)
    {
        var buffer = new byte[RequestLength(request)];
        EncodeRequest(request, buffer);
        return buffer;
    }

    /// <summary>Writes the request PDU; throws <see cref="ArgumentOutOfRangeException"/> for quantities the spec forbids.</summary>
    public static int EncodeRequest(ModbusRequest request, Span<byte> destination)
    {
        var length = RequestLength(request);
        if (destination.Length < length) throw new ArgumentException("destination too small", nameof(destination));
        destination[0] = (byte)request.Function;
        var data = destination[1..];
        switch (request)
        {
            case ReadBitsRequest r:
                RequireFunction(r.Function, ModbusFunction.ReadCoils, ModbusFunction.ReadDiscreteInputs);
                RequireQuantity(r.Quantity, ModbusLimits.MaxReadBits, "coils/inputs to read");
                RequireRange(r.StartAddress, r.Quantity);
                WriteUInt16(data, r.StartAddress, r.Quantity);
                break;
            case ReadRegistersRequest r:
                RequireFunction(r.Function, ModbusFunction.ReadHoldingRegisters, ModbusFunction.ReadInputRegisters);
                RequireQuantity(r.Quantity, ModbusLimits.MaxReadRegisters, "registers to read");
                RequireRange(r.StartAddress, r.Quantity);
                WriteUInt16(data, r.StartAddress, r.Quantity);
                break;
            case WriteSingleCoilRequest c:
                WriteUInt16(data, c.OutputAddress, c.Value ? CoilOn : (ushort)0);
                break;
            case WriteSingleRegisterRequest r:
                WriteUInt16(data, r.RegisterAddress, r.Value);
                break;
            case WriteMultipleCoilsRequest c:
                RequireQuantity(c.Values.Length, ModbusLimits.MaxWriteCoils, "coils to write");
                RequireRange(c.StartAddress, c.Values.Length);
                WriteUInt16(data, c.StartAddress, (ushort)c.Values.Length);
                data[4] = (byte)PackedLength(c.Values.Length);
                PackBits(c.Values, data[5..]);
                break;
            case WriteMultipleRegistersRequest r:
                RequireQuantity(r.Values.Length, ModbusLimits.MaxWriteRegisters, "registers to write");
                RequireRange(r.StartAddress, r.Values.Length);
                WriteUInt16(data, r.StartAddress, (ushort)r.Values.Length);
                data[4] = (byte)(r.Values.Length * 2);
                WriteWords(r.Values, data[5..]);
                break;
            case ReadWriteMultipleRegistersRequest rw:
                RequireQuantity(rw.ReadQuantity, ModbusLimits.MaxReadWriteReadRegisters, "registers to read");
                RequireQuantity(rw.WriteValues.Length, ModbusLimits.MaxReadWriteWriteRegisters, "registers to write");
                RequireRange(rw.ReadStartAddress, rw.ReadQuantity);
                RequireRange(rw.WriteStartAddress, rw.WriteValues.Length);
                WriteUInt16(data, rw.ReadStartAddress, rw.ReadQuantity);
                WriteUInt16(data[4..], rw.WriteStartAddress, (ushort)rw.WriteValues.Length);
                data[8] = (byte)(rw.WriteValues.Length * 2);
                WriteWords(rw.WriteValues, data[9..]);
                break;
        }
        return length;
    }

    /// <summary>
    /// Parses a request PDU (server side). Unknown function codes raise <see cref="ModbusCodecException"/> with
    /// IllegalFunction; bad quantities or byte counts raise it with IllegalDataValue, as the §6 state diagrams say.
    /// </summary>
    public static ModbusRequest DecodeRequest(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length == 0) throw new ModbusCodecException("empty PDU");
        var code = pdu[0];
        if (!IsSupported(code)) throw new ModbusCodecException($"unsupported function code 0x{code:X2}", ModbusExceptionCode.IllegalFunction);
        var function = (ModbusFunction)code;
        var data = pdu[1..];
        switch (function)
        {
            case ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs:
            {
                RequireLength(data, 4, function);
                var (start, quantity) = (ReadUInt16(data, 0), ReadUInt16(data, 2));
                AnswerIfOutside(quantity, ModbusLimits.MaxReadBits);
                return new ReadBitsRequest(function, start, quantity);
            }
            case ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters:
            {
                RequireLength(data, 4, function);
                var (start, quantity) = (ReadUInt16(data, 0), ReadUInt16(data, 2));
                AnswerIfOutside(quantity, ModbusLimits.MaxReadRegisters);
                return new ReadRegistersRequest(function, start, quantity);
            }
            case ModbusFunction.WriteSingleCoil:
            {
                RequireLength(data, 4, function);
                var value = ReadUInt16(data, 2);
                if (value is not (CoilOn or 0)) throw new ModbusCodecException($"coil value 0x{value:X4} is neither 0xFF00 nor 0x0000", ModbusExceptionCode.IllegalDataValue);
                return new WriteSingleCoilRequest(ReadUInt16(data, 0), value == CoilOn);
            }
            case ModbusFunction.WriteSingleRegister:
                RequireLength(data, 4, function);
                return new WriteSingleRegisterRequest(ReadUInt16(data, 0), ReadUInt16(data, 2));
            case ModbusFunction.WriteMultipleCoils:
            {
                RequireLength(data, 5, function);
                var (start, quantity, byteCount) = (ReadUInt16(data, 0), ReadUInt16(data, 2), data[4]);
                AnswerIfOutside(quantity, ModbusLimits.MaxWriteCoils);
                if (byteCount != PackedLength(quantity) || data.Length < 5 + byteCount)
                    throw new ModbusCodecException($"byte count {byteCount} does not match {quantity} coils", ModbusExceptionCode.IllegalDataValue);
                return new WriteMultipleCoilsRequest(start, UnpackBits(data.Slice(5, byteCount), quantity));
            }
            case ModbusFunction.WriteMultipleRegisters:
            {
                RequireLength(data, 5, function);
                var (start, quantity, byteCount) = (ReadUInt16(data, 0), ReadUInt16(data, 2), data[4]);
                AnswerIfOutside(quantity, ModbusLimits.MaxWriteRegisters);
                if (byteCount != quantity * 2 || data.Length < 5 + byteCount)
                    throw new ModbusCodecException($"byte count {byteCount} does not match {quantity} registers", ModbusExceptionCode.IllegalDataValue);
                return new WriteMultipleRegistersRequest(start, ReadWords(data.Slice(5, byteCount)));
            }
            default: // ReadWriteMultipleRegisters
            {
                RequireLength(data, 9, function);
                var (readStart, readQuantity) = (ReadUInt16(data, 0), ReadUInt16(data, 2));
                var (writeStart, writeQuantity, byteCount) = (ReadUInt16(data, 4), ReadUInt16(data, 6), data[8]);
                AnswerIfOutside(readQuantity, ModbusLimits.MaxReadWriteReadRegisters);
                AnswerIfOutside(writeQuantity, ModbusLimits.MaxReadWriteWriteRegisters);
                if (byteCount != writeQuantity * 2 || data.Length < 9 + byteCount)
                    throw new ModbusCodecException($"byte count {byteCount} does not match {writeQuantity} registers", ModbusExceptionCode.IllegalDataValue);
                return new ReadWriteMultipleRegistersRequest(readStart, readQuantity, writeStart, ReadWords(data.Slice(9, byteCount)));
            }
        }
    }

    public static int ResponseLength(ModbusResponse response) => response switch
    {
        ExceptionResponse => 2,
        ReadBitsResponse b => 2 + PackedLength(b.Values.Length),
        ReadRegistersResponse r => 2 + r.Values.Length * 2,
        WriteSingleCoilResponse or WriteSingleRegisterResponse or WriteMultipleResponse => 5,
        _ => throw new ArgumentException($"unsupported response {response.GetType().Name}", nameof(response)),
    };

    public static byte[] EncodeResponse(ModbusResponse response)
    {
        var buffer = new byte[ResponseLength(response)];
        EncodeResponse(response, buffer);
        return buffer;
    }

    public static int EncodeResponse(ModbusResponse response, Span<byte> destination)
    {
        var length = ResponseLength(response);
        if (destination.Length < length) throw new ArgumentException("destination too small", nameof(destination));
        destination[0] = (byte)response.Function;
        var data = destination[1..];
        switch (response)
        {
            case ExceptionResponse e:
                destination[0] = (byte)((byte)e.Function | ExceptionFlag);
                data[0] = (byte)e.Code;
                break;
            case ReadBitsResponse b:
                data[0] = (byte)PackedLength(b.Values.Length);
                PackBits(b.Values, data[1..]);
                break;
            case ReadRegistersResponse r:
                data[0] = (byte)(r.Values.Length * 2);
                WriteWords(r.Values, data[1..]);
                break;
            case WriteSingleCoilResponse c:
                WriteUInt16(data, c.OutputAddress, c.Value ? CoilOn : (ushort)0);
                break;
            case WriteSingleRegisterResponse r:
                WriteUInt16(data, r.RegisterAddress, r.Value);
                break;
            case WriteMultipleResponse w:
                WriteUInt16(data, w.StartAddress, w.Quantity);
                break;
        }
        return length;
    }

    /// <summary>Parses a response PDU (client side); an exception response (§7) becomes <see cref="ExceptionResponse"/>.</summary>
    public static ModbusResponse DecodeResponse(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length == 0) throw new ModbusCodecException("empty PDU");
        var code = pdu[0];
        if ((code & ExceptionFlag) != 0)
        {
            var baseCode = (byte)(code & ~ExceptionFlag);
            if (pdu.Length < 2) throw new ModbusCodecException($"exception response for 0x{baseCode:X2} without an exception code");
            return new ExceptionResponse((ModbusFunction)baseCode, (ModbusExceptionCode)pdu[1]);
        }
        if (!IsSupported(code)) throw new ModbusCodecException($"unsupported function code 0x{code:X2} in response");
        var function = (ModbusFunction)code;
        var data = pdu[1..];
        switch (function)
        {
            case ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs:
            {
                RequireLength(data, 1, function);
                var byteCount = data[0];
                if (data.Length < 1 + byteCount) throw new ModbusCodecException($"{function} response says {byteCount} bytes but carries {data.Length - 1}");
                return new ReadBitsResponse(function, UnpackBits(data.Slice(1, byteCount), byteCount * 8));
            }
            case ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters or ModbusFunction.ReadWriteMultipleRegisters:
            {
                RequireLength(data, 1, function);
                var byteCount = data[0];
                if (byteCount % 2 != 0 || data.Length < 1 + byteCount)
                    throw new ModbusCodecException($"{function} response says {byteCount} bytes but carries {data.Length - 1}");
                return new ReadRegistersResponse(function, ReadWords(data.Slice(1, byteCount)));
            }
            case ModbusFunction.WriteSingleCoil:
                RequireLength(data, 4, function);
                return new WriteSingleCoilResponse(ReadUInt16(data, 0), ReadUInt16(data, 2) == CoilOn);
            case ModbusFunction.WriteSingleRegister:
                RequireLength(data, 4, function);
                return new WriteSingleRegisterResponse(ReadUInt16(data, 0), ReadUInt16(data, 2));
            default: // WriteMultipleCoils, WriteMultipleRegisters
                RequireLength(data, 4, function);
                return new WriteMultipleResponse(function, ReadUInt16(data, 0), ReadUInt16(data, 2));
        }
    }

    public static bool IsSupported(byte functionCode) => functionCode is 1 or 2 or 3 or 4 or 5 or 6 or 15 or 16 or 23;

    /// <summary>§6.1: bits are packed LSB first: the first coil is bit 0 of the first byte; unused high bits are zero.</summary>
    public static void PackBits(ReadOnlySpan<bool> values, Span<byte> destination)
    {
        destination[..PackedLength(values.Length)].Clear();
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i]) destination[i >> 3] |= (byte)(1 << (i & 7));
        }
    }

    public static bool[] UnpackBits(ReadOnlySpan<byte> packed, int count)
    {
        var values = new bool[count];
        for (var i = 0; i < count; i++) values[i] = (packed[i >> 3] & (1 << (i & 7))) != 0;
        return values;
    }

    public static int PackedLength(int bitCount) => (bitCount + 7) / 8;

    private static void WriteUInt16(Span<byte> data, ushort first, ushort second)
    {
        BinaryPrimitives.WriteUInt16BigEndian(data, first);
        BinaryPrimitives.WriteUInt16BigEndian(data[2..], second);
    }

    private static void WriteWords(ReadOnlySpan<ushort> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(destination[(i * 2)..], values[i]);
    }

    private static ushort[] ReadWords(ReadOnlySpan<byte> data)
    {
        var values = new ushort[data.Length / 2];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadUInt16BigEndian(data[(i * 2)..]);
        return values;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);

    private static void RequireLength(ReadOnlySpan<byte> data, int length, ModbusFunction function)
    {
        if (data.Length < length) throw new ModbusCodecException($"{function} PDU too short: {data.Length + 1} bytes");
    }

    private static void AnswerIfOutside(int quantity, int max)
    {
        if (quantity < 1 || quantity > max)
            throw new ModbusCodecException($"quantity {quantity} outside 1..{max}", ModbusExceptionCode.IllegalDataValue);
    }

    private static void RequireFunction(ModbusFunction actual, ModbusFunction a, ModbusFunction b)
    {
        if (actual != a && actual != b) throw new ArgumentException($"function {actual} does not fit this request; use {a} or {b}");
    }

    private static void RequireQuantity(int quantity, int max, string what)
    {
        if (quantity < 1 || quantity > max)
            throw new ArgumentOutOfRangeException(nameof(quantity), quantity, $"{what}: {quantity} is outside 1..{max} (Modbus Application Protocol §6)");
    }

    private static void RequireRange(ushort start, int quantity)
    {
        if (start + quantity > 0x10000)
            throw new ArgumentOutOfRangeException(nameof(quantity), quantity, $"addresses {start}..{start + quantity - 1} run past 65535");
    }
}
