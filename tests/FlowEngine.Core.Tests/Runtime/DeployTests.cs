using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Runtime;

public sealed class DeployTests
{
    // Two independent chains on one tab: a1 -> a2 -> ha and b1 -> hb. Counters keep an in-memory count.
    private const string TwoChains = """
        [{"id":"t","type":"tab"},
         {"id":"a1","type":"test-counter","z":"t","name":"a1","x":0,"y":0,"wires":[["a2"]]},
         {"id":"a2","type":"test-pass","z":"t","name":"a2","x":0,"y":0,"wires":[["ha"]]},
         {"id":"ha","type":"helper","z":"t","x":0,"y":0,"wires":[]},
         {"id":"b1","type":"test-counter","z":"t","name":"b1","x":0,"y":0,"wires":[["hb"]]},
         {"id":"hb","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
        """;

    private static string Edited(string node, string newName) =>
        TwoChains.Replace($"\"name\":\"{node}\"", $"\"name\":\"{newName}\"", StringComparison.Ordinal);

    private static async Task<double> CountAsync(FlowEngine.TestKit.TestFlow flow, string node, string helper)
    {
        flow.Send(node, "{}");
        return (double)(await flow.NextAsync(helper))["payload"]!;
    }

    [Fact]
    public async Task A_full_deploy_restarts_every_node()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        Assert.Equal(1.0, await CountAsync(flow, "b1", "hb"));
        var outcome = await flow.DeployAsync(TwoChains, DeploymentType.Full);
        Assert.Equal(1.0, await CountAsync(flow, "b1", "hb"));
        Assert.Contains("b1", outcome.Started);
    }

    [Fact]
    public async Task A_nodes_deploy_restarts_only_the_changed_node()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        await CountAsync(flow, "a1", "ha");
        await CountAsync(flow, "b1", "hb");
        var outcome = await flow.DeployAsync(Edited("a2", "a2 renamed"), DeploymentType.Nodes);
        Assert.Equal(["a2"], outcome.Started);
        Assert.Equal(2.0, await CountAsync(flow, "a1", "ha"));
        Assert.Equal(2.0, await CountAsync(flow, "b1", "hb"));
    }

    [Fact]
    public async Task A_flows_deploy_restarts_the_wire_connected_nodes_around_the_change()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        await CountAsync(flow, "a1", "ha");
        await CountAsync(flow, "b1", "hb");
        var outcome = await flow.DeployAsync(Edited("a2", "a2 renamed"), DeploymentType.Flows);
        Assert.Equal(["a1", "a2", "ha"], outcome.Started.Order().ToArray());
        Assert.Equal(1.0, await CountAsync(flow, "a1", "ha"));
        Assert.Equal(2.0, await CountAsync(flow, "b1", "hb"));
    }

    [Fact]
    public async Task A_rewired_node_keeps_running_in_a_nodes_deploy_with_its_new_wires()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        await CountAsync(flow, "b1", "hb");
        var rewired = TwoChains.Replace("\"name\":\"b1\",\"x\":0,\"y\":0,\"wires\":[[\"hb\"]]", "\"name\":\"b1\",\"x\":0,\"y\":0,\"wires\":[[\"ha\"]]", StringComparison.Ordinal);
        var outcome = await flow.DeployAsync(rewired, DeploymentType.Nodes);
        Assert.DoesNotContain("b1", outcome.Started);
        Assert.Equal(2.0, await CountAsync(flow, "b1", "ha"));
    }

    [Fact]
    public async Task Node_context_survives_a_nodes_deploy_for_unchanged_nodes_and_is_wiped_for_restarted_ones()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        flow.Send("a1", "{}");
        await flow.NextAsync("ha");
        flow.Send("b1", "{}");
        await flow.NextAsync("hb");
        await flow.DeployAsync(Edited("a1", "a1 renamed"), DeploymentType.Nodes);
        flow.Send("a1", "{}");
        Assert.Equal(1.0, (await flow.NextAsync("ha"))["ctx"]);
        flow.Send("b1", "{}");
        Assert.Equal(2.0, (await flow.NextAsync("hb"))["ctx"]);
    }

    [Fact]
    public async Task Changing_a_config_node_restarts_the_nodes_that_use_it()
    {
        const string withConfig = """
            [{"id":"t","type":"tab"},
             {"id":"cfg","type":"test-config","setting":"one"},
             {"id":"u","type":"test-uses-config","z":"t","config":"cfg","x":0,"y":0,"wires":[["h"]]},
             {"id":"other","type":"test-counter","z":"t","x":0,"y":0,"wires":[["h2"]]},
             {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]},
             {"id":"h2","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
            """;
        await using var flow = await Flows.StartAsync(withConfig);
        flow.Send("u", "{}");
        Assert.Equal("one", (await flow.NextAsync("h"))["payload"]);
        var outcome = await flow.DeployAsync(withConfig.Replace("\"one\"", "\"two\"", StringComparison.Ordinal), DeploymentType.Nodes);
        Assert.Equal(["cfg", "u"], outcome.Started.Order().ToArray());
        flow.Send("u", "{}");
        Assert.Equal("two", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Config_nodes_close_after_the_config_nodes_that_use_them_on_deploy_and_on_shutdown()
    {
        // c uses b, b uses a; d stands alone. A node is a config node in the flow format when it has no x/y, so a
        // writer declared without them closes among config nodes: it must not find its server already closed.
        static string Chain(string journal, string setting = "") => $$"""
            [{"id":"t","type":"tab"},
             {"id":"a","type":"test-closing-config","journal":"{{journal}}"{{setting}}},
             {"id":"b","type":"test-closing-config","journal":"{{journal}}","uses":"a"},
             {"id":"c","type":"test-closing-config","journal":"{{journal}}","uses":"b"},
             {"id":"d","type":"test-closing-config","journal":"{{journal}}"}]
            """;
        var journal = "close-order-" + Guid.NewGuid().ToString("N");
        var events = TestNodes.CloseJournals.GetOrAdd(journal, _ => new());
        var flow = await Flows.StartAsync(Chain(journal));
        await using (flow)
        {
            await flow.DeployAsync(Chain(journal, ""","name":"renamed" """), DeploymentType.Full);
            AssertClosedInOrder(events.ToList());
            events.Clear();
        }
        AssertClosedInOrder(events.ToList());

        static void AssertClosedInOrder(List<string> events)
        {
            Assert.Equal(8, events.Count);
            Assert.DoesNotContain(events, e => e.Contains("already closed", StringComparison.Ordinal));
            Assert.True(events.IndexOf("end c") < events.IndexOf("start b"), string.Join(", ", events));
            Assert.True(events.IndexOf("end b") < events.IndexOf("start a"), string.Join(", ", events));
            // Independent config nodes still close together: d starts before the first wave ends.
            Assert.True(events.IndexOf("start d") < events.IndexOf("end c"), string.Join(", ", events));
        }
    }

    [Fact]
    public async Task An_invalid_deploy_is_refused_whole_and_the_running_flows_keep_running()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        await CountAsync(flow, "b1", "hb");
        var revision = flow.Runtime.Revision;
        var broken = """
            [{"id":"t","type":"tab"},
             {"id":"u","type":"test-uses-config","z":"t","name":"bad one","config":"missing","limit":"lots","x":0,"y":0,"wires":[]}]
            """;
        var ex = await Assert.ThrowsAsync<FlowValidationException>(() => flow.DeployAsync(broken));
        Assert.Contains(ex.Problems, p => p.NodeId == "u" && p.NodeName == "bad one" && p.Property == "config");
        Assert.Contains(ex.Problems, p => p.NodeId == "u" && p.Property == "limit" && p.Reason.Contains("lots", StringComparison.Ordinal));
        Assert.Equal(revision, flow.Runtime.Revision);
        Assert.Equal(2.0, await CountAsync(flow, "b1", "hb"));
    }

    [Fact]
    public async Task A_stale_revision_is_refused()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        await Assert.ThrowsAsync<FlowEngine.Core.Runtime.VersionMismatchException>(() =>
            flow.Runtime.DeployAsync(JsJson.Parse(TwoChains), DeploymentType.Full, expectedRevision: "0000"));
        await flow.Runtime.DeployAsync(JsJson.Parse(TwoChains), DeploymentType.Full, expectedRevision: flow.Runtime.Revision);
    }

    [Fact]
    public async Task Messages_queued_for_a_replaced_node_are_finished_not_dropped()
    {
        await using var flow = await Flows.StartAsync(TwoChains);
        for (var i = 0; i < 2000; i++) flow.Send("a1", new JsObject { ["i"] = (double)i });
        var outcome = await flow.DeployAsync(Edited("a1", "a1 renamed"), DeploymentType.Nodes);
        Assert.Equal(0, outcome.DroppedMessages);
        var received = await flow.NextAsync("ha", 2000);
        Assert.Equal(1999.0, received[^1]["i"]);
    }

    [Fact]
    public void The_diff_marks_changed_rewired_and_linked_nodes()
    {
        var before = FlowConfiguration.Parse(TwoChains);
        var after = FlowConfiguration.Parse(Edited("a2", "x"));
        var diff = DeployDiff.Compute(before, after);
        Assert.Equal(["a2"], diff.Changed);
        Assert.Equal(["a1", "ha"], diff.Linked.Order().ToArray());
        Assert.Empty(diff.Rewired);
    }

    [Fact]
    public void Moving_a_node_is_not_a_change()
    {
        var before = FlowConfiguration.Parse(TwoChains);
        var after = FlowConfiguration.Parse(TwoChains.Replace("\"name\":\"a2\",\"x\":0", "\"name\":\"a2\",\"x\":50", StringComparison.Ordinal));
        Assert.Empty(DeployDiff.Compute(before, after).Changed);
    }

    [Fact]
    public void Changing_a_node_inside_a_subflow_changes_every_instance()
    {
        const string json = """
            [{"id":"t","type":"tab"},
             {"id":"sf","type":"subflow","name":"S","in":[],"out":[]},
             {"id":"n","type":"test-pass","z":"sf","name":"v1","x":0,"y":0,"wires":[]},
             {"id":"i1","type":"subflow:sf","z":"t","x":0,"y":0,"wires":[]},
             {"id":"i2","type":"subflow:sf","z":"t","x":0,"y":0,"wires":[]}]
            """;
        var diff = DeployDiff.Compute(FlowConfiguration.Parse(json), FlowConfiguration.Parse(json.Replace("v1", "v2", StringComparison.Ordinal)));
        Assert.Contains("i1", diff.Changed);
        Assert.Contains("i2", diff.Changed);
    }
}
