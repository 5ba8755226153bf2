using FlowEngine.Core.Values;

namespace FlowEngine.Scripting.Tests.Sandbox;

/// <summary>Buffer inside the sandbox gives what Node.js gives (values checked against Node's documented results).</summary>
public sealed class BufferTests
{
    private static object? Eval(string expression, string message = """{"payload":null}""") =>
        SandboxHarness.Payload($"msg.payload = {expression}; return msg;", message);

    [Theory]
    [InlineData("Buffer.from('hello').toString('hex')", "68656c6c6f")]
    [InlineData("Buffer.from('hello').toString('base64')", "aGVsbG8=")]
    [InlineData("Buffer.from('aGVsbG8=', 'base64').toString()", "hello")]
    [InlineData("Buffer.from('aGVs bG8', 'base64').toString('utf8')", "hello")]
    [InlineData("Buffer.from([0xfb, 0xff]).toString('base64url')", "-_8")]
    [InlineData("Buffer.from('-_8', 'base64url').toString('hex')", "fbff")]
    [InlineData("Buffer.from('12zz34', 'hex').toString('hex')", "12")]
    [InlineData("Buffer.from('h\u00e9llo', 'latin1').toString('hex')", "68e96c6c6f")]
    [InlineData("Buffer.from([0xe9, 0x41]).toString('ascii')", "iA")]
    [InlineData("Buffer.from('ab', 'utf16le').toString('hex')", "61006200")]
    [InlineData("Buffer.from('\u20ac').toString('hex')", "e282ac")]
    [InlineData("Buffer.from('hello').toString('utf8', 1, 3)", "el")]
    public void Encodings_match_node(string expression, string expected) => Assert.Equal(expected, Eval(expression));

    [Fact]
    public void Unknown_encoding_is_a_type_error()
    {
        using var harness = new SandboxHarness("Buffer.from('x', 'klingon'); return msg;");
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("TypeError: Unknown encoding: klingon", Assert.Single(harness.Errors).Text);
    }

    [Theory]
    [InlineData("Buffer.from([0x12, 0x34]).readUInt16BE(0)", 4660.0)]
    [InlineData("Buffer.from([0x12, 0x34]).readUInt16LE(0)", 13330.0)]
    [InlineData("Buffer.from([0xff, 0xfe]).readInt16BE(0)", -2.0)]
    [InlineData("Buffer.from([0xde, 0xad, 0xbe, 0xef]).readUInt32BE(0)", 3735928559.0)]
    [InlineData("Buffer.from([0xde, 0xad, 0xbe, 0xef]).readInt32BE(0)", -559038737.0)]
    [InlineData("Buffer.from([0xef, 0xbe, 0xad, 0xde]).readUint32LE()", 3735928559.0)]
    [InlineData("Buffer.from([0x80]).readInt8(0)", -128.0)]
    [InlineData("Buffer.from([0x41, 0xc8, 0, 0]).readFloatBE(0)", 25.0)]
    [InlineData("Buffer.from([0, 0, 0xc8, 0x41]).readFloatLE(0)", 25.0)]
    [InlineData("Buffer.from([0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]).readDoubleBE(0)", 3.141592653589793)]
    [InlineData("Buffer.from([1, 2, 3, 4, 5, 6]).readUIntBE(0, 6)", 1108152157446.0)]
    [InlineData("Buffer.from([0xff, 0xff, 0xff]).readIntLE(0, 3)", -1.0)]
    [InlineData("Buffer.from([0, 0, 0, 0, 0, 0, 1, 0]).readBigUInt64BE(0)", 256.0)]
    public void Reads_decode_integers_and_floats(string expression, double expected) => Assert.Equal(expected, Eval(expression));

    [Theory]
    [InlineData("(() => { const b = Buffer.alloc(2); b.writeUInt16BE(0xbeef, 0); return b.toString('hex'); })()", "beef")]
    [InlineData("(() => { const b = Buffer.alloc(2); b.writeInt16LE(-2, 0); return b.toString('hex'); })()", "feff")]
    [InlineData("(() => { const b = Buffer.alloc(4); b.writeFloatLE(1.5, 0); return b.toString('hex'); })()", "0000c03f")]
    [InlineData("(() => { const b = Buffer.alloc(8); b.writeDoubleBE(1, 0); return b.toString('hex'); })()", "3ff0000000000000")]
    [InlineData("(() => { const b = Buffer.alloc(6); b.writeUIntBE(0x010203040506, 0, 6); return b.toString('hex'); })()", "010203040506")]
    [InlineData("(() => { const b = Buffer.alloc(4); return [b.writeUInt32BE(1, 0), b.toString('hex')].join(); })()", "4,00000001")]
    [InlineData("(() => { const b = Buffer.alloc(8); b.writeBigInt64LE(-1n, 0); return b.toString('hex'); })()", "ffffffffffffffff")]
    public void Writes_encode_integers_and_floats(string expression, string expected) => Assert.Equal(expected, Eval(expression));

