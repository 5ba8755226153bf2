using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Common.Tests.Transform;

/// <summary>
/// A one-node test flow: the node under test ("n") on tab "t1", its outputs wired to helpers "h0".."h9" (output 0 to
/// "h0" unless other wires are given), and a catch node wired to helper "err" so reported errors can be awaited.
/// </summary>
internal static class TransformFlow
{
    public static Task<TestFlow> StartAsync(string nodeProperties, string wires = """[["h0"]]""", string extraNodes = "") =>
        TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"n","z":"t1","x":1,"y":1,{{nodeProperties}},"wires":{{wires}}},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h1","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h2","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h3","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h4","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h5","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h6","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h7","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h8","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"h9","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
             {"id":"c","type":"catch","z":"t1","x":1,"y":1,"scope":null,"uncaught":false,"wires":[["err"]]},
             {"id":"err","type":"helper","z":"t1","x":1,"y":1,"wires":[]}
             {{extraNodes}}]
            """, new TestFlowOptions { FakeClock = true });

    /// <summary>Sends a message to the node under test and returns what reaches helper h0.</summary>
    public static async Task<JsObject> RoundTripAsync(this TestFlow flow, string messageJson, string helper = "h0")
    {
        flow.Send("n", messageJson);
        return await flow.NextAsync(helper);
    }

    /// <summary>Waits until the node under test has logged a message at the level (mailboxes run on other threads).</summary>
    public static async Task<NodeLogEvent> LogAsync(this TestFlow flow, LogLevel level)
    {
        for (var i = 0; i < 400; i++)
        {
            var found = flow.Logs.FirstOrDefault(l => l.Level == level && l.Node?.Id == "n");
            if (found is not null) return found;
            await Task.Delay(5);
        }
        throw new TimeoutException($"node n logged nothing at {level}; logs: {string.Join("; ", flow.Logs.Select(l => l.Message))}");
    }

    /// <summary>Compact JSON of a value, for readable assertions on objects.</summary>
    public static string ToJson(object? value) => JsJson.Serialize(value);
}
