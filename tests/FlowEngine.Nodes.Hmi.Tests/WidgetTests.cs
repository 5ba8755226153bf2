using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Hmi.Tests;

public sealed class WidgetTests
{
    private static readonly HmiClient Olivia = new("olivia", ["read", "hmi.write"]);

    [Fact]
    public async Task Gauge_value_becomes_its_state_with_the_alarm_band_and_is_pushed_to_pages()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-gauge", """{"min":0,"max":120,"hi":"80","hihi":"100"}""");
        hmi.Flow.Send("n", """{"payload":85}""");
        var update = await hmi.NextUpdateAsync();
        var state = (JsObject)update["state"]!;
        Assert.Equal(85.0, state["value"]);
        Assert.Equal("hi", state["band"]);
        hmi.Flow.Send("n", """{"payload":"101.5"}""");
        state = (JsObject)(await hmi.NextUpdateAsync())["state"]!;
        Assert.Equal(101.5, state["value"]);
        Assert.Equal("hihi", state["band"]);
    }

    [Fact]
    public async Task Gauge_bands_may_come_from_the_tabs_env_variables()
    {
        // Deploy checks the declarations first: before, "${LIMIT_C}" was refused as "expected a number or nothing".
        await using var hmi = await HmiFlow.StartAsync("hmi-gauge", """{"min":0,"max":40,"hi":"${LIMIT_C}"}""", tabEnv: """[{"name":"LIMIT_C","value":"24","type":"num"}]""");
        hmi.Flow.Send("n", """{"payload":23.5}""");
        Assert.Equal("normal", ((JsObject)(await hmi.NextUpdateAsync())["state"]!)["band"]);
        hmi.Flow.Send("n", """{"payload":24.5}""");
        Assert.Equal("hi", ((JsObject)(await hmi.NextUpdateAsync())["state"]!)["band"]);
    }

    [Fact]
    public async Task Gauge_refuses_a_payload_that_is_not_a_number_and_keeps_its_value()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-gauge", """{"min":0,"max":100}""");
        hmi.Flow.Send("n", """{"payload":40}""");
        await hmi.StateAsync(s => s is JsObject o && o.Get("value") is 40.0);
        hmi.Flow.Send("n", """{"payload":"hot"}""");
        var error = await hmi.Flow.NextAsync("errors");
        Assert.Contains("expects msg.payload to be a number", (string)((JsObject)error["error"]!)["message"]!);
        Assert.Equal(40.0, ((JsObject)hmi.Widget.State!)["value"]);
    }

    [Fact]
    public async Task Gauge_with_max_not_above_min_is_refused_at_deploy()
    {
        using var hmi = new HmiServices();
        await using var flow = await TestFlow.StartAsync("", new TestFlowOptions { Register = r => HmiNodes.Register(r, hmi) });
        var refused = await Assert.ThrowsAsync<FlowValidationException>(() => flow.DeployAsync(HmiFlow.Json("hmi-gauge", """{"min":10,"max":10}""")));
        Assert.Contains("must be greater than min", refused.Message);
    }

    [Fact]
    public async Task Chart_keeps_each_series_within_its_time_window()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-chart", """{"window":60,"maxPoints":1000}""");
        hmi.Flow.Send("n", """{"topic":"a","payload":1,"timestamp":1000}""");
        hmi.Flow.Send("n", """{"topic":"b","payload":2,"timestamp":2000}""");
        hmi.Flow.Send("n", """{"topic":"a","payload":3,"timestamp":70000}""");
        var state = (JsObject)(await hmi.StateAsync(s => s is JsObject o && o.Get("a") is List<object?> { Count: 1 }))!;
        Assert.Equal(new List<object?> { 70000.0, 3.0 }, ((List<object?>)state["a"]!)[0]);
        // Series trim on their own points: b keeps its point until b gets a newer one.
        Assert.Single((List<object?>)state["b"]!);
        hmi.Flow.Send("n", """{"payload":[]}""");
        await hmi.StateAsync(s => s is JsObject { Count: 0 });
    }

    [Fact]
    public async Task Chart_pushes_single_points_not_the_whole_history()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-chart", "{}");
        hmi.Flow.Send("n", """{"topic":"TT-1","payload":5,"timestamp":1000}""");
        var update = await hmi.NextUpdateAsync(kind: "point");
        Assert.Equal("TT-1", update["series"]);
        Assert.Equal(1000.0, update["t"]);
        Assert.Equal(5.0, update["v"]);
    }

    [Fact]
    public async Task Button_press_sends_its_payload_with_who_pressed_and_is_audited()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-button", """{"payload":"42","payloadType":"num","topic":"pump"}""");
        var value = hmi.Widget.ValidateAction(null);
        hmi.Widget.Act(value, Olivia);
        var sent = await hmi.Flow.NextAsync("out");
        Assert.Equal(42.0, sent["payload"]);
        Assert.Equal("pump", sent["topic"]);
        Assert.Equal("olivia", AuditLogExtensionsUser(sent));
        var entry = Assert.Single(hmi.Audit.Entries);
        Assert.Equal("hmi.action", entry.Action);
        Assert.Equal("olivia", entry.User);
        Assert.Equal("n", entry.Details!["node"]);
    }

    private static string? AuditLogExtensionsUser(JsObject message) => Core.Runtime.AuditLogExtensions.ClientUser(message);

    [Fact]
    public async Task Switch_moved_by_the_flow_shows_on_pages_without_sending()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-switch", """{"onValue":"ON","onValueType":"str","offValue":"OFF","offValueType":"str"}""");
        hmi.Flow.Send("n", """{"payload":"ON"}""");
        await hmi.StateAsync(s => s is JsObject o && o.Get("value") is true);
        Assert.True(await hmi.Flow.NothingArrivesAsync("out"));
        hmi.Widget.Act(hmi.Widget.ValidateAction(false), Olivia);
        Assert.Equal("OFF", (await hmi.Flow.NextAsync("out"))["payload"]);
        await hmi.StateAsync(s => s is JsObject o && o.Get("value") is false);
    }

    [Fact]
    public async Task Switch_refuses_a_flow_value_that_is_neither_on_nor_off()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-switch", "{}");
        hmi.Flow.Send("n", """{"payload":"maybe"}""");
        var error = await hmi.Flow.NextAsync("errors");
        Assert.Contains("on value", (string)((JsObject)error["error"]!)["message"]!);
    }

    [Fact]
    public async Task Slider_refuses_an_action_outside_its_range_and_snaps_to_its_step()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-slider", """{"min":0,"max":10,"step":0.5}""");
        var refused = Assert.Throws<HmiValueException>(() => hmi.Widget.ValidateAction(11.0));
        Assert.Contains("0 to 10", refused.Message);
        Assert.Throws<HmiValueException>(() => hmi.Widget.ValidateAction("5"));
        Assert.Equal(2.5, hmi.Widget.ValidateAction(2.6));
    }

    [Fact]
    public async Task Disabled_widget_refuses_actions_until_enabled_again()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-button", "{}");
        hmi.Flow.Send("n", """{"enabled":false}""");
        await hmi.StateAsync(s => s is JsObject o && o.Get("enabled") is false);
        Assert.Throws<HmiValueException>(() => hmi.Widget.ValidateAction(null));
        hmi.Flow.Send("n", """{"enabled":true}""");
        await hmi.StateAsync(s => s is JsObject o && o.Get("enabled") is true);
        Assert.Null(hmi.Widget.ValidateAction(null));
    }

    [Fact]
    public async Task Dropdown_takes_only_its_options()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-dropdown", """{"options":"[\"auto\", {\"label\":\"Manual\",\"value\":2}]"}""");
        Assert.Equal(2.0, hmi.Widget.ValidateAction(2.0));
        Assert.Throws<HmiValueException>(() => hmi.Widget.ValidateAction("manual"));
    }

    [Fact]
    public async Task Text_input_refuses_text_longer_than_its_limit()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-text-input", """{"maxLength":3}""");
        Assert.Equal("abc", hmi.Widget.ValidateAction("abc"));
        Assert.Throws<HmiValueException>(() => hmi.Widget.ValidateAction("abcd"));
    }

    [Fact]
    public async Task Template_puts_message_values_in_escaped()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-template", """{"format":"<b>{{payload.name}}</b> {{topic}}"}""");
        hmi.Flow.Send("n", """{"topic":"T1","payload":{"name":"<script>x</script>"}}""");
        var state = await hmi.StateAsync(s => s is string text && text.Contains("T1", StringComparison.Ordinal));
        Assert.Equal("<b>&lt;script&gt;x&lt;/script&gt;</b> T1", state);
    }

    [Fact]
    public async Task Camera_shows_a_jpeg_buffer_and_lists_clips_newest_first()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-camera", """{"maxClips":2}""");
        hmi.Flow.Send("n", new JsObject { ["payload"] = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2 } });
        hmi.Flow.Send("n", """{"payload":"/clips/a.mp4"}""");
        hmi.Flow.Send("n", """{"payload":"/clips/b.mp4"}""");
        hmi.Flow.Send("n", """{"payload":"/clips/c.mp4"}""");
        var state = (JsObject)(await hmi.StateAsync(s => s is JsObject o && o.Get("clips") is List<object?> clips && clips.Count == 2 && JsJson.Serialize(clips).Contains("c.mp4", StringComparison.Ordinal)))!;
        Assert.StartsWith("data:image/jpeg;base64,", (string)state["image"]!);
        var clips = (List<object?>)state["clips"]!;
        Assert.Equal("/clips/c.mp4", ((JsObject)clips[0]!)["url"]);
        Assert.Equal("/clips/b.mp4", ((JsObject)clips[1]!)["url"]);
    }

    [Fact]
    public async Task Camera_refuses_a_script_url()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-camera", "{}");
        hmi.Flow.Send("n", """{"payload":"javascript:alert(1)"}""");
        var error = await hmi.Flow.NextAsync("errors");
        Assert.Contains("http(s)://", (string)((JsObject)error["error"]!)["message"]!);
    }

    [Fact]
    public async Task Confirm_dialog_takes_one_answer_and_sends_it_with_the_user()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-notification", """{"mode":"confirm"}""");
        hmi.Flow.Send("n", """{"topic":"Drain tank?","payload":"Tank 1 will be drained"}""");
        var open = (JsObject)(await hmi.StateAsync(s => s is JsObject o && o.Get("open") is true))!;
        var answer = new JsObject { ["dialog"] = open["dialog"], ["answer"] = "ok" };
        hmi.Widget.Act(hmi.Widget.ValidateAction(answer), Olivia);
        hmi.Widget.Act(hmi.Widget.ValidateAction(new JsObject { ["dialog"] = open["dialog"], ["answer"] = "cancel" }), new HmiClient("bob", null));
        var sent = await hmi.Flow.NextAsync("out");
        Assert.Equal("ok", sent["payload"]);
        Assert.Equal("Drain tank?", sent["topic"]);
        Assert.Equal("olivia", ((JsObject)sent["_client"]!)["user"]);
        Assert.True(await hmi.Flow.NothingArrivesAsync("out"));
        await hmi.StateAsync(s => s is JsObject o && o.Get("open") is false);
    }

    [Fact]
    public async Task Toast_goes_to_every_page_as_a_notification()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-notification", """{"mode":"toast","timeout":3}""");
        hmi.Flow.Send("n", """{"topic":"Shift","payload":"Handover at 14:00"}""");
        var toast = await hmi.NextUpdateAsync(id: "n", kind: "notify");
        Assert.Equal("Handover at 14:00", toast["text"]);
        Assert.Equal("Shift", toast["title"]);
    }

    [Fact]
    public async Task Table_keeps_the_configured_columns()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-table", """{"columns":"b,a","maxRows":1}""");
        hmi.Flow.Send("n", """{"payload":[{"a":1,"b":"x"},{"a":2,"b":"y"}]}""");
        var state = (JsObject)(await hmi.StateAsync(s => s is JsObject))!;
        Assert.Equal(new List<object?> { "b", "a" }, state["columns"]);
        Assert.Equal(new List<object?> { new List<object?> { "x", "1" } }, state["rows"]);
        Assert.Equal(1.0, state["truncated"]);
    }

    [Fact]
    public async Task Snapshot_orders_pages_groups_and_widgets_and_carries_the_callers_rights()
    {
        const string extra = """
            {"id":"p0","type":"hmi-page","title":"First","order":-1},
            {"id":"g2","type":"hmi-group","page":"p","title":"Second group","order":2},
            {"id":"w2","type":"hmi-led","z":"t","group":"g","order":2,"label":"B","wires":[]},
            {"id":"w3","type":"hmi-led","z":"t","group":"g2","order":1,"label":"C","wires":[]},
            {"id":"lost","type":"hmi-led","z":"t","label":"nowhere","wires":[]}
            """;
        await using var hmi = await HmiFlow.StartAsync("hmi-led", """{"order":1,"label":"A"}""", extra);
        await hmi.Flow.SettleAsync();
        var snapshot = hmi.Hmi.Snapshot("victor", canWrite: false, canAcknowledge: false);
        Assert.Equal("victor", snapshot["user"]);
        Assert.Equal(false, snapshot["canWrite"]);
        var pages = ((List<object?>)snapshot["pages"]!).Cast<JsObject>().ToList();
        Assert.Equal(new[] { "First", "Main" }, pages.Select(p => (string)p["title"]!));
        var groups = ((List<object?>)pages[1]["groups"]!).Cast<JsObject>().ToList();
        Assert.Equal(new[] { "G", "Second group" }, groups.Select(g => (string)g["title"]!));
        var labels = ((List<object?>)groups[0]["widgets"]!).Cast<JsObject>().Select(w => (string)w["label"]!);
        Assert.Equal(new[] { "A", "B" }, labels);
        Assert.Equal(1.0, snapshot["unplaced"]);
    }

    [Fact]
    public async Task Redeploy_replaces_the_widget_and_keeps_it_listed()
    {
        await using var hmi = await HmiFlow.StartAsync("hmi-numeric", """{"unit":"bar"}""");
        await hmi.Flow.DeployAsync(HmiFlow.Json("hmi-numeric", """{"unit":"kPa"}"""));
        await hmi.Flow.SettleAsync();
        var widget = hmi.Widget.Describe();
        Assert.Equal("kPa", ((JsObject)widget["options"]!)["unit"]);
    }

    [Fact]
    public async Task Alarm_list_shows_active_alarms_and_follows_their_state()
    {
        using var industrial = new IndustrialServices();
        const string alarmNode = """
            {"id":"alarm","type":"alarm","z":"t","tagProperty":"topic","property":"payload",
             "rules":[{"tag":"TT-1","type":"HI","limit":50,"priority":"high"}],"wires":[[],[]]}
            """;
        await using var hmi = await HmiFlow.StartAsync("hmi-alarm-list", "{}", alarmNode, industrial);
        hmi.Flow.Send("alarm", """{"topic":"TT-1","payload":60}""");
        var list = (List<object?>)(await hmi.StateAsync(s => s is List<object?> { Count: 1 }))!;
        var alarm = (JsObject)list[0]!;
        Assert.Equal("UNACK", alarm["state"]);
        var result = await industrial.Alarms.AcknowledgeAsync((string)alarm["id"]!, "olivia");
        Assert.Equal(AlarmCommandStatus.Done, result.Status);
        await hmi.StateAsync(s => s is List<object?> { Count: 1 } l && ((JsObject)l[0]!)["state"] is "ACKED");
    }

    [Fact]
    public void Every_hmi_node_type_is_declared_with_help()
    {
        var registry = new NodeRegistry();
        HmiNodes.Register(registry);
        string[] expected =
        [
            "hmi-page", "hmi-group", "hmi-theme", "hmi-text", "hmi-gauge", "hmi-numeric", "hmi-led", "hmi-chart", "hmi-table",
            "hmi-button", "hmi-switch", "hmi-slider", "hmi-number-input", "hmi-dropdown", "hmi-text-input", "hmi-notification",
            "hmi-alarm-list", "hmi-camera", "hmi-template",
        ];
        Assert.Equal(expected.Order(), registry.Declarations.Select(d => d.Type).Order());
        Assert.All(registry.Declarations, d => Assert.True(d.Help.Length > 80, d.Type));
    }
}
