using System.Buffers.Binary;
using System.Globalization;

namespace FlowEngine.Nodes.S7.Protocol;

/// <summary>S7comm transport sizes of request items (the "syntax id 0x10 / ANY" addressing).</summary>
internal enum S7TransportSize : byte
{
    Bit = 0x01,
    Byte = 0x02,
    Counter = 0x1C,
    Timer = 0x1D,
}

/// <summary>One item of a read or write request: what to address, in the units of its transport size.</summary>
internal readonly record struct S7Item(S7Area Area, int DbNumber, S7TransportSize TransportSize, int Start, int Bit, int Count)
{
    /// <summary>Bytes of data this item carries.</summary>
    public int DataLength => TransportSize switch
    {
        S7TransportSize.Bit => 1,
        S7TransportSize.Timer or S7TransportSize.Counter => Count * 2,
        _ => Count,
    };

    public override string ToString()
    {
        var where = Area switch
        {
            S7Area.DataBlock => string.Create(CultureInfo.InvariantCulture, $"DB{DbNumber}"),
            S7Area.Flags => "M",
            S7Area.Inputs => "I",
            S7Area.Outputs => "Q",
            S7Area.Timers => "T",
            _ => "C",
        };
        return TransportSize == S7TransportSize.Bit
            ? string.Create(CultureInfo.InvariantCulture, $"{where} bit {Start}.{Bit}")
            : string.Create(CultureInfo.InvariantCulture, $"{where} {Start} x{Count}");
    }
}

/// <summary>An item's outcome: data when the return code is success.</summary>
internal readonly record struct S7ItemResult(S7ReturnCode Code, byte[] Data);

/// <summary>Header of an S7comm PDU (ack-data has the error class and code).</summary>
internal readonly record struct S7Header(byte MessageType, ushort PduReference, int ParameterLength, int DataLength, byte ErrorClass, byte ErrorCode)
{
    public const byte Job = 0x01;
    public const byte Ack = 0x02;
    public const byte AckData = 0x03;

    public int Length => MessageType is Ack or AckData ? 12 : 10;
}

/// <summary>
/// Pure encoders and decoders: RFC 1006 TPKT, ISO 8073 COTP (CR/CC/DT) and S7comm (setup communication, read var,
/// write var). Layouts follow RFC 1006 §6, ISO 8073 §13 and the public S7comm descriptions (Wireshark s7comm dissector).
/// </summary>
internal static class S7Codec
{
    public const int TpktHeaderLength = 4;
    public const int CotpDataHeaderLength = 3;
    /// <summary>Read/write request: 10-byte job header + function + item count.</summary>
    public const int RequestOverhead = 12;
    /// <summary>Read/write response: 12-byte ack-data header + function + item count.</summary>
    public const int ResponseOverhead = 14;
    public const int RequestItemLength = 12;
    public const int DataItemHeaderLength = 4;
    /// <summary>Snap7 and the S7-300/400 CPUs accept at most 20 items in one request.</summary>
    public const int MaxItemsPerRequest = 20;

    private const byte FunctionSetup = 0xF0;
    private const byte FunctionRead = 0x04;
    private const byte FunctionWrite = 0x05;

    // ---- RFC 1006 TPKT and ISO 8073 COTP ----

    /// <summary>TSAP of rack/slot addressing: connection type in the high byte, rack × 32 + slot in the low byte.</summary>
    public static ushort RemoteTsap(int connectionType, int rack, int slot) => (ushort)(connectionType << 8 | (rack * 32 + slot));

    /// <summary>TPKT + COTP Connection Request with calling/called TSAPs and a TPDU size of 1024 (code 0x0A).</summary>
    public static byte[] ConnectionRequest(ushort localTsap, ushort remoteTsap)
    {
        byte[] cotp =
        [
            17, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00,
            0xC1, 2, (byte)(localTsap >> 8), (byte)localTsap,
            0xC2, 2, (byte)(remoteTsap >> 8), (byte)remoteTsap,
            0xC0, 1, 0x0A,
        ];
        return Tpkt(cotp);
    }

