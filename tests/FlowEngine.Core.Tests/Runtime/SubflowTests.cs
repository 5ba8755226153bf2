using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Runtime;

public sealed class SubflowTests
{
    private const string EnvSubflow = """
        [{"id":"t","type":"tab","env":[{"name":"WHERE","type":"str","value":"tab"}]},
         {"id":"sf","type":"subflow","name":"S",
          "in":[{"x":0,"y":0,"wires":[{"id":"e"}]}],
          "out":[{"x":0,"y":0,"wires":[{"id":"e","port":0}]},{"x":0,"y":0,"wires":[{"id":"sf","port":0}]}],
          "status":{"x":0,"y":0,"wires":[{"id":"e","port":0}]},
          "env":[{"name":"FACTOR","type":"num","value":"2"},{"name":"WHO","type":"str","value":"template"}]},
         {"id":"e","type":"test-env","z":"sf","x":0,"y":0,"wires":[[]]},
         {"id":"i1","type":"subflow:sf","z":"t","x":0,"y":0,"env":[{"name":"WHO","type":"str","value":"instance"}],"wires":[["h1"],["h2"]]},
         {"id":"h1","type":"helper","z":"t","x":0,"y":0,"wires":[]},
         {"id":"h2","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
        """;

    [Fact]
    public async Task Instance_env_overrides_template_env_by_name()
    {
        await using var flow = await Flows.StartAsync(EnvSubflow);
        flow.Send("i1", """{"topic":"WHO"}""");
        Assert.Equal("instance", (await flow.NextAsync("h1"))["payload"]);
        flow.Send("i1", """{"topic":"FACTOR"}""");
        Assert.Equal(2.0, (await flow.NextAsync("h1"))["payload"]);
    }

    [Fact]
    public async Task Subflow_env_falls_back_to_the_containing_tab()
    {
        await using var flow = await Flows.StartAsync(EnvSubflow);
        flow.Send("i1", """{"topic":"WHERE"}""");
        Assert.Equal("tab", (await flow.NextAsync("h1"))["payload"]);
    }

    [Fact]
    public async Task Internal_nodes_get_instance_prefixed_ids_and_reserved_env()
    {
        await using var flow = await Flows.StartAsync(EnvSubflow);
        Assert.NotNull(flow.Runtime.FindNode("i1-e"));
        flow.Send("i1", """{"topic":"NR_NODE_ID"}""");
        Assert.Equal("i1-e", (await flow.NextAsync("h1"))["payload"]);
    }

    [Fact]
    public async Task An_input_wired_straight_to_an_output_passes_through()
    {
        await using var flow = await Flows.StartAsync(EnvSubflow);
        flow.Send("i1", """{"payload":"direct"}""");
        Assert.Equal("direct", (await flow.NextAsync("h2"))["payload"]);
    }

    [Fact]
    public async Task Messages_to_the_status_port_set_the_instance_status()
    {
        await using var flow = await Flows.StartAsync(EnvSubflow);
        flow.Send("i1", """{"topic":"WHO"}""");
        await flow.NextAsync("h1");
        await flow.SettleAsync();
        Assert.Contains(flow.Statuses, s => s.Node.Id == "i1" && s.Status.Text == "instance");
    }

    [Fact]
    public async Task Nested_subflows_expand_with_compound_ids()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"inner","type":"subflow","name":"Inner","in":[{"x":0,"y":0,"wires":[{"id":"p"}]}],"out":[{"x":0,"y":0,"wires":[{"id":"p","port":0}]}]},
             {"id":"p","type":"test-counter","z":"inner","x":0,"y":0,"wires":[[]]},
             {"id":"outer","type":"subflow","name":"Outer","in":[{"x":0,"y":0,"wires":[{"id":"n"}]}],"out":[{"x":0,"y":0,"wires":[{"id":"n","port":0}]}]},
             {"id":"n","type":"subflow:inner","z":"outer","x":0,"y":0,"wires":[[]]},
             {"id":"o1","type":"subflow:outer","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("o1", """{"payload":0}""");
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
        Assert.NotNull(flow.Runtime.FindNode("o1-n-p"));
    }

    [Fact]
    public async Task Two_instances_keep_separate_flow_context()
    {
        await using var flow = await Flows.StartAsync("""
            [{"id":"t","type":"tab"},
             {"id":"sf","type":"subflow","name":"S","in":[{"x":0,"y":0,"wires":[{"id":"c"}]}],"out":[{"x":0,"y":0,"wires":[{"id":"c","port":0}]}]},
             {"id":"c","type":"test-counter","z":"sf","x":0,"y":0,"wires":[[]]},
             {"id":"a","type":"subflow:sf","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"b","type":"subflow:sf","z":"t","x":0,"y":0,"wires":[["h"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """);
        flow.Send("a", "{}");
        await flow.NextAsync("h");
        flow.Send("a", "{}");
        Assert.Equal(2.0, (await flow.NextAsync("h"))["flowCtx"]);
        flow.Send("b", "{}");
        Assert.Equal(1.0, (await flow.NextAsync("h"))["flowCtx"]);
    }
}
