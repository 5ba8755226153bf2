using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests.Enrich;

public sealed class EnrichTests
{
    private const string Assets = """[{"tag":"TT-101","site":"Plant1","area":"Boiler","line":"L1","unit":"degC","limits":{"hi":80}}]""";

    private static string Properties(string source, string table, string extra = "") =>
        $$"""{"source":"{{source}}",{{table}}{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private static async Task<JsObject> EnrichAsync(string properties, string message = """{"topic":"TT-101","payload":85}""")
    {
        await using var flow = await IndustrialFlow.StartAsync("enrich", properties, 2);
        flow.Send("n", message);
        return await flow.NextAsync("out1");
    }

    [Fact]
    public async Task Enrich_adds_the_record_of_the_tag_from_a_json_list()
    {
        var msg = await EnrichAsync(Properties("json", $"\"assets\":{Assets}"));
        Assert.Equal("""{"tag":"TT-101","site":"Plant1","area":"Boiler","line":"L1","unit":"degC","limits":{"hi":80}}""", JsJson.Serialize(msg["asset"]));
        Assert.Equal(("TT-101", 85.0), ((string)msg["topic"]!, (double)msg["payload"]!));
    }

    [Fact]
    public async Task Enrich_reads_a_json_object_keyed_by_tag_given_as_text()
    {
        var msg = await EnrichAsync("""{"source":"json","assets":"{\"TT-101\":{\"asset\":\"Boiler 1\",\"camera\":\"cam-3\"}}","target":"context"}""");
        Assert.Equal("""{"tag":"TT-101","asset":"Boiler 1","camera":"cam-3"}""", JsJson.Serialize(msg["context"]));
    }

    [Fact]
    public async Task Enrich_reads_csv_with_quoted_fields_and_numeric_limits()
    {
        const string csv = "tag,site,area,line,hi,lo,description\\nTT-101,Plant1,Boiler,L1,80,10,\\\"Steam temp, \\\"\\\"outlet\\\"\\\"\\\"\\n";
        var msg = await EnrichAsync($$"""{"source":"csv","csv":"{{csv}}"}""");
        Assert.Equal("""{"tag":"TT-101","site":"Plant1","area":"Boiler","line":"L1","limits":{"hi":80,"lo":10},"description":"Steam temp, \"outlet\""}""", JsJson.Serialize(msg["asset"]));
    }

    [Fact]
    public async Task Enrich_builds_a_unified_namespace_topic_leaving_out_missing_levels()
    {
        var msg = await EnrichAsync(Properties("json", $"\"assets\":{Assets}", """ "topicPattern":"{enterprise}/{site}/{area}/{line}/{cell}/{tag}","enterprise":"acme" """.Trim()));
        Assert.Equal("acme/Plant1/Boiler/L1/TT-101", msg["topic"]);
    }

    [Fact]
    public async Task Enrich_topic_pattern_may_use_nested_fields_and_replaces_mqtt_wildcards()
    {
        var msg = await EnrichAsync("""{"source":"json","assets":[{"tag":"a","site":"S+1","limits":{"hi":5}}],"topicPattern":"{site}/hi-{limits.hi}/{tag}","topicTarget":"uns"}""", """{"topic":"a"}""");
        Assert.Equal(("S_1/hi-5/a", "a"), ((string)msg["uns"]!, (string)msg["topic"]!));
    }

    [Fact]
    public async Task Enrich_sends_unknown_tags_unchanged_on_the_second_output()
    {
        await using var flow = await IndustrialFlow.StartAsync("enrich", Properties("json", $"\"assets\":{Assets}"), 2);
        await flow.SendAllAsync("""{"topic":"XX-1","payload":1}""", """{"topic":"TT-101","payload":2}""");
        Assert.Equal([2.0], flow.Payloads("out1"));
        var unknown = Assert.Single(flow.Received("out2"));
        Assert.False(unknown.ContainsKey("asset"));
        await flow.StepAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("1 assets, 1 enriched, 1 unknown", flow.Statuses.Last(s => s.Node.Id == "n").Status.Text);
    }

    [Fact]
    public async Task Enrich_reads_a_file_at_start_and_again_on_reload()
    {
        await using var flow = await TestFlow.StartAsync("", IndustrialFlow.Options());
        var file = Path.Combine(flow.UserDir, "assets.csv");
        await File.WriteAllTextAsync(file, "tag,area\nTT-101,Boiler\n");
        await flow.DeployAsync(IndustrialFlow.Json("enrich", """{"source":"file","file":"assets.csv"}""", 2));
        await flow.SendAllAsync("""{"topic":"TT-101"}""");
        await File.WriteAllTextAsync(file, "tag,area\nTT-101,Turbine\n");
        await flow.SendAllAsync("""{"topic":"TT-101"}""", """{"reload":true}""", """{"topic":"TT-101"}""");
        Assert.Equal(["Boiler", "Boiler", "Turbine"], flow.Received("out1").Select(m => ((JsObject)m["asset"]!)["area"]));
    }

    [Fact]
    public async Task Enrich_missing_file_is_reported_and_every_tag_is_unknown()
    {
        await using var flow = await IndustrialFlow.StartAsync("enrich", """{"source":"file","file":"nope.json"}""", 2);
        await flow.SendAllAsync("""{"topic":"TT-101"}""");
        Assert.Single(flow.Received("out2"));
        Assert.StartsWith("nope.json: ", flow.Statuses.Last(s => s.Node.Id == "n").Status.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enrich_from_the_store_follows_changes_made_through_the_asset_table()
    {
        var directory = Directory.CreateTempSubdirectory("flowengine-assets-").FullName;
        try
        {
            using var services = new IndustrialServices(Path.Combine(directory, "industrial.db"));
            await using var flow = await IndustrialFlow.StartAsync("enrich", """{"source":"store"}""", 2, services);
            await flow.SendAllAsync("""{"topic":"TT-101"}""");
            services.Assets.Upsert(AssetRecord.FromJson((JsObject)JsJson.Parse("""{"tag":"TT-101","site":"Plant1"}""")!));
            await flow.SendAllAsync("""{"topic":"TT-101"}""");
            Assert.True(services.Assets.Delete("TT-101"));
            await flow.SendAllAsync("""{"topic":"TT-101"}""");
            Assert.Equal(2, flow.Received("out2").Count);
            Assert.Equal("""{"tag":"TT-101","site":"Plant1"}""", JsJson.Serialize(Assert.Single(flow.Received("out1"))["asset"]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Asset_table_keeps_records_in_the_database_file()
    {
        var directory = Directory.CreateTempSubdirectory("flowengine-assets-").FullName;
        try
        {
            var path = Path.Combine(directory, "industrial.db");
            using (var services = new IndustrialServices(path))
            {
                services.Assets.ReplaceAll([
                    AssetRecord.FromJson((JsObject)JsJson.Parse("""{"tag":"b","limits":{"hi":"9"}}""")!),
                    AssetRecord.FromJson((JsObject)JsJson.Parse("""{"tag":"a","unit":"bar"}""")!)]);
            }
            using var reopened = new IndustrialServices(path);
            Assert.Equal(["""{"tag":"a","unit":"bar"}""", """{"tag":"b","limits":{"hi":9}}"""], reopened.Assets.List().Select(r => JsJson.Serialize(r.ToJson())));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("""{"source":"csv","csv":"site,area\nA,B"}""", "csv", "the header row has no \"tag\" column")]
    [InlineData("""{"source":"csv","csv":"tag,hi\nA,high"}""", "csv", "line 2: hi \"high\" is not a number")]
    [InlineData("""{"source":"json","assets":[{"tag":"a"},{"tag":"a"}]}""", "assets", "entry 2: tag \"a\" appears twice")]
    [InlineData("""{"source":"json","assets":[{"site":"x"}]}""", "assets", "entry 1: an asset record needs a \"tag\"")]
    [InlineData("""{"source":"json","assets":[],"topicPattern":"{site/{tag}"}""", "topicPattern", "'{' at position 1 is not closed")]
    [InlineData("""{"source":"json","assets":[],"topicPattern":"site}/{tag}"}""", "topicPattern", "'}' at position 5 has no matching '{'")]
    [InlineData("""{"source":"file"}""", "file", "a file name is required when the table comes from a file")]
    public async Task Enrich_bad_tables_and_patterns_are_refused_at_deploy(string properties, string property, string reason)
    {
        var refused = await IndustrialFlow.RefusedAsync("enrich", properties, 2);
        var problem = Assert.Single(refused.Problems);
        Assert.Equal((property, reason), (problem.Property, problem.Reason));
    }
}
