using System.Globalization;

namespace FlowEngine.Nodes.Camera.Protocol;

/// <summary>How a camera delivers pictures.</summary>
internal enum CameraSourceKind
{
    /// <summary>An RTSP stream (H.264/H.265/MJPEG over RTP).</summary>
    Rtsp,
    /// <summary>Any stream ffmpeg reads over HTTP(S): HLS playlists, MPEG-TS, MP4.</summary>
    Http,
    /// <summary>multipart/x-mixed-replace JPEG frames over HTTP (many cheap cameras).</summary>
    Mjpeg,
    /// <summary>A local video file or device path (tests, replays).</summary>
    File,
}

/// <summary>
/// One camera source: where the stream is, how to log in, and the ffmpeg input options that read it. The password is
/// only ever put into the ffmpeg argument list, never into <see cref="DisplayUrl"/>, logs or statuses.
/// </summary>
internal sealed record CameraSource(CameraSourceKind Kind, string Url, string? Username = null, string? Password = null, bool RtspOverUdp = false)
{
    /// <summary>Socket read/connect timeout given to ffmpeg so a silent camera fails instead of hanging.</summary>
    public TimeSpan IoTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An HTTP URL that answers a single JPEG (a camera's snapshot URL); faster than decoding the stream.</summary>
    public string? SnapshotUrl { get; init; }

    public static CameraSourceKind ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "rtsp" => CameraSourceKind.Rtsp,
        "http" or "hls" => CameraSourceKind.Http,
        "mjpeg" => CameraSourceKind.Mjpeg,
        "file" => CameraSourceKind.File,
        _ => throw new ArgumentException($"unknown camera source \"{text}\" (expected rtsp, http, mjpeg or file)", nameof(text)),
    };

    /// <summary>The URL without credentials, for statuses and messages.</summary>
    public string DisplayUrl => Kind == CameraSourceKind.File ? Url : StripUserInfo(Url);

    /// <summary>The URL ffmpeg opens, with the credentials put in as user info (RTSP and HTTP both take them so).</summary>
    public string AuthenticatedUrl
    {
        get
        {
            if (Kind == CameraSourceKind.File || string.IsNullOrEmpty(Username)) return Url;
            if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri)) return Url;
            var builder = new UriBuilder(uri)
            {
                UserName = Uri.EscapeDataString(Username),
                Password = Uri.EscapeDataString(Password ?? ""),
            };
            return builder.Uri.AbsoluteUri;
        }
    }

    /// <summary>ffmpeg options placed before and including <c>-i</c>.</summary>
    public IReadOnlyList<string> InputArguments(bool realtimeFile = false)
    {
        var micros = ((long)IoTimeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
        var args = new List<string>();
        switch (Kind)
        {
            case CameraSourceKind.Rtsp:
                args.AddRange(["-rtsp_transport", RtspOverUdp ? "udp" : "tcp", "-timeout", micros]);
                break;
            case CameraSourceKind.Http:
                args.AddRange(["-rw_timeout", micros]);
                break;
            case CameraSourceKind.Mjpeg:
                // mpjpeg carries no timestamps: without wall-clock stamps a 3 s clip takes as long as 75 frames at 25 fps.
                args.AddRange(["-rw_timeout", micros, "-use_wallclock_as_timestamps", "1", "-f", "mpjpeg"]);
                break;
            case CameraSourceKind.File:
                if (realtimeFile) args.AddRange(["-re", "-stream_loop", "-1"]);
                break;
        }
        args.AddRange(["-i", AuthenticatedUrl]);
        return args;
    }

    /// <summary>ffmpeg repeats the URL it opened in its errors: takes the credentials out of such text.</summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        text = text.Replace(AuthenticatedUrl, DisplayUrl, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(Password))
        {
            text = text.Replace(Uri.EscapeDataString(Password), "***", StringComparison.Ordinal).Replace(Password, "***", StringComparison.Ordinal);
        }
        return text;
    }

    private static string StripUserInfo(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0) return url;
        return new UriBuilder(uri) { UserName = "", Password = "" }.Uri.AbsoluteUri;
    }
}