    [Theory]
    [InlineData("Buffer.alloc(2).writeUInt16BE(70000, 0)", "ERR_OUT_OF_RANGE", "The value of \"value\" is out of range. It must be >= 0 and <= 65535. Received 70000")]
    [InlineData("Buffer.alloc(2).readUInt16BE(1)", "ERR_OUT_OF_RANGE", "The value of \"offset\" is out of range. It must be >= 0 and <= 0. Received 1")]
    [InlineData("Buffer.alloc(2).readUInt32BE(0)", "ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds")]
    [InlineData("Buffer.alloc(4).readInt32LE(1.5)", "ERR_OUT_OF_RANGE", "The value of \"offset\" is out of range. It must be an integer. Received 1.5")]
    public void Out_of_range_access_throws_node_errors(string expression, string code, string message)
    {
        var result = (JsObject)Eval($"(() => {{ try {{ {expression}; return null; }} catch (e) {{ return {{ name: e.name, code: e.code, message: e.message }}; }} }})()")!;
        Assert.Equal("RangeError", result["name"]);
        Assert.Equal(code, result["code"]);
        Assert.Equal(message, result["message"]);
    }

    [Fact]
    public void Alloc_fill_and_concat_build_buffers()
    {
        Assert.Equal("abab", Eval("Buffer.alloc(4, 'ab').toString()"));
        Assert.Equal("010101", Eval("Buffer.alloc(3, 1).toString('hex')"));
        Assert.Equal("abc", Eval("Buffer.concat([Buffer.from('a'), Buffer.from('bc')]).toString()"));
        Assert.Equal("ab", Eval("Buffer.concat([Buffer.from('a'), Buffer.from('bc')], 2).toString()"));
        Assert.Equal("0000", Eval("Buffer.allocUnsafe(2).fill(0).toString('hex')"));
    }

    [Fact]
    public void Slice_is_a_view_on_the_same_memory_as_in_node()
    {
        Assert.Equal("axc|true", Eval("(() => { const a = Buffer.from('abc'); const b = a.slice(1); b[0] = 0x78; return a.toString() + '|' + Buffer.isBuffer(b); })()"));
    }

    [Fact]
    public void From_array_keeps_low_eight_bits_and_from_array_buffer_shares_memory()
    {
        Assert.Equal("00ff01", Eval("Buffer.from([256, -1, 1.7]).toString('hex')"));
        Assert.Equal(7.0, Eval("(() => { const ab = new ArrayBuffer(2); const b = Buffer.from(ab); new Uint8Array(ab)[1] = 7; return b[1]; })()"));
        Assert.Equal("0102", Eval("Buffer.from({ type: 'Buffer', data: [1, 2] }).toString('hex')"));
    }

    [Fact]
    public void Search_compare_copy_and_write_work_like_node()
    {
        Assert.Equal("3,true,3,-1", Eval("(() => { const b = Buffer.from('hello'); return [b.indexOf('lo'), b.includes(0x65), b.lastIndexOf('l'), b.indexOf('z')].join(); })()"));
        Assert.Equal("-1,0,1,true", Eval("[Buffer.compare(Buffer.from('a'), Buffer.from('b')), Buffer.from('a').compare(Buffer.from('a')), Buffer.from('b').compare(Buffer.from('a')), Buffer.from('x').equals(Buffer.from('x'))].join()"));
        Assert.Equal("2,0068690000", Eval("(() => { const b = Buffer.alloc(5); const n = b.write('hi', 1); return n + ',' + b.toString('hex'); })()"));
        Assert.Equal("2,0061620000", Eval("(() => { const t = Buffer.alloc(5); const n = Buffer.from('abc').copy(t, 1, 0, 2); return n + ',' + t.toString('hex'); })()"));
        Assert.Equal("02010403", Eval("Buffer.from([1, 2, 3, 4]).swap16().toString('hex')"));
    }

    [Fact]
    public void Static_helpers_answer_like_node()
    {
        Assert.Equal("3,3,true,false,true,false", Eval("[Buffer.byteLength('\u20ac'), Buffer.byteLength('abcd', 'base64'), Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1)), Buffer.isEncoding('UTF-8'), Buffer.isEncoding('nope')].join()"));
    }

    [Fact]
    public void To_json_gives_node_shape()
    {
        Assert.Equal("""{"type":"Buffer","data":[1,2]}""", Eval("JSON.stringify(Buffer.from([1, 2]))"));
    }

    [Fact]
    public void Byte_array_payload_arrives_as_a_buffer_and_a_returned_buffer_leaves_as_bytes()
    {
        var message = new JsObject { ["payload"] = new byte[] { 0x68, 0x69 } };
        using var harness = new SandboxHarness("msg.info = [msg.payload instanceof Buffer, msg.payload.length, msg.payload.toString()].join(); msg.payload = Buffer.concat([msg.payload, Buffer.from('!')]); return msg;");
        harness.Invoke(message);
        var sent = Assert.Single(harness.Sent).Message;
        Assert.Equal("true,2,hi", sent["info"]);
        Assert.Equal(new byte[] { 0x68, 0x69, 0x21 }, sent["payload"]);
    }

    [Fact]
    public void Modbus_registers_decode_to_a_float()
    {
        var payload = SandboxHarness.Payload("""
            const buf = Buffer.alloc(4);
            buf.writeUInt16BE(msg.payload[0], 0);
            buf.writeUInt16BE(msg.payload[1], 2);
            msg.payload = buf.readFloatBE(0);
            return msg;
            """, """{"payload":[16840,0]}""");
        Assert.Equal(25.0, payload);
    }
}
