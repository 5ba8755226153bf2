using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.TestKit.Peers;
using MQTTnet;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>
/// examples/opcua-uns-mqtt run by the real program against the node-opcua test server (tests/peers/opcua) and the
/// example's embedded broker: every subscribed variable appears, retained, on its unified-namespace topic with its
/// asset context.
/// </summary>
public sealed class OpcUaUnsExampleTests
{
    private const string Root = "acme/plant1/pressing/line1/press/";

    [Fact]
    public async Task Opc_ua_changes_arrive_on_the_unified_namespace_tree_with_their_asset_context()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        var brokerPort = ExampleHost.FreeTcpPort().ToString(CultureInfo.InvariantCulture);
        await using var host = await ExampleHost.StartAsync("opcua-uns-mqtt",
            new Dictionary<string, string> { ["MQTT_PORT"] = brokerPort, ["OPCUA_URL"] = server.Url },
            ["-s", Path.Combine(ExampleHost.ExampleDirectory("opcua-uns-mqtt"), "settings.json"), "-D", "mqttBroker.port=" + brokerPort]);

        var received = new ConcurrentDictionary<string, JsObject>(StringComparer.Ordinal);
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received[e.ApplicationMessage.Topic] = (JsObject)JsJson.Parse(Encoding.UTF8.GetString(e.ApplicationMessage.Payload))!;
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", int.Parse(brokerPort, CultureInfo.InvariantCulture))
            .WithClientId("example-test").Build());
        await client.SubscribeAsync(Root + "#");

        // Retained: the tree is complete for a subscriber who comes later, too.
        string[] names = ["oil_temperature", "stroke_count", "oil_temperature_sp", "running"];
        await host.WaitForAsync("all four variables on the UNS tree", () =>
            Task.FromResult(names.All(n => received.ContainsKey(Root + n)) ? "" : null), TimeSpan.FromSeconds(90));

        var setpoint = received[Root + "oil_temperature_sp"];
        Assert.Equal(42.5, setpoint["value"]);
        Assert.Equal("°C", setpoint["unit"]);
        Assert.Equal("Good", setpoint["quality"]);
        Assert.Equal("Oil temperature setpoint", setpoint["description"]);
        Assert.Equal(true, received[Root + "running"]["value"]);
        var temperature = received[Root + "oil_temperature"];
        Assert.InRange((double)temperature["value"]!, 14.9, 25.1);
        Assert.True(DateTime.TryParse((string)temperature["timestamp"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _));

        // The stroke counter moves every second: later changes follow on the same topic.
        var first = (double)received[Root + "stroke_count"]["value"]!;
        await host.WaitForAsync("a later stroke count", () =>
            Task.FromResult((double)received[Root + "stroke_count"]["value"]! > first ? "" : null), TimeSpan.FromSeconds(30));
    }

    /// <summary>tests/peers/opcua/server.js on a free port with its own certificate folder.</summary>
    private sealed class OpcUaTestServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _pki;

        private OpcUaTestServer(Process process, string pki, string url)
        {
            _process = process;
            _pki = pki;
            Url = url;
        }

        public string Url { get; }

        public static async Task<OpcUaTestServer> StartAsync()
        {
            var directory = NpmPeers.Directory("opcua");
            await NpmPeers.EnsureInstalledAsync(directory, "node_modules/node-opcua/package.json");
            var port = NpmPeers.FreePort();
            var pki = Directory.CreateTempSubdirectory("flowengine-opcua-pki-").FullName;
            var environment = new Dictionary<string, string> { ["OPCUA_PORT"] = port.ToString(CultureInfo.InvariantCulture), ["OPCUA_PKI"] = pki };
            var process = await NpmPeers.StartScriptAsync(directory, "server.js", environment, "OPCUA_READY", _ => { }, TimeSpan.FromSeconds(60));
            return new OpcUaTestServer(process, pki, $"opc.tcp://127.0.0.1:{port}/UA/TestPeer");
        }

        public async ValueTask DisposeAsync()
        {
            await NpmPeers.StopAsync(_process);
            try
            {
                Directory.Delete(_pki, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
