using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Control;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Control.ControlTestSupport;

namespace FlowEngine.Nodes.Common.Tests.Control;

public sealed class DebugNodeTests
{
    private static async Task<DebugEvent> NextDebugAsync(TestFlow flow, string nodeId)
    {
        for (var i = 0; i < 400; i++)
        {
            var found = flow.DebugMessages.FirstOrDefault(e => e.Node.Id == nodeId);
            if (found is not null) return found;
            await Task.Delay(5);
        }
        throw new TimeoutException($"no debug output from {nodeId}");
    }

    private static async Task<IReadOnlyList<DebugEvent>> DebugOutputAfterSettleAsync(TestFlow flow, string nodeId)
    {
        await flow.SettleNodesAsync();
        return flow.DebugMessages.Where(e => e.Node.Id == nodeId).ToList();
    }

    [Theory]
    [InlineData("false")]
    [InlineData("payload")]
    [InlineData("")]
    public async Task Debug_shows_msg_payload_for_payload_and_the_legacy_false(string complete)
    {
        await using var flow = await StartAsync(OneTab($$"""{"id":"d","type":"debug","name":"dbg","complete":"{{complete}}"}"""));

        flow.Send("d", """{"payload":{"temp":21.5},"topic":"sensor"}""");
        var shown = await NextDebugAsync(flow, "d");

        Assert.Equal("""{"temp":21.5}""", JsJson.Serialize(shown.Value));
        Assert.Equal("payload", shown.Property);
        Assert.Equal("sensor", shown.Topic);
        Assert.Equal(new NodeIdentity("d", "debug", "dbg", "t1", null, "t1/d"), shown.Node);
        Assert.True(shown.ToSidebar);
    }

