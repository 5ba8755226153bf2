using System.Net;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>The alarm, current value table and asset endpoints of the industrial nodes, served by the host.</summary>
public sealed class IndustrialEndpointsTests
{
    // inject (TT/1 = 90) → alarm (HI 80) and → cvt.
    private const string AlarmFlow = """
        [{"id":"t1","type":"tab","label":"Plant"},
         {"id":"i1","type":"inject","z":"t1","props":[{"p":"payload"},{"p":"topic","vt":"str"}],"payload":"90","payloadType":"num","topic":"TT/1","repeat":"","once":false,"wires":[["a1","c1"]]},
         {"id":"a1","type":"alarm","z":"t1","rules":[{"type":"HI","limit":80}],"wires":[[],[]]},
         {"id":"c1","type":"cvt","z":"t1","wires":[[]]}]
        """;

    [Fact]
    public async Task An_operator_acknowledges_an_alarm_over_http_and_a_viewer_cannot()
    {
        await using var host = await TestHost.StartAsync(flowFile: AlarmFlow, settings: AuthSettings.Json);
        var operatorToken = await host.LoginAsync("otto", AuthSettings.Password);
        var viewer = await host.LoginAsync("vera", AuthSettings.Password);
        using (var inject = await host.SendAsync(HttpMethod.Post, "inject/i1", operatorToken, "{}")) Assert.Equal(HttpStatusCode.OK, inject.StatusCode);

        var alarm = await WaitForAlarmAsync(host, viewer);
        var id = (string)alarm["id"]!;
        Assert.Equal("a1:TT/1:HI", id);
        Assert.Equal("UNACK", alarm["state"]);

        var path = $"alarms/{Uri.EscapeDataString(id)}/ack";
        using (var refused = await host.SendAsync(HttpMethod.Post, path, viewer, """{"comment":"seen"}"""))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var acked = await host.SendAsync(HttpMethod.Post, path, operatorToken, """{"comment":"seen"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, acked.StatusCode);
            var body = (JsObject)(await host.ReadJsonAsync(acked))!;
            Assert.Equal(("ACKED", "otto"), ((string)body["state"]!, (string)body["ackedBy"]!));
        }
        using (var again = await host.SendAsync(HttpMethod.Post, "alarms/ack", operatorToken, $$"""{"id":"{{id}}"}"""))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using (var unknown = await host.SendAsync(HttpMethod.Post, "alarms/ack", operatorToken, """{"id":"x:y:HI"}"""))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var history = await host.SendAsync(HttpMethod.Get, "alarms/history?pageSize=10", viewer);
        var page = (JsObject)(await host.ReadJsonAsync(history))!;
        Assert.Contains(((List<object?>)page["items"]!).Cast<JsObject>(), e => e.Get("ackedBy") as string == "otto" && e.Get("reason") as string == "acknowledged");
    }

    [Fact]
    public async Task The_current_value_table_and_the_asset_table_answer_over_http()
    {
        await using var host = await TestHost.StartAsync(flowFile: AlarmFlow);
        using (var inject = await host.PostJsonAsync("inject/i1", "{}")) Assert.Equal(HttpStatusCode.OK, inject.StatusCode);

        JsObject? value = null;
        for (var i = 0; i < 100 && value is null; i++)
        {
            using var response = await host.GetAsync("cvt/TT/1");
            if (response.StatusCode == HttpStatusCode.OK) value = (JsObject)(await host.ReadJsonAsync(response))!;
            else await Task.Delay(50);
        }
        Assert.NotNull(value);
        Assert.Equal(90.0, value["value"]);
        using (var tables = await host.GetAsync("cvt/tables")) Assert.Equal("""["default"]""", await tables.Content.ReadAsStringAsync());

        using (var put = await host.SendAsync(HttpMethod.Put, "assets/TT/1", null, """{"site":"Plant 1","area":"Boilers"}""")) Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var get = await host.GetAsync("assets/TT/1")) Assert.Equal("""{"tag":"TT/1","site":"Plant 1","area":"Boilers"}""", await get.Content.ReadAsStringAsync());
        using (var csv = new HttpRequestMessage(HttpMethod.Put, "assets") { Content = new StringContent("tag,area\nA,X\nB,Y\n", System.Text.Encoding.UTF8, "text/csv") })
        using (var replaced = await host.Client.SendAsync(csv))
            Assert.Equal("""{"count":2}""", await replaced.Content.ReadAsStringAsync());
        using (var deleted = await host.SendAsync(HttpMethod.Delete, "assets/A", null)) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var list = await host.GetAsync("assets")) Assert.Equal("""[{"tag":"B","area":"Y"}]""", await list.Content.ReadAsStringAsync());
    }

    private static async Task<JsObject> WaitForAlarmAsync(TestHost host, string token)
    {
        for (var i = 0; i < 100; i++)
        {
            using var response = await host.SendAsync(HttpMethod.Get, "alarms", token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (await host.ReadJsonAsync(response) is List<object?> { Count: > 0 } list) return (JsObject)list[0]!;
            await Task.Delay(50);
        }
        throw new TimeoutException("no alarm appeared");
    }
}
