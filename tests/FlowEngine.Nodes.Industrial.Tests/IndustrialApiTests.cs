using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Tests;

/// <summary>The endpoint methods the host maps to routes.</summary>
public sealed class IndustrialApiTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowengine-api-").FullName;
    private readonly IndustrialServices _services;
    private readonly IndustrialApi _api;

    public IndustrialApiTests()
    {
        _services = new IndustrialServices(Path.Combine(_directory, "industrial.db"));
        _api = new IndustrialApi(_services);
    }

    public void Dispose()
    {
        _services.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Api_acknowledges_shelves_and_lists_alarms_with_http_status_codes()
    {
        await using var flow = await IndustrialFlow.StartAsync("alarm", """{"rules":[{"type":"HI","limit":80}]}""", 2, _services);
        await flow.SendAllAsync("""{"topic":"TT/1","payload":90}""");
        var list = (List<object?>)_api.ListAlarms().Body!;
        Assert.Equal("n:TT/1:HI", ((JsObject)list.Single()!)["id"]);

        var ack = await _api.CommandAsync("ack", new JsObject { ["comment"] = "ok" }, "alice", id: "n:TT/1:HI");
        Assert.Equal((200, "ACKED", "alice"), (ack.StatusCode, (string)((JsObject)ack.Body!)["state"]!, (string)((JsObject)ack.Body!)["ackedBy"]!));
        Assert.Equal(409, (await _api.CommandAsync("ack", new JsObject { ["id"] = "n:TT/1:HI" }, "alice")).StatusCode);
        Assert.Equal(404, (await _api.CommandAsync("ack", new JsObject { ["id"] = "x:y:HI" }, "alice")).StatusCode);
        Assert.Equal(400, (await _api.CommandAsync("shelve", new JsObject { ["id"] = "n:TT/1:HI" }, "alice")).StatusCode);
        var shelve = await _api.CommandAsync("shelve", new JsObject { ["id"] = "n:TT/1:HI", ["duration"] = 60.0 }, "bob");
        Assert.Equal((200, IndustrialFlow.Iso(60)), (shelve.StatusCode, (string)((JsObject)shelve.Body!)["shelvedUntil"]!));
        Assert.Single((List<object?>)_api.ListAlarms(state: "shlvd").Body!);

        var history = (JsObject)_api.History(page: "1", pageSize: "2").Body!;
        Assert.Equal((3.0, 2), ((double)history["total"]!, ((List<object?>)history["items"]!).Count));
        Assert.Equal(400, _api.History(page: "zero").StatusCode);
    }

    [Fact]
    public async Task Api_reads_the_current_value_table()
    {
        await using var flow = await IndustrialFlow.StartAsync("cvt", "{}", 1, _services);
        await flow.SendAllAsync("""{"topic":"a/b","payload":3,"quality":"bad"}""");
        Assert.Equal("""{"a/b":{"tag":"a/b","value":3,"time":"2026-01-01T00:00:00.000Z","quality":"bad","updates":1}}""", JsJson.Serialize(_api.CurrentValues().Body));
        Assert.Equal(200, _api.CurrentValue("a/b").StatusCode);
        Assert.Equal(404, _api.CurrentValue("nope").StatusCode);
        Assert.Equal("""["default"]""", JsJson.Serialize(_api.CurrentValueTableNames().Body));
    }

    [Fact]
    public void Api_manages_the_asset_table_from_json_and_csv()
    {
        Assert.Equal(200, _api.PutAsset("TT-1", JsJson.Parse("""{"tag":"ignored","site":"S1","limits":{"hi":80}}""")).StatusCode);
        Assert.Equal("""{"tag":"TT-1","site":"S1","limits":{"hi":80}}""", JsJson.Serialize(_api.GetAsset("TT-1").Body));
        Assert.Equal(400, _api.PutAsset("TT-2", JsJson.Parse("""{"limits":{"hi":"high"}}""")).StatusCode);
        Assert.Equal(204, _api.DeleteAsset("TT-1").StatusCode);
        Assert.Equal(404, _api.DeleteAsset("TT-1").StatusCode);
        Assert.Equal("""{"count":2}""", JsJson.Serialize(_api.ReplaceAssets("tag,area\nA,X\nB,Y\n", csv: true).Body));
        Assert.Equal("""[{"tag":"A","area":"X"},{"tag":"B","area":"Y"}]""", JsJson.Serialize(_api.ListAssets().Body));
        Assert.Equal(400, _api.ReplaceAssets(JsJson.Parse("""[{"tag":"a"},{"tag":"a"}]""")).StatusCode);
    }
}
