using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Control;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Control.ControlTestSupport;

namespace FlowEngine.Nodes.Common.Tests.Control;

public sealed class LinkNodeTests
{
    private static string ErrorText(JsObject caught) => (string)((JsObject)caught["error"]!)["message"]!;

    private static List<object?>? LinkSource(JsObject msg) => msg.Get("_linkSource") as List<object?>;

    /// <summary>
    /// A subroutine: link in "worker" → link out in return mode, and also to helper "work", which records a copy (the
    /// second wire gets a clone) as the call arrived, before the return changes it.
    /// </summary>
    private static readonly string[] Subroutine =
    [
        """{"id":"sub","type":"link in","name":"worker","wires":[["ret","work"]]}""",
        """{"id":"work","type":"helper"}""",
        """{"id":"ret","type":"link out","mode":"return"}""",
    ];

    [Fact]
    public async Task Link_out_sends_to_a_link_in_on_another_tab()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1", ["""{"id":"out","type":"link out","mode":"link","links":["in"]}"""]),
            ("t2", ["""{"id":"in","type":"link in","links":["out"],"wires":[["h"]]}""", """{"id":"h","type":"helper"}"""])));

        flow.Send("out", """{"payload":"across"}""");
        Assert.Equal("across", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Link_connection_listed_only_on_the_link_in_side_still_routes()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"out","type":"link out","links":[]}""",
            """{"id":"in","type":"link in","links":["out"],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        flow.Send("out", """{"payload":1}""");
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Link_out_to_several_link_ins_gives_each_its_own_copy()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"out","type":"link out","links":["in1","in2"]}""",
            """{"id":"in1","type":"link in","wires":[["h1"]]}""",
            """{"id":"in2","type":"link in","wires":[["h2"]]}""",
            """{"id":"h1","type":"helper"}""",
            """{"id":"h2","type":"helper"}"""));

        flow.Send("out", """{"payload":{"n":1}}""");
        var (first, second) = (await flow.NextAsync("h1"), await flow.NextAsync("h2"));
        Assert.Equal(1.0, ((JsObject)first["payload"]!)["n"]);
        Assert.NotSame(first["payload"], second["payload"]);
    }

    [Fact]
    public async Task Link_call_runs_the_subroutine_and_sends_its_return_without_the_call_entry()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1", ["""{"id":"call","type":"link call","links":["sub"],"linkType":"static","timeout":"30","wires":[["h"]]}""", """{"id":"h","type":"helper"}"""]),
            ("t2", Subroutine)));

        flow.Send("call", """{"payload":"job"}""");

        var inside = await flow.NextAsync("work");
        var entry = Assert.IsType<JsObject>(Assert.Single(LinkSource(inside)!));
        Assert.Equal("call", entry["node"]);
        Assert.Matches("^[0-9a-f]{28}$", (string)entry["id"]!);

        var returned = await flow.NextAsync("h");
        Assert.Equal("job", returned["payload"]);
        Assert.False(returned.ContainsKey("_linkSource"));
        Assert.Equal(0, flow.Node<LinkCallNode>("call").PendingCount);
    }

    [Fact]
    public async Task Link_call_completes_its_message_when_the_return_arrives()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1",
            [
                """{"id":"call","type":"link call","links":["sub"],"wires":[["h"]]}""",
                """{"id":"h","type":"helper"}""",
                """{"id":"done","type":"complete","scope":["call"],"wires":[["completed"]]}""",
                """{"id":"completed","type":"helper"}""",
            ]),
            ("t2",
            [
                """{"id":"sub","type":"link in","wires":[["wait"]]}""",
                """{"id":"wait","type":"delay","pauseType":"delay","timeout":"1","wires":[["ret"]]}""",
                """{"id":"ret","type":"link out","mode":"return"}""",
            ])));

        await flow.SendAndSettleAsync("call", """{"payload":"slow"}""");
        Assert.True(await flow.NothingMoreAsync("completed"));
        await flow.AdvanceMsAsync(1000);
        await flow.NextAsync("h");
        Assert.Equal("slow", (await flow.NextAsync("completed"))["payload"]);
    }

    [Fact]
    public async Task Nested_link_calls_return_to_each_caller_in_turn()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"call1","type":"link call","links":["sub1"],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}""",
            """{"id":"sub1","type":"link in","wires":[["call2"]]}""",
            """{"id":"call2","type":"link call","links":["sub2"],"wires":[["ret1"]]}""",
            """{"id":"ret1","type":"link out","mode":"return"}""",
            """{"id":"sub2","type":"link in","wires":[["ret2","inner"]]}""",
            """{"id":"inner","type":"helper"}""",
            """{"id":"ret2","type":"link out","mode":"return"}"""));

        flow.Send("call1", """{"payload":"deep"}""");

        var inside = await flow.NextAsync("inner");
        Assert.Equal(["call1", "call2"], LinkSource(inside)!.Cast<JsObject>().Select(e => e["node"]));
        var returned = await flow.NextAsync("h");
        Assert.Equal("deep", returned["payload"]);
        Assert.False(returned.ContainsKey("_linkSource"));
    }

    [Fact]
    public async Task Dynamic_link_call_prefers_a_link_in_of_that_name_on_its_own_tab()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1",
            [
                """{"id":"call","type":"link call","linkType":"dynamic","links":[],"wires":[["h"]]}""",
                """{"id":"h","type":"helper"}""",
                """{"id":"local","type":"link in","name":"worker","wires":[["localRet","localWork"]]}""",
                """{"id":"localWork","type":"helper"}""",
                """{"id":"localRet","type":"link out","mode":"return"}""",
            ]),
            ("t2", Subroutine)));

        flow.Send("call", """{"payload":1,"target":"worker"}""");
        await flow.NextAsync("h");
        Assert.Single(flow.Received("localWork"));
        Assert.Empty(flow.Received("work"));
    }

    [Fact]
    public async Task Dynamic_link_call_finds_a_unique_name_on_another_tab_or_an_id()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1", ["""{"id":"call","type":"link call","linkType":"dynamic","links":[],"wires":[["h"]]}""", """{"id":"h","type":"helper"}"""]),
            ("t2", Subroutine)));

        flow.Send("call", """{"payload":"by name","target":"worker"}""");
        Assert.Equal("by name", (await flow.NextAsync("h"))["payload"]);
        flow.Send("call", """{"payload":"by id","target":"sub"}""");
        Assert.Equal("by id", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Dynamic_link_call_with_a_name_on_several_other_tabs_reports_an_error()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1",
            [
                """{"id":"call","type":"link call","linkType":"dynamic","links":[],"wires":[["h"]]}""",
                """{"id":"h","type":"helper"}""",
                """{"id":"c","type":"catch","scope":null,"wires":[["errors"]]}""",
                """{"id":"errors","type":"helper"}""",
            ]),
            ("t2", ["""{"id":"a","type":"link in","name":"dup"}"""]),
            ("t3", ["""{"id":"b","type":"link in","name":"dup"}"""])));

        flow.Send("call", """{"payload":1,"target":"dup"}""");
        var caught = await flow.NextAsync("errors");
        Assert.Equal("Multiple link-in nodes named 'dup' found", ErrorText(caught));
        Assert.Equal(1.0, caught["payload"]);
    }

    [Fact]
    public async Task Link_call_to_a_missing_target_reports_an_error_with_the_message()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"call","type":"link call","linkType":"dynamic","links":[],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}""",
            """{"id":"c","type":"catch","scope":null,"wires":[["errors"]]}""",
            """{"id":"errors","type":"helper"}"""));

        flow.Send("call", """{"payload":"lost","target":"nowhere"}""");
        var caught = await flow.NextAsync("errors");
        Assert.Equal("target link-in node 'nowhere' not found", ErrorText(caught));
        Assert.Equal("lost", caught["payload"]);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Link_call_without_a_return_reports_timeout_with_the_message_as_sent()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1",
            [
                """{"id":"call","type":"link call","links":["sub"],"timeout":"5","wires":[["h"]]}""",
                """{"id":"h","type":"helper"}""",
                """{"id":"c","type":"catch","scope":["call"],"wires":[["errors"]]}""",
                """{"id":"errors","type":"helper"}""",
            ]),
            ("t2", ["""{"id":"sub","type":"link in","wires":[["sink"]]}""", """{"id":"sink","type":"helper"}"""])));

        await flow.SendAndSettleAsync("call", """{"payload":"unanswered"}""");
        await flow.NextAsync("sink");
        await flow.AdvanceMsAsync(4999);
        Assert.True(await flow.NothingMoreAsync("errors"));
        await flow.AdvanceMsAsync(1);

        var caught = await flow.NextAsync("errors");
        Assert.Equal("timeout", ErrorText(caught));
        Assert.Equal("unanswered", caught["payload"]);
        Assert.False(caught.ContainsKey("_linkSource"));
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Link_call_timeout_defaults_to_30_seconds_and_a_late_return_is_still_sent()
    {
        await using var flow = await StartAsync(Tabs(
            ("t1",
            [
                """{"id":"call","type":"link call","links":["sub"],"wires":[["h"]]}""",
                """{"id":"h","type":"helper"}""",
                """{"id":"c","type":"catch","scope":null,"wires":[["errors"]]}""",
                """{"id":"errors","type":"helper"}""",
            ]),
            ("t2",
            [
                """{"id":"sub","type":"link in","wires":[["wait"]]}""",
                """{"id":"wait","type":"delay","pauseType":"delay","timeout":"40","wires":[["ret"]]}""",
                """{"id":"ret","type":"link out","mode":"return"}""",
            ])));

        await flow.SendAndSettleAsync("call", """{"payload":"late"}""");
        await flow.AdvanceMsAsync(29_999);
        Assert.True(await flow.NothingMoreAsync("errors"));
        await flow.AdvanceMsAsync(1);
        Assert.Equal("timeout", ErrorText(await flow.NextAsync("errors")));

        await flow.AdvanceMsAsync(10_000);
        Assert.Equal("late", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Link_out_return_without_a_caller_warns_and_drops_the_message()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"ret","type":"link out","mode":"return"}"""));

        await flow.SendAndSettleAsync("ret", """{"payload":1}""");
        Assert.Contains(flow.Logs, l => l.Node?.Id == "ret" && l.Level == LogLevel.Warning && l.Message == "Missing return node information");
    }

    [Theory]
    [InlineData("""{"id":"call","type":"link call","links":[],"linkType":"static"}""", "links")]
    [InlineData("""{"id":"call","type":"link call","links":["x"],"linkType":"sometimes"}""", "linkType")]
    [InlineData("""{"id":"call","type":"link out","mode":"back"}""", "mode")]
    public async Task Link_nodes_with_invalid_configuration_are_refused_at_deploy(string node, string property)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(OneTab(node)));
        Assert.Contains(error.Problems, p => p.NodeId == "call" && p.Property == property);
    }

    [Fact]
    public void Link_declarations_belong_to_the_node_red_link_set()
    {
        Assert.All([LinkInNode.Declaration, LinkOutNode.Declaration, LinkCallNode.Declaration], d => Assert.Equal("node-red/link", d.Set));
        Assert.Equal((0, 1), (LinkInNode.Declaration.Inputs, LinkInNode.Declaration.Outputs));
        Assert.Equal((1, 0), (LinkOutNode.Declaration.Inputs, LinkOutNode.Declaration.Outputs));
        Assert.Equal("30", LinkCallNode.Declaration.Properties.Single(p => p.Name == "timeout").Default);
    }
}
