using FlowEngine.Nodes.S7.Protocol;

namespace FlowEngine.Nodes.S7.Tests.Protocol;

/// <summary>Frames built by hand from RFC 1006, ISO 8073 and the public S7comm layout (Wireshark's s7comm dissector).</summary>
public sealed class CodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    [Theory]
    [InlineData(1, 0, 2, 0x0102)]
    [InlineData(1, 0, 1, 0x0101)]
    [InlineData(2, 1, 3, 0x0223)]
    [InlineData(3, 0, 0, 0x0300)]
    public void Remote_tsap_is_connection_type_then_rack_times_32_plus_slot(int type, int rack, int slot, int expected) =>
        Assert.Equal(expected, S7Codec.RemoteTsap(type, rack, slot));

    [Fact]
    public void Connection_request_carries_both_tsaps_and_tpdu_size_1024()
    {
        var frame = S7Codec.ConnectionRequest(0x0100, 0x0102);
        Assert.Equal(Hex("03 00 00 16  11 E0 00 00 00 01 00  C1 02 01 00  C2 02 01 02  C0 01 0A"), frame);
    }

    [Fact]
    public void Connection_confirm_is_accepted_and_a_disconnect_request_is_a_refusal()
    {
        S7Codec.ParseConnectionConfirm(Hex("11 D0 00 01 00 01 00 C0 01 0A C1 02 01 00 C2 02 01 02"));
        var refused = Assert.Throws<S7ConnectionException>(() => S7Codec.ParseConnectionConfirm(Hex("06 80 00 01 00 01 00")));
        Assert.Contains("rack, slot or TSAP", refused.Message, StringComparison.Ordinal);
        Assert.Throws<S7ProtocolException>(() => S7Codec.ParseConnectionConfirm(Hex("02 F0 80")));
    }

    [Fact]
    public void Data_tpdu_wraps_the_pdu_in_tpkt_and_cotp_dt_with_end_of_transmission()
    {
        var frame = S7Codec.DataTpdu(Hex("32 01"));
        Assert.Equal(Hex("03 00 00 09 02 F0 80 32 01"), frame);
        Assert.Equal(9, S7Codec.ParseTpktLength(frame));
        var data = S7Codec.ParseDataTpdu(frame.AsSpan(4), out var last);
        Assert.True(last);
        Assert.Equal(Hex("32 01"), data.ToArray());
        S7Codec.ParseDataTpdu(Hex("02 F0 00 32"), out var more);
        Assert.False(more);
        Assert.Throws<S7ProtocolException>(() => S7Codec.ParseTpktLength(Hex("04 00 00 09")));
    }

    [Fact]
    public void Setup_communication_asks_for_one_parallel_job_and_the_pdu_size()
    {
        Assert.Equal(Hex("32 01 00 00 00 07 00 08 00 00  F0 00 00 01 00 01 03 C0"), S7Codec.SetupCommunicationRequest(7, 960));
        Assert.Equal(240, S7Codec.ParseSetupCommunicationResponse(Hex("32 03 00 00 00 07 00 08 00 00 00 00  F0 00 00 01 00 01 00 F0")));
    }

    [Fact]
    public void Read_request_addresses_bytes_by_bit_address_and_timers_by_number()
    {
        var items = new List<S7Item>
        {
            new(S7Area.DataBlock, 1, S7TransportSize.Byte, 4, 0, 4),
            new(S7Area.Timers, 0, S7TransportSize.Timer, 3, 0, 2),
        };
        Assert.Equal(Hex("""
            32 01 00 00 00 02 00 1A 00 00
            04 02
            12 0A 10 02 00 04 00 01 84 00 00 20
            12 0A 10 1D 00 02 00 00 1D 00 00 03
            """), S7Codec.ReadRequest(2, items));
    }

    [Fact]
    public void Read_response_pads_odd_items_and_reports_failed_items_by_return_code()
    {
        var items = new List<S7Item>
        {
            new(S7Area.DataBlock, 1, S7TransportSize.Byte, 0, 0, 1),
            new(S7Area.DataBlock, 99, S7TransportSize.Byte, 0, 0, 2),
            new(S7Area.Flags, 0, S7TransportSize.Byte, 10, 0, 2),
            new(S7Area.Counters, 0, S7TransportSize.Counter, 0, 0, 1),
        };
        var results = S7Codec.ParseReadResponse(Hex("""
            32 03 00 00 00 05 00 02 00 16 00 00
            04 04
            FF 04 00 08 A5 00
            0A 00 00 00
            FF 04 00 10 12 34
            FF 09 00 02 00 42
            """), items);
        Assert.Equal([0xA5], results[0].Data);
        Assert.Equal(S7ReturnCode.ObjectDoesNotExist, results[1].Code);
        Assert.Equal([0x12, 0x34], results[2].Data);
        Assert.Equal([0x00, 0x42], results[3].Data);
    }

    [Fact]
    public void Header_error_class_and_code_reject_the_whole_request()
    {
        var error = Assert.Throws<S7ResponseException>(() =>
            S7Codec.ParseReadResponse(Hex("32 03 00 00 00 01 00 00 00 00 85 00"), [new S7Item(S7Area.Flags, 0, S7TransportSize.Byte, 0, 0, 1)]));
        Assert.Equal(0x85, error.ErrorClass);
        Assert.Contains("error on supplies", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_or_mismatched_read_responses_are_protocol_errors()
    {
        var item = new List<S7Item> { new(S7Area.Flags, 0, S7TransportSize.Byte, 0, 0, 2) };
        Assert.Throws<S7ProtocolException>(() => S7Codec.ParseReadResponse(Hex("32 03 00 00 00 01 00 02 00 06 00 00 04 01 FF 04 00 10 12"), item));
        Assert.Throws<S7ProtocolException>(() => S7Codec.ParseReadResponse(Hex("32 03 00 00 00 01 00 02 00 05 00 00 04 01 FF 04 00 08 12"), item));
        Assert.Throws<S7ProtocolException>(() => S7Codec.ParseReadResponse(Hex("32 03 00 00 00 01 00 02 00 06 00 00 05 01 FF 04 00 10 12 34"), item));
        Assert.Throws<S7ProtocolException>(() => S7Codec.ParseHeader(Hex("33 03 00 00 00 01 00 00 00 00")));
    }

    [Fact]
    public void Write_request_sends_bits_as_bit_items_and_bytes_with_their_length_in_bits()
    {
        var items = new List<S7Item>
        {
            new(S7Area.DataBlock, 2, S7TransportSize.Bit, 0, 3, 1),
            new(S7Area.Flags, 0, S7TransportSize.Byte, 10, 0, 2),
        };
        Assert.Equal(Hex("""
            32 01 00 00 00 09 00 1A 00 0C
            05 02
            12 0A 10 01 00 01 00 02 84 00 00 03
            12 0A 10 02 00 02 00 00 83 00 00 50
            00 03 00 01 01 00
            00 04 00 10 BE EF
            """), S7Codec.WriteRequest(9, items, [[0x01], [0xBE, 0xEF]]));
    }

    [Fact]
    public void Write_response_has_one_return_code_per_item()
    {
        Assert.Equal([S7ReturnCode.Success, S7ReturnCode.AccessDenied],
            S7Codec.ParseWriteResponse(Hex("32 03 00 00 00 09 00 02 00 02 00 00 05 02 FF 03"), 2));
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoders_with_anything_but_protocol_errors()
    {
        var random = new Random(1006);
        var items = new List<S7Item> { new(S7Area.DataBlock, 1, S7TransportSize.Byte, 0, 0, 4), new(S7Area.Flags, 0, S7TransportSize.Byte, 0, 0, 1) };
        for (var i = 0; i < 5000; i++)
        {
            var frame = new byte[random.Next(0, 40)];
            random.NextBytes(frame);
            if (frame.Length > 0 && random.Next(2) == 0) frame[0] = 0x32;
            if (frame.Length > 1 && random.Next(2) == 0) frame[1] = 0x03;
            try
            {
                S7Codec.ParseReadResponse(frame, items);
            }
            catch (S7Exception)
            {
            }
        }
    }
}
