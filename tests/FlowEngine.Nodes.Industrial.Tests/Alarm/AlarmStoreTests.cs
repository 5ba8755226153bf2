using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests.Alarm;

/// <summary>The alarm store the host serves: active list, history with paging, commands by API, persistence.</summary>
public sealed class AlarmStoreTests : IDisposable
{
    private const string Rules = """{"rules":[{"type":"HI","limit":80}]}""";
    private readonly string _directory = Directory.CreateTempSubdirectory("flowengine-alarms-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private IndustrialServices NewServices() => new(Path.Combine(_directory, IndustrialServices.DatabaseFileName));

    private static string Value(double value, string tag) => $$"""{"topic":"{{tag}}","payload":{{JsValue.FormatNumber(value)}}}""";

    [Fact]
    public async Task Alarm_store_lists_alarms_not_in_normal_newest_first()
    {
        using var services = NewServices();
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        await flow.SendAllAsync(Value(85, "a"));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        await flow.SendAllAsync(Value(85, "b"), Value(85, "c"), Value(50, "c"), """{"action":"ack","topic":"c"}""");
        var active = services.Alarms.Active();
        Assert.Equal(["n:b:HI UNACK", "n:a:HI UNACK"], active.Select(a => $"{a.Id} {a.State}"));
        Assert.Equal("""{"id":"n:a:HI","nodeId":"n","tag":"a","condition":"HI","state":"UNACK","active":true,"value":85,"limit":80,"severity":500,"priority":"medium","message":"a high","time":"2026-01-01T00:00:00.000Z","activeSince":"2026-01-01T00:00:00.000Z"}""",
            JsJson.Serialize(active[1].ToJson()));
    }

    [Fact]
    public async Task Alarm_store_history_pages_newest_first_and_filters_by_tag()
    {
        using var services = NewServices();
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        await flow.SendAllAsync(Value(85, "a"), """{"action":"ack","topic":"a","user":"alice"}""", Value(50, "a"), Value(90, "b"));
        var first = services.Alarms.History(new AlarmHistoryQuery { Page = 1, PageSize = 3 });
        Assert.Equal((1, 3, 4L), (first.Page, first.PageSize, first.Total));
        Assert.Equal(["b NORM>UNACK", "a ACKED>NORM", "a UNACK>ACKED"], first.Items.Select(e => $"{e.Tag} {e.PreviousState}>{e.State}"));
        var second = services.Alarms.History(new AlarmHistoryQuery { Page = 2, PageSize = 3 });
        Assert.Equal(["a NORM>UNACK"], second.Items.Select(e => $"{e.Tag} {e.PreviousState}>{e.State}"));
        var onlyA = services.Alarms.History(new AlarmHistoryQuery { Tag = "a" });
        Assert.Equal(3, onlyA.Total);
        Assert.Equal("alice", onlyA.Items[1].User);
        Assert.Equal("""{"page":1,"pageSize":3,"total":4,"items":[""", JsJson.Serialize(first.ToJson())[..42]);
    }

    [Fact]
    public async Task Alarm_store_acknowledges_by_api_with_the_user_name_and_the_node_sends_the_event()
    {
        using var services = NewServices();
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        await flow.SendAllAsync(Value(85, "TT-1"));
        var result = await services.Alarms.AcknowledgeAsync("n:TT-1:HI", "carol", "on my way");
        Assert.Equal(AlarmCommandStatus.Done, result.Status);
        Assert.Equal(("ACKED", "carol", "on my way"), (result.Alarm!.State, result.Alarm.AckedBy, result.Alarm.Comment));
        var ackEvent = await flow.NextAsync("out1", 2);
        Assert.Equal("carol", ((JsObject)ackEvent[1]["payload"]!)["ackedBy"]);
        Assert.Equal("ACKED", services.Alarms.Get("n:TT-1:HI")!.State);
    }

    [Fact]
    public async Task Alarm_store_reports_unknown_alarms_and_commands_that_do_not_apply()
    {
        using var services = NewServices();
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        await flow.SendAllAsync(Value(50, "TT-1"));
        Assert.Equal(AlarmCommandStatus.NotFound, (await services.Alarms.AcknowledgeAsync("zz:TT-1:HI", "x")).Status);
        Assert.Equal(AlarmCommandStatus.NotFound, (await services.Alarms.AcknowledgeAsync("n:TT-1:LO", "x")).Status);
        var invalid = await services.Alarms.AcknowledgeAsync("n:TT-1:HI", "x");
        Assert.Equal((AlarmCommandStatus.InvalidState, "n:TT-1:HI: cannot acknowledge in state NORM"), (invalid.Status, invalid.Message));
    }

    [Fact]
    public async Task Alarm_store_shelves_by_api_ahead_of_any_value_and_expiry_runs_on_the_runtime_clock()
    {
        using var services = NewServices();
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        var shelved = await services.Alarms.ShelveAsync("n:TT-9:HI", TimeSpan.FromMinutes(10), "dave");
        Assert.Equal(("SHLVD", "dave"), (shelved.Alarm!.State, shelved.Alarm.ShelvedBy));
        Assert.Equal(IndustrialFlow.Start.AddMinutes(10), shelved.Alarm.ShelvedUntil);
        await flow.StepAsync(TimeSpan.FromMinutes(10));
        Assert.Null(services.Alarms.Get("n:TT-9:HI"));
        var unshelve = await services.Alarms.UnshelveAsync("n:TT-9:HI", "dave");
        Assert.Equal(AlarmCommandStatus.InvalidState, unshelve.Status);
    }

    [Fact]
    public async Task Alarm_store_publishes_every_state_change_to_subscribers()
    {
        using var services = NewServices();
        var seen = new List<string>();
        using var subscription = services.Alarms.Subscribe(e => { lock (seen) seen.Add($"{e.Tag} {e.State}"); });
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        await flow.SendAllAsync(Value(85, "a"), Value(50, "a"));
        lock (seen) Assert.Equal(["a UNACK", "a RTNUN"], seen);
    }

    [Fact]
    public async Task Alarm_states_survive_a_restart_of_the_runtime()
    {
        var flowJson = IndustrialFlow.Json("alarm", Rules, 2);
        await using (var first = await TestFlow.StartAsync(flowJson, IndustrialFlow.Options(userDir: _directory)))
        {
            await first.SendAllAsync(Value(85, "a"), Value(85, "b"), """{"action":"ack","topic":"b","user":"erin"}""");
        }
        Assert.True(File.Exists(Path.Combine(_directory, "industrial.db")));
        await using var second = await TestFlow.StartAsync(flowJson, IndustrialFlow.Options(userDir: _directory));
        await second.SendAllAsync(Value(50, "a"), Value(50, "b"));
        Assert.Equal(["a UNACK>RTNUN", "b ACKED>NORM"], second.Received("out1").Select(m => (JsObject)m["payload"]!).Select(p => $"{p["tag"]} {p["previousState"]}>{p["state"]}"));
    }

    [Fact]
    public async Task Alarm_deleting_the_node_removes_its_alarms_from_the_active_list_but_keeps_the_history()
    {
        using var services = NewServices();
        await using var flow = await IndustrialFlow.StartAsync("alarm", Rules, 2, services);
        await flow.SendAllAsync(Value(85, "a"));
        Assert.Single(services.Alarms.Active());
        await flow.DeployAsync("""[{"id":"t","type":"tab","label":"T"}]""");
        Assert.Empty(services.Alarms.Active());
        Assert.Equal(1, services.Alarms.History(new AlarmHistoryQuery()).Total);
    }
}
