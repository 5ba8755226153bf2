using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Tests.Peers;

namespace FlowEngine.Nodes.Camera.Tests;

[Collection(CameraCollection.Name)]
public sealed class FrigateCorrelateNodeTests(CameraStreamPeer camera)
{
    private static byte[]? s_clip;

    private async Task<FrigateStandIn> StandInAsync(string? user = null, string? password = null)
    {
        s_clip ??= await CameraStreamPeer.MakeClipAsync(camera.Directory, 2);
        return await FrigateStandIn.StartAsync(0, s_clip, await File.ReadAllBytesAsync(camera.SnapshotFile), user, password);
    }

    private static string Correlate(string url, string extra = "") =>
        $$"""{"id":"fc","type":"frigate-correlate","z":"t1","url":"{{url}}","preSeconds":5,"postSeconds":5,"waitSeconds":20,"pollSeconds":0.2{{extra}},"wires":[["h"]]},{"id":"h","type":"helper","z":"t1","wires":[]}""";

    private static string Trigger(DateTimeOffset time, string camera = "yard") =>
        $$"""{"topic":"TT-101","camera":"{{camera}}","time":{{time.ToUnixTimeMilliseconds()}}}""";

    [Fact]
    public async Task Overlapping_ended_events_match_with_their_media_urls_and_the_clip_is_downloaded_through_login()
    {
        await using var frigate = await StandInAsync("admin", "frigate-pw");
        var now = DateTimeOffset.UtcNow;
        var overlapping = await frigate.NewEventAsync("yard", "person", now.AddSeconds(-20), ["driveway"], 0.9);
        await frigate.EndEventAsync(overlapping, now.AddSeconds(-12));
        var before = await frigate.NewEventAsync("yard", "person", now.AddSeconds(-60));
        await frigate.EndEventAsync(before, now.AddSeconds(-50));
        var otherCamera = await frigate.NewEventAsync("gate", "person", now.AddSeconds(-15));
        await frigate.EndEventAsync(otherCamera, now.AddSeconds(-5));
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(Correlate(frigate.BaseUrl, ""","download":true,"minFreeMB":0,"credentials":{"user":"admin","password":"frigate-pw"}"""));

        flow.Send("fc", Trigger(now.AddSeconds(-10)));
        var correlation = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(20)), "correlation");

        Assert.Equal("frigate-overlap", correlation["rule"]);
        var events = (List<object?>)correlation["events"]!;
        var e = (JsObject)Assert.Single(events)!;
        Assert.Equal(overlapping, e["id"]);
        Assert.Equal($"{frigate.BaseUrl}/api/events/{overlapping}/clip.mp4", e["clipUrl"]);
        Assert.Equal($"{frigate.BaseUrl}/api/events/{overlapping}/snapshot.jpg", e["snapshotUrl"]);
        Assert.Equal(0.9, e["top_score"]);
        var clip = (JsObject)correlation["clip"]!;
        Assert.Equal("frigate", clip["source"]);
        Assert.Equal(overlapping, clip["eventId"]);
        var stored = flows.Services.Store.Find((string)clip["id"]!);
        Assert.NotNull(stored);
        Assert.Equal(s_clip, await File.ReadAllBytesAsync(stored.Path));
        Assert.Equal(1, frigate.ClipDownloads);
        Assert.Equal(0.0, correlation["waitedSeconds"]);
    }

    [Fact]
    public async Task An_event_still_running_is_waited_for_until_it_ends()
    {
        await using var frigate = await StandInAsync();
        var now = DateTimeOffset.UtcNow;
        var running = await frigate.NewEventAsync("yard", "car", now.AddSeconds(-3));
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(Correlate(frigate.BaseUrl, ""","postSeconds":0"""));

        // The camera comes from the asset record an enrich node adds.
        flow.Send("fc", $$"""{"asset":{"tag":"TT-101","camera":"yard"},"time":{{now.ToUnixTimeMilliseconds()}}}""");
        await Task.Delay(1500);
        Assert.Empty(flow.Received("h"));
        await frigate.EndEventAsync(running, DateTimeOffset.UtcNow);
        var correlation = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(20)), "correlation");

        Assert.Equal("frigate-late-end", correlation["rule"]);
        var e = (JsObject)((List<object?>)correlation["events"]!)[0]!;
        Assert.Equal(running, e["id"]);
        Assert.Equal(false, e["in_progress"]);
        Assert.NotNull(e["end_time"]);
        Assert.True((double)correlation["waitedSeconds"]! >= 1.0, $"waited {correlation["waitedSeconds"]}");
        Assert.Equal("frigate", ((JsObject)correlation["clip"]!)["source"]);
    }

    [Fact]
    public async Task An_event_that_outlasts_the_wait_is_reported_as_in_progress()
    {
        await using var frigate = await StandInAsync();
        var now = DateTimeOffset.UtcNow;
        await frigate.NewEventAsync("yard", "person", now.AddSeconds(-3));
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(Correlate(frigate.BaseUrl, ""","postSeconds":0,"waitSeconds":1"""));

        flow.Send("fc", Trigger(now));
        var correlation = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(20)), "correlation");

        Assert.Equal("frigate-in-progress", correlation["rule"]);
        Assert.Equal(true, ((JsObject)((List<object?>)correlation["events"]!)[0]!)["in_progress"]);
    }

    [Fact]
    public async Task Without_a_frigate_event_a_clip_recorded_by_flowengine_is_used_and_the_message_says_so()
    {
        await using var frigate = await StandInAsync();
        var unrelated = await frigate.NewEventAsync("yard", "person", DateTimeOffset.UtcNow.AddMinutes(-10));
        await frigate.EndEventAsync(unrelated, DateTimeOffset.UtcNow.AddMinutes(-9));
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url("/live.ts")) + ","
            + """{"id":"k","type":"clip","z":"t1","camera":"cam","preSeconds":0,"postSeconds":2,"wires":[["fc"]]},"""
            + Correlate(frigate.BaseUrl, ""","postSeconds":0"""));

        flow.Send("k", """{"camera":"yard"}""");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(40));
        var correlation = CameraFlows.Obj(msg, "correlation");

        Assert.Equal("flowengine-clip", correlation["rule"]);
        Assert.Contains("no Frigate event", (string)correlation["reason"]!, StringComparison.Ordinal);
        Assert.Empty((List<object?>)correlation["events"]!);
        var clip = (JsObject)correlation["clip"]!;
        Assert.Equal("flowengine", clip["source"]);
        Assert.Equal(CameraFlows.Obj(msg, "clip")["id"], clip["id"]);
    }

    [Fact]
    public async Task Nothing_covering_the_time_gives_rule_none_and_an_unreachable_frigate_is_named()
    {
        await using var frigate = await StandInAsync();
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(Correlate(frigate.BaseUrl, ""","postSeconds":0""") + ","
            + $$"""{"id":"fc2","type":"frigate-correlate","z":"t1","url":"http://127.0.0.1:{{PeerProcess.FreePort()}}","preSeconds":5,"postSeconds":0,"wires":[["h"]]}""");

        flow.Send("fc", Trigger(DateTimeOffset.UtcNow));
        var none = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(20)), "correlation");
        Assert.Equal("none", none["rule"]);
        Assert.Null(none["clip"]);
        Assert.False(none.ContainsKey("frigateError"));

        flow.Send("fc2", Trigger(DateTimeOffset.UtcNow));
        var down = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(20)), "correlation");
        Assert.Equal("none", down["rule"]);
        Assert.Contains("unreachable", (string)down["frigateError"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_without_any_camera_goes_to_catch()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(Correlate("http://127.0.0.1:5000") + "," + CameraFlows.Catch());
        flow.Send("fc", "{}");
        var error = CameraFlows.Obj(await flow.NextAsync("e"), "error");
        Assert.Contains("no camera", (string)error["message"]!, StringComparison.Ordinal);
    }
}
