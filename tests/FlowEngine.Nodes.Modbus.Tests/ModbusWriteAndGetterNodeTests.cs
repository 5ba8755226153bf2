using System.Collections.Concurrent;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Modbus.Tests.Peers;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Modbus.Tests;

/// <summary>modbus-write and modbus-getter against the npm peer. Each test writes its own addresses.</summary>
public sealed class ModbusWriteAndGetterNodeTests(ModbusPeerFixture fixture) : IClassFixture<ModbusPeerFixture>
{
    private ModbusPeer Peer => fixture.Peer;

    private string WriteAndRead(string write, string getter) => ModbusFlows.Device(Peer.Port) + "," + $$"""
        {"id":"w","type":"modbus-write","z":"t1","device":"dev"{{write}},"wires":[["hw","g"]]},
        {"id":"g","type":"modbus-getter","z":"t1","device":"dev"{{getter}},"wires":[["h"]]},
        {"id":"c","type":"catch","z":"t1","scope":null,"uncaught":false,"wires":[["e"]]},
        {"id":"hw","type":"helper","z":"t1","wires":[]},
        {"id":"h","type":"helper","z":"t1","wires":[]},
        {"id":"e","type":"helper","z":"t1","wires":[]}
        """;

    private async Task<List<string>> RequestsAsync(int count)
    {
        Assert.True(await ModbusFlows.EventuallyAsync(() => Peer.Requests.Count >= count), string.Join("\n", Peer.Requests));
        return Peer.Requests.ToList();
    }