    [Fact]
    public async Task Debug_complete_true_shows_the_whole_message_without_a_property()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","complete":"true","targetType":"full"}"""));

        flow.Send("d", """{"payload":1,"topic":"t","extra":true}""");
        var shown = await NextDebugAsync(flow, "d");

        var whole = Assert.IsType<JsObject>(shown.Value);
        Assert.Equal(1.0, whole["payload"]);
        Assert.Equal(true, whole["extra"]);
        Assert.Null(shown.Property);
    }

    [Fact]
    public async Task Debug_other_complete_text_is_a_message_property_path()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","complete":"payload.readings[1]","targetType":"msg"}"""));

        flow.Send("d", """{"payload":{"readings":[10,20,30]}}""");
        var shown = await NextDebugAsync(flow, "d");

        Assert.Equal(20.0, shown.Value);
        Assert.Equal("payload.readings[1]", shown.Property);
    }

    [Fact]
    public async Task Debug_missing_property_shows_nothing_as_the_value()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","complete":"nope"}"""));

        flow.Send("d", """{"payload":1}""");
        var shown = await NextDebugAsync(flow, "d");
        Assert.Null(shown.Value);
        Assert.Null(shown.Topic);
    }

    [Fact]
    public async Task Debug_jsonata_target_shows_the_expression_result()
    {
        var expressions = new StubExpressions(new() { ["payload.a + 1"] = m => JsValue.ToNumber(((JsObject)m["payload"]!)["a"]) + 1 });
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","complete":"payload.a + 1","targetType":"jsonata"}"""), expressions: expressions);

        flow.Send("d", """{"payload":{"a":41}}""");
        var shown = await NextDebugAsync(flow, "d");
        Assert.Equal(42.0, shown.Value);
        Assert.Null(shown.Property);
    }

    [Fact]
    public async Task Debug_inactive_node_sends_nothing_until_enabled_again()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","active":false,"complete":"payload"}"""));
        var debug = flow.Node<DebugNode>("d");

        flow.Send("d", """{"payload":"hidden"}""");
        Assert.Empty(await DebugOutputAfterSettleAsync(flow, "d"));

        Assert.True(flow.Runtime.FindNode("d")!.SetActive(true));
        flow.Send("d", """{"payload":"shown"}""");
        Assert.Equal("shown", (await NextDebugAsync(flow, "d")).Value);

        Assert.True(debug.SetActive(false));
        flow.Send("d", """{"payload":"hidden again"}""");
        Assert.Single(await DebugOutputAfterSettleAsync(flow, "d"));
    }

    [Fact]
    public async Task Debug_with_tosidebar_off_sends_nothing_to_the_sidebar()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tosidebar":false,"complete":"payload"}"""));

        flow.Send("d", """{"payload":1}""");
        Assert.Empty(await DebugOutputAfterSettleAsync(flow, "d"));
    }

    [Fact]
    public async Task Debug_status_auto_shows_the_value_cut_to_32_characters()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"statusType":"auto","complete":"payload"}"""));

        flow.Send("d", """{"payload":"0123456789abcdefghijklmnopqrstuvwxyzABCD"}""");
        await NextDebugAsync(flow, "d");
        await flow.SettleNodesAsync();

        Assert.Equal(new NodeStatus("grey", "dot", "0123456789abcdefghijklmnopqrstuv..."), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Debug_status_length_follows_the_debugStatusLength_setting()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"complete":"payload"}"""),
            settings: new JsObject { ["debugStatusLength"] = 5.0 });

        flow.Send("d", """{"payload":"abcdefgh"}""");
        await NextDebugAsync(flow, "d");
        await flow.SettleNodesAsync();
        Assert.Equal("abcde...", flow.LastStatusOf("d")!.Text);
    }

    [Fact]
    public async Task Debug_status_auto_shows_objects_as_inspected_text_and_only_publishes_changes()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"complete":"payload"}"""));

        flow.Send("d", """{"payload":{"a":1,"b":"x"}}""");
        flow.Send("d", """{"payload":{"a":1,"b":"x"}}""");
        flow.Send("d", """{"payload":[1,true,null]}""");
        await flow.SettleNodesAsync();

        Assert.Equal(
            [new NodeStatus("grey", "dot", "{ a: 1, b: 'x' }"), new NodeStatus("grey", "dot", "[ 1, true, null ]")],
            flow.StatusesOf("d"));
    }

    [Fact]
    public async Task Debug_status_auto_shows_an_error_message_in_red()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"complete":"payload"}"""));

        flow.Send("d", """{"payload":"x","error":{"message":"sensor offline"}}""");
        await flow.SettleNodesAsync();
        Assert.Equal(new NodeStatus("red", "dot", "sensor offline"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Debug_status_auto_repeats_the_status_a_status_node_reports()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"complete":"payload"}"""));

        flow.Send("d", """{"status":{"fill":"green","text":"connected","source":{"id":"other"}}}""");
        await flow.SettleNodesAsync();
        Assert.Equal(new NodeStatus("green", "ring", "connected"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Debug_status_msg_type_shows_the_statusVal_property()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"statusType":"msg","statusVal":"topic","complete":"payload"}"""));

        flow.Send("d", """{"payload":1,"topic":"line 3"}""");
        await flow.SettleNodesAsync();
        Assert.Equal(new NodeStatus("grey", "dot", "line 3"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Debug_status_jsonata_runs_on_the_runtime_jsonata_engine()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"statusType":"jsonata","statusVal":"$uppercase(payload)","complete":"payload"}"""));

        flow.Send("d", """{"payload":"abc"}""");
        await flow.SettleNodesAsync();
        Assert.Equal(new NodeStatus("grey", "dot", "ABC"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Debug_status_value_that_looks_like_a_status_is_shown_as_one()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"statusType":"msg","statusVal":"payload","complete":"payload"}"""));

        flow.Send("d", """{"payload":{"fill":"yellow","shape":"ring","text":"warming up"}}""");
        await flow.SettleNodesAsync();
        Assert.Equal(new NodeStatus("yellow", "ring", "warming up"), flow.LastStatusOf("d"));
    }

    [Fact]
    public async Task Debug_status_counter_counts_messages_and_throttles_fast_streams()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"statusType":"counter","complete":"payload"}"""));
        Assert.Equal(new NodeStatus("blue", "ring", "0"), flow.LastStatusOf("d"));

        await flow.AdvanceMsAsync(1000);
        await flow.SendAndSettleAsync("d", """{"payload":1}""");
        Assert.Equal("1", flow.LastStatusOf("d")!.Text);

        // Two more within 100 ms of each other: shown together 200 ms after the last one.
        await flow.SendAndSettleAsync("d", """{"payload":2}""");
        await flow.SendAndSettleAsync("d", """{"payload":3}""");
        Assert.Equal("1", flow.LastStatusOf("d")!.Text);
        await flow.AdvanceMsAsync(199);
        Assert.Equal("1", flow.LastStatusOf("d")!.Text);
        await flow.AdvanceMsAsync(1);
        Assert.Equal("3", flow.LastStatusOf("d")!.Text);
    }

    [Fact]
    public async Task Debug_ignores_status_messages_about_itself()
    {
        await using var flow = await StartAsync(OneTab("""{"id":"d","type":"debug","tostatus":true,"complete":"payload"}"""));

        flow.Send("d", """{"payload":"own","status":{"text":"x","source":{"id":"d","type":"debug"}}}""");
        Assert.Empty(await DebugOutputAfterSettleAsync(flow, "d"));
        Assert.Empty(flow.StatusesOf("d"));
    }

    [Fact]
    public async Task Debug_wired_from_a_status_node_watching_it_does_not_loop()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"s","type":"status","scope":null,"wires":[["d"]]}""",
            """{"id":"d","type":"debug","tostatus":true,"complete":"payload"}"""));

        flow.Send("d", """{"payload":"hello"}""");
        await NextDebugAsync(flow, "d");
        await flow.SettleNodesAsync();
        await flow.SettleNodesAsync();

        Assert.Single(flow.DebugMessages, e => e.Node.Id == "d");
        Assert.Equal([new NodeStatus("grey", "dot", "hello")], flow.StatusesOf("d"));
    }

    [Fact]
    public async Task Debug_completion_reaches_a_complete_node()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"d","type":"debug","complete":"payload"}""",
            """{"id":"done","type":"complete","scope":["d"],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        flow.Send("d", """{"payload":"seen"}""");
        Assert.Equal("seen", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Debug_console_output_goes_to_the_log()
    {
        var logs = new CapturingLoggerFactory();
        var userDir = Directory.CreateTempSubdirectory("flowengine-debug-").FullName;
        try
        {
            await using var runtime = new FlowRuntime(new FlowRuntimeOptions
            {
                Registry = TestFlow.CreateRegistry(),
                LoggerFactory = logs,
                Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
            });
            await runtime.StartAsync();
            await runtime.DeployAsync(JsJson.Parse(OneTab(
                """{"id":"d","type":"debug","name":"console","console":"true","tosidebar":false,"complete":"payload"}""")), Core.Flows.DeploymentType.Full);

            runtime.Deliver("d", (JsObject)JsJson.Parse("""{"payload":{"level":3}}""")!);
            runtime.Deliver("d", (JsObject)JsJson.Parse("""{"payload":"plain text"}""")!);
            for (var i = 0; i < 400 && logs.Lines.Count(l => l.Message.StartsWith("[debug:console]", StringComparison.Ordinal)) < 2; i++) await Task.Delay(5);

            var lines = logs.Lines.Where(l => l.Message.StartsWith("[debug:console]", StringComparison.Ordinal)).ToList();
            Assert.Equal(["[debug:console] \n{ level: 3 }", "[debug:console] plain text"], lines.Select(l => l.Message));
            Assert.All(lines, l => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, l.Level));
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }

    [Fact]
    public async Task Debug_jsonata_expression_that_does_not_compile_is_refused_at_deploy()
    {
        var error = await Assert.ThrowsAsync<Core.Flows.FlowValidationException>(() =>
            StartAsync(OneTab("""{"id":"d","type":"debug","complete":"payload","targetType":"jsonata"}"""), expressions: new StubExpressions([])));
        Assert.Contains(error.Problems, p => p.NodeId == "d" && p.Property == "complete");
    }

    [Theory]
    [InlineData("abc", "'abc'")]
    [InlineData(1.5, "1.5")]
    [InlineData(null, "null")]
    public void Value_inspector_writes_scalars_as_node_does(object? value, string expected) =>
        Assert.Equal(expected, ValueInspector.Inspect(value));

    [Fact]
    public void Value_inspector_limits_nesting_and_shows_buffers_and_undefined()
    {
        var nested = (JsObject)JsJson.Parse("""{"a":{"b":{"c":{"d":1}}},"list":[],"o":{},"key with space":2}""")!;
        Assert.Equal("{ a: { b: { c: [Object] } }, list: [], o: {}, 'key with space': 2 }", ValueInspector.Inspect(nested));
        Assert.Equal("<Buffer 00 ff>", ValueInspector.Inspect(new byte[] { 0, 255 }));
        Assert.Equal("undefined", ValueInspector.Inspect(null, defined: false));
    }
}
