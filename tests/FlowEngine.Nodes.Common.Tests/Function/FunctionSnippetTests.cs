using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>Function code as found in real Node-RED flows gives Node-RED's results.</summary>
public sealed class FunctionSnippetTests
{
    [Fact]
    public async Task Modbus_holding_registers_decode_to_a_float()
    {
        await using var flow = await StartAsync(OneFunction("""
            const buf = Buffer.alloc(4);
            buf.writeUInt16BE(msg.payload[0], 0);
            buf.writeUInt16BE(msg.payload[1], 2);
            msg.payload = buf.readFloatBE(0);
            return msg;
            """));
        flow.Send("f", """{"payload":[17076,52429]}""");
        Assert.Equal(90.4000015258789, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Modbus_word_swapped_int32_and_signed_registers_decode()
    {
        await using var flow = await StartAsync(OneFunction("""
            const regs = msg.payload;
            const buf = Buffer.alloc(8);
            // Little-endian word order (CDAB): low word first.
            buf.writeUInt16BE(regs[1], 0);
            buf.writeUInt16BE(regs[0], 2);
            buf.writeUInt16BE(regs[2], 4);
            msg.payload = { counter: buf.readInt32BE(0), temperature: buf.readInt16BE(4) / 10 };
            return msg;
            """));
        flow.Send("f", """{"payload":[57920,65535,65436]}""");
        Assert.Equal("""{"counter":-7616,"temperature":-10}""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task A_buffer_payload_is_parsed_into_fields()
    {
        await using var flow = await StartAsync(OneFunction("""
            const b = msg.payload;
            msg.payload = {
              id: b.readUInt8(0),
              flags: b.readUInt8(1).toString(2).padStart(8, '0'),
              value: b.readUInt32LE(2),
              name: b.toString('ascii', 6, 10),
              hex: b.slice(0, 2).toString('hex'),
            };
            return msg;
            """));
        flow.Send("f", new JsObject { ["payload"] = new byte[] { 7, 0b1010_0001, 0x10, 0x27, 0, 0, (byte)'p', (byte)'u', (byte)'m', (byte)'p' } });
        Assert.Equal("""{"id":7,"flags":"10100001","value":10000,"name":"pump","hex":"07a1"}""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Building_a_binary_frame_sends_a_buffer()
    {
        await using var flow = await StartAsync(OneFunction("""
            const header = Buffer.from([0x02]);
            const body = Buffer.from(JSON.stringify({ v: msg.payload }));
            const crc = Buffer.alloc(1);
            crc.writeUInt8(body.reduce((a, b) => (a + b) & 0xff, 0), 0);
            msg.payload = Buffer.concat([header, body, crc, Buffer.from([0x03])]);
            return msg;
            """));
        flow.Send("f", """{"payload":1}""");
        var payload = Assert.IsType<byte[]>((await flow.NextAsync("h"))["payload"]);
        Assert.Equal(0x02, payload[0]);
        Assert.Equal("""{"v":1}""", System.Text.Encoding.ASCII.GetString(payload, 1, 7));
        Assert.Equal(0x03, payload[^1]);
    }

    [Fact]
    public async Task A_fetch_like_flow_with_promises_collects_results()
    {
        await using var flow = await StartAsync(OneFunction("""
            function fakeFetch(url, ms) {
              return new Promise(resolve => setTimeout(() => resolve({ url, status: 200 }), ms));
            }
            const results = await Promise.all([fakeFetch('/a', 300), fakeFetch('/b', 100)]);
            msg.payload = results.map(r => r.url + ':' + r.status);
            node.status({ fill: 'green', shape: 'dot', text: results.length + ' ok' });
            return msg;
            """));
        await flow.SendAsync("f", """{"payload":0}""");
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(100));
        Assert.Empty(flow.Received("h"));
        await flow.AdvanceAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal("""["/a:200","/b:200"]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task Async_retry_loop_with_a_delay_helper()
    {
        await using var flow = await StartAsync(OneFunction("""
            const delay = ms => new Promise(r => setTimeout(r, ms));
            let attempt = 0;
            while (attempt < 3) {
              attempt++;
              if (attempt === 3) break;
              await delay(1000);
            }
            msg.payload = attempt;
            return msg;
            """));
        await flow.SendAsync("f", """{"payload":0}""");
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        await flow.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(3.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Splitting_an_array_into_messages_and_routing_by_value()
    {
        await using var flow = await StartAsync(OneFunction("""
            const high = [], low = [];
            for (const v of msg.payload) (v >= 50 ? high : low).push({ payload: v, topic: msg.topic });
            return [high, low];
            """, outputs: 2, wires: """[["h"],["h2"]]"""));
        flow.Send("f", """{"payload":[10,60,70,20],"topic":"sensor"}""");
        Assert.Equal([60.0, 70.0], (await flow.NextAsync("h", 2)).Select(m => m["payload"]));
        var low = await flow.NextAsync("h2", 2);
        Assert.Equal([10.0, 20.0], low.Select(m => m["payload"]));
        Assert.All(low, m => Assert.Equal("sensor", m["topic"]));
    }

    [Fact]
    public async Task Averaging_with_context_and_a_status()
    {
        await using var flow = await StartAsync(OneFunction("""
            const values = context.get('values') || [];
            values.push(msg.payload);
            if (values.length > 3) values.shift();
            context.set('values', values);
            const avg = values.reduce((a, b) => a + b, 0) / values.length;
            node.status({ text: 'avg ' + avg.toFixed(1) });
            return { payload: avg, topic: msg.topic };
            """));
        foreach (var v in new[] { 10, 20, 30, 40 }) flow.Send("f", $$"""{"payload":{{v}},"topic":"t"}""");
        Assert.Equal([10.0, 15.0, 20.0, 30.0], (await flow.NextAsync("h", 4)).Select(m => m["payload"]));
    }

    [Fact]
    public async Task Dates_and_json_behave_as_in_node()
    {
        await using var flow = await StartAsync(OneFunction("""
            const now = new Date();
            msg.payload = {
              iso: now.toISOString(),
              parsed: JSON.parse('{"a":[1,2,{"b":null}]}'),
              text: JSON.stringify({ when: new Date(Date.UTC(2024, 0, 2)) }),
              ts: msg.payload.ts instanceof Date ? 'date' : typeof msg.payload.ts,
            };
            return msg;
            """));
        flow.Send("f", new JsObject { ["payload"] = new JsObject { ["ts"] = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc) } });
        Assert.Equal("""{"iso":"2026-01-01T00:00:00.000Z","parsed":{"a":[1,2,{"b":null}]},"text":"{\"when\":\"2024-01-02T00:00:00.000Z\"}","ts":"date"}""",
            JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }
}