    [Fact]
    public async Task A_float32_written_in_word_swapped_order_is_read_back_exactly()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(
            ""","area":"holding","address":400,"dataType":"float32","order":"CDAB" """,
            ""","area":"holding","address":400,"dataType":"float32","order":"CDAB" """));
        Peer.ClearRequests();
        flow.Send("w", """{"payload":-12.375}""");
        var read = await flow.NextAsync("h");
        Assert.Equal(-12.375, read["payload"]);
        // -12.375f = 0xC1460000: low word first.
        Assert.Equal("[0,49478]", JsJson.Serialize(((JsObject)read["modbus"]!)["raw"]));
        var written = flow.Received("hw").Single();
        Assert.Equal($$"""{"device":"127.0.0.1:{{Peer.Port}}","unitId":1,"area":"holding","address":400,"function":16,"registers":[0,49478]}""",
            JsJson.Serialize(written["modbus"]));
        Assert.Equal(["REQ unit=1 fc=16 addr=400 qty=2", "REQ unit=1 fc=3 addr=400 qty=2"], await RequestsAsync(2));
    }

    [Fact]
    public async Task One_register_goes_out_as_write_single_register_and_scaling_is_removed()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(
            ""","area":"holding","address":410,"dataType":"int16","scale":0.1""",
            ""","area":"holding","address":410,"dataType":"int16","scale":0.1"""));
        Peer.ClearRequests();
        flow.Send("w", """{"payload":-12.3}""");
        var read = await flow.NextAsync("h");
        Assert.Equal(-12.3, (double)read["payload"]!, 9);
        Assert.Equal("[65413]", JsJson.Serialize(((JsObject)read["modbus"]!)["raw"])); // -123
        Assert.Equal("REQ unit=1 fc=6 addr=410 qty=65413", (await RequestsAsync(1))[0]);
    }

    [Fact]
    public async Task Mode_multiple_uses_fc16_even_for_one_register()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(""","area":"holding","address":415,"mode":"multiple" """, ""","address":415"""));
        Peer.ClearRequests();
        flow.Send("w", """{"payload":7}""");
        Assert.Equal(7.0, (await flow.NextAsync("h"))["payload"]);
        Assert.Equal("REQ unit=1 fc=16 addr=415 qty=1", (await RequestsAsync(1))[0]);
    }

    [Fact]
    public async Task A_single_coil_uses_fc5_and_an_array_of_coils_uses_fc15()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(""","area":"coil","address":420""", ""","area":"coil","address":420,"quantity":3"""));
        Peer.ClearRequests();
        flow.Send("w", """{"payload":false}""");
        Assert.Equal("[false,false,true]", JsJson.Serialize((await flow.NextAsync("h"))["payload"])); // 421 odd, 422 even
        flow.Send("w", """{"payload":[true,true,false]}""");
        Assert.Equal("[true,true,false]", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
        var requests = await RequestsAsync(4);
        Assert.Equal("REQ unit=1 fc=5 addr=420 qty=0", requests[0]);
        Assert.Equal("REQ unit=1 fc=15 addr=420 qty=3", requests[2]);
    }

    [Fact]
    public async Task A_string_is_written_two_characters_per_register()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(
            ""","area":"holding","address":430,"dataType":"string","length":4""",
            ""","area":"holding","address":430,"dataType":"string","length":4"""));
        flow.Send("w", """{"payload":"PUMP-7"}""");
        var read = await flow.NextAsync("h");
        Assert.Equal("PUMP-7", read["payload"]);
        Assert.Equal("[20565,19792,11575,0]", JsJson.Serialize(((JsObject)read["modbus"]!)["raw"]));
    }

    [Fact]
    public async Task A_write_the_plc_refuses_goes_to_catch_with_the_exception_name_and_is_audited_as_refused()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(""","name":"setpoint","area":"holding","address":104""", ""","address":104"""));
        flow.Send("w", """{"payload":55,"batch":"b1"}""");
        var error = await flow.NextAsync("e");
        Assert.Equal("b1", error["batch"]);
        Assert.Equal("Modbus exception 04 Server Device Failure for WriteSingleRegister addr=104 value=0x0037 (unit 1)", error.Text("error.message"));
        Assert.Equal("refused: Server Device Failure", ModbusFlows.Node<ModbusWriteNode>(flow, "w").Status.Text);
        var audit = Assert.Single(flow.Logs, l => l.Message.StartsWith("audit:", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, audit.Level);
        Assert.Contains("modbus write by modbus-write \"setpoint\" (w) to 127.0.0.1:" + Peer.Port + " unit 1: holding 104 = 55 as uint16", audit.Message, StringComparison.Ordinal);
        Assert.Empty(flow.Received("hw"));
    }

    [Fact]
    public async Task A_value_that_does_not_fit_the_type_is_an_error_and_nothing_is_sent()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(""","area":"holding","address":440,"dataType":"int16" """, ""","address":440"""));
        Peer.ClearRequests();
        flow.Send("w", """{"payload":40000}""");
        Assert.Equal("40000 does not fit Int16", (await flow.NextAsync("e")).Text("error.message"));
        await Task.Delay(100);
        Assert.Empty(Peer.Requests);
    }

    [Fact]
    public async Task The_value_can_come_from_another_message_property()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(""","area":"holding","address":445,"value":"setpoint.value","valueType":"msg" """, ""","address":445"""));
        flow.Send("w", """{"payload":"ignored","setpoint":{"value":321}}""");
        Assert.Equal(321.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task The_value_can_be_computed_by_a_jsonata_expression()
    {
        await using var flow = await ModbusFlows.StartAsync(WriteAndRead(""","area":"holding","address":447,"value":"payload * 2","valueType":"jsonata" """, ""","address":447"""));
        flow.Send("w", """{"payload":21}""");
        Assert.Equal(42.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task The_getter_reads_what_msg_payload_asks_for()
    {
        await using var flow = await ModbusFlows.StartAsync(ModbusFlows.Device(Peer.Port) + "," + """
            {"id":"g","type":"modbus-getter","z":"t1","device":"dev","area":"holding","address":0,"wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("g", """{"payload":{"area":"input","address":5,"quantity":3}}""");
        var many = await flow.NextAsync("h");
        Assert.Equal("[1005,1006,1007]", JsJson.Serialize(many["payload"]));
        Assert.Equal("input", ((JsObject)many["modbus"]!)["area"]);
        flow.Send("g", """{"payload":"anything"}""");
        Assert.Equal(0.0, (await flow.NextAsync("h"))["payload"]);
        flow.Send("g", """{"payload":{"area":"discrete","address":9,"quantity":2}}""");
        Assert.Equal("[true,false]", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task A_successful_write_is_audited_at_information_level_with_node_device_address_and_value()
    {
        var logs = new RecordingLoggerFactory();
        await using var runtime = new FlowRuntime(new FlowRuntimeOptions
        {
            Registry = TestFlow.CreateRegistry(ModbusNodes.Register),
            LoggerFactory = logs,
            Settings = new RuntimeSettings(new JsObject { ["userDir"] = Directory.CreateTempSubdirectory("flowengine-modbus-").FullName }),
        });
        await runtime.StartAsync();
        await runtime.DeployAsync(JsJson.Parse("""[{"id":"t1","type":"tab","label":"T"},""" + ModbusFlows.Device(Peer.Port) + "," + """
            {"id":"w","type":"modbus-write","z":"t1","name":"valve","device":"dev","area":"coil","address":450,"wires":[]}
            """ + "]"), DeploymentType.Full);
        Assert.True(runtime.Services.Deliver("w", new JsObject { ["payload"] = true }));
        Assert.True(await ModbusFlows.EventuallyAsync(() => logs.Lines.Any(l => l.Contains("audit:", StringComparison.Ordinal))));
        var line = logs.Lines.Single(l => l.Contains("audit:", StringComparison.Ordinal));
        Assert.Equal($"Information [modbus-write:valve] audit: modbus write by modbus-write \"valve\" (w) to 127.0.0.1:{Peer.Port} unit 1: coil 450 = true as bool (WriteSingleCoil addr=450 value=ON)", line);
    }

    private sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue($"{logLevel} {formatter(state, exception)}");
    }
}
