using FlowEngine.Nodes.Common.Network;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;

namespace FlowEngine.Host.HttpNodes;

/// <summary>
/// Serves the paths of websocket-listener nodes (Node-RED's upgrade handler on the httpNode server): a WebSocket
/// upgrade to httpNodeRoot + a listener path is checked against httpNodeAuth like an http in request, accepted with
/// the listener's heartbeat, and handed to the listener for as long as the session lasts. Every other request
/// passes through untouched.
/// </summary>
internal sealed class WebSocketNodeMiddleware(WebSocketNodeRouteTable table, string root, HttpNodeRouting.Authenticator? auth)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!context.WebSockets.IsWebSocketRequest || RelativePath(context.Request.Path.Value ?? "/") is not { } path
            || table.Match(path) is not { } endpoint)
        {
            await next().ConfigureAwait(false);
            return;
        }
        if (auth is not null && !auth.Allows(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Authorization Required\"";
            return;
        }
        // ws (Node-RED's server) picks the first subprotocol the client offers; a client that asked for some
        // refuses a handshake that names none.
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var accept = new WebSocketAcceptContext
        {
            SubProtocol = requested.Count > 0 ? requested[0] : null,
            KeepAliveInterval = endpoint.KeepAlive ?? TimeSpan.Zero,
            KeepAliveTimeout = endpoint.KeepAlive ?? Timeout.InfiniteTimeSpan,
        };
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in context.Request.Headers) headers[name.ToLowerInvariant()] = values.ToString();
        var request = new WebSocketUpgradeRequest
        {
            Path = path,
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString() ?? "",
            Headers = headers,
        };
        using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
        // Kestrel waits for open requests when it stops: the session must end when the host stops, not only when
        // the listener closes.
        var lifetime = context.RequestServices.GetService(typeof(IHostApplicationLifetime)) as IHostApplicationLifetime;
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime?.ApplicationStopping ?? CancellationToken.None);
        await endpoint.Accept(socket, request, stopping.Token).ConfigureAwait(false);
    }

    private string? RelativePath(string fullPath)
    {
        if (root == "/") return fullPath;
        if (fullPath.Equals(root, StringComparison.OrdinalIgnoreCase)) return "/";
        return fullPath.StartsWith(root + "/", StringComparison.OrdinalIgnoreCase) ? fullPath[root.Length..] : null;
    }
}
