using FlowEngine.Nodes.Modbus.Protocol.Client;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Transport;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Nodes.Modbus.Tests.Protocol;

/// <summary>The client over an in-memory connection: correlation, in-flight limit, timeouts, errors, reconnect.</summary>
public sealed class ClientTests
{
    private readonly Queue<ScriptedServer> _servers = new();
    private int _connects;

    private ModbusTcpClient Client(int maxInFlight = 1, TimeProvider? time = null, Func<Exception?>? failConnect = null) => new(new ModbusClientOptions
    {
        Host = "in-memory",
        MaxInFlight = maxInFlight,
        TimeProvider = time ?? TimeProvider.System,
        RequestTimeout = TimeSpan.FromSeconds(5),
        Connector = _ =>
        {
            _connects++;
            if (failConnect?.Invoke() is { } error) throw error;
            var (client, server) = DuplexStream.CreatePair();
            _servers.Enqueue(new ScriptedServer(server));
            return ValueTask.FromResult<Stream>(client);
        },
    });

    private async Task<ScriptedServer> ServerAsync()
    {
        for (var i = 0; i < 500 && _servers.Count == 0; i++) await Task.Delay(10);
        return _servers.Dequeue();
    }

    [Fact]
    public async Task Several_requests_in_flight_are_matched_by_transaction_id_when_answers_come_back_reversed()
    {
        await using var client = Client(maxInFlight: 3);
        var reads = new[] { 0, 10, 20 }.Select(a => client.ReadHoldingRegistersAsync(1, (ushort)a, 1)).ToArray();
        var server = await ServerAsync();
        var requests = new List<(ModbusTcpFrame Frame, ModbusRequest Request)>();
        for (var i = 0; i < 3; i++) requests.Add(await server.NextRequestAsync());
        Assert.Equal(3, requests.Select(r => r.Frame.TransactionId).Distinct().Count());
        requests.Reverse();
        foreach (var (frame, request) in requests)
        {
            // Each answer carries 1000 + the address asked for, so a mix-up shows.
            await server.AnswerAsync(frame.TransactionId, 1, new ReadRegistersResponse(ModbusFunction.ReadHoldingRegisters, [(ushort)(1000 + request.Address)]));
        }
        var values = await Task.WhenAll(reads);
        Assert.Equal([1000, 1010, 1020], values.Select(v => (int)v[0]));
        Assert.Equal(3, client.ResponsesReceived);
    }

    [Fact]
    public async Task With_one_request_in_flight_the_second_waits_until_the_first_is_answered()
    {
        await using var client = Client(maxInFlight: 1);
        var first = client.ReadCoilsAsync(1, 0, 1);
        var second = client.ReadCoilsAsync(1, 5, 1);
        var server = await ServerAsync();
        var (frame, request) = await server.NextRequestAsync();
        Assert.Equal(0, request.Address);
        Assert.True(await server.NoRequestWithinAsync(TimeSpan.FromMilliseconds(150)));
        await server.AnswerAsync(frame.TransactionId, 1, new ReadBitsResponse(ModbusFunction.ReadCoils, [true, false, false, false, false, false, false, false]));
        Assert.Equal(new bool[] { true }, await first);
        var (frame2, request2) = await server.NextRequestAsync();
        Assert.Equal(5, request2.Address);
        await server.AnswerAsync(frame2.TransactionId, 1, new ReadBitsResponse(ModbusFunction.ReadCoils, new bool[8]));
        Assert.Equal(new bool[] { false }, await second);
    }

    [Fact]
    public async Task A_request_without_answer_times_out_and_its_late_answer_is_ignored()
    {
        var time = new FakeTimeProvider();
        await using var client = Client(time: time);
        var read = client.ReadInputRegistersAsync(1, 3, 1);
        var server = await ServerAsync();
        var (frame, _) = await server.NextRequestAsync();
        // The client arms its timer just after the write; advance until it has fired.
        for (var i = 0; i < 200 && !read.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }
        var error = await Assert.ThrowsAsync<ModbusTimeoutException>(() => read);
        Assert.Contains("within 5000 ms", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.Timeouts);

        await server.AnswerAsync(frame.TransactionId, 1, new ReadRegistersResponse(ModbusFunction.ReadInputRegisters, [99]));
        var next = client.ReadInputRegistersAsync(1, 4, 1);
        var (frame2, _) = await server.NextRequestAsync();
        await server.AnswerAsync(frame2.TransactionId, 1, new ReadRegistersResponse(ModbusFunction.ReadInputRegisters, [4]));
        Assert.Equal([4], await next);
        Assert.Equal(1, client.UnmatchedResponses);
    }

