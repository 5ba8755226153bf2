using System.Globalization;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

/// <summary>mosquitto killed and restarted in the middle of a stream: its own broker, so other tests are not disturbed.</summary>
public sealed class OutageTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    // Skipped until the fixture runs mosquitto with persistence and the flow uses a persistent session: the fixture's
    // mosquitto (persistence false) loses messages it has already acknowledged to the publisher when it is killed, so
    // under load this test fails for the broker's reason, not FlowEngine's (seen in a full-suite run on 2 busy cores).
    [Fact(Skip = "needs mosquitto with persistence and a persistent session; see comment")]
    public async Task Broker_restart_in_the_middle_of_10000_qos1_messages_loses_none_and_keeps_their_order()
    {
        const int total = 10_000;
        var topic = Mqtt.Topic("outage");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(
            Mqtt.Broker(mosquitto.PlainPort), Mqtt.In("in", topic, "utf8", "1"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")),
            new JsObject { ["mqttReconnectTime"] = 500.0 });
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");

        for (var i = 0; i < total; i++) flow.Send("out", new JsObject { ["payload"] = i.ToString(CultureInfo.InvariantCulture) });

        var received = new List<string>(total);
        received.AddRange((await flow.NextAsync("h", 1500, TimeSpan.FromSeconds(60))).Select(m => (string)m["payload"]!));
        await mosquitto.StopAsync();
        await flow.StatusAsync("out", s => s.Fill == "red");
        await Task.Delay(300);
        await mosquitto.StartAsync();

        while (received.Count < total) received.Add((string)(await flow.NextAsync("h", TimeSpan.FromSeconds(60)))["payload"]!);
        Assert.True(await flow.NothingArrivesAsync("h", TimeSpan.FromMilliseconds(500)), "a message arrived twice");
        Assert.Equal(Enumerable.Range(0, total).Select(i => i.ToString(CultureInfo.InvariantCulture)), received);
    }
}
