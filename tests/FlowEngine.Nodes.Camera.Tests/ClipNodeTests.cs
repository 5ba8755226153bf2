using System.Globalization;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Tests.Peers;

namespace FlowEngine.Nodes.Camera.Tests;

[Collection(CameraCollection.Name)]
public sealed class ClipNodeTests(CameraStreamPeer camera)
{
    private static string Clip(string extra = "") =>
        $$"""{"id":"k","type":"clip","z":"t1","camera":"cam"{{extra}},"wires":[["h"]]},{"id":"h","type":"helper","z":"t1","wires":[]}""";

    private static DateTimeOffset Time(JsObject clip, string property) =>
        DateTimeOffset.Parse((string)clip[property]!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public async Task A_clip_from_the_rolling_buffer_starts_seconds_before_the_trigger()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(
            CameraFlows.Camera(camera.Url("/live.ts"), ""","buffer":true,"bufferSeconds":10,"segmentSeconds":1""") + ","
            + Clip(""","preSeconds":3,"postSeconds":2""") + "," + CameraFlows.Catch());
        var cam = CameraFlows.Node<CameraNode>(flow, "cam");
        Assert.True(await CameraFlows.EventuallyAsync(() => cam.Buffer!.CompleteSegments().Count >= 5, 30000), cam.Buffer!.LastError ?? "no segments");
        Assert.True(await CameraFlows.EventuallyAsync(() => CameraFlows.Node<ClipNode>(flow, "k").Status.Fill == "green"),
            string.Join(" / ", flow.Statuses.Where(s => s.Node.Id == "k").Select(s => s.Status.Text)));

        var trigger = DateTimeOffset.UtcNow;
        flow.Send("k", $$"""{"topic":"TT-101","time":{{trigger.ToUnixTimeMilliseconds()}}}""");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(40));

        var clip = CameraFlows.Obj(msg, "clip");
        var start = Time(clip, "start");
        var end = Time(clip, "end");
        // Edges fall on segment boundaries: at most one segment (1 s, plus the keyframe it waits for) outside the window.
        var segs = string.Join("; ", cam.Buffer!.CompleteSegments().Select(x => $"{Path.GetFileName(x.Path)} {x.Start:HH:mm:ss.fff}-{x.End:HH:mm:ss.fff}"));
        Assert.True((trigger - start).TotalSeconds is >= 2.7 and <= 5.0, $"trigger {trigger:HH:mm:ss.fff} start {start:HH:mm:ss.fff} {segs} statuses: " + string.Join(" / ", flow.Statuses.Where(s => s.Node.Id == "k").Select(s => s.Status.Text)));
        Assert.InRange((end - trigger).TotalSeconds, 1.7, 4.5);
        Assert.Equal(3.0, clip["preSeconds"]);
        var stored = flows.Services.Store.Find((string)clip["id"]!);
        Assert.NotNull(stored);
        Assert.Equal("/camera/clips/" + stored.Id, clip["url"]);

        var info = await flows.Services.Media.ProbeAsync(stored.Path, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.Equal("h264", info.VideoCodec);
        Assert.InRange(info.DurationSeconds, (end - start).TotalSeconds - 0.6, (end - start).TotalSeconds + 0.6);
        Assert.InRange(info.FrameCount, (int)(info.DurationSeconds * 15) - 8, (int)(info.DurationSeconds * 15) + 8);
        // The MP4's creation_time is the wall-clock time of its first frame (MP4 keeps whole seconds).
        Assert.NotNull(info.CreationTime);
        Assert.InRange((start - info.CreationTime!.Value).TotalMilliseconds, 0, 999.9);
        Assert.Empty(flow.Received("e"));
    }