    /// <summary>Checks that a TPKT payload is a COTP Connection Confirm (0xD0).</summary>
    public static void ParseConnectionConfirm(ReadOnlySpan<byte> cotp)
    {
        if (cotp.Length < 2 || cotp[0] + 1 > cotp.Length) throw new S7ProtocolException("truncated COTP answer to the connection request");
        var type = cotp[1] & 0xF0;
        if (type == 0x80) throw new S7ConnectionException("the PLC refused the ISO connection (COTP disconnect request): check rack, slot or TSAP");
        if (type != 0xD0) throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"expected a COTP connection confirm (0xD0), got 0x{cotp[1]:X2}"));
    }

    /// <summary>Wraps an S7 PDU in TPKT + COTP Data TPDU with the end-of-transmission bit.</summary>
    public static byte[] DataTpdu(ReadOnlySpan<byte> s7Pdu)
    {
        var frame = new byte[TpktHeaderLength + CotpDataHeaderLength + s7Pdu.Length];
        WriteTpktHeader(frame, frame.Length);
        frame[4] = 2;
        frame[5] = 0xF0;
        frame[6] = 0x80;
        s7Pdu.CopyTo(frame.AsSpan(7));
        return frame;
    }

    /// <summary>Length of the TPKT frame whose 4-byte header this is (version 3, reserved 0).</summary>
    public static int ParseTpktLength(ReadOnlySpan<byte> header)
    {
        if (header[0] != 3) throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"not an RFC 1006 TPKT (version byte 0x{header[0]:X2})"));
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (length < 7) throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"TPKT length {length} is too short"));
        return length;
    }

    /// <summary>Splits a COTP Data TPDU (TPKT payload) into its user data and its end-of-transmission flag.</summary>
    public static ReadOnlySpan<byte> ParseDataTpdu(ReadOnlySpan<byte> cotp, out bool last)
    {
        if (cotp.Length < 3 || cotp[0] < 2 || cotp[0] + 1 > cotp.Length) throw new S7ProtocolException("truncated COTP data TPDU");
        if ((cotp[1] & 0xF0) != 0xF0) throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"expected a COTP data TPDU (0xF0), got 0x{cotp[1]:X2}"));
        last = (cotp[2] & 0x80) != 0;
        return cotp[(cotp[0] + 1)..];
    }

    private static byte[] Tpkt(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[TpktHeaderLength + payload.Length];
        WriteTpktHeader(frame, frame.Length);
        payload.CopyTo(frame.AsSpan(TpktHeaderLength));
        return frame;
    }

    private static void WriteTpktHeader(Span<byte> frame, int length)
    {
        frame[0] = 3;
        frame[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)length);
    }

    // ---- S7comm ----

    public static S7Header ParseHeader(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length < 10 || pdu[0] != 0x32) throw new S7ProtocolException("not an S7comm PDU (protocol id 0x32 missing)");
        var type = pdu[1];
        var header = new S7Header(type, BinaryPrimitives.ReadUInt16BigEndian(pdu[4..]), BinaryPrimitives.ReadUInt16BigEndian(pdu[6..]),
            BinaryPrimitives.ReadUInt16BigEndian(pdu[8..]), 0, 0);
        if (type is S7Header.Ack or S7Header.AckData)
        {
            if (pdu.Length < 12) throw new S7ProtocolException("truncated S7comm ack-data header");
            header = header with { ErrorClass = pdu[10], ErrorCode = pdu[11] };
        }
        if (header.Length + header.ParameterLength + header.DataLength > pdu.Length)
            throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture,
                $"S7comm PDU of {pdu.Length} bytes is shorter than its header says ({header.Length}+{header.ParameterLength}+{header.DataLength})"));
        return header;
    }

    /// <summary>Setup Communication job: max parallel jobs 1/1 and the PDU size we would like.</summary>
    public static byte[] SetupCommunicationRequest(ushort reference, int pduSize)
    {
        var pdu = JobHeader(reference, 8, 0);
        pdu.AddRange([FunctionSetup, 0x00, 0x00, 0x01, 0x00, 0x01, (byte)(pduSize >> 8), (byte)pduSize]);
        return [.. pdu];
    }

    /// <summary>The PDU size the PLC granted in its Setup Communication answer.</summary>
    public static int ParseSetupCommunicationResponse(ReadOnlySpan<byte> pdu)
    {
        var header = ParseHeader(pdu);
        CheckAckData(header);
        var parameters = pdu.Slice(header.Length, header.ParameterLength);
        if (parameters.Length < 8 || parameters[0] != FunctionSetup) throw new S7ProtocolException("the answer to Setup Communication has no setup parameters");
        var size = BinaryPrimitives.ReadUInt16BigEndian(parameters[6..]);
        if (size < 64) throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"the PLC granted a PDU size of {size} bytes, too small to use"));
        return size;
    }

    public static byte[] ReadRequest(ushort reference, IReadOnlyList<S7Item> items)
    {
        var pdu = JobHeader(reference, 2 + items.Count * RequestItemLength, 0);
        pdu.Add(FunctionRead);
        pdu.Add((byte)items.Count);
        foreach (var item in items) AddItemSpec(pdu, item);
        return [.. pdu];
    }

    /// <summary>One result per requested item, in order; a failed item has its return code and no data.</summary>
    public static S7ItemResult[] ParseReadResponse(ReadOnlySpan<byte> pdu, IReadOnlyList<S7Item> items)
    {
        var header = ParseHeader(pdu);
        CheckAckData(header);
        var parameters = pdu.Slice(header.Length, header.ParameterLength);
        if (parameters.Length < 2 || parameters[0] != FunctionRead) throw new S7ProtocolException("the answer is not a read-var response");
        if (parameters[1] != items.Count)
            throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"asked for {items.Count} items, the answer has {parameters[1]}"));
        var data = pdu.Slice(header.Length + header.ParameterLength, header.DataLength);
        var results = new S7ItemResult[items.Count];
        var position = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (position + 1 > data.Length) throw new S7ProtocolException("the read response ends before its last item");
            var code = (S7ReturnCode)data[position];
            if (code != S7ReturnCode.Success)
            {
                results[i] = new S7ItemResult(code, []);
                // A failed item is four bytes (code, transport size 0, length 0) on Snap7 and real CPUs; some send only the code.
                position += position + 4 <= data.Length ? 4 : 1;
                continue;
            }
            if (position + 4 > data.Length) throw new S7ProtocolException("truncated read response item");
            var transport = data[position + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            var bytes = transport switch
            {
                0x03 => (length + 7) / 8, // BIT: length in bits
                0x04 or 0x05 => length / 8, // BYTE/WORD/DWORD and INTEGER: length in bits
                _ => length, // REAL (0x07) and OCTET STRING (0x09): length in bytes
            };
            position += 4;
            if (position + bytes > data.Length) throw new S7ProtocolException("a read response item is longer than the PDU");
            if (bytes != items[i].DataLength)
                throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"asked for {items[i].DataLength} bytes of {items[i]}, got {bytes}"));
            results[i] = new S7ItemResult(code, data.Slice(position, bytes).ToArray());
            position += bytes;
            // Items after an odd-length item start on an even offset; the last item is not padded.
            if (bytes % 2 == 1 && i < items.Count - 1) position++;
        }
        return results;
    }

    public static byte[] WriteRequest(ushort reference, IReadOnlyList<S7Item> items, IReadOnlyList<byte[]> values)
    {
        if (items.Count != values.Count) throw new ArgumentException("one value per item");
        var dataLength = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (values[i].Length != items[i].DataLength) throw new ArgumentException($"{items[i]} takes {items[i].DataLength} bytes, not {values[i].Length}");
            dataLength += DataItemHeaderLength + values[i].Length + (values[i].Length % 2 == 1 && i < items.Count - 1 ? 1 : 0);
        }
        var pdu = JobHeader(reference, 2 + items.Count * RequestItemLength, dataLength);
        pdu.Add(FunctionWrite);
        pdu.Add((byte)items.Count);
        foreach (var item in items) AddItemSpec(pdu, item);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var value = values[i];
            pdu.Add(0x00);
            switch (item.TransportSize)
            {
                case S7TransportSize.Bit:
                    pdu.AddRange([0x03, 0x00, 0x01]); // BIT, length 1 bit
                    break;
                case S7TransportSize.Byte:
                    pdu.Add(0x04); // BYTE/WORD/DWORD, length in bits
                    AddUInt16(pdu, value.Length * 8);
                    break;
                default:
                    pdu.Add(0x09); // OCTET STRING, length in bytes (timers and counters)
                    AddUInt16(pdu, value.Length);
                    break;
            }
            pdu.AddRange(value);
            if (value.Length % 2 == 1 && i < items.Count - 1) pdu.Add(0x00);
        }
        return [.. pdu];
    }

    public static S7ReturnCode[] ParseWriteResponse(ReadOnlySpan<byte> pdu, int itemCount)
    {
        var header = ParseHeader(pdu);
        CheckAckData(header);
        var parameters = pdu.Slice(header.Length, header.ParameterLength);
        if (parameters.Length < 2 || parameters[0] != FunctionWrite) throw new S7ProtocolException("the answer is not a write-var response");
        var data = pdu.Slice(header.Length + header.ParameterLength, header.DataLength);
        if (parameters[1] != itemCount || data.Length < itemCount)
            throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"wrote {itemCount} items, the answer has {parameters[1]}"));
        var codes = new S7ReturnCode[itemCount];
        for (var i = 0; i < itemCount; i++) codes[i] = (S7ReturnCode)data[i];
        return codes;
    }

    /// <summary>Bytes a read request and its response take for these items (both must fit the PDU size).</summary>
    public static (int Request, int Response) ReadSizes(IEnumerable<S7Item> items)
    {
        int request = RequestOverhead, response = ResponseOverhead;
        foreach (var item in items)
        {
            request += RequestItemLength;
            // Counted with padding even for the last item: a simple, safe upper bound.
            response += DataItemHeaderLength + item.DataLength + item.DataLength % 2;
        }
        return (request, response);
    }

    /// <summary>Bytes a write request takes (its response is always small).</summary>
    public static int WriteSize(IEnumerable<S7Item> items)
    {
        var size = RequestOverhead;
        foreach (var item in items) size += RequestItemLength + DataItemHeaderLength + item.DataLength + item.DataLength % 2;
        return size;
    }

    private static void CheckAckData(S7Header header)
    {
        if (header.MessageType != S7Header.AckData)
            throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"expected an ack-data PDU (3), got message type {header.MessageType}"));
        if (header.ErrorClass != 0 || header.ErrorCode != 0) throw new S7ResponseException(header.ErrorClass, header.ErrorCode);
    }

    private static List<byte> JobHeader(ushort reference, int parameterLength, int dataLength)
    {
        var pdu = new List<byte>(10 + parameterLength + dataLength) { 0x32, S7Header.Job, 0x00, 0x00 };
        AddUInt16(pdu, reference);
        AddUInt16(pdu, parameterLength);
        AddUInt16(pdu, dataLength);
        return pdu;
    }

    private static void AddItemSpec(List<byte> pdu, S7Item item)
    {
        pdu.AddRange([0x12, 0x0A, 0x10, (byte)item.TransportSize]);
        AddUInt16(pdu, item.TransportSize == S7TransportSize.Bit ? 1 : item.Count);
        AddUInt16(pdu, item.Area == S7Area.DataBlock ? item.DbNumber : 0);
        pdu.Add((byte)item.Area);
        // Timers and counters are addressed by number; everything else by bit address (byte × 8 + bit).
        var address = item.TransportSize is S7TransportSize.Timer or S7TransportSize.Counter ? item.Start : item.Start * 8 + item.Bit;
        pdu.AddRange([(byte)(address >> 16), (byte)(address >> 8), (byte)address]);
    }

    private static void AddUInt16(List<byte> pdu, int value)
    {
        pdu.Add((byte)(value >> 8));
        pdu.Add((byte)value);
    }
}
