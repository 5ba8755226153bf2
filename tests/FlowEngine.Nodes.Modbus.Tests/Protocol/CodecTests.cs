using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus.Tests.Protocol;

/// <summary>
/// Round trips of every function code from the examples of "Modbus Application Protocol Specification v1.1b3"
/// (section numbers in each test), plus the framing of "MODBUS Messaging on TCP/IP Implementation Guide v1.0b" §3.1.3.
/// </summary>
public sealed class CodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static void RequestRoundTrip(ModbusRequest request, string pdu)
    {
        Assert.Equal(Hex(pdu), ModbusPduCodec.EncodeRequest(request));
        var decoded = ModbusPduCodec.DecodeRequest(Hex(pdu));
        Assert.Equal(Hex(pdu), ModbusPduCodec.EncodeRequest(decoded));
        Assert.Equal(request.ToString(), decoded.ToString());
    }

    private static ModbusResponse ResponseRoundTrip(string pdu)
    {
        var decoded = ModbusPduCodec.DecodeResponse(Hex(pdu));
        Assert.Equal(Hex(pdu), ModbusPduCodec.EncodeResponse(decoded));
        return decoded;
    }

    [Fact]
    public void Read_coils_20_to_38_matches_the_example_of_section_6_1()
    {
        RequestRoundTrip(new ReadBitsRequest(ModbusFunction.ReadCoils, 19, 19), "01 0013 0013");
        var response = Assert.IsType<ReadBitsResponse>(ResponseRoundTrip("01 03 CD 6B 05"));
        // 0xCD = 1100 1101: coil 20 is bit 0 (LSB first), so coils 20..27 read 1,0,1,1,0,0,1,1.
        Assert.Equal([true, false, true, true, false, false, true, true], response.Values[..8]);
        // 0x05: coils 36..38 are 1,0,1 and the unused high bits are zero.
        Assert.Equal([true, false, true, false, false, false, false, false], response.Values[16..]);
    }

    [Fact]
    public void Read_discrete_inputs_197_to_218_matches_the_example_of_section_6_2()
    {
        RequestRoundTrip(new ReadBitsRequest(ModbusFunction.ReadDiscreteInputs, 196, 22), "02 00C4 0016");
        var response = Assert.IsType<ReadBitsResponse>(ResponseRoundTrip("02 03 AC DB 35"));
        Assert.Equal(24, response.Values.Length);
        Assert.Equal([false, false, true, true, false, true, false, true], response.Values[..8]); // 0xAC
    }

    [Fact]
    public void Read_holding_registers_108_to_110_matches_the_example_of_section_6_3()
    {
        RequestRoundTrip(new ReadRegistersRequest(ModbusFunction.ReadHoldingRegisters, 107, 3), "03 006B 0003");
        var response = Assert.IsType<ReadRegistersResponse>(ResponseRoundTrip("03 06 022B 0000 0064"));
        Assert.Equal([555, 0, 100], response.Values);
    }

    [Fact]
    public void Read_input_register_9_matches_the_example_of_section_6_4()
    {
        RequestRoundTrip(new ReadRegistersRequest(ModbusFunction.ReadInputRegisters, 8, 1), "04 0008 0001");
        var response = Assert.IsType<ReadRegistersResponse>(ResponseRoundTrip("04 02 000A"));
        Assert.Equal([10], response.Values);
    }

    [Fact]
    public void Write_single_coil_173_on_matches_the_example_of_section_6_5()
    {
        RequestRoundTrip(new WriteSingleCoilRequest(172, true), "05 00AC FF00");
        Assert.Equal(new WriteSingleCoilResponse(172, true), ResponseRoundTrip("05 00AC FF00"));
    }

    [Fact]
    public void Write_single_register_2_to_3_matches_the_example_of_section_6_6()
    {
        RequestRoundTrip(new WriteSingleRegisterRequest(1, 3), "06 0001 0003");
        Assert.Equal(new WriteSingleRegisterResponse(1, 3), ResponseRoundTrip("06 0001 0003"));
    }

    [Fact]
    public void Write_multiple_coils_20_to_29_matches_the_example_of_section_6_11()
    {
        var coils = new[] { true, false, true, true, false, false, true, true, true, false };
        RequestRoundTrip(new WriteMultipleCoilsRequest(19, coils), "0F 0013 000A 02 CD 01");
        Assert.Equal(coils, ((WriteMultipleCoilsRequest)ModbusPduCodec.DecodeRequest(Hex("0F 0013 000A 02 CD 01"))).Values);
        Assert.Equal(new WriteMultipleResponse(ModbusFunction.WriteMultipleCoils, 19, 10), ResponseRoundTrip("0F 0013 000A"));
    }

    [Fact]
    public void Write_multiple_registers_2_and_3_matches_the_example_of_section_6_12()
    {
        RequestRoundTrip(new WriteMultipleRegistersRequest(1, [0x000A, 0x0102]), "10 0001 0002 04 000A 0102");
        Assert.Equal(new WriteMultipleResponse(ModbusFunction.WriteMultipleRegisters, 1, 2), ResponseRoundTrip("10 0001 0002"));
    }

    [Fact]
    public void Read_write_multiple_registers_matches_the_example_of_section_6_17()
    {
        RequestRoundTrip(new ReadWriteMultipleRegistersRequest(3, 6, 14, [0x00FF, 0x00FF, 0x00FF]), "17 0003 0006 000E 0003 06 00FF 00FF 00FF");
        var response = Assert.IsType<ReadRegistersResponse>(ResponseRoundTrip("17 0C 00FE 0ACD 0001 0003 000D 00FF"));
        Assert.Equal([0x00FE, 0x0ACD, 0x0001, 0x0003, 0x000D, 0x00FF], response.Values);
    }

    [Fact]
    public void Exception_response_to_read_coils_matches_the_example_of_section_7()
    {
        Assert.Equal(Hex("01 04A1 0001"), ModbusPduCodec.EncodeRequest(new ReadBitsRequest(ModbusFunction.ReadCoils, 0x04A1, 1)));
        var response = ResponseRoundTrip("81 02");
        Assert.Equal(new ExceptionResponse(ModbusFunction.ReadCoils, ModbusExceptionCode.IllegalDataAddress), response);
        Assert.Equal("ReadCoils exception 02 IllegalDataAddress", response.ToString());
    }

    [Theory]
    [InlineData(ModbusFunction.ReadCoils, ModbusExceptionCode.IllegalFunction, "81 01")]
    [InlineData(ModbusFunction.ReadDiscreteInputs, ModbusExceptionCode.IllegalDataAddress, "82 02")]
    [InlineData(ModbusFunction.ReadHoldingRegisters, ModbusExceptionCode.IllegalDataValue, "83 03")]
    [InlineData(ModbusFunction.ReadInputRegisters, ModbusExceptionCode.ServerDeviceFailure, "84 04")]
    [InlineData(ModbusFunction.WriteSingleCoil, ModbusExceptionCode.Acknowledge, "85 05")]
    [InlineData(ModbusFunction.WriteSingleRegister, ModbusExceptionCode.ServerDeviceBusy, "86 06")]
    [InlineData(ModbusFunction.WriteMultipleCoils, ModbusExceptionCode.MemoryParityError, "8F 08")]
    [InlineData(ModbusFunction.WriteMultipleRegisters, ModbusExceptionCode.GatewayPathUnavailable, "90 0A")]
    [InlineData(ModbusFunction.ReadWriteMultipleRegisters, ModbusExceptionCode.GatewayTargetDeviceFailedToRespond, "97 0B")]
    public void Exception_responses_of_every_function_code_round_trip(ModbusFunction function, ModbusExceptionCode code, string pdu)
    {
        Assert.Equal(Hex(pdu), ModbusPduCodec.EncodeResponse(new ExceptionResponse(function, code)));
        Assert.Equal(new ExceptionResponse(function, code), ModbusPduCodec.DecodeResponse(Hex(pdu)));
    }

    [Theory]
    [InlineData("08 0000 1234", ModbusExceptionCode.IllegalFunction)] // diagnostics: not supported
    [InlineData("03 0000 0000", ModbusExceptionCode.IllegalDataValue)] // §6.3: quantity 0
    [InlineData("03 0000 007E", ModbusExceptionCode.IllegalDataValue)] // §6.3: 126 registers
    [InlineData("01 0000 07D1", ModbusExceptionCode.IllegalDataValue)] // §6.1: 2001 coils
    [InlineData("05 0000 1234", ModbusExceptionCode.IllegalDataValue)] // §6.5: neither FF00 nor 0000
    [InlineData("10 0000 0002 03 0001 0002", ModbusExceptionCode.IllegalDataValue)] // §6.12: byte count ≠ 2 × quantity
    [InlineData("0F 0000 000A 01 FF", ModbusExceptionCode.IllegalDataValue)] // §6.11: 10 coils need 2 bytes
    [InlineData("17 0000 0001 0000 007A F4", ModbusExceptionCode.IllegalDataValue)] // §6.17: 122 registers to write
    public void Requests_the_spec_forbids_are_answered_with_the_exception_code_of_its_state_diagrams(string pdu, ModbusExceptionCode expected)
    {
        var error = Assert.Throws<ModbusCodecException>(() => ModbusPduCodec.DecodeRequest(Hex(pdu)));
        Assert.Equal(expected, error.Answer);
    }

    [Fact]
    public void Encoding_a_read_of_126_registers_is_refused_before_anything_is_sent()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPduCodec.EncodeRequest(new ReadRegistersRequest(ModbusFunction.ReadHoldingRegisters, 0, 126)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPduCodec.EncodeRequest(new WriteMultipleRegistersRequest(0, new ushort[124])));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPduCodec.EncodeRequest(new ReadRegistersRequest(ModbusFunction.ReadHoldingRegisters, 65535, 2)));
    }

    [Fact]
    public void A_response_whose_byte_count_exceeds_its_data_is_rejected()
    {
        Assert.Throws<ModbusCodecException>(() => ModbusPduCodec.DecodeResponse(Hex("03 06 0001 0002")));
        Assert.Throws<ModbusCodecException>(() => ModbusPduCodec.DecodeResponse(Hex("03 03 0001 00")));
    }

    [Fact]
    public void Mbap_header_carries_transaction_id_protocol_zero_length_and_unit_as_in_the_tcp_guide_section_3_1_3()
    {
        var frame = ModbusTcpCodec.EncodeRequest(0x1501, 0xFF, new ReadRegistersRequest(ModbusFunction.ReadHoldingRegisters, 4, 1));
        // Length 6 = unit id + 5 PDU bytes.
        Assert.Equal(Hex("1501 0000 0006 FF 03 0004 0001"), frame);
        var header = ModbusTcpCodec.ReadHeader(frame);
        Assert.Equal(new MbapHeader(0x1501, 0, 6, 0xFF), header);
        Assert.Equal("MBAP tid=5377 proto=0 len=6 unit=255", header.ToString());
    }

    [Fact]
    public void A_frame_is_returned_only_once_all_its_bytes_have_arrived()
    {
        var bytes = ModbusTcpCodec.EncodeResponse(7, 1, new ReadRegistersResponse(ModbusFunction.ReadHoldingRegisters, [1, 2]));
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Null(ModbusTcpCodec.TryDecodeFrame(bytes.AsSpan(0, cut), out var none));
            Assert.Equal(0, none);
        }
        var frame = ModbusTcpCodec.TryDecodeFrame(bytes, out var consumed);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(7, frame!.TransactionId);
        Assert.Equal(Hex("03 04 0001 0002"), frame.Pdu);
    }

    [Fact]
    public void Two_frames_in_one_buffer_are_cut_apart()
    {
        var first = ModbusTcpCodec.EncodeResponse(1, 1, new WriteSingleRegisterResponse(5, 6));
        var second = ModbusTcpCodec.EncodeResponse(2, 1, new ExceptionResponse(ModbusFunction.ReadCoils, ModbusExceptionCode.IllegalDataAddress));
        var both = first.Concat(second).ToArray();
        var a = ModbusTcpCodec.TryDecodeFrame(both, out var used);
        var b = ModbusTcpCodec.TryDecodeFrame(both.AsSpan(used), out var usedToo);
        Assert.Equal((1, 2), (a!.TransactionId, b!.TransactionId));
        Assert.Equal(both.Length, used + usedToo);
    }

    [Theory]
    [InlineData("0001 0001 0006 01 03 0000 0001")] // protocol id 1 is not Modbus
    [InlineData("0001 0000 00FF 01 03")] // length 255 > 254
    [InlineData("0001 0000 0001 01")] // length 1: no function code
    public void Headers_that_cannot_be_modbus_tcp_are_rejected(string hex)
    {
        Assert.Throws<ModbusCodecException>(() => ModbusTcpCodec.TryDecodeFrame(Hex(hex), out _));
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoders_with_anything_but_a_codec_error()
    {
        var random = new Random(1234);
        var buffer = new byte[300];
        for (var i = 0; i < 20000; i++)
        {
            var length = random.Next(0, buffer.Length);
            random.NextBytes(buffer);
            if (i % 2 == 0) buffer[0] = (byte)(new byte[] { 1, 2, 3, 4, 5, 6, 15, 16, 23, 0x83 }[random.Next(10)]);
            var span = buffer.AsSpan(0, length);
            try { ModbusPduCodec.DecodeRequest(span); } catch (ModbusCodecException) { }
            try { ModbusPduCodec.DecodeResponse(span); } catch (ModbusCodecException) { }
            try { ModbusTcpCodec.TryDecodeFrame(span, out _); } catch (ModbusCodecException) { }
        }
    }

    [Fact]
    public void Frames_print_readably()
    {
        Assert.Equal("WriteMultipleRegisters start=1 values=[0x000A,0x0102]", new WriteMultipleRegistersRequest(1, [10, 0x102]).ToString());
        Assert.Equal("WriteMultipleCoils start=0 values=[1,0,1]", new WriteMultipleCoilsRequest(0, [true, false, true]).ToString());
        Assert.Equal("ReadHoldingRegisters response registers=[0x022B]", new ReadRegistersResponse(ModbusFunction.ReadHoldingRegisters, [555]).ToString());
    }
}
