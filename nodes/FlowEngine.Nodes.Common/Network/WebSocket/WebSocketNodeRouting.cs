using System.Net.WebSockets;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Where websocket-listener config nodes register their paths. The host implements it on the port that serves http in
/// (under settings httpNodeRoot, behind httpNodeAuth); node tests can serve a <see cref="WebSocketNodeRouteTable"/>
/// themselves. Found through <c>Services.HostServices.GetService(typeof(IWebSocketNodeRouter))</c>, so this project
/// needs no ASP.NET reference.
/// </summary>
public interface IWebSocketNodeRouter
{
    /// <summary>
    /// Serves WebSocket upgrades on <paramref name="path"/> (relative to httpNodeRoot, matched exactly, without case).
    /// The host accepts the upgrade with the endpoint's keep-alive and hands the open socket to
    /// <see cref="WebSocketNodeEndpoint.Accept"/>, which owns it until the returned task ends. Disposing the
    /// result removes the path; sessions already open are the endpoint's to close.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another listener already serves the path.</exception>
    IDisposable Add(string path, WebSocketNodeEndpoint endpoint);
}

/// <summary>What the host needs to serve one listener path.</summary>
public sealed class WebSocketNodeEndpoint
{
    /// <summary>Ping interval (and the time allowed for the pong) or null for none: the listener's hb setting.</summary>
    public TimeSpan? KeepAlive { get; init; }

    /// <summary>
    /// Runs one accepted session until it ends. The token is cancelled when the host stops; the endpoint then closes
    /// the socket itself (1001 going away).
    /// </summary>
    public required Func<WebSocket, WebSocketUpgradeRequest, CancellationToken, Task> Accept { get; init; }
}

/// <summary>The HTTP request that opened a session, in plain values.</summary>
public sealed class WebSocketUpgradeRequest
{
    public string Path { get; init; } = "/";
    public string RemoteAddress { get; init; } = "";
    /// <summary>Headers with lower-case names.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The listener paths of websocket-listener nodes. Thread-safe: listeners come and go on deploy while upgrades are
/// matched. Node-RED refuses two listeners on one path, and so does this table.
/// </summary>
public sealed class WebSocketNodeRouteTable : IWebSocketNodeRouter
{
    private readonly Lock _gate = new();
    private Dictionary<string, Registration> _routes = new(StringComparer.OrdinalIgnoreCase);

    public IDisposable Add(string path, WebSocketNodeEndpoint endpoint)
    {
        var key = Normalise(path);
        var registration = new Registration(key, endpoint, this);
        lock (_gate)
        {
            if (_routes.ContainsKey(key)) throw new InvalidOperationException($"Cannot have two WebSocket listeners on the same path: {key}");
            _routes = new Dictionary<string, Registration>(_routes, StringComparer.OrdinalIgnoreCase) { [key] = registration };
        }
        return registration;
    }

    public int Count => _routes.Count;

    /// <summary>The endpoint serving a path (below httpNodeRoot), or null.</summary>
    public WebSocketNodeEndpoint? Match(string path) => _routes.TryGetValue(Normalise(path), out var registration) ? registration.Endpoint : null;

    /// <summary>A leading slash and no trailing one, as Express treats "/ws" and "/ws/" alike.</summary>
    public static string Normalise(string path)
    {
        if (!path.StartsWith('/')) path = "/" + path;
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    private void Remove(Registration registration)
    {
        lock (_gate)
        {
            if (!_routes.TryGetValue(registration.Path, out var current) || current != registration) return;
            var next = new Dictionary<string, Registration>(_routes, StringComparer.OrdinalIgnoreCase);
            next.Remove(registration.Path);
            _routes = next;
        }
    }

    private sealed class Registration(string path, WebSocketNodeEndpoint endpoint, WebSocketNodeRouteTable owner) : IDisposable
    {
        public string Path { get; } = path;
        public WebSocketNodeEndpoint Endpoint { get; } = endpoint;

        public void Dispose() => owner.Remove(this);
    }
}

/// <summary>Close codes used by the websocket nodes (RFC 6455 §7.4.1).</summary>
internal static class WebSocketCloseCodes
{
    /// <summary>1001: the listener was redeployed or the server is stopping.</summary>
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable;
}
