using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Protocol;
using FlowEngine.Nodes.Camera.Tests.Peers;

namespace FlowEngine.Nodes.Camera.Tests;

[Collection(CameraCollection.Name)]
public sealed class SnapshotNodeTests(CameraStreamPeer camera)
{
    private static string Snapshot(string extra = "") =>
        $$"""{"id":"s","type":"snapshot","z":"t1","camera":"cam"{{extra}},"wires":[["h"]]},{"id":"h","type":"helper","z":"t1","wires":[]}""";

    [Fact]
    public async Task A_snapshot_of_a_live_stream_is_a_jpeg_in_the_payload_kept_in_storage_and_written_to_a_file()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url("/live.ts")) + "," + Snapshot(""","store":true,"filename":"snaps/last.jpg" """));

        flow.Send("s", """{"topic":"check"}""");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(30));

        var jpeg = Assert.IsType<byte[]>(msg["payload"]);
        Assert.True(MediaTools.IsJpeg(jpeg));
        var snapshot = CameraFlows.Obj(msg, "snapshot");
        var id = (string)snapshot["id"]!;
        Assert.Equal("/camera/snapshots/" + id, snapshot["url"]);
        Assert.Equal("yard", snapshot["camera"]);
        var stored = flows.Services.Store.Find(id);
        Assert.NotNull(stored);
        Assert.Equal(jpeg, await File.ReadAllBytesAsync(stored.Path));
        Assert.Equal(jpeg, await File.ReadAllBytesAsync(Path.Combine(flow.UserDir, "snaps", "last.jpg")));
    }

    [Fact]
    public async Task A_snapshot_url_with_credentials_answers_the_jpeg_and_wrong_credentials_go_to_catch()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(
            CameraFlows.Camera(camera.Url("/secure/live.ts"), $$""","snapshotUrl":"{{camera.Url("/secure/snapshot.jpg")}}","credentials":{"user":"{{CameraStreamPeer.User}}","password":"{{CameraStreamPeer.Password}}"}""") + ","
            + CameraFlows.Camera(camera.Url("/secure/live.ts"), $$""","snapshotUrl":"{{camera.Url("/secure/snapshot.jpg")}}","credentials":{"user":"{{CameraStreamPeer.User}}","password":"wrong"}""", id: "bad", name: "bad") + ","
            + Snapshot() + ","
            + """{"id":"s2","type":"snapshot","z":"t1","camera":"bad","wires":[["h"]]},""" + CameraFlows.Catch());

        flow.Send("s", "{}");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.True(MediaTools.IsJpeg(Assert.IsType<byte[]>(msg["payload"])));

        flow.Send("s2", "{}");
        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(20)), "error");
        Assert.Contains("401", (string)error["message"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", (string)error["message"]!, StringComparison.Ordinal);
        Assert.Equal("red", CameraFlows.Node<SnapshotNode>(flow, "s2").Status.Fill);
    }

    [Fact]
    public async Task Stream_credentials_reach_the_camera_through_ffmpeg()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(
            CameraFlows.Camera(camera.Url("/secure/live.ts"), $$""","credentials":{"user":"{{CameraStreamPeer.User}}","password":"{{CameraStreamPeer.Password}}"}""") + "," + Snapshot());
        flow.Send("s", "{}");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(30));
        Assert.True(MediaTools.IsJpeg(Assert.IsType<byte[]>(msg["payload"])));
    }

    [Theory]
    [InlineData("/garbage.ts", "no picture")]
    [InlineData("/notjpeg.jpg", "no picture")]
    public async Task A_camera_that_sends_garbage_reports_to_catch_and_leaves_no_ffmpeg_running(string path, string expected)
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url(path), ""","timeout":5""") + "," + Snapshot() + "," + CameraFlows.Catch());

        flow.Send("s", "{}");
        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(30)), "error");

        var text = (string)error["message"]!;
        Assert.True(text.Contains(expected, StringComparison.Ordinal) || text.Contains("did not finish", StringComparison.Ordinal), text);
        Assert.StartsWith("camera yard:", text, StringComparison.Ordinal);
        Assert.True(await CameraFlows.EventuallyAsync(() => flows.Services.RunningProcesses == 0), "ffmpeg still running");
        Assert.Empty(flow.Received("h"));
    }

    [Fact]
    public async Task A_snapshot_url_that_answers_html_is_not_taken_for_a_picture()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera(camera.Url("/live.ts"), $$""","snapshotUrl":"{{camera.Url("/notjpeg.jpg")}}" """) + "," + Snapshot() + "," + CameraFlows.Catch());
        flow.Send("s", "{}");
        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(20)), "error");
        Assert.Contains("did not send a JPEG", (string)error["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_camera_reports_to_catch()
    {
        await using var flows = CameraFlows.Create();
        var flow = await flows.StartAsync(CameraFlows.Camera($"http://127.0.0.1:{PeerProcess.FreePort()}/live.ts") + "," + Snapshot() + "," + CameraFlows.Catch());
        flow.Send("s", "{}");
        var error = CameraFlows.Obj(await flow.NextAsync("e", TimeSpan.FromSeconds(30)), "error");
        Assert.Contains("no picture from http://127.0.0.1", (string)error["message"]!, StringComparison.Ordinal);
    }
}
