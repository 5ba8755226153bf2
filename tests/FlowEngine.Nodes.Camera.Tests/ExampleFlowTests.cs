using System.Globalization;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Tests.Peers;

namespace FlowEngine.Nodes.Camera.Tests;

/// <summary>examples/anomaly-to-clip runs end to end against real mosquitto, a real ffmpeg camera and the Frigate stand-in.</summary>
[Collection(CameraCollection.Name)]
public sealed class ExampleFlowTests(CameraStreamPeer camera, MosquittoFixture mosquitto)
{
    [Fact]
    public async Task Anomaly_to_clip_turns_a_vibration_alarm_into_a_notification_with_a_stored_clip_link()
    {
        var clipBytes = await CameraStreamPeer.MakeClipAsync(camera.Directory, 2);
        await using var frigate = await FrigateStandIn.StartAsync(0, clipBytes, await File.ReadAllBytesAsync(camera.SnapshotFile));
        var nodes = (List<object?>)JsJson.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "anomaly-to-clip", "flows.json")))!;
        JsObject Node(string id) => nodes.Cast<JsObject>().Single(n => (string?)n["id"] == id);
        // Point the example at the test peers (what its README tells a user to edit).
        Node("a2c-broker")["port"] = mosquitto.Port.ToString(CultureInfo.InvariantCulture);
        Node("a2c-camera")["source"] = "http";
        Node("a2c-camera")["url"] = camera.Url("/live.ts");
        Node("a2c-camera")["minFreeMB"] = 0d;
        Node("a2c-correlate")["url"] = frigate.BaseUrl;
        Node("a2c-correlate")["minFreeMB"] = 0d;
        nodes.Add(JsJson.Parse($$"""{"id":"n-in","type":"mqtt in","z":"a2c-tab","topic":"notifications/#","qos":"1","datatype":"json","broker":"a2c-broker","nl":false,"rap":true,"rh":0,"inputs":0,"wires":[["n"]]}"""));
        nodes.Add(JsJson.Parse("""{"id":"n","type":"helper","z":"a2c-tab","wires":[]}"""));

        await using var flows = CameraFlows.Create();
        var flow = await flows.StartFlowsAsync(JsJson.Serialize(nodes));
        var cam = CameraFlows.Node<CameraNode>(flow, "a2c-camera");
        Assert.True(await CameraFlows.EventuallyAsync(() => cam.Buffer!.CompleteSegments().Count >= 7, 30000), cam.Buffer!.LastError ?? "no segments");
        Assert.True(await CameraFlows.EventuallyAsync(() => flow.Statuses.Count(s => s.Node.Id is "a2c-in" or "n-in" && s.Status.Text == "connected") >= 2));
        await Task.Delay(500);

        // A person walks past the press shortly before the vibration, and is still there when it alarms.
        var eventId = await frigate.NewEventAsync("press-cam", "person", DateTimeOffset.UtcNow.AddSeconds(-4), ["press"], 0.88);
        foreach (var value in new[] { "1.0", "1.2", "9.5" })
        {
            await PeerProcess.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", mosquitto.Port.ToString(CultureInfo.InvariantCulture), "-t", "line1/press/vibration", "-q", "1", "-m", value]);
        }
        await Task.Delay(2000);
        await frigate.EndEventAsync(eventId, DateTimeOffset.UtcNow);

        var notification = CameraFlows.Obj(await flow.NextAsync("n", TimeSpan.FromSeconds(60)), "payload");

        Assert.Equal("line1/press/vibration", notification["tag"]);
        Assert.Contains("9.5", (string)notification["alarm"]!, StringComparison.Ordinal);
        Assert.StartsWith("frigate-", (string)notification["rule"]!, StringComparison.Ordinal);
        Assert.Equal(new List<object?> { eventId }, notification["frigateEvents"]);
        Assert.Equal("frigate", notification["clipSource"]);
        var clipId = ((string)notification["clipUrl"]!)["/camera/clips/".Length..];
        Assert.Equal(clipBytes, await File.ReadAllBytesAsync(flows.Services.Store.Find(clipId)!.Path));
        // FlowEngine's own clip of the alarm, with pre-trigger video, is linked too.
        var localId = ((string)notification["localClipUrl"]!)["/camera/clips/".Length..];
        var local = flows.Services.Store.Find(localId)!;
        Assert.Equal("press-cam", local.Camera);
        Assert.True((local.Trigger!.Value - local.Start).TotalSeconds >= 4.5, $"pre-trigger {(local.Trigger!.Value - local.Start).TotalSeconds} s");
    }
}