    [Fact]
    public async Task An_exception_response_becomes_a_typed_modbus_exception_with_the_code_name()
    {
        await using var client = Client();
        var write = client.WriteSingleRegisterAsync(1, 9999, 5);
        var server = await ServerAsync();
        var (frame, _) = await server.NextRequestAsync();
        await server.AnswerAsync(frame.TransactionId, 1, new ExceptionResponse(ModbusFunction.WriteSingleRegister, ModbusExceptionCode.IllegalDataAddress));
        var error = await Assert.ThrowsAsync<ModbusException>(() => write);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal("Illegal Data Address", error.CodeName);
        Assert.Equal("Modbus exception 02 Illegal Data Address for WriteSingleRegister addr=9999 value=0x0005 (unit 1)", error.Message);
    }

    [Fact]
    public async Task A_response_with_another_function_code_is_a_protocol_error()
    {
        await using var client = Client();
        var read = client.ReadHoldingRegistersAsync(1, 0, 2);
        var server = await ServerAsync();
        var (frame, _) = await server.NextRequestAsync();
        await server.AnswerAsync(frame.TransactionId, 1, new ReadRegistersResponse(ModbusFunction.ReadInputRegisters, [1, 2]));
        await Assert.ThrowsAsync<ModbusProtocolException>(() => read);
    }

    [Fact]
    public async Task A_response_with_fewer_registers_than_asked_is_a_protocol_error()
    {
        await using var client = Client();
        var read = client.ReadHoldingRegistersAsync(1, 0, 3);
        var server = await ServerAsync();
        var (frame, _) = await server.NextRequestAsync();
        await server.AnswerAsync(frame.TransactionId, 1, new ReadRegistersResponse(ModbusFunction.ReadHoldingRegisters, [1, 2]));
        var error = await Assert.ThrowsAsync<ModbusProtocolException>(() => read);
        Assert.Contains("carries 2 registers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_connection_fails_the_waiting_request_and_the_next_request_reconnects()
    {
        await using var client = Client();
        var read = client.ReadHoldingRegistersAsync(1, 0, 1);
        var server = await ServerAsync();
        await server.NextRequestAsync();
        server.Close();
        await Assert.ThrowsAsync<ModbusConnectionException>(() => read);

        var again = client.ReadHoldingRegistersAsync(1, 1, 1);
        var second = await ServerAsync();
        var (frame, _) = await second.NextRequestAsync();
        await second.AnswerAsync(frame.TransactionId, 1, new ReadRegistersResponse(ModbusFunction.ReadHoldingRegisters, [7]));
        Assert.Equal([7], await again);
        Assert.Equal(2, client.Connects);
    }

    [Fact]
    public async Task After_a_failed_connect_the_next_attempt_waits_for_the_reconnect_delay()
    {
        var time = new FakeTimeProvider();
        var fail = true;
        await using var client = Client(time: time, failConnect: () => fail ? new ModbusConnectionException("refused") : null);
        await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadCoilsAsync(1, 0, 1));
        var early = await Assert.ThrowsAsync<ModbusConnectionException>(() => client.ReadCoilsAsync(1, 0, 1));
        Assert.Contains("next connection attempt in 1000 ms", early.Message, StringComparison.Ordinal);
        Assert.Equal(1, _connects);

        fail = false;
        time.Advance(TimeSpan.FromSeconds(1));
        var read = client.ReadCoilsAsync(1, 0, 1);
        var server = await ServerAsync();
        var (frame, _) = await server.NextRequestAsync();
        await server.AnswerAsync(frame.TransactionId, 1, new ReadBitsResponse(ModbusFunction.ReadCoils, [true, false, false, false, false, false, false, false]));
        Assert.Equal(new bool[] { true }, await read);
        Assert.Equal(2, _connects);
    }

    [Fact]
    public async Task A_request_the_spec_forbids_is_refused_without_touching_the_connection()
    {
        await using var client = Client();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReadHoldingRegistersAsync(1, 0, 200));
        Assert.Equal(0, _connects);
    }
}
