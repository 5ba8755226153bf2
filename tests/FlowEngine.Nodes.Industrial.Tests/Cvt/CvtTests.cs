using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests.Cvt;

public sealed class CvtTests
{
    /// <summary>An update node "n" and a get node "g" (wired to helper "got") sharing the default table.</summary>
    private static async Task<(TestFlow Flow, IndustrialServices Services)> StartAsync(string updateProperties = "{}", string getProperties = """{"mode":"get"}""")
    {
        var services = new IndustrialServices();
        var get = getProperties.Trim().TrimStart('{').TrimEnd('}').Trim();
        var extra = $$"""{"id":"g","type":"cvt","z":"t",{{(get.Length > 0 ? get + "," : "")}}"wires":[["got"]]},{"id":"got","type":"helper","z":"t","wires":[]}""";
        var flow = await TestFlow.StartAsync(IndustrialFlow.Json("cvt", updateProperties, extraNodes: extra), IndustrialFlow.Options(services));
        return (flow, services);
    }

    private static async Task<object?> GetAsync(TestFlow flow, string message)
    {
        flow.Send("g", message);
        return (await flow.NextAsync("got"))["payload"];
    }

    [Fact]
    public async Task Cvt_update_stores_value_time_and_quality_and_passes_the_message_on()
    {
        var (flow, services) = await StartAsync();
        await using (flow)
        using (services)
        {
            await flow.StepAsync(TimeSpan.FromSeconds(3));
            await flow.SendAllAsync("""{"topic":"TT-1","payload":21.5,"quality":"uncertain"}""");
            Assert.Equal([21.5], flow.Payloads("out1"));
            var entry = services.CurrentValues().Get("TT-1")!;
            Assert.Equal((21.5, IndustrialFlow.Start.AddSeconds(3), "uncertain", 1L, "n"), ((double)entry.Value!, entry.Time, entry.Quality, entry.Updates, entry.Source));
        }
    }

    [Fact]
    public async Task Cvt_get_returns_the_entry_of_the_message_tag_and_null_for_an_unknown_tag()
    {
        var (flow, services) = await StartAsync();
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync("""{"topic":"TT-1","payload":1}""", """{"topic":"TT-1","payload":2}""");
            Assert.Equal("""{"tag":"TT-1","value":2,"time":"2026-01-01T00:00:00.000Z","quality":"good","updates":2}""",
                JsJson.Serialize(await GetAsync(flow, """{"topic":"TT-1"}""")));
            Assert.Null(await GetAsync(flow, """{"topic":"TT-2"}"""));
        }
    }

    [Fact]
    public async Task Cvt_get_without_a_tag_returns_every_tag_or_those_under_a_prefix()
    {
        var (flow, services) = await StartAsync();
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync("""{"topic":"plant/b","payload":2}""", """{"topic":"plant/a","payload":1}""", """{"topic":"other","payload":3}""");
            var all = (JsObject)(await GetAsync(flow, """{}"""))!;
            Assert.Equal(["other", "plant/a", "plant/b"], all.Keys);
            var plant = (JsObject)(await GetAsync(flow, """{"topic":"*","prefix":"plant/"}"""))!;
            Assert.Equal(["plant/a", "plant/b"], plant.Keys);
        }
    }

    [Fact]
    public async Task Cvt_get_with_a_fixed_tag_ignores_the_message_topic()
    {
        var (flow, services) = await StartAsync(getProperties: """{"mode":"get","tag":"TT-1"}""");
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync("""{"topic":"TT-1","payload":7}""");
            Assert.Equal(7.0, ((JsObject)(await GetAsync(flow, """{"topic":"whatever"}"""))!)["value"]);
        }
    }

    [Fact]
    public async Task Cvt_uses_the_message_timestamp_and_opc_ua_status_codes()
    {
        var (flow, services) = await StartAsync("""{"timestampProperty":"sourceTimestamp"}""");
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync(
                """{"topic":"a","payload":1,"sourceTimestamp":"2025-06-01T12:00:00Z","quality":1083179008}""",
                """{"topic":"b","payload":2,"sourceTimestamp":1700000000000}""");
            var a = services.CurrentValues().Get("a")!;
            Assert.Equal((new DateTime(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc), "uncertain"), (a.Time, a.Quality));
            Assert.Equal(DateTime.UnixEpoch.AddMilliseconds(1700000000000), services.CurrentValues().Get("b")!.Time);
        }
    }

    [Fact]
    public async Task Cvt_bad_timestamp_is_an_error_and_the_table_is_unchanged()
    {
        var (flow, services) = await StartAsync("""{"timestampProperty":"ts"}""");
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync("""{"topic":"a","payload":1,"ts":"yesterday"}""");
            Assert.Null(services.CurrentValues().Get("a"));
            Assert.Equal(["msg.ts is not a time (got string \"yesterday\") for tag \"a\""], flow.Errors());
        }
    }

    [Fact]
    public async Task Cvt_copies_objects_so_later_changes_to_the_message_do_not_reach_the_table()
    {
        var (flow, services) = await StartAsync();
        await using (flow)
        using (services)
        {
            var message = (JsObject)JsJson.Parse("""{"topic":"m","payload":{"a":1}}""")!;
            flow.Send("n", message);
            await flow.QuietAsync();
            ((JsObject)message["payload"]!)["a"] = 2.0;
            Assert.Equal("""{"a":1}""", JsJson.Serialize(services.CurrentValues().Get("m")!.Value));
        }
    }

    [Fact]
    public async Task Cvt_reset_removes_one_tag_or_all()
    {
        var (flow, services) = await StartAsync();
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync("""{"topic":"a","payload":1}""", """{"topic":"b","payload":2}""", """{"topic":"a","reset":true}""");
            Assert.Equal(["b"], services.CurrentValues().Snapshot().Select(e => e.Tag));
            await flow.SendAllAsync("""{"reset":true}""");
            Assert.Equal(0, services.CurrentValues().Count);
            Assert.Equal([1.0, 2.0], flow.Payloads("out1"));
        }
    }

    [Fact]
    public async Task Cvt_tables_with_different_names_are_separate()
    {
        var (flow, services) = await StartAsync("""{"table":"line2"}""");
        await using (flow)
        using (services)
        {
            await flow.SendAllAsync("""{"topic":"a","payload":1}""");
            Assert.Null(await GetAsync(flow, """{"topic":"a"}"""));
            Assert.Equal(1.0, services.CurrentValues("line2").Get("a")!.Value);
            Assert.Equal(["default", "line2"], services.CurrentValueTableNames);
        }
    }

    [Fact]
    public async Task Cvt_subscribers_see_each_update()
    {
        var (flow, services) = await StartAsync();
        await using (flow)
        using (services)
        {
            var seen = new List<string>();
            using var subscription = services.CurrentValues().Subscribe(e => { lock (seen) seen.Add($"{e.Tag}={JsValue.ToJsString(e.Value)}"); });
            await flow.SendAllAsync("""{"topic":"a","payload":1}""", """{"topic":"a","payload":2}""");
            lock (seen) Assert.Equal(["a=1", "a=2"], seen);
        }
    }
}
