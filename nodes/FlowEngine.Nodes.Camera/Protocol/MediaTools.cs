using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FlowEngine.Nodes.Camera.Protocol;

/// <summary>What ffprobe says about a media file.</summary>
internal sealed record MediaInfo(double DurationSeconds, DateTimeOffset? CreationTime, string? VideoCodec, int FrameCount);

/// <summary>The camera answered, but not with a picture.</summary>
internal sealed class CameraDataException(string message) : Exception(message);

/// <summary>Snapshots, direct clips, segment concatenation and probing, each one bounded ffmpeg run.</summary>
internal sealed class MediaTools(FfmpegRunner runner, HttpClient http)
{
    public FfmpegRunner Runner { get; } = runner;

    /// <summary>One JPEG from the camera: its snapshot URL when it has one, else the first decoded frame of the stream.</summary>
    public async Task<byte[]> SnapshotAsync(CameraSource source, TimeSpan timeout, CancellationToken cancellationToken)
    {
        byte[] jpeg;
        if (!string.IsNullOrEmpty(source.SnapshotUrl))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, source.SnapshotUrl);
            if (!string.IsNullOrEmpty(source.Username))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{source.Username}:{source.Password}")));
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new CameraDataException($"snapshot URL {StripQuery(source.SnapshotUrl)} answered {(int)response.StatusCode} {response.ReasonPhrase}");
                }
                jpeg = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"snapshot URL {StripQuery(source.SnapshotUrl)} did not answer within {timeout.TotalSeconds:0.#} s");
            }
        }
        else
        {
            var args = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error" };
            args.AddRange(source.InputArguments());
            args.AddRange(["-frames:v", "1", "-an", "-c:v", "mjpeg", "-q:v", "3", "-f", "image2pipe", "pipe:1"]);
            var result = await Runner.RunFfmpegAsync(args, timeout, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded || result.Output.Length == 0)
            {
                throw new CameraDataException($"no picture from {source.DisplayUrl} (ffmpeg exit {result.ExitCode}){FfmpegRunner.FormatTail(source.Redact(result.ErrorTail))}");
            }
            jpeg = result.Output;
        }
        if (!IsJpeg(jpeg)) throw new CameraDataException($"{source.SnapshotUrl ?? source.DisplayUrl} did not send a JPEG ({jpeg.Length} bytes)");
        return jpeg;
    }

    /// <summary>Records <paramref name="duration"/> of the live stream into an MP4 (no pre-trigger: the camera has no buffer).</summary>
    public async Task RecordAsync(CameraSource source, TimeSpan duration, bool transcode, string output, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var args = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
        args.AddRange(source.InputArguments(realtimeFile: true));
        args.AddRange(["-t", duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), "-map", "0:v:0"]);
        args.AddRange(transcode ? ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] : ["-c:v", "copy"]);
        args.AddRange(["-movflags", "+faststart", "-metadata", "creation_time=" + DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture), output]);
        var result = await Runner.RunFfmpegAsync(args, timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded || !File.Exists(output) || new FileInfo(output).Length == 0)
        {
            TryDelete(output);
            throw new CameraDataException($"recording from {source.DisplayUrl} failed (ffmpeg exit {result.ExitCode}){FfmpegRunner.FormatTail(source.Redact(result.ErrorTail))}");
        }
    }

    /// <summary>Joins buffer segments into one MP4 without re-encoding, stamped with the wall-clock time of its first frame.</summary>
    public async Task ConcatAsync(IReadOnlyList<BufferSegment> segments, string output, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (segments.Count == 0) throw new ArgumentException("no segments to join", nameof(segments));
        // MPEG-TS segments of one ffmpeg run are byte-concatenable with continuous timestamps (the concat protocol).
        var input = "concat:" + string.Join('|', segments.Select(s => s.Path));
        var args = new List<string>
        {
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", input, "-map", "0:v:0", "-c", "copy",
            "-movflags", "+faststart",
            "-metadata", "creation_time=" + segments[0].Start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
            output,
        };
        var result = await Runner.RunFfmpegAsync(args, timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded || !File.Exists(output))
        {
            TryDelete(output);
            throw new CameraDataException($"joining {segments.Count} buffer segments failed (ffmpeg exit {result.ExitCode}){FfmpegRunner.FormatTail(result.ErrorTail)}");
        }
    }

    public async Task<MediaInfo> ProbeAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string[] args = ["-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries",
            "format=duration:format_tags=creation_time:stream=codec_name,nb_read_packets", "-of", "json", path];
        var result = await Runner.RunFfprobeAsync(args, timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded) throw new CameraDataException($"ffprobe cannot read {path}{FfmpegRunner.FormatTail(result.ErrorTail)}");
        using var doc = JsonDocument.Parse(result.Output);
        var format = doc.RootElement.GetProperty("format");
        var duration = format.TryGetProperty("duration", out var d) && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
        DateTimeOffset? created = format.TryGetProperty("tags", out var tags) && tags.TryGetProperty("creation_time", out var ct)
            && DateTimeOffset.TryParse(ct.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        string? codec = null;
        var frames = 0;
        if (doc.RootElement.TryGetProperty("streams", out var streams) && streams.GetArrayLength() > 0)
        {
            var stream = streams[0];
            codec = stream.TryGetProperty("codec_name", out var c) ? c.GetString() : null;
            if (stream.TryGetProperty("nb_read_packets", out var n)) int.TryParse(n.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out frames);
        }
        return new MediaInfo(duration, created, codec, frames);
    }

    internal static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length > 4 && data[0] == 0xFF && data[1] == 0xD8;

    private static string StripQuery(string url) => url.Split('?')[0];

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
