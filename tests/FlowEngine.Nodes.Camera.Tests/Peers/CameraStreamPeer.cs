using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Camera.Tests.Peers;

/// <summary>
/// A network camera on loopback made of one real ffmpeg encoder and a small Kestrel server: a live H.264 MPEG-TS
/// stream over HTTP (<c>/live.ts</c>, any number of viewers, 320x240@15, a keyframe every second), a JPEG snapshot
/// URL rewritten twice a second (<c>/snapshot.jpg</c>), the same behind HTTP Basic auth (<c>/secure/…</c>, user
/// <see cref="User"/>), and two bad cameras: <c>/garbage.ts</c> (random bytes forever) and <c>/notjpeg.jpg</c> (HTML).
/// </summary>
/// <remarks>Needs Debian's ffmpeg (with libx264). Stops only its own ffmpeg.</remarks>
public sealed class CameraStreamPeer : IAsyncLifetime
{
    public const string User = "viewer";
    public const string Password = "s3cret pass";

    private readonly List<Channel<byte[]>> _viewers = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Process? _ffmpeg;
    private WebApplication? _app;
    private Task? _pump;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("flowengine-camera-peer-").FullName;
    public int Port { get; private set; }
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";
    public string SnapshotFile => Path.Combine(Directory, "snapshot.jpg");

    public async Task InitializeAsync()
    {
        var info = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
            "-map", "0", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p",
            "-f", "mpegts", "pipe:1",
            "-map", "0", "-vf", "fps=2", "-q:v", "5", "-f", "image2", "-update", "1", "-atomic_writing", "1", SnapshotFile,
        })
        {
            info.ArgumentList.Add(a);
        }
        _ffmpeg = Process.Start(info) ?? throw new InvalidOperationException("ffmpeg did not start");
        _ = _ffmpeg.StandardError.ReadToEndAsync();
        _pump = Task.Run(PumpAsync);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/live.ts", (HttpContext context) => ServeLiveAsync(context));
        _app.MapGet("/secure/live.ts", (HttpContext context) => Authorized(context) ? ServeLiveAsync(context) : Challenge(context));
        _app.MapGet("/snapshot.jpg", () => Results.File(File.ReadAllBytes(SnapshotFile), "image/jpeg"));
        _app.MapGet("/secure/snapshot.jpg", (HttpContext context) => Authorized(context) ? Results.File(File.ReadAllBytes(SnapshotFile), "image/jpeg") : Results.Unauthorized());
        _app.MapGet("/notjpeg.jpg", () => Results.Content("<html>login page</html>", "text/html"));
        _app.MapGet("/garbage.ts", ServeGarbageAsync);
        await _app.StartAsync();
        Port = new Uri(_app.Urls.First()).Port;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(SnapshotFile))
        {
            if (_ffmpeg.HasExited) throw new InvalidOperationException($"camera ffmpeg exited ({_ffmpeg.ExitCode})");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("camera ffmpeg wrote no snapshot");
            await Task.Delay(50);
        }
    }

    private static bool Authorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));

    private static Task Challenge(HttpContext context)
    {
        context.Response.StatusCode = 401;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"camera\"";
        return Task.CompletedTask;
    }

    /// <summary>Copies ffmpeg's stdout in whole 188-byte TS packets to every viewer; a viewer that falls far behind is dropped.</summary>
    private async Task PumpAsync()
    {
        var stdout = _ffmpeg!.StandardOutput.BaseStream;
        while (!_stop.IsCancellationRequested)
        {
            var chunk = new byte[188 * 7];
            try
            {
                await stdout.ReadExactlyAsync(chunk, _stop.Token);
            }
            catch (Exception e) when (e is EndOfStreamException or OperationCanceledException or IOException)
            {
                break;
            }
            lock (_gate)
            {
                foreach (var viewer in _viewers.ToArray())
                {
                    if (!viewer.Writer.TryWrite(chunk))
                    {
                        viewer.Writer.TryComplete();
                        _viewers.Remove(viewer);
                    }
                }
            }
        }
        lock (_gate)
        {
            foreach (var viewer in _viewers) viewer.Writer.TryComplete();
            _viewers.Clear();
        }
    }

    private async Task ServeLiveAsync(HttpContext context)
    {
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(2000) { FullMode = BoundedChannelFullMode.Wait });
        lock (_gate) _viewers.Add(channel);
        context.Response.ContentType = "video/mp2t";
        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            lock (_gate) _viewers.Remove(channel);
        }
    }

    private static async Task ServeGarbageAsync(HttpContext context)
    {
        context.Response.ContentType = "video/mp2t";
        var random = new Random(42);
        var buffer = new byte[4096];
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                random.NextBytes(buffer);
                await context.Response.Body.WriteAsync(buffer, context.RequestAborted);
                await Task.Delay(20, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A real MP4 of the test pattern (for the Frigate stand-in's clips).</summary>
    public static async Task<byte[]> MakeClipAsync(string directory, double seconds)
    {
        var path = Path.Combine(directory, "standin-clip.mp4");
        await PeerProcess.RunAsync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
            "-t", seconds.ToString(CultureInfo.InvariantCulture), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", path]);
        return await File.ReadAllBytesAsync(path);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_app is not null) await _app.DisposeAsync();
        if (_ffmpeg is { HasExited: false })
        {
            _ffmpeg.Kill(entireProcessTree: true);
            await _ffmpeg.WaitForExitAsync();
        }
        if (_pump is not null) await _pump;
        _ffmpeg?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CameraCollection : ICollectionFixture<CameraStreamPeer>, ICollectionFixture<MosquittoFixture>
{
    public const string Name = "camera";
}
