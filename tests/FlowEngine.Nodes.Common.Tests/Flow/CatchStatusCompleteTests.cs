using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Common.Tests.Flow;

public sealed class CatchStatusCompleteTests
{
    [Fact]
    public async Task Junction_passes_messages_through()
    {
        await using var flow = await TestFlow.StartAsync("""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"j","type":"junction","z":"t1","x":1,"y":1,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """);
        flow.Send("j", """{"payload":42}""");
        var msg = await flow.NextAsync("h");
        Assert.Equal(42.0, msg["payload"]);
    }
}
