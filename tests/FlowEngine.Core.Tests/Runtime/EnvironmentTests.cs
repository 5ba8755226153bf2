namespace FlowEngine.Core.Tests.Runtime;

public sealed class EnvironmentTests
{
    [Fact]
    public async Task Whole_property_env_references_are_substituted_at_creation()
    {
        Environment.SetEnvironmentVariable("FLOWENGINE_TEST_VALUE", "from-os");
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab","env":[{"name":"A","type":"str","value":"from-tab"}]},
             {"id":"e1","type":"test-env","z":"t","value":"${A}","x":0,"y":0,"wires":[["h"]]},
             {"id":"e2","type":"test-env","z":"t","value":"${FLOWENGINE_TEST_VALUE}","x":0,"y":0,"wires":[["h"]]},
             {"id":"e3","type":"test-env","z":"t","value":"x ${A}","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("e1", "{}");
        Assert.Equal("from-tab", (await flow.NextAsync("h"))["value"]);
        flow.Send("e2", "{}");
        Assert.Equal("from-os", (await flow.NextAsync("h"))["value"]);
        flow.Send("e3", "{}");
        Assert.Equal("x ${A}", (await flow.NextAsync("h"))["value"]);
    }

    [Fact]
    public async Task Group_env_is_seen_before_tab_env_and_global_config_after()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab","env":[{"name":"A","type":"str","value":"tab"},{"name":"B","type":"str","value":"tab"}]},
             {"id":"gc","type":"global-config","env":[{"name":"C","type":"num","value":"3"}]},
             {"id":"g","type":"group","z":"t","env":[{"name":"A","type":"str","value":"group"}],"nodes":["e"],"x":0,"y":0,"w":1,"h":1},
             {"id":"e","type":"test-env","z":"t","g":"g","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("e", """{"topic":"A"}""");
        Assert.Equal("group", (await flow.NextAsync("h"))["payload"]);
        flow.Send("e", """{"topic":"B"}""");
        Assert.Equal("tab", (await flow.NextAsync("h"))["payload"]);
        flow.Send("e", """{"topic":"C"}""");
        Assert.Equal(3.0, (await flow.NextAsync("h"))["payload"]);
        flow.Send("e", """{"topic":"NR_GROUP_ID"}""");
        Assert.Equal("g", (await flow.NextAsync("h"))["payload"]);
        flow.Send("e", """{"topic":"NR_FLOW_ID"}""");
        Assert.Equal("t", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task A_config_node_outside_every_flow_sees_the_global_config_env()
    {
        // Found by the examples' deploy check: a config node without z saw only the OS environment.
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"gc","type":"global-config","env":[{"name":"PORT","type":"num","value":"5020"}]},
             {"id":"cfg","type":"test-env","value":"${PORT}"},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        var node = flow.Runtime.FindNode("cfg");
        Assert.NotNull(node);
        Assert.Equal(5020.0, node.Config.Get("value"));
    }
}