    [Fact]
    public async Task Without_a_buffer_the_clip_records_from_the_trigger_and_says_so()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url("/live.ts")) + "," + Clip(""","preSeconds":5,"postSeconds":2"""));

        flow.Send("k", "{}");
        var clip = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(40)), "clip");

        Assert.Equal(0.0, clip["preSeconds"]);
        Assert.Contains("no rolling buffer", (string)clip["note"]!, StringComparison.Ordinal);
        var info = await flows.Services.Media.ProbeAsync(flows.Services.Store.Find((string)clip["id"]!)!.Path, TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.InRange(info.DurationSeconds, 1.5, 2.6);
    }

    [Fact]
    public async Task Retention_by_total_size_deletes_the_older_clip_when_a_new_one_is_stored()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url("/live.ts"), ""","maxTotalMB":0.01""") + "," + Clip(""","postSeconds":1"""));

        flow.Send("k", "{}");
        var first = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(40)), "clip");
        var firstPath = flows.Services.Store.Find((string)first["id"]!)!.Path;
        flow.Send("k", "{}");
        var second = CameraFlows.Obj(await flow.NextAsync("h", TimeSpan.FromSeconds(40)), "clip");

        Assert.Null(flows.Services.Store.Find((string)first["id"]!));
        Assert.False(File.Exists(firstPath));
        Assert.NotNull(flows.Services.Store.Find((string)second["id"]!));
    }

    [Fact]
    public async Task Full_storage_stops_the_buffer_and_the_clip_goes_to_catch_instead_of_recording()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(
            CameraFlows.Camera(camera.Url("/live.ts"), ""","buffer":true,"minFreeMB":90000000""").Replace("\"minFreeMB\":0,", "", StringComparison.Ordinal) + ","
            + Clip() + "," + CameraFlows.Catch());
        var clipNode = CameraFlows.Node<ClipNode>(flow, "k");
        Assert.True(await CameraFlows.EventuallyAsync(() => clipNode.Status.Text?.StartsWith("storage full", StringComparison.Ordinal) == true), clipNode.Status.Text);

        flow.Send("k", "{}");
        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(20)), "error");

        Assert.Contains("storage full", (string)error["message"]!, StringComparison.Ordinal);
        Assert.Equal(0, flows.Services.RunningProcesses);
        Assert.Empty(Directory.GetFiles(flows.Root, "*.ts", SearchOption.AllDirectories));
        Assert.Empty(flows.Services.Store.Query("yard", null, null, null, 10));
    }

    [Fact]
    public async Task An_unreachable_camera_is_retried_with_a_doubling_back_off()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera($"http://127.0.0.1:{PeerProcess.FreePort()}/live.ts", ""","buffer":true""") + "," + Clip());

        Assert.True(await CameraFlows.EventuallyAsync(() => flow.Statuses.Any(s => s.Status.Text?.Contains("retry in 2 s", StringComparison.Ordinal) == true), 20000));
        var retries = flow.Statuses.Where(s => s.Node.Id == "k" && s.Status.Text?.Contains("retry in", StringComparison.Ordinal) == true).Select(s => s.Status.Text!).ToList();
        Assert.Contains(retries, t => t.Contains("retry in 1 s", StringComparison.Ordinal));
        Assert.Contains("127.0.0.1", retries[0], StringComparison.Ordinal);
        Assert.Equal("red", CameraFlows.Node<ClipNode>(flow, "k").Status.Fill);
    }

    [Fact]
    public async Task A_camera_sending_garbage_is_restarted_and_a_redeploy_ends_its_ffmpeg()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url("/garbage.ts"), ""","buffer":true,"stallSeconds":3""") + "," + Clip());

        Assert.True(await CameraFlows.EventuallyAsync(() => flow.Statuses.Any(s => s.Node.Id == "k" && s.Status.Text?.Contains("retry in", StringComparison.Ordinal) == true), 30000));

        await flow.DeployAsync("""[{"id":"t1","type":"tab","label":"Camera"}]""");
        Assert.True(await CameraFlows.EventuallyAsync(() => flows.Services.RunningProcesses == 0, 10000), $"{flows.Services.RunningProcesses} ffmpeg running after redeploy");
    }
}
