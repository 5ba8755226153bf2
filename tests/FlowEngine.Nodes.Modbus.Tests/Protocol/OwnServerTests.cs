using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using FlowEngine.Nodes.Modbus.Protocol.Client;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Server;
using FlowEngine.Nodes.Modbus.Tests.Peers;

namespace FlowEngine.Nodes.Modbus.Tests.Protocol;

/// <summary>FlowEngine's own Modbus TCP server, driven by outside clients: npm modbus-serial and raw python frames.</summary>
public sealed class OwnServerTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<ModbusBankWrite> _writes = new();
    private ModbusDataBank _bank = null!;
    private ModbusTcpServer _server = null!;

    public Task InitializeAsync()
    {
        _bank = new ModbusDataBank(1000, 1000, 1000, 1000);
        _server = new ModbusTcpServer(new ModbusServerOptions { Port = 0 }, new ModbusDataBankHandler(_bank, _writes.Enqueue));
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private int Port => _server.LocalEndPoint.Port;

    [Fact]
    public async Task An_outside_npm_client_uses_every_function_code_on_our_server()
    {
        _bank.WriteRegisters(ModbusArea.HoldingRegisters, 0, [11, 22, 33, 44]);
        _bank.WriteRegisters(ModbusArea.InputRegisters, 0, [500, 501]);
        _bank.WriteBits(ModbusArea.Coils, 0, [true, false, true, true]);
        _bank.WriteBits(ModbusArea.DiscreteInputs, 0, [false, true, true]);
        await ModbusPeer.EnsureInstalledAsync();

        var (code, output) = await ModbusPeer.RunAsync("node", $"client-check.js {Port} 1", ModbusPeer.PeerDirectory, TimeSpan.FromSeconds(30));

        Assert.True(code == 0, output);
        using var result = JsonDocument.Parse(output.Trim().Split('\n').Last());
        var root = result.RootElement;
        bool[] Bools(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        int[] Ints(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal([true, false, true, true], Bools("fc1"));
        Assert.Equal([false, true, true], Bools("fc2"));
        Assert.Equal([11, 22, 33, 44], Ints("fc3"));
        Assert.Equal([500, 501], Ints("fc4"));
        Assert.True(root.GetProperty("fc5").GetBoolean());
        Assert.Equal(0xBEEF, root.GetProperty("fc6").GetInt32());
        Assert.Equal([true, false, true, true, false, true, true, true, true], Bools("fc15"));
        Assert.Equal([1, 2, 65535], Ints("fc16"));
        // FC23 writes 42..43 = 7, 8 before reading 40..43 (§6.17).
        Assert.Equal([1, 2, 7, 8], Ints("fc23"));
        Assert.Equal(2, root.GetProperty("exception").GetInt32());

        Assert.Equal([0xBEEF], _bank.ReadRegisters(ModbusArea.HoldingRegisters, 20, 1));
        Assert.Equal(
            ["Coils 10 1", "HoldingRegisters 20 1", "Coils 30 9", "HoldingRegisters 40 3", "HoldingRegisters 42 2"],
            _writes.Select(w => $"{w.Area} {w.StartAddress} {w.Count}"));
    }

    [Fact]
    public async Task Raw_frames_from_python_get_the_exception_codes_the_spec_asks_for()
    {
        const string script = """
            import socket, struct, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
            def ask(tid, pdu):
                s.sendall(struct.pack(">HHHB", tid, 0, len(pdu) + 1, 1) + pdu)
                head = b""
                while len(head) < 7: head += s.recv(7 - len(head))
                rtid, proto, length, unit = struct.unpack(">HHHB", head)
                body = b""
                while len(body) < length - 1: body += s.recv(length - 1 - len(body))
                assert rtid == tid and proto == 0 and unit == 1
                return body.hex()
            print(ask(1, struct.pack(">BHH", 8, 0, 0)))        # diagnostics: not supported
            print(ask(2, struct.pack(">BHH", 3, 0, 0)))        # quantity 0
            print(ask(3, struct.pack(">BHH", 3, 999, 2)))      # runs past the table
            print(ask(4, struct.pack(">BHH", 5, 3, 0x1234)))   # coil value neither FF00 nor 0000
            print(ask(5, struct.pack(">BHH", 6, 7, 0x0A0B)))   # a good write
            """;
        var path = Path.Combine(Path.GetTempPath(), $"modbus-raw-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, script);
        try
        {
            var (code, output) = await ModbusPeer.RunAsync("python3", $"{path} {Port}", Path.GetTempPath(), TimeSpan.FromSeconds(30));
            Assert.True(code == 0, output);
            Assert.Equal(["8801", "8303", "8302", "8503", "060007" + "0a0b"], output.Trim().Split('\n').Select(l => l.Trim()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Our_client_and_server_agree_that_fc23_writes_before_it_reads()
    {
        _bank.WriteRegisters(ModbusArea.HoldingRegisters, 100, [1, 2, 3, 4]);
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Host = "127.0.0.1", Port = Port, RequestTimeout = TimeSpan.FromSeconds(10) });
        var read = await client.ReadWriteMultipleRegistersAsync(1, 100, 4, 101, [20, 30]);
        Assert.Equal([1, 20, 30, 4], read);
    }

    [Fact]
    public async Task A_server_bound_to_one_unit_id_does_not_answer_the_others()
    {
        await using var server = new ModbusTcpServer(new ModbusServerOptions { Port = 0, UnitIds = new HashSet<byte> { 5 } }, new ModbusDataBankHandler(_bank));
        server.Start();
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Host = "127.0.0.1", Port = server.LocalEndPoint.Port, RequestTimeout = TimeSpan.FromMilliseconds(300) });
        Assert.Equal([0], await client.ReadHoldingRegistersAsync(5, 0, 1));
        await Assert.ThrowsAsync<ModbusTimeoutException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public async Task A_client_sending_bytes_that_are_not_modbus_is_dropped_while_others_carry_on()
    {
        using var rogue = new TcpClient();
        await rogue.ConnectAsync("127.0.0.1", Port);
        await rogue.GetStream().WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var buffer = new byte[16];
        var read = await rogue.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, read); // closed by the server

        await using var client = new ModbusTcpClient(new ModbusClientOptions { Host = "127.0.0.1", Port = Port, RequestTimeout = TimeSpan.FromSeconds(10) });
        await client.WriteSingleRegisterAsync(1, 9, 99);
        Assert.Equal([99], await client.ReadHoldingRegistersAsync(1, 9, 1));
    }
}
