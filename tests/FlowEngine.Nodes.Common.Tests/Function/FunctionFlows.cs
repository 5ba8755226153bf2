using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>Flow JSON for function node tests: function "f" wired to helpers, plus a catch node feeding helper "hc".</summary>
internal static class FunctionFlows
{
    /// <summary>
    /// A tab with function "f" (name "fn"), helpers "h" and "h2", a catch node for the whole tab feeding helper "hc",
    /// and optional extra nodes (<paramref name="more"/>, starting with a comma).
    /// </summary>
    public static string OneFunction(string func, int outputs = 1, string extra = "", string wires = """[["h"]]""", string more = "") => $$"""
        [{"id":"t1","type":"tab","label":"T","env":[{"name":"FOO","value":"bar","type":"str"}]},
         {"id":"f","type":"function","z":"t1","name":"fn","x":1,"y":1,"func":{{JsJson.Serialize(func)}},"outputs":{{outputs}}{{extra}},"wires":{{wires}}},
         {"id":"h","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
         {"id":"h2","type":"helper","z":"t1","x":1,"y":1,"wires":[]},
         {"id":"c","type":"catch","z":"t1","x":1,"y":1,"scope":null,"wires":[["hc"]]},
         {"id":"hc","type":"helper","z":"t1","x":1,"y":1,"wires":[]}{{more}}]
        """;

    /// <summary>A function node JSON object to put in <c>more</c>.</summary>
    public static string Node(string id, string func, string wires, string extra = "", string tab = "t1") =>
        $$""",{"id":"{{id}}","type":"function","z":"{{tab}}","name":"{{id}}","x":1,"y":1,"func":{{JsJson.Serialize(func)}},"outputs":1{{extra}},"wires":{{wires}}}""";

    /// <summary>
    /// Starts a flow on a fake clock. The default time limit is raised to 10 s: the test machine may be busy, and
    /// tests of the limit set a short node timeout of their own.
    /// </summary>
    public static Task<TestFlow> StartAsync(string flowJson, JsObject? settings = null, bool fakeClock = true)
    {
        settings ??= new JsObject();
        if (!settings.ContainsKey("functionTimeout")) settings["functionTimeout"] = 10.0;
        return TestFlow.StartAsync(flowJson, new TestFlowOptions { FakeClock = fakeClock, Settings = settings });
    }

    /// <summary>Delivers a message and waits until the flow has handled it, so timers it starts exist before the clock moves.</summary>
    public static async Task SendAsync(this TestFlow flow, string nodeId, string messageJson)
    {
        flow.Send(nodeId, messageJson);
        await flow.SettleAsync();
    }

    public static string ErrorText(JsObject caught) => (string)((JsObject)caught["error"]!)["message"]!;
}
