using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Hmi;
using FlowEngine.Nodes.Mqtt;
using FlowEngine.TestKit;

namespace FlowEngine.Integration.Tests;

/// <summary>Each example under examples/ loads and does what its README says.</summary>
public sealed class ExampleFlowTests
{
    private static string Example(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", name, "flows.json"));

    // The quick start's HMI page (examples/quick-start/README.md).
    private const string Gauge = "qs0000000000ga01";
    private const string Chart = "qs0000000000ct01";
    private const string Lamp = "qs0000000000le01";
    private const string BoostSwitch = "qs0000000000hs01";
    private const string StoreBoost = "qs00000000000ch4";
    private const string Series = "line1/oven/temperature";
    private static readonly string[] HmiNodeIds = ["qs0000000000pg01", "qs0000000000gr01", "qs0000000000gr02", Gauge, Chart, Lamp, BoostSwitch];

    [Fact]
    public async Task Quick_start_makes_readings_converts_them_and_raises_alerts_above_the_limit()
    {
        await using var quickStart = await QuickStart.StartAsync();
        var flow = quickStart.Flow;
        Assert.Empty(flow.Runtime.MissingTypes);
        var reading = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d01");
        var msg = (JsObject)reading.Value!;
        var celsius = (double)msg["payload"]!;
        // Without the heater boost the simulated oven stays below the 24 °C limit.
        Assert.InRange(celsius, 20, 23);
        Assert.Equal(Math.Round(celsius * 9 / 5 + 32, 1), (double)msg["fahrenheit"]!, 6);
        Assert.Equal("line1/oven/temperature", msg["topic"]);

        // Force a reading above the limit through the same path.
        flow.Send("qs00000000000ch1", """{"payload":30,"topic":"line1/oven/temperature"}""");
        var alert = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d02", d => d.Value as string == "Oven too hot: 30 °C");
        Assert.NotNull(alert);

        // Every reading also goes through the embedded broker and back in through mqtt in.
        var viaBroker = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d03",
            d => d.Value is JsObject m && m["topic"] as string == "line1/oven/temperature");
        var received = (JsObject)viaBroker.Value!;
        Assert.Equal("line1/oven/temperature", received["topic"]);
        Assert.IsType<double>(received["payload"]);
    }

