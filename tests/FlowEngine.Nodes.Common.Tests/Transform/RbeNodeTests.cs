using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Transform.TransformFlow;

namespace FlowEngine.Nodes.Common.Tests.Transform;

public sealed class RbeNodeTests
{
    private static Task<TestFlow> Filter(string func, string gap = "", string start = "", string inout = "out", string extra = "") =>
        StartAsync($$""" "type":"rbe","func":"{{func}}","gap":"{{gap}}","start":"{{start}}","inout":"{{inout}}","septopics":true,"property":"payload","topi":"topic"{{extra}} """);

    /// <summary>Sends each payload (JSON values), then a marker; returns the payloads that passed, as JSON.</summary>
    private static Task<string> PassedAsync(TestFlow flow, params string[] payloads) => PassedWithMarkerAsync(flow, "0", payloads);

    private static async Task<string> PassedWithMarkerAsync(TestFlow flow, string marker, params string[] payloads)
    {
        var before = flow.Received("h0").Count;
        foreach (var payload in payloads) flow.Send("n", $$"""{"payload":{{payload}}}""");
        // The marker is the first value of a new topic, which every mode but rbei passes (narrowband only when it
        // equals the start value).
        flow.Send("n", $$"""{"payload":{{marker}},"topic":"__marker__"}""");
        while (true)
        {
            var msg = await flow.NextAsync("h0");
            if (msg.Get("topic") as string == "__marker__") break;
        }
        var passed = flow.Received("h0").Skip(before).Where(m => m.Get("topic") as string != "__marker__").Select(m => m["payload"]).ToList();
        return ToJson(passed);
    }

    [Fact]
    public async Task Rbe_passes_the_first_value_and_then_only_changes()
    {
        await using var flow = await Filter("rbe");
        Assert.Equal("[1,2,1]", await PassedAsync(flow, "1", "1", "2", "2", "1"));
    }

    [Fact]
    public async Task Rbe_compares_objects_deeply()
    {
        await using var flow = await Filter("rbe");
        Assert.Equal("""[{"a":1},{"a":2}]""", await PassedAsync(flow, """{"a":1}""", """{"a":1}""", """{"a":2}"""));
    }

    [Fact]
    public async Task Rbe_swallows_a_first_empty_object_as_node_red_does()
    {
        await using var flow = await Filter("rbe");
        Assert.Equal("""[{"a":1}]""", await PassedAsync(flow, "{}", """{"a":1}"""));
    }

    [Fact]
    public async Task Rbei_ignores_the_first_value()
    {
        await using var flow = await Filter("rbei");
        flow.Send("n", """{"payload":1}""");
        flow.Send("n", """{"payload":1}""");
        flow.Send("n", """{"payload":2}""");
        Assert.Equal(2.0, (await flow.NextAsync("h0"))["payload"]);
        Assert.Single(flow.Received("h0"));
    }

    [Fact]
    public async Task Rbe_keeps_a_value_per_topic()
    {
        await using var flow = await Filter("rbe");
        flow.Send("n", """{"payload":1,"topic":"a"}""");
        flow.Send("n", """{"payload":1,"topic":"b"}""");
        flow.Send("n", """{"payload":1,"topic":"a"}""");
        flow.Send("n", """{"payload":2,"topic":"b"}""");
        var received = await flow.NextAsync("h0", 3);
        Assert.Equal("a,b,b", string.Join(",", received.Select(m => m["topic"])));
    }

    [Fact]
    public async Task Rbe_without_topic_separation_shares_one_value()
    {
        await using var flow = await StartAsync(""" "type":"rbe","func":"rbe","gap":"","start":"","inout":"out","septopics":false,"property":"payload","topi":"topic" """);
        flow.Send("n", """{"payload":1,"topic":"a"}""");
        flow.Send("n", """{"payload":1,"topic":"b"}""");
        flow.Send("n", """{"payload":2,"topic":"b"}""");
        var received = await flow.NextAsync("h0", 2);
        Assert.Equal("a,b", string.Join(",", received.Select(m => m["topic"])));
        Assert.Equal(2.0, received[1]["payload"]);
    }

