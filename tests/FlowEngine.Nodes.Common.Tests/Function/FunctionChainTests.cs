using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>Function nodes handing messages to each other from deep inside their scripts.</summary>
public sealed class FunctionChainTests
{
    [Fact]
    public async Task A_long_chain_of_functions_sending_from_deep_recursion_delivers_every_message()
    {
        // Each node calls node.send 390 JavaScript calls deep (the sandbox allows 400). The runtime hands a message on
        // to an idle next node on the same thread, which here nests one script engine's deep stack in another's: it
        // must queue once the stack runs low. Before it did, the script engine's overflow guard threw a RangeError
        // several nodes down and messages were lost.
        const int length = 40;
        const string script = """
            function deep(n) { if (n === 0) { node.send(msg); return; } deep(n - 1); }
            msg.hops = (msg.hops || 0) + 1;
            deep(390);
            return null;
            """;
        var more = new StringBuilder();
        for (var i = 1; i <= length; i++)
        {
            var next = i == length ? "h" : "g" + (i + 1).ToString(CultureInfo.InvariantCulture);
            more.Append(Node("g" + i.ToString(CultureInfo.InvariantCulture), script, $$"""[["{{next}}"]]"""));
        }
        await using var flow = await StartAsync(OneFunction("return msg;", wires: """[["g1"]]""", more: more.ToString()), fakeClock: false);
        for (var m = 0; m < 20; m++) flow.Send("f", $$"""{"payload":{{m}}}""");
        for (var m = 0; m < 20; m++)
        {
            var received = await flow.NextAsync("h", TimeSpan.FromSeconds(60));
            Assert.Equal((double)length, received["hops"]);
        }
        Assert.Empty(flow.Received("hc"));
    }

    [Fact]
    public async Task A_returned_message_goes_on_to_an_idle_next_node_on_the_same_thread()
    {
        // Function nodes used to hand every send to the next node's queue (a thread-pool hop per function); what the
        // script sends is now held until the engine returns and then handed on like any node's send.
        await using var flow = await StartAsync(OneFunction("msg.n = (msg.n || 0) + 1; return msg;", wires: """[["g"]]""",
            more: Node("g", "node.send(msg); return null;", """[["rec"]]""") +
                """,{"id":"src","type":"junction","z":"t1","x":1,"y":1,"wires":[["f"]]},{"id":"rec","type":"thread-recorder","z":"t1","x":1,"y":1,"wires":[["h"]]}"""));
        var loopThread = flow.SendFromReceiveLoop("src", Enumerable.Range(0, 100).Select(i => new JsObject { ["payload"] = (double)i }));
        var received = await flow.NextAsync("h", 100);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (object?)(double)i), received.Select(m => m["payload"]));
        Assert.All(received, m => Assert.Equal((double)loopThread, m["thread"]));
    }
}
