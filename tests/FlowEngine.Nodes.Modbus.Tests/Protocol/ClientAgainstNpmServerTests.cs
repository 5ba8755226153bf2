using System.Diagnostics;
using FlowEngine.Nodes.Modbus.Protocol.Client;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Transport;
using FlowEngine.Nodes.Modbus.Protocol.Values;
using FlowEngine.Nodes.Modbus.Tests.Peers;

namespace FlowEngine.Nodes.Modbus.Tests.Protocol;

/// <summary>
/// Our client against a real Modbus TCP server from npm (modbus-serial 8.0.25, tests/peers/modbus/server.js):
/// coil[i] = i even, discrete[i] = i % 3 == 0, holding[i] = i, input[i] = 1000 + i; holding 100–109 refuse writes.
/// </summary>
public sealed class ClientAgainstNpmServerTests(ModbusPeerFixture fixture) : IClassFixture<ModbusPeerFixture>
{
    private ModbusPeer Peer => fixture.Peer;

    private ModbusTcpClient Client(int maxInFlight = 1, int timeoutMs = 2000) => new(new ModbusClientOptions
    {
        Host = "127.0.0.1",
        Port = Peer.Port,
        MaxInFlight = maxInFlight,
        RequestTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
    });

    [Fact]
    public async Task Fc1_reads_coils_that_alternate_on_and_off()
    {
        await using var client = Client();
        Assert.Equal(new bool[] { true, false, true, false, true, false, true, false, true, false }, await client.ReadCoilsAsync(1, 0, 10));
    }

    [Fact]
    public async Task Fc2_reads_discrete_inputs_set_at_multiples_of_three()
    {
        await using var client = Client();
        Assert.Equal(new bool[] { false, false, true, false, false, true, false }, await client.ReadDiscreteInputsAsync(1, 1, 7));
    }

    [Fact]
    public async Task Fc3_reads_holding_registers_holding_their_own_address()
    {
        await using var client = Client();
        Assert.Equal([500, 501, 502, 503, 504], await client.ReadHoldingRegistersAsync(1, 500, 5));
    }

    [Fact]
    public async Task Fc4_reads_input_registers_of_1000_plus_address()
    {
        await using var client = Client();
        Assert.Equal([1000, 1001, 1002], await client.ReadInputRegistersAsync(1, 0, 3));
    }

    [Fact]
    public async Task Fc5_switches_a_coil_and_it_reads_back()
    {
        await using var client = Client();
        await client.WriteSingleCoilAsync(1, 301, true);
        await client.WriteSingleCoilAsync(1, 302, false);
        Assert.Equal(new bool[] { true, false }, await client.ReadCoilsAsync(1, 301, 2));
    }

    [Fact]
    public async Task Fc6_writes_a_register_and_it_reads_back()
    {
        await using var client = Client();
        await client.WriteSingleRegisterAsync(1, 310, 0xBEEF);
        Assert.Equal([0xBEEF], await client.ReadHoldingRegistersAsync(1, 310, 1));
    }

    [Fact]
    public async Task Fc15_writes_nine_coils_across_a_byte_boundary()
    {
        await using var client = Client();
        bool[] coils = [true, true, false, true, false, false, true, false, true];
        await client.WriteMultipleCoilsAsync(1, 320, coils);
        Assert.Equal(coils, await client.ReadCoilsAsync(1, 320, 9));
    }

    [Fact]
    public async Task Fc16_writes_a_float32_in_word_swapped_order_and_it_reads_back()
    {
        await using var client = Client();
        var registers = ModbusValues.EncodeNumber(-273.15, ModbusValueType.Float32, ModbusByteOrder.CDAB);
        await client.WriteMultipleRegistersAsync(1, 330, registers);
        var read = await client.ReadHoldingRegistersAsync(1, 330, 2);
        Assert.Equal(registers, read);
        Assert.Equal((double)-273.15f, ModbusValues.DecodeNumber(read, ModbusValueType.Float32, ModbusByteOrder.CDAB));
    }

    [Fact]
    public async Task Fc23_against_a_server_without_it_is_refused_as_illegal_function()
    {
        // modbus-serial's ServerTCP implements FC1-6, 15, 16 and 43, not 23; FC23 itself is tested against our own
        // server with the npm client (OwnServerTests).
        await using var client = Client();
        var error = await Assert.ThrowsAsync<ModbusException>(() => client.ReadWriteMultipleRegistersAsync(1, 0, 2, 340, [1]));
        Assert.Equal(ModbusExceptionCode.IllegalFunction, error.Code);
        Assert.Equal("Illegal Function", error.CodeName);
    }

    [Fact]
    public async Task A_read_past_the_table_is_refused_with_illegal_data_address()
    {
        await using var client = Client();
        var error = await Assert.ThrowsAsync<ModbusException>(() => client.ReadHoldingRegistersAsync(1, 5000, 1));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal(ModbusFunction.ReadHoldingRegisters, error.Function);
        // The device is alive: the same connection carries on.
        Assert.Equal([1], await client.ReadHoldingRegistersAsync(1, 1, 1));
        Assert.Equal(1, client.Connects);
    }

    [Fact]
    public async Task A_write_the_plc_refuses_is_a_server_device_failure()
    {
        await using var client = Client();
        var error = await Assert.ThrowsAsync<ModbusException>(() => client.WriteSingleRegisterAsync(1, 105, 1));
        Assert.Equal(ModbusExceptionCode.ServerDeviceFailure, error.Code);
        Assert.Equal([105], await client.ReadHoldingRegistersAsync(1, 105, 1));
    }

    [Fact]
    public async Task A_request_to_a_unit_id_the_server_ignores_times_out()
    {
        await using var client = Client(timeoutMs: 300);
        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(7, 0, 1));
        Assert.Equal(1, client.Timeouts);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_out_of_order_and_each_gets_its_own_response()
    {
        await using var client = Client(maxInFlight: 4);
        // The peer answers holding 8xx after xx × 10 ms: 899 takes 990 ms, 800 answers at once. The check is on the
        // responses themselves, not on the order continuations ran in: on a loaded machine a continuation can wait for
        // a pool thread, and a 200 ms margin was once not enough (CI, 2026-11-23).
        var slow = client.ReadHoldingRegistersAsync(1, 899, 1);
        var fast = client.ReadHoldingRegistersAsync(1, 800, 1);
        Assert.Equal([800], await fast);
        Assert.False(slow.IsCompleted, "the slow request was answered before the fast one");
        Assert.Equal(1, client.ResponsesReceived);
        Assert.Equal([899], await slow);
        Assert.Equal(2, client.ResponsesReceived);
    }

    [Fact]
    public async Task A_server_that_disappears_fails_requests_and_they_work_again_when_it_returns()
    {
        await using var peer = await ModbusPeer.StartAsync();
        await using var client = new ModbusTcpClient(new ModbusClientOptions
        {
            Host = "127.0.0.1",
            Port = peer.Port,
            RequestTimeout = TimeSpan.FromSeconds(2),
            ReconnectDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        });
        Assert.Equal([2], await client.ReadHoldingRegistersAsync(1, 2, 1));
        await peer.StopAsync();
        await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadHoldingRegistersAsync(1, 2, 1));
        Assert.False(client.IsConnected);

        await peer.RestartAsync();
        var watch = Stopwatch.StartNew();
        ushort[]? value = null;
        while (value is null && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                value = await client.ReadHoldingRegistersAsync(1, 2, 1);
            }
            catch (ModbusConnectionException)
            {
                await Task.Delay(50);
            }
        }
        Assert.Equal([2], value);
        Assert.Equal(2, client.Connects);
    }
}
