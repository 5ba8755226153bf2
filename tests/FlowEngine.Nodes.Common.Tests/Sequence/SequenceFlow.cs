using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Common.Tests.Sequence;

/// <summary>
/// Test flows for the sequence and parser nodes: a chain of nodes "n1".."nN" wired one into the next, the last wired
/// to helper "h", and a catch node wired to helper "err".
/// </summary>
internal static class SequenceFlow
{
    /// <summary>Starts a chain; each element is the inside of a node object without id, z, wires (e.g. "type":"split").</summary>
    public static Task<TestFlow> ChainAsync(params string[] nodes) => ChainAsync(null, nodes);

    public static Task<TestFlow> ChainAsync(JsObject? settings, params string[] nodes)
    {
        var items = new List<string> { """{"id":"t1","type":"tab","label":"T"}""" };
        for (var i = 0; i < nodes.Length; i++)
        {
            var next = i == nodes.Length - 1 ? "h" : $"n{i + 2}";
            items.Add($$"""{"id":"n{{i + 1}}","z":"t1","x":1,"y":1,{{nodes[i]}},"wires":[["{{next}}"]]}""");
        }
        items.Add("""{"id":"h","type":"helper","z":"t1","x":1,"y":1,"wires":[]}""");
        items.Add("""{"id":"c","type":"catch","z":"t1","x":1,"y":1,"scope":null,"uncaught":false,"wires":[["err"]]}""");
        items.Add("""{"id":"err","type":"helper","z":"t1","x":1,"y":1,"wires":[]}""");
        return TestFlow.StartAsync("[" + string.Join(",\n", items) + "]", new TestFlowOptions { FakeClock = true, Settings = settings });
    }

    public static string ToJson(object? value) => JsJson.Serialize(value);

    /// <summary>msg.parts without its random id, for exact comparisons.</summary>
    public static string PartsWithoutId(JsObject msg)
    {
        var parts = (JsObject)JsValue.DeepClone(msg["parts"])!;
        parts.Remove("id");
        return ToJson(parts);
    }
}
