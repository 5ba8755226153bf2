using System.Buffers.Binary;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus.Protocol.Codec;

/// <summary>
/// The Modbus TCP framing: MBAP header + PDU (MODBUS Messaging on TCP/IP Implementation Guide v1.0b §3.1.3).
/// Pure: spans in, frames out.
/// </summary>
public static class ModbusTcpCodec
{
    /// <summary>§3.1.3: protocol identifier 0 = MODBUS protocol.</summary>
    public const ushort ModbusProtocolId = 0;

    /// <summary>
    /// Reads an MBAP header. Throws <see cref="ModbusCodecException"/> when the protocol id is not Modbus or the
    /// length field is outside what a PDU can be: the stream cannot be trusted after that, so callers drop the connection.
    /// </summary>
    public static MbapHeader ReadHeader(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < ModbusLimits.MbapLength) throw new ModbusCodecException("MBAP header needs 7 bytes");
        var header = new MbapHeader(
            BinaryPrimitives.ReadUInt16BigEndian(buffer),
            BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(buffer[4..]),
            buffer[6]);
        if (header.ProtocolId != ModbusProtocolId) throw new ModbusCodecException($"protocol id {header.ProtocolId} is not Modbus (0)");
        // The length counts the unit id plus the PDU: at least unit + function code, at most unit + 253.
        if (header.Length < 2 || header.Length > ModbusLimits.MaxPduLength + 1) throw new ModbusCodecException($"MBAP length {header.Length} outside 2..254");
        return header;
    }

    public static void WriteHeader(Span<byte> destination, ushort transactionId, byte unitId, int pduLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ModbusProtocolId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)(pduLength + 1));
        destination[6] = unitId;
    }

    /// <summary>
    /// Finds one complete frame at the start of <paramref name="buffer"/>. Returns null (consumed 0) when more bytes
    /// are needed; throws <see cref="ModbusCodecException"/> for a header that cannot be Modbus.
    /// </summary>
    public static ModbusTcpFrame? TryDecodeFrame(ReadOnlySpan<byte> buffer, out int consumed)
    {
        consumed = 0;
        if (buffer.Length < ModbusLimits.MbapLength) return null;
        var header = ReadHeader(buffer);
        var total = ModbusLimits.MbapLength + header.PduLength;
        if (buffer.Length < total) return null;
        consumed = total;
        return new ModbusTcpFrame(header.TransactionId, header.UnitId, buffer[ModbusLimits.MbapLength..total].ToArray());
    }

    public static int EncodeRequest(Span<byte> destination, ushort transactionId, byte unitId, ModbusRequest request)
    {
        var pduLength = ModbusPduCodec.EncodeRequest(request, destination[ModbusLimits.MbapLength..]);
        WriteHeader(destination, transactionId, unitId, pduLength);
        return ModbusLimits.MbapLength + pduLength;
    }

    public static byte[] EncodeRequest(ushort transactionId, byte unitId, ModbusRequest request)
    {
        var buffer = new byte[ModbusLimits.MbapLength + ModbusPduCodec.RequestLength(request)];
        EncodeRequest(buffer, transactionId, unitId, request);
        return buffer;
    }

    public static int EncodeResponse(Span<byte> destination, ushort transactionId, byte unitId, ModbusResponse response)
    {
        var pduLength = ModbusPduCodec.EncodeResponse(response, destination[ModbusLimits.MbapLength..]);
        WriteHeader(destination, transactionId, unitId, pduLength);
        return ModbusLimits.MbapLength + pduLength;
    }

    public static byte[] EncodeResponse(ushort transactionId, byte unitId, ModbusResponse response)
    {
        var buffer = new byte[ModbusLimits.MbapLength + ModbusPduCodec.ResponseLength(response)];
        EncodeResponse(buffer, transactionId, unitId, response);
        return buffer;
    }
}
