using System.Globalization;

namespace FlowEngine.Nodes.Camera.Protocol;

/// <summary>State of a camera's rolling buffer, for node statuses.</summary>
internal enum BufferState
{
    Starting,
    Recording,
    /// <summary>The camera failed (unreachable, garbage, stalled); the next attempt waits with back-off.</summary>
    Retrying,
    /// <summary>Recording refused because the storage is full; retried when space comes back.</summary>
    StorageFull,
    Stopped,
}

/// <summary>One finished segment of the rolling buffer with its wall-clock span.</summary>
internal sealed record BufferSegment(string Path, DateTimeOffset Start, DateTimeOffset End);

/// <summary>Settings of a rolling buffer.</summary>
internal sealed record SegmentBufferOptions
{
    /// <summary>How much recent video is kept: the longest pre-trigger a clip can have.</summary>
    public TimeSpan Keep { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Target segment length; ffmpeg cuts at the next keyframe after it, so a clip's edges are this precise.</summary>
    public TimeSpan SegmentLength { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Re-encode to H.264 (MJPEG cameras) instead of copying the camera's stream.</summary>
    public bool Transcode { get; init; }
    /// <summary>No new segment for this long means the camera stalled: ffmpeg is killed and restarted.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A rolling buffer of short MPEG-TS segments recorded continuously from one camera by one ffmpeg process, so that
/// a clip can start before its trigger. Segment spans come from ffmpeg's CSV segment list (stream time) tied to the
/// wall clock by the files' write times (see <see cref="CompleteSegments"/>). ffmpeg that exits, or stalls for <see cref="SegmentBufferOptions.StallTimeout"/>,
/// is ended and restarted with a doubling back-off.
/// </summary>
internal sealed class SegmentBuffer : IAsyncDisposable
{
    private readonly FfmpegRunner _runner;
    private readonly CameraSource _source;
    private readonly SegmentBufferOptions _options;
    private readonly Func<string?> _storageProblem;
    private readonly Action<BufferState, string> _onState;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task? _loop;
    private int _run;

    /// <param name="storageProblem">Returns why recording must not run now (storage full), or null.</param>
    public SegmentBuffer(FfmpegRunner runner, CameraSource source, string directory, SegmentBufferOptions options,
        Func<string?> storageProblem, Action<BufferState, string> onState)
    {
        _runner = runner;
        _source = source;
        Directory = directory;
        _options = options;
        _storageProblem = storageProblem;
        _onState = onState;
    }

    public string Directory { get; }
    public BufferState State { get; private set; } = BufferState.Stopped;
    public string? LastError { get; private set; }

    public void Start()
    {
        System.IO.Directory.CreateDirectory(Directory);
        // Segments of an earlier process have a gap before them and no trustworthy start: begin clean.
        foreach (var old in System.IO.Directory.GetFiles(Directory, "seg-*")) TryDelete(old);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    private void SetState(BufferState state, string text)
    {
        State = state;
        if (state is BufferState.Retrying or BufferState.StorageFull) LastError = text;
        _onState(state, text);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var delay = _options.RetryDelay;
        while (!stop.IsCancellationRequested)
        {
            if (_storageProblem() is { } problem)
            {
                SetState(BufferState.StorageFull, problem);
                if (!await WaitAsync(TimeSpan.FromSeconds(5), stop).ConfigureAwait(false)) break;
                continue;
            }
            SetState(BufferState.Starting, "connecting to " + _source.DisplayUrl);
            var (gotSegments, reason) = await RecordOnceAsync(stop).ConfigureAwait(false);
            if (stop.IsCancellationRequested) break;
            if (gotSegments) delay = _options.RetryDelay;
            if (reason is null) continue;
            SetState(BufferState.Retrying, string.Create(CultureInfo.InvariantCulture, $"{reason}; retry in {delay.TotalSeconds:0.#} s"));
            if (!await WaitAsync(delay, stop).ConfigureAwait(false)) break;
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
        }
        SetState(BufferState.Stopped, "stopped");
    }

    /// <summary>Runs one ffmpeg until it fails, stalls, storage runs out or the buffer stops. Returns why it ended.</summary>
    private async Task<(bool GotSegments, string? Reason)> RecordOnceAsync(CancellationToken stop)
    {
        int run;
        lock (_gate) run = ++_run;
        var pattern = Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"seg-{run:D6}-%06d.ts"));
        var segmentList = Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"seg-{run:D6}.csv"));
        // No -nostdin: the runner stops this ffmpeg by writing "q" to its stdin, which closes the last segment cleanly.
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-y" };
        args.AddRange(_source.InputArguments(realtimeFile: true));
        args.AddRange(["-map", "0:v:0"]);
        if (_options.Transcode) args.AddRange(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-force_key_frames", string.Create(CultureInfo.InvariantCulture, $"expr:gte(t,n_forced*{_options.SegmentLength.TotalSeconds})")]);
        else args.AddRange(["-c:v", "copy"]);
        args.AddRange(["-f", "segment", "-segment_format", "mpegts", "-segment_list", segmentList, "-segment_list_type", "csv",
            "-segment_time", _options.SegmentLength.TotalSeconds.ToString(CultureInfo.InvariantCulture), pattern]);

        RunningFfmpeg ffmpeg;
        try
        {
            ffmpeg = _runner.StartLongRunning(args);
        }
        catch (InvalidOperationException e)
        {
            return (false, e.Message);
        }
        var started = DateTimeOffset.UtcNow;
        var gotSegments = false;
        string? reason = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await WaitAsync(TimeSpan.FromMilliseconds(250), stop).ConfigureAwait(false)) break;
                if (ffmpeg.HasExited)
                {
                    reason = $"camera {_source.DisplayUrl} ended the stream (ffmpeg exit {ffmpeg.ExitCode}){FfmpegRunner.FormatTail(_source.Redact(ffmpeg.ErrorTail))}";
                    break;
                }
                var newest = NewestWrite(run);
                if (newest is null)
                {
                    if (DateTimeOffset.UtcNow - started > _options.StallTimeout)
                    {
                        reason = $"no video from {_source.DisplayUrl} within {_options.StallTimeout.TotalSeconds:0} s{FfmpegRunner.FormatTail(_source.Redact(ffmpeg.ErrorTail))}";
                        break;
                    }
                    continue;
                }
                if (DateTimeOffset.UtcNow - newest.Value > _options.StallTimeout)
                {
                    reason = $"video from {_source.DisplayUrl} stalled for {_options.StallTimeout.TotalSeconds:0} s";
                    break;
                }
                if (!gotSegments && CompleteSegments().Count > 0)
                {
                    gotSegments = true;
                    SetState(BufferState.Recording, "buffering " + _source.DisplayUrl);
                }
                if (_storageProblem() is { } problem)
                {
                    SetState(BufferState.StorageFull, problem);
                    break;
                }
                Prune();
            }
        }
        finally
        {
            await ffmpeg.StopAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            await ffmpeg.DisposeAsync().ConfigureAwait(false);
        }
        if (State == BufferState.StorageFull && reason is null) return (gotSegments, null);
        return (gotSegments, stop.IsCancellationRequested ? null : reason ?? "stopped");
    }

    private DateTimeOffset? NewestWrite(int run)
    {
        DateTimeOffset? newest = null;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, string.Create(CultureInfo.InvariantCulture, $"seg-{run:D6}-*.ts")))
        {
            var written = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
            if (newest is null || written > newest) newest = written;
        }
        return newest;
    }

    /// <summary>
    /// Finished segments, oldest first, with wall-clock spans. ffmpeg lists each finished segment with its stream-time
    /// span in the run's CSV segment list. Stream time maps to wall time by one offset per run: a segment cannot be
    /// written before its last frame was captured, so the smallest (file write time − stream end) over the run's
    /// segments is the capture offset. Taking the smallest matters: at start ffmpeg writes the frames it buffered
    /// while probing the stream in one burst, and those segments' write times say nothing about when they were filmed.
    /// </summary>
    public IReadOnlyList<BufferSegment> CompleteSegments()
    {
        var lists = System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "seg-*.csv") : [];
        Array.Sort(lists, StringComparer.Ordinal);
        var result = new List<BufferSegment>();
        foreach (var list in lists)
        {
            var entries = new List<(string Path, double Start, double End, DateTimeOffset Written)>();
            string[] lines;
            try
            {
                using var stream = new FileStream(list, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                lines = reader.ReadToEnd().Split('\n');
            }
            catch (IOException)
            {
                continue;
            }
            // The last element is empty or a line ffmpeg is still writing.
            for (var i = 0; i < lines.Length - 1; i++)
            {
                var parts = lines[i].Trim().Split(',');
                if (parts.Length < 3
                    || !double.TryParse(parts[^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var start)
                    || !double.TryParse(parts[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var end)) continue;
                var path = Path.Combine(Directory, string.Join(',', parts[..^2]));
                var written = File.GetLastWriteTimeUtc(path);
                if (written.Year < 1700) continue; // pruned: the file is gone
                entries.Add((path, start, end, new DateTimeOffset(written, TimeSpan.Zero)));
            }
            if (entries.Count == 0) continue;
            var offset = entries.Min(e => e.Written - TimeSpan.FromSeconds(e.End));
            foreach (var e in entries)
            {
                result.Add(new BufferSegment(e.Path, offset + TimeSpan.FromSeconds(e.Start), offset + TimeSpan.FromSeconds(e.End)));
            }
        }
        return result;
    }

    /// <summary>Finished segments that overlap [from, to].</summary>
    public IReadOnlyList<BufferSegment> SegmentsBetween(DateTimeOffset from, DateTimeOffset to) =>
        CompleteSegments().Where(s => s.End > from && s.Start < to).ToList();

    private void Prune()
    {
        var horizon = DateTimeOffset.UtcNow - _options.Keep - _options.SegmentLength;
        foreach (var segment in CompleteSegments())
        {
            if (segment.End < horizon) TryDelete(segment.Path);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Being read by a clip right now: the next prune removes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<bool> WaitAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            foreach (var file in System.IO.Directory.GetFiles(Directory, "seg-*")) TryDelete(file);
        }
    }
}
