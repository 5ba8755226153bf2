using FlowEngine.Core.Values;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>examples/modbus-alarms-hmi run by the real program: Modbus server → poll → scale → alarm → HMI.</summary>
public sealed class ModbusAlarmsHmiExampleTests
{
    private const string OverheatInject = "mb0000000000inj2";
    private const string Gauge = "mb0000000000ga01";

    [Fact]
    public async Task An_overheat_raises_HI_and_HIHI_in_the_alarm_api_and_the_gauge_shows_the_polled_value()
    {
        var modbusPort = ExampleHost.FreeTcpPort();
        await using var host = await ExampleHost.StartAsync("modbus-alarms-hmi",
            new Dictionary<string, string> { ["MODBUS_PORT"] = modbusPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        // Normal operation: the simulated value (62 ± 8 °C) goes through Modbus and scale to the gauge, no alarm. (A
        // poll before the simulation's first write reads the register's initial 0, so wait for the simulated range.)
        await host.WaitForAsync("a value of 54..70 °C on the gauge", async () =>
            GaugeValue(await host.GetJsonAsync("ui/api/snapshot")) is >= 53.9 and <= 70.1 ? "" : null);
        Assert.Empty(Alarms(await host.GetJsonAsync("alarms")));

        await host.InjectAsync(OverheatInject);

        var active = await host.WaitForAsync("HI and HIHI alarms of TT-101 in GET /alarms", async () =>
        {
            var alarms = Alarms(await host.GetJsonAsync("alarms"));
            return alarms.Count(a => a["tag"] as string == "TT-101" && a["condition"] is "HI" or "HIHI") == 2 ? alarms : null;
        });
        var hihi = active.Single(a => a["condition"] as string == "HIHI");
        Assert.Equal("UNACK", hihi["state"]);
        Assert.Equal(93.5, hihi["value"]);
        Assert.Equal(90.0, hihi["limit"]);
        Assert.Equal("critical", hihi["priority"]);

        var snapshot = await host.WaitForAsync("93.5 °C on the gauge", async () =>
            GaugeValue(await host.GetJsonAsync("ui/api/snapshot")) is 93.5 ? await host.GetJsonAsync("ui/api/snapshot") as JsObject : null);
        var gauge = FindWidget(snapshot, Gauge)!;
        Assert.Equal("hihi", ((JsObject)gauge["state"]!)["band"]);
        Assert.Equal("°C", ((JsObject)gauge["options"]!)["unit"]);
        // The alarm list widget is on the same page, next to the gauge.
        Assert.NotNull(FindWidget(snapshot, "mb0000000000al02"));
    }

    private static List<JsObject> Alarms(object? json) => Assert.IsType<List<object?>>(json).Cast<JsObject>().ToList();

    private static double? GaugeValue(object? snapshot) =>
        FindWidget(snapshot as JsObject, Gauge)?.Get("state") is JsObject { } state && state.Get("value") is double value ? value : null;

    private static JsObject? FindWidget(JsObject? snapshot, string id) =>
        (snapshot?.Get("pages") as List<object?> ?? [])
            .Cast<JsObject>().SelectMany(p => (List<object?>)p["groups"]!)
            .Cast<JsObject>().SelectMany(g => (List<object?>)g["widgets"]!)
            .Cast<JsObject>().FirstOrDefault(w => w["id"] as string == id);
}