    [Fact]
    public async Task Rbe_reset_forgets_one_topic_or_everything()
    {
        await using var flow = await Filter("rbe");
        flow.Send("n", """{"payload":1,"topic":"a"}""");
        flow.Send("n", """{"payload":1,"topic":"b"}""");
        flow.Send("n", """{"payload":1,"topic":"a","reset":true}""");
        flow.Send("n", """{"payload":1,"topic":"b"}""");
        flow.Send("n", """{"reset":true}""");
        flow.Send("n", """{"payload":1,"topic":"b"}""");
        var received = await flow.NextAsync("h0", 4);
        Assert.Equal("a,b,a,b", string.Join(",", received.Select(m => m["topic"])));
        Assert.True(received[2].ContainsKey("reset"));
    }

    [Fact]
    public async Task Deadband_passes_the_first_value_and_changes_greater_than_the_gap()
    {
        await using var flow = await Filter("deadband", gap: "10");
        Assert.Equal("[100,111,100]", await PassedAsync(flow, "100", "105", "110", "111", "101", "100"));
    }

    [Fact]
    public async Task DeadbandEq_also_passes_a_change_equal_to_the_gap()
    {
        await using var flow = await Filter("deadbandEq", gap: "10");
        Assert.Equal("[100,110,100]", await PassedAsync(flow, "100", "105", "110", "101", "100"));
    }

    [Fact]
    public async Task Deadband_percent_gap_is_relative_to_the_last_value_sent()
    {
        await using var flow = await Filter("deadband", gap: "10%");
        // 10% of 100 is 10; after 120 passes, 10% of 120 is 12.
        Assert.Equal("[100,120,133]", await PassedAsync(flow, "100", "109", "110", "120", "131", "133"));
    }

    [Fact]
    public async Task Deadband_compared_to_the_last_input_moves_the_reference_every_time()
    {
        await using var flow = await Filter("deadband", gap: "5", inout: "in");
        // Creeping up by 3 never moves more than 5 from the previous input.
        Assert.Equal("[0,19]", await PassedAsync(flow, "0", "3", "6", "9", "19"));
    }

    [Fact]
    public async Task Narrowband_uses_the_start_value_as_the_first_reference()
    {
        await using var flow = await Filter("narrowband", gap: "5", start: "50");
        Assert.Equal("[52,55]", await PassedWithMarkerAsync(flow, "50", "100", "52", "60", "55"));
    }

    [Fact]
    public async Task NarrowbandEq_blocks_a_change_equal_to_the_gap()
    {
        await using var flow = await Filter("narrowbandEq", gap: "5");
        // The first value becomes the reference and passes (difference 0).
        Assert.Equal("[10,14]", await PassedAsync(flow, "10", "15", "14"));
    }

    [Fact]
    public async Task Band_modes_read_numbers_with_parse_float_and_warn_about_the_rest()
    {
        await using var flow = await Filter("deadband", gap: "1");
        Assert.Equal("[\"5 V\",\"9 V\"]", await PassedAsync(flow, "\"5 V\"", "\"5.5 V\"", "\"volts\"", "\"9 V\""));
        var warning = await flow.LogAsync(LogLevel.Warning);
        Assert.Equal("no number found in payload", warning.Message);
    }

    [Fact]
    public async Task Filter_ignores_messages_without_the_property_and_never_completes()
    {
        await using var flow = await StartAsync(""" "type":"rbe","func":"rbe","gap":"","start":"","inout":"out","septopics":true,"property":"payload","topi":"topic" """,
            extraNodes: """,{"id":"done","type":"complete","z":"t1","x":1,"y":1,"scope":["n"],"wires":[["h5"]]}""");
        flow.Send("n", """{"topic":"x"}""");
        flow.Send("n", """{"payload":1}""");
        Assert.Equal(1.0, (await flow.NextAsync("h0"))["payload"]);
        Assert.Single(flow.Received("h0"));
        Assert.True(await flow.NothingArrivesAsync("h5"));
    }

    [Fact]
    public async Task Filter_with_a_bad_gap_refuses_the_deploy()
    {
        await Assert.ThrowsAsync<FlowEngine.Core.Flows.FlowValidationException>(() => Filter("deadband", gap: "ten"));
    }
}
