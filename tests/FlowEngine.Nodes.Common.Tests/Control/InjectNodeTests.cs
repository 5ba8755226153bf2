using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Control;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Control.ControlTestSupport;

namespace FlowEngine.Nodes.Common.Tests.Control;

public sealed class InjectNodeTests
{
    /// <summary>The fake clock starts at 2026-01-01T00:00:00Z.</summary>
    private const double StartEpochMs = 1767225600000;

    [Fact]
    public async Task Inject_once_fires_after_onceDelay_then_repeats_from_that_moment()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","once":true,"onceDelay":0.5,"repeat":"2","props":[{"p":"payload","v":"tick","vt":"str"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceMsAsync(400);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(100);
        Assert.Equal("tick", (await flow.NextAsync("h"))["payload"]);

        // The interval starts after the first injection: next one at 2.5 s, not at 2 s.
        await flow.AdvanceMsAsync(1900);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(100);
        await flow.NextAsync("h");
        await flow.AdvanceMsAsync(2000);
        await flow.NextAsync("h");
    }

    [Fact]
    public async Task Inject_repeat_waits_one_interval_before_the_first_message()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","repeat":"3","props":[{"p":"payload","v":"1","vt":"num"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceMsAsync(2999);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        Assert.Equal(1.0, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Inject_once_with_zero_delay_uses_the_default_tenth_of_a_second()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","once":true,"onceDelay":0,"props":[{"p":"payload","v":"x","vt":"str"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceMsAsync(99);
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceMsAsync(1);
        await flow.NextAsync("h");
    }

    [Fact]
    public async Task Inject_without_props_uses_the_legacy_payload_and_topic()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","payload":"hello","payloadType":"str","topic":"greeting","wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        Assert.True(await flow.Runtime.InjectAsync("i"));
        var msg = await flow.NextAsync("h");
        Assert.Equal("hello", msg["payload"]);
        Assert.Equal("greeting", msg["topic"]);
    }

    [Fact]
    public async Task Inject_payload_and_topic_props_without_v_take_the_node_fields()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload"},{"p":"topic","vt":"str"}],"payload":"42","payloadType":"num","topic":"t","wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.Runtime.InjectAsync("i");
        var msg = await flow.NextAsync("h");
        Assert.Equal(42.0, msg["payload"]);
        Assert.Equal("t", msg["topic"]);
    }

    [Fact]
    public async Task Inject_default_timestamp_payload_is_the_clock_in_epoch_milliseconds()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload"},{"p":"topic","vt":"str"}],"payload":"","payloadType":"date","topic":"","wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceMsAsync(1500);
        await flow.Runtime.InjectAsync("i");
        var msg = await flow.NextAsync("h");
        Assert.Equal(StartEpochMs + 1500, msg["payload"]);
        Assert.Equal("", msg["topic"]);
    }

    [Fact]
    public async Task Inject_props_evaluate_every_value_type()
    {
        await using var flow = await StartAsync(OneTab(
            """
            {"id":"i","type":"inject","props":[
              {"p":"s","v":"text","vt":"str"},
              {"p":"n","v":"2.5","vt":"num"},
              {"p":"b","v":"TRUE","vt":"bool"},
              {"p":"j","v":"{\"a\":[1,2]}","vt":"json"},
              {"p":"buf","v":"[1,2,255]","vt":"bin"},
              {"p":"iso","v":"iso","vt":"date"},
              {"p":"env","v":"NR_NODE_ID","vt":"env"},
              {"p":"f","v":"count","vt":"flow"},
              {"p":"g","v":"name","vt":"global"},
              {"p":"deep.list[1]","v":"x","vt":"str"}
             ],"wires":[["h"]]}
            """,
            """{"id":"h","type":"helper"}"""));
        var inject = flow.Node<InjectNode>("i");
        inject.FlowContext.Set("count", 7.0);
        inject.GlobalContext.Set("name", "plant");

        await flow.Runtime.InjectAsync("i");
        var msg = await flow.NextAsync("h");

        Assert.Equal("text", msg["s"]);
        Assert.Equal(2.5, msg["n"]);
        Assert.Equal(true, msg["b"]);
        Assert.Equal("""{"a":[1,2]}""", JsJson.Serialize(msg["j"]));
        Assert.Equal(new byte[] { 1, 2, 255 }, msg["buf"]);
        Assert.Equal("2026-01-01T00:00:00.000Z", msg["iso"]);
        Assert.Equal("i", msg["env"]);
        Assert.Equal(7.0, msg["f"]);
        Assert.Equal("plant", msg["g"]);
        Assert.Equal("""{"list":[null,"x"]}""", JsJson.Serialize(msg["deep"]));
    }

    [Fact]
    public async Task Inject_json_prop_gives_each_message_its_own_copy()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"{\"n\":1}","vt":"json"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.Runtime.InjectAsync("i");
        var first = await flow.NextAsync("h");
        ((JsObject)first["payload"]!)["n"] = 99.0;
        await flow.Runtime.InjectAsync("i");
        var second = await flow.NextAsync("h");
        Assert.Equal(1.0, ((JsObject)second["payload"]!)["n"]);
    }

    [Fact]
    public async Task Inject_jsonata_prop_is_evaluated_against_the_message_being_built()
    {
        var expressions = new StubExpressions(new() { ["payload * 2"] = m => JsValue.ToNumber(m.Get("payload")) * 2 });
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"21","vt":"num"},{"p":"double","v":"payload * 2","vt":"jsonata"},{"p":"skipped","v":"","vt":"jsonata"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""), expressions: expressions);

        await flow.Runtime.InjectAsync("i");
        var msg = await flow.NextAsync("h");
        Assert.Equal(42.0, msg["double"]);
        Assert.False(msg.ContainsKey("skipped"));
    }

    [Fact]
    public async Task Inject_jsonata_prop_runs_on_the_runtime_jsonata_engine()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"[1,2,3]","vt":"json"},{"p":"total","v":"$sum(payload)","vt":"jsonata"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.Runtime.InjectAsync("i");
        Assert.Equal(6.0, (await flow.NextAsync("h"))["total"]);
    }

    [Fact]
    public async Task Inject_messages_start_empty_with_a_fresh_msgid_each_time()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"x","vt":"str"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.Runtime.InjectAsync("i");
        await flow.Runtime.InjectAsync("i");
        var (first, second) = (await flow.NextAsync("h"), await flow.NextAsync("h"));
        Assert.Equal(["_msgid", "payload"], first.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Matches("^[0-9a-f]{16}$", (string)first["_msgid"]!);
        Assert.NotEqual(first["_msgid"], second["_msgid"]);
    }

    [Fact]
    public async Task Inject_button_props_replace_the_configured_props_for_one_injection()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"configured","vt":"str"},{"p":"topic","v":"t","vt":"str"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        var body = (JsObject)JsJson.Parse("""{"__user_inject_props__":[{"p":"payload","v":"5","vt":"num"}]}""")!;
        Assert.True(await flow.Runtime.InjectAsync("i", body));
        var overridden = await flow.NextAsync("h");
        Assert.Equal(5.0, overridden["payload"]);
        Assert.False(overridden.ContainsKey("topic"));
        Assert.False(overridden.ContainsKey(InjectNode.UserPropsKey));

        await flow.Runtime.InjectAsync("i");
        Assert.Equal("configured", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Inject_prop_that_fails_to_evaluate_reports_an_error_and_sends_nothing()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"x","vt":"str"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}""",
            """{"id":"c","type":"catch","scope":null,"wires":[["errors"]]}""",
            """{"id":"errors","type":"helper"}"""));

        var body = (JsObject)JsJson.Parse("""{"__user_inject_props__":[{"p":"payload","v":"{not json","vt":"json"},{"p":"b","v":"[1,","vt":"bin"}]}""")!;
        await flow.Runtime.InjectAsync("i", body);

        var error = await flow.NextAsync("errors");
        var text = (string)((JsObject)error["error"]!)["message"]!;
        Assert.StartsWith("msg.payload:", text, StringComparison.Ordinal);
        Assert.Contains("; msg.b:", text, StringComparison.Ordinal);
        Assert.Equal("i", ((JsObject)((JsObject)error["error"]!)["source"]!)["id"]);
        Assert.True(await flow.NothingMoreAsync("h"));
    }

    [Fact]
    public async Task Inject_completion_reaches_a_complete_node_scoped_to_it()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","props":[{"p":"payload","v":"x","vt":"str"}],"wires":[]}""",
            """{"id":"done","type":"complete","scope":["i"],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.Runtime.InjectAsync("i");
        var msg = await flow.NextAsync("h");
        Assert.Equal("x", msg["payload"]);
        Assert.Equal("i", ((JsObject)((JsObject)msg["complete"]!)["source"]!)["id"]);
    }

    [Fact]
    public async Task Inject_cron_fires_at_each_occurrence_of_the_schedule()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","crontab":"*/5 * * * *","props":[{"p":"payload","v":"","vt":"date"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceSettledAsync(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceSettledAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(StartEpochMs + 300_000, (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceSettledAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(StartEpochMs + 600_000, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Inject_cron_at_a_specific_time_on_weekdays_skips_the_weekend()
    {
        // 2026-01-01 is a Thursday. "at 12:30 on Mon-Fri" as the editor stores it.
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","crontab":"30 12 * * 1,2,3,4,5","props":[{"p":"payload","v":"","vt":"date"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceSettledAsync(new TimeSpan(12, 30, 0));
        Assert.Equal(StartEpochMs + 45_000_000, (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceSettledAsync(TimeSpan.FromDays(1));
        await flow.NextAsync("h"); // Friday
        await flow.AdvanceSettledAsync(TimeSpan.FromDays(1));
        await flow.AdvanceSettledAsync(TimeSpan.FromDays(1));
        Assert.True(await flow.NothingMoreAsync("h")); // Saturday, Sunday
        await flow.AdvanceSettledAsync(TimeSpan.FromDays(1));
        var monday = await flow.NextAsync("h");
        Assert.Equal(new DateTime(2026, 1, 5, 12, 30, 0, DateTimeKind.Utc), JsValue.FromEpochMilliseconds((double)monday["payload"]!));
    }

    [Fact]
    public async Task Inject_cron_with_six_fields_counts_seconds()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","crontab":"*/10 * * * * *","props":[{"p":"payload","v":"x","vt":"str"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceSettledAsync(TimeSpan.FromSeconds(10));
        await flow.NextAsync("h");
        await flow.AdvanceSettledAsync(TimeSpan.FromSeconds(9));
        Assert.True(await flow.NothingMoreAsync("h"));
        await flow.AdvanceSettledAsync(TimeSpan.FromSeconds(1));
        await flow.NextAsync("h");
    }

    [Fact]
    public async Task Inject_cron_follows_the_clock_local_time_zone()
    {
        await using var flow = await TestFlow.StartAsync("", FakeClock);
        flow.Clock!.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2"));
        await flow.DeployAsync(OneTab(
            """{"id":"i","type":"inject","crontab":"0 8 * * *","props":[{"p":"payload","v":"","vt":"date"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        // 08:00 at UTC+2 is 06:00 UTC.
        await flow.AdvanceSettledAsync(TimeSpan.FromHours(6));
        Assert.Equal(StartEpochMs + 6 * 3_600_000, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Inject_once_then_cron_starts_the_schedule_after_the_first_injection()
    {
        await using var flow = await StartAsync(OneTab(
            """{"id":"i","type":"inject","once":true,"onceDelay":"0.1","crontab":"* * * * *","props":[{"p":"payload","v":"","vt":"date"}],"wires":[["h"]]}""",
            """{"id":"h","type":"helper"}"""));

        await flow.AdvanceMsAsync(100);
        Assert.Equal(StartEpochMs + 100, (await flow.NextAsync("h"))["payload"]);
        await flow.AdvanceMsAsync(59_900);
        Assert.Equal(StartEpochMs + 60_000, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public void Inject_cron_parser_reports_next_occurrences_in_utc()
    {
        var cron = InjectNode.ParseCron("*/15 8-17 * * 1-5");
        var from = new DateTimeOffset(2026, 1, 2, 17, 50, 0, TimeSpan.Zero); // Friday evening
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero), cron.GetNextOccurrence(from, TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData("""{"id":"i","type":"inject","crontab":"61 * * * *"}""", "crontab")]
    [InlineData("""{"id":"i","type":"inject","repeat":"3000000"}""", "repeat")]
    [InlineData("""{"id":"i","type":"inject","props":[{"p":"payload","v":"{bad","vt":"json"}]}""", "props")]
    [InlineData("""{"id":"i","type":"inject","props":[{"p":"payload","v":"payload +","vt":"jsonata"}]}""", "props")]
    public async Task Inject_with_invalid_configuration_is_refused_at_deploy(string node, string property)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(OneTab(node)));
        Assert.Contains(error.Problems, p => p.NodeId == "i" && p.Property == property);
    }

    [Fact]
    public void Inject_declaration_has_a_button_and_node_red_defaults()
    {
        var declaration = InjectNode.Declaration;
        Assert.True(declaration.HasButton);
        Assert.Equal(0, declaration.Inputs);
        Assert.Equal("date", declaration.Properties.Single(p => p.Name == "payloadType").Default);
        Assert.Equal(0.1, declaration.Properties.Single(p => p.Name == "onceDelay").Default);
        Assert.Equal("node-red/inject", declaration.Set);
    }
}
