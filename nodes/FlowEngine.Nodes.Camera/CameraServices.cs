using FlowEngine.Nodes.Camera.Protocol;
using FlowEngine.Nodes.Camera.Storage;

namespace FlowEngine.Nodes.Camera;

/// <summary>
/// What the camera nodes and the /camera HTTP endpoints share: the clip store (files plus the LiteDB index) and the
/// ffmpeg runner that counts every process it starts. One instance per server; the host disposes it after the
/// runtime has stopped.
/// </summary>
public sealed class CameraServices : IDisposable
{
    private readonly bool _ownsHttp;

    /// <param name="storageRoot">Folder for clips, snapshots and camera.db; null for <c>userDir/camera</c> of the first runtime that uses it.</param>
    /// <param name="http">HTTP client for snapshot URLs and Frigate; one is made (and disposed) when null.</param>
    public CameraServices(string? storageRoot = null, HttpClient? http = null)
    {
        _ownsHttp = http is null;
        Http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        Store = new ClipStore(storageRoot);
        Runner = new FfmpegRunner();
        Media = new MediaTools(Runner, Http);
    }

    internal ClipStore Store { get; }
    internal FfmpegRunner Runner { get; }
    internal MediaTools Media { get; }
    internal HttpClient Http { get; }

    /// <summary>The storage folder (null until the first node or the host fixed it).</summary>
    public string? StorageRoot => Store.Root;

    /// <summary>ffmpeg/ffprobe processes started by camera nodes that are still running.</summary>
    public int RunningProcesses => Runner.Running;

    /// <summary>Where a stored clip or snapshot is served (relative to the server root).</summary>
    public static string ClipUrl(string id) => "/camera/clips/" + id;
    public static string SnapshotUrl(string id) => "/camera/snapshots/" + id;

    public void Dispose()
    {
        Store.Dispose();
        if (_ownsHttp) Http.Dispose();
    }
}
