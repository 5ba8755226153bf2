using System.Text.Json;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Protocol.Client;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Values;
using FlowEngine.Nodes.Modbus.Tests.Peers;

namespace FlowEngine.Nodes.Modbus.Tests;

/// <summary>modbus-server: flows fill its tables, outside clients read and write them, remote writes become messages.</summary>
public sealed class ModbusServerNodeTests
{
    private static string Server(int port) => $$"""
        {"id":"s","type":"modbus-server","z":"t1","host":"127.0.0.1","port":{{port}},"unitId":0,"holdingRegisters":1000,"coils":1000,"discreteInputs":1000,"inputRegisters":1000,"wires":[["h"]]},
        {"id":"h","type":"helper","z":"t1","wires":[]}
        """;

    [Fact]
    public async Task Values_written_by_the_flow_are_read_by_a_client_in_the_requested_encoding()
    {
        var port = ModbusPeer.FreePort();
        await using var flow = await ModbusFlows.StartAsync(Server(port), fakeClock: false);
        flow.Send("s", """{"payload":{"area":"holding","address":10,"type":"float32","order":"CDAB","value":21.5}}""");
        flow.Send("s", """{"payload":{"area":"input","address":0,"type":"int32","value":[-2,70000]}}""");
        flow.Send("s", """{"payload":{"area":"holding","address":20,"type":"string","length":3,"value":"OK"}}""");
        flow.Send("s", """{"payload":{"area":"discrete","address":5,"value":[true,false,true]}}""");
        flow.Send("s", """{"payload":{"area":"holding","address":30,"type":"bool","bit":4,"value":true}}""");
        await flow.SettleAsync();

        await using var client = new ModbusTcpClient(new ModbusClientOptions { Host = "127.0.0.1", Port = port, RequestTimeout = TimeSpan.FromSeconds(10) });
        Assert.Equal([0x0000, 0x41AC], await client.ReadHoldingRegistersAsync(1, 10, 2)); // 21.5f = 0x41AC0000, low word first
        Assert.Equal([0xFFFF, 0xFFFE, 0x0001, 0x1170], await client.ReadInputRegistersAsync(1, 0, 4));
        Assert.Equal("OK", ModbusValues.DecodeString(await client.ReadHoldingRegistersAsync(1, 20, 3), ModbusByteOrder.ABCD));
        Assert.Equal(new bool[] { true, false, true }, await client.ReadDiscreteInputsAsync(1, 5, 3));
        Assert.Equal([0x0010], await client.ReadHoldingRegistersAsync(1, 30, 1));
        var error = await Assert.ThrowsAsync<ModbusException>(() => client.ReadHoldingRegistersAsync(1, 999, 2));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
    }

    [Fact]
    public async Task A_write_by_a_remote_client_comes_out_as_a_message()
    {
        var port = ModbusPeer.FreePort();
        await using var flow = await ModbusFlows.StartAsync(Server(port), fakeClock: false);
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Host = "127.0.0.1", Port = port, RequestTimeout = TimeSpan.FromSeconds(10) });
        await client.WriteMultipleRegistersAsync(3, 5, [77, 78]);
        var msg = await flow.NextAsync("h");
        Assert.Equal("write", msg["topic"]);
        Assert.Equal("""{"area":"holding","address":5,"values":[77,78]}""", JsJson.Serialize(msg["payload"]));
        Assert.Equal(3.0, ((JsObject)msg["modbus"]!)["unitId"]);

        await client.WriteSingleCoilAsync(1, 2, true);
        Assert.Equal("""{"area":"coil","address":2,"values":[true]}""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));

        flow.Send("s", """{"payload":{"area":"holding","address":5,"quantity":2},"id":"q"}""");
        var read = await flow.NextAsync("h");
        Assert.Equal("q", read["id"]);
        Assert.Equal("[77,78]", JsJson.Serialize(read["payload"]));
    }

    [Fact]
    public async Task An_outside_npm_client_reads_and_writes_the_server_node_with_every_function_code()
    {
        var port = ModbusPeer.FreePort();
        await using var flow = await ModbusFlows.StartAsync(Server(port), fakeClock: false);
        flow.Send("s", """{"payload":{"area":"holding","address":0,"value":[11,22,33,44]}}""");
        flow.Send("s", """{"payload":{"area":"input","address":0,"value":[500,501]}}""");
        flow.Send("s", """{"payload":{"area":"coil","address":0,"value":[true,false,true,true]}}""");
        flow.Send("s", """{"payload":{"area":"discrete","address":0,"value":[false,true,true]}}""");
        await flow.SettleAsync();
        await ModbusPeer.EnsureInstalledAsync();

        var (code, output) = await ModbusPeer.RunAsync("node", $"client-check.js {port} 1", ModbusPeer.PeerDirectory, TimeSpan.FromSeconds(30));

        Assert.True(code == 0, output);
        using var result = JsonDocument.Parse(output.Trim().Split('\n').Last());
        Assert.Equal("[1,2,7,8]", result.RootElement.GetProperty("fc23").GetRawText());
        Assert.Equal("[11,22,33,44]", result.RootElement.GetProperty("fc3").GetRawText());
        Assert.Equal(2, result.RootElement.GetProperty("exception").GetInt32());
        // Five remote writes (FC5, 6, 15, 16, 23), each a message.
        var writes = await flow.NextAsync("h", 5);
        Assert.Equal(["coil 10", "holding 20", "coil 30", "holding 40", "holding 42"],
            writes.Select(w => $"{((JsObject)w["payload"]!)["area"]} {((JsObject)w["payload"]!)["address"]}"));
    }

    [Fact]
    public async Task A_port_already_in_use_leaves_the_node_with_an_error_status_and_the_flow_running()
    {
        using var blocker = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((System.Net.IPEndPoint)blocker.LocalEndpoint).Port;
        await using var flow = await ModbusFlows.StartAsync(Server(port), fakeClock: false);
        var node = ModbusFlows.Node<ModbusServerNode>(flow, "s");
        Assert.Equal("red", node.Status.Fill);
        Assert.Contains(flow.Logs, l => l.Message.Contains($"cannot listen on 127.0.0.1:{port}", StringComparison.Ordinal));
    }
}
