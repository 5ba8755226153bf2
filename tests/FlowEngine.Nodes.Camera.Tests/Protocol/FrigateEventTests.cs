using System.Text;
using System.Text.Json;
using FlowEngine.Nodes.Camera.Protocol;
using FlowEngine.Nodes.Camera.Protocol.Frigate;

namespace FlowEngine.Nodes.Camera.Tests.Protocol;

public sealed class FrigateEventTests
{
    // The example of Frigate's MQTT documentation (frigate/events, 0.16 fields).
    private const string DocumentedEvent = """
        {"type":"update","before":{"id":"1607123955.475377-mxklsc","camera":"front_door","label":"person","start_time":1607123955.475377,"end_time":null,"score":0.7,"current_zones":[],"entered_zones":[],"has_snapshot":false,"has_clip":false},
         "after":{"id":"1607123955.475377-mxklsc","camera":"front_door","frame_time":1607123962.082975,
            "snapshot":{"frame_time":1607123965.975463,"box":[415,489,528,700],"area":12728,"region":[260,446,660,846],"score":0.77546,"attributes":[]},
            "label":"person","sub_label":["John Smith",0.79],"top_score":0.958984375,"false_positive":false,
            "start_time":1607123955.475377,"end_time":null,"score":0.87890625,"box":[432,496,544,854],"area":40096,"ratio":1.251397,
            "region":[218,440,693,915],"current_zones":["yard","driveway"],"entered_zones":["yard","driveway"],"thumbnail":null,
            "has_snapshot":false,"has_clip":false,"active":true,"stationary":false,"motionless_count":0,"position_changes":2,
            "attributes":{"face":0.86},"current_attributes":[{"label":"face","box":[442,506,534,524],"score":0.86}],
            "current_estimated_speed":0.77,"average_estimated_speed":14.31,"velocity_angle":180,
            "recognized_license_plate":"ABC12345","recognized_license_plate_score":0.933451}}
        """;

    [Fact]
    public void The_documented_event_message_parses_with_every_field_the_nodes_use()
    {
        var message = FrigateEventMessage.Parse(Encoding.UTF8.GetBytes(DocumentedEvent));
        Assert.Equal("update", message.Type);
        var e = message.After;
        Assert.Equal("1607123955.475377-mxklsc", e.Id);
        Assert.Equal("front_door", e.Camera);
        Assert.Equal("person", e.Label);
        Assert.Equal("John Smith", e.SubLabel);
        Assert.Equal(0.87890625, e.Score);
        Assert.Equal(0.958984375, e.TopScore);
        Assert.Equal(1607123955.475377, e.StartTime);
        Assert.Null(e.EndTime);
        Assert.True(e.InProgress);
        Assert.Equal(["yard", "driveway"], e.Zones);
        Assert.False(e.HasClip);
        Assert.NotNull(message.Before);
        Assert.Equal(0.7, message.Before!.Score);
    }

    [Fact]
    public void An_old_frigate_string_sub_label_and_missing_fields_are_accepted()
    {
        var message = FrigateEventMessage.Parse("""{"type":"end","before":{},"after":{"id":"1.0-abcdef","camera":"yard","label":"car","sub_label":"Van","start_time":10.5,"end_time":20.25,"has_clip":true}}"""u8);
        Assert.Equal("Van", message.After.SubLabel);
        Assert.Equal(20.25, message.After.EndTime);
        Assert.Null(message.After.Score);
        Assert.Empty(message.After.Zones);
        Assert.True(message.After.HasClip);
        Assert.Null(message.Before);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"type":"moved","after":{}}""", "not new, update or end")]
    [InlineData("""{"type":"new"}""", "no \"after\"")]
    [InlineData("""{"type":"new","after":{"camera":"yard","start_time":1}}""", "no \"id\"")]
    [InlineData("""{"type":"new","after":{"id":"x","camera":"yard"}}""", "start_time")]
    public void Anything_that_is_not_a_frigate_event_is_refused_with_the_reason(string payload, string reason)
    {
        var error = Assert.Throws<FormatException>(() => FrigateEventMessage.Parse(Encoding.UTF8.GetBytes(payload)));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_http_api_shape_keeps_scores_in_data_and_zones_in_zones()
    {
        using var doc = JsonDocument.Parse("""{"id":"5.0-aaaaaa","label":"person","sub_label":null,"camera":"yard","start_time":5.0,"end_time":9.0,"false_positive":false,"zones":["gate"],"thumbnail":null,"has_clip":true,"has_snapshot":true,"retain_indefinitely":false,"plus_id":null,"data":{"score":0.8,"top_score":0.9,"box":[0,0,1,1]}}""");
        var e = FrigateEvent.FromJson(doc.RootElement);
        Assert.Equal(0.8, e.Score);
        Assert.Equal(0.9, e.TopScore);
        Assert.Equal(["gate"], e.Zones);
    }

    [Theory]
    [InlineData(0, 7, true)]    // ends inside the window
    [InlineData(9, 20, true)]   // starts inside
    [InlineData(0, 20, true)]   // covers it
    [InlineData(0, 4.9, false)] // ended before
    [InlineData(10.1, 20, false)] // started after
    public void Overlap_is_inclusive_of_both_window_edges(double start, double end, bool overlaps)
    {
        var e = new FrigateEvent { Id = "x", Camera = "c", StartTime = start, EndTime = end };
        Assert.Equal(overlaps, e.Overlaps(5, 10));
        Assert.True(new FrigateEvent { Id = "y", Camera = "c", StartTime = 1 }.Overlaps(5, 10));
    }
}

public sealed class CameraSourceTests
{
    [Fact]
    public void Credentials_go_into_the_url_ffmpeg_opens_but_never_into_the_displayed_one()
    {
        var source = new CameraSource(CameraSourceKind.Rtsp, "rtsp://10.0.0.5:554/stream1", "admin", "p@ss word");
        Assert.Equal("rtsp://admin:p%40ss%20word@10.0.0.5:554/stream1", source.AuthenticatedUrl);
        Assert.Equal("rtsp://10.0.0.5:554/stream1", source.DisplayUrl);
        var args = source.InputArguments();
        Assert.Equal(["-rtsp_transport", "tcp", "-timeout", "10000000", "-i", source.AuthenticatedUrl], args);
    }

    [Fact]
    public void Ffmpeg_errors_that_repeat_the_url_lose_the_password()
    {
        var source = new CameraSource(CameraSourceKind.Rtsp, "rtsp://127.0.0.1:8554/cam", "admin", "wrong");
        var redacted = source.Redact("rtsp://admin:wrong@127.0.0.1:8554/cam: Server returned 401 Unauthorized (authorization failed)");
        Assert.Equal("rtsp://127.0.0.1:8554/cam: Server returned 401 Unauthorized (authorization failed)", redacted);
        Assert.DoesNotContain("wrong", source.Redact("password wrong rejected"), StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_written_into_the_url_are_hidden_from_the_display()
    {
        var source = new CameraSource(CameraSourceKind.Http, "http://u:secret@cam.local/video.ts");
        Assert.DoesNotContain("secret", source.DisplayUrl, StringComparison.Ordinal);
    }

    [Fact]
    public void An_mjpeg_source_is_read_with_wall_clock_timestamps()
    {
        var args = new CameraSource(CameraSourceKind.Mjpeg, "http://cam/video.mjpg").InputArguments();
        Assert.Contains("-use_wallclock_as_timestamps", args);
        Assert.Equal("mpjpeg", args[args.ToList().IndexOf("-f") + 1]);
    }
}
