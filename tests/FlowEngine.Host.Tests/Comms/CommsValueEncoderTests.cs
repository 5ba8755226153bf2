using FlowEngine.Core.Values;
using FlowEngine.Host.Comms;

namespace FlowEngine.Host.Tests.Comms;

/// <summary>Node-RED's debug value encoding (§4.4) and FlowEngine's extra limits.</summary>
public sealed class CommsValueEncoderTests
{
    [Fact]
    public void Scalars_are_encoded_with_their_format()
    {
        Assert.Equal(new EncodedValue("42", "number"), CommsValueEncoder.Encode(42.0, 1000));
        Assert.Equal(new EncodedValue("true", "boolean"), CommsValueEncoder.Encode(true, 1000));
        Assert.Equal(new EncodedValue("(undefined)", "null"), CommsValueEncoder.Encode(null, 1000));
        Assert.Equal(new EncodedValue("0a ff".Replace(" ", "", StringComparison.Ordinal), "buffer[2]"), CommsValueEncoder.Encode(new byte[] { 10, 255 }, 1000));
    }

    [Fact]
    public void A_long_string_is_cut_at_debug_max_length_and_keeps_its_real_length_in_the_format()
    {
        var encoded = CommsValueEncoder.Encode(new string('x', 12), 10);
        Assert.Equal("xxxxxxxxxx...", encoded.Msg);
        Assert.Equal("string[12]", encoded.Format);
    }

    [Fact]
    public void Objects_carry_markers_for_buffers_long_arrays_and_non_finite_numbers()
    {
        var value = new JsObject
        {
            ["b"] = new byte[] { 1, 2, 3 },
            ["a"] = new List<object?> { 1.0, 2.0, 3.0 },
            ["n"] = double.NaN,
        };
        var encoded = CommsValueEncoder.Encode(value, 2);
        Assert.Equal("Object", encoded.Format);
        Assert.Equal(
            """{"b":{"type":"Buffer","data":[1,2],"__enc__":true,"length":3},"a":{"__enc__":true,"type":"array","data":[1,2],"length":3},"n":{"__enc__":true,"type":"number","data":"NaN"}}""",
            encoded.Msg);
    }

    [Fact]
    public void A_top_level_array_reports_its_length()
    {
        var encoded = CommsValueEncoder.Encode(new List<object?> { "a", 1.0 }, 1000);
        Assert.Equal("array[2]", encoded.Format);
        Assert.Equal("""["a",1]""", encoded.Msg);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_cut()
    {
        var root = new JsObject();
        var current = root;
        for (var i = 0; i < 100; i++)
        {
            var next = new JsObject();
            current["x"] = next;
            current = next;
        }
        var encoded = CommsValueEncoder.Encode(root, 1000);
        Assert.Contains("[depth limit]", encoded.Msg, StringComparison.Ordinal);
        Assert.True(encoded.Msg.Length < 500);
    }
}