    [Fact]
    public async Task Quick_start_page_shows_the_readings_and_its_heater_boost_switch_heats_the_oven_above_the_limit()
    {
        await using var quickStart = await QuickStart.StartAsync();
        var (flow, hmi) = (quickStart.Flow, quickStart.Hmi);
        Assert.Empty(flow.Runtime.MissingTypes);
        Assert.All(HmiNodeIds, id => Assert.True(flow.Runtime.FindNode(id) is not null, $"HMI node {id} is not running"));

        // The page: one "Oven" page, the gauge and chart in one group, the lamp and the switch in the other.
        var snapshot = hmi.Snapshot(null, canWrite: true, canAcknowledge: true);
        Assert.Equal(0.0, snapshot["unplaced"]);
        var page = Assert.Single((List<object?>)snapshot["pages"]!) as JsObject;
        Assert.Equal("Oven", page!["title"]);
        var placed = ((List<object?>)page["groups"]!).Cast<JsObject>()
            .Select(g => ((List<object?>)g["widgets"]!).Cast<JsObject>().Select(w => (string)w["id"]!).ToArray()).ToArray();
        Assert.Equal(new[] { new[] { Gauge, Chart }, new[] { Lamp, BoostSwitch } }, placed);
        var gaugeOptions = (JsObject)Widget(snapshot, Gauge)["options"]!;
        Assert.Equal("°C", gaugeOptions["unit"]);
        Assert.Equal(24.0, gaugeOptions["hi"]); // the tab's LIMIT_C
        Assert.True((bool)Widget(snapshot, BoostSwitch)["actions"]!);

        // Readings from the inject node reach the gauge (normal band), the chart and the lamp (off).
        await WaitForUpdatesAsync(hmi, "a normal reading on the gauge, a point on the chart and the lamp off",
            u => IsState(u, Gauge) && GaugeReading(u) is (>= 20 and <= 23, "normal"),
            u => IsPoint(u, Chart) && u["v"] is double v && v is >= 20 and <= 23,
            u => IsState(u, Lamp) && u["state"] is false);

        // What the switch sends when an operator turns it on (the page's action itself is tested by
        // tests/e2e/quick-start.test.mjs and the HMI family's tests): the next readings are 6 °C hotter.
        flow.Send(StoreBoost, """{"payload":true,"topic":"heaterBoost"}""");
        await WaitForUpdatesAsync(hmi, "a boosted reading above the limit on the gauge, the chart and the lamp",
            u => IsState(u, Gauge) && GaugeReading(u) is (>= 26 and <= 29, "hi"),
            u => IsPoint(u, Chart) && u["v"] is double v && v is >= 26 and <= 29,
            u => IsState(u, Lamp) && u["state"] is true);
        var alert = await NodeRedExportTests.WaitForDebugAsync(flow, "qs00000000000d02", d => d.Value is string text && text.StartsWith("Oven too hot: 2", StringComparison.Ordinal));
        Assert.NotNull(alert);

        flow.Send(StoreBoost, """{"payload":false,"topic":"heaterBoost"}""");
        await WaitForUpdatesAsync(hmi, "a normal reading again with the lamp off",
            u => IsState(u, Gauge) && GaugeReading(u) is (>= 20 and <= 23, "normal"),
            u => IsState(u, Lamp) && u["state"] is false);

        var red = flow.Statuses.Where(s => HmiNodeIds.Contains(s.Node.Id) && s.Status.Fill == "red").Select(s => $"{s.Node.Id}: {s.Status.Text}").ToList();
        Assert.True(red.Count == 0, "HMI nodes with an error status: " + string.Join("; ", red));
        var errors = flow.Logs.Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error).Select(l => $"{l.Node?.Id}: {l.Message}").ToList();
        Assert.True(errors.Count == 0, "errors: " + string.Join("; ", errors));
    }

    private static JsObject Widget(JsObject snapshot, string id) =>
        ((List<object?>)snapshot["pages"]!).Cast<JsObject>().SelectMany(p => (List<object?>)p["groups"]!)
            .Cast<JsObject>().SelectMany(g => (List<object?>)g["widgets"]!)
            .Cast<JsObject>().Single(w => w["id"] as string == id);

    private static bool IsState(JsObject update, string id) => update.Get("id") as string == id && update.Get("kind") as string == "state";

    private static bool IsPoint(JsObject update, string id) =>
        update.Get("id") as string == id && update.Get("kind") as string == "point" && update.Get("series") as string == Series;

    private static (double, string)? GaugeReading(JsObject update) =>
        update.Get("state") is JsObject state && state.Get("value") is double value && state.Get("band") is string band ? (value, band) : null;

    /// <summary>
    /// Reads the updates the page would receive (this test is the only reader) until each condition has matched one
    /// of them. Widgets run in parallel, so their updates for one reading may come in any order.
    /// </summary>
    private static async Task WaitForUpdatesAsync(HmiServices hmi, string what, params Func<JsObject, bool>[] conditions)
    {
        var pending = conditions.ToList();
        var seen = new List<string>();
        // Readings come every 2 s; a few of them on a busy machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (pending.Count > 0)
            {
                var update = await hmi.Updates.ReadAsync(timeout.Token);
                if (update.Get("kind") is "state" or "point") seen.Add(JsJson.Serialize(update));
                pending.RemoveAll(condition => condition(update));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{what}: not seen in 20 s; the last updates were:\n{string.Join("\n", seen.TakeLast(12))}");
        }
    }

    /// <summary>
    /// The quick-start flows with the MQTT and HMI families. The example's settings turn on the embedded broker on
    /// 1883; here it listens on a free port instead, so the test neither needs nor touches a broker of the machine.
    /// </summary>
    private sealed class QuickStart : IAsyncDisposable
    {
        private readonly EmbeddedBroker _broker;

        private QuickStart(EmbeddedBroker broker, HmiServices hmi, TestFlow flow)
        {
            _broker = broker;
            Hmi = hmi;
            Flow = flow;
        }

        public HmiServices Hmi { get; }
        public TestFlow Flow { get; }

        public static async Task<QuickStart> StartAsync()
        {
            var broker = new EmbeddedBroker();
            var hmi = new HmiServices();
            try
            {
                var brokerSettings = new RuntimeSettings(new JsObject { ["mqttBroker"] = new JsObject { ["enabled"] = true, ["host"] = "127.0.0.1", ["port"] = 0.0 } });
                Assert.True(await broker.StartAsync(brokerSettings));
                var flows = Example("quick-start").Replace("\"port\": \"1883\"", $"\"port\": \"{broker.Port}\"", StringComparison.Ordinal);
                var flow = await TestFlow.StartAsync(flows, new TestFlowOptions
                {
                    Register = registry =>
                    {
                        MqttNodes.Register(registry);
                        HmiNodes.Register(registry, hmi);
                    },
                });
                return new QuickStart(broker, hmi, flow);
            }
            catch
            {
                hmi.Dispose();
                await broker.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Flow.DisposeAsync();
            Hmi.Dispose();
            await _broker.DisposeAsync();
        }
    }
}
