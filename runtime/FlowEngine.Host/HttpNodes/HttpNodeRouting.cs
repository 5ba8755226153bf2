using System.Text;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Network;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlowEngine.Host.HttpNodes;

/// <summary>
/// Serves the routes of http in nodes (Node-RED's httpNode app) under settings httpNodeRoot: one middleware in front
/// of the admin API that answers only paths a node registered, so everything else falls through unchanged.
/// </summary>
/// <remarks>
/// Registered as an <see cref="IStartupFilter"/> so the host wires it with a single call before the app is built,
/// and the route table is a singleton the runtime reaches through its host services (nodes never see ASP.NET).
/// Node-RED mounts its admin app first; here a node route that equals an admin path wins instead, which matters only
/// when both roots are "/" and a flow claims an admin path.
/// </remarks>
internal static class HttpNodeRouting
{
    /// <summary>Node's own default body limit (body-parser's 100kb is raised to apiMaxLength's 5mb by Node-RED).</summary>
    private const long DefaultMaxBody = 5 * 1024 * 1024;

    /// <summary>How long a request waits for an http response node: Node.js's default socket timeout (120 s).</summary>
    private static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(120);

    public static IServiceCollection AddHttpNodeRouting(this IServiceCollection services, RuntimeSettings settings, TimeProvider clock)
    {
        // httpNodeRoot false switches http in nodes off (Node-RED): no router, so each http in node warns at start.
        if (settings.Raw.Get("httpNodeRoot") is false) return services;
        var root = NormaliseRoot(settings.Raw.Get("httpNodeRoot") as string);
        var table = new HttpNodeRouteTable();
        services.AddSingleton<IHttpNodeRouter>(table);
        var auth = Authenticator.From(settings.Raw.Get("httpNodeAuth"));
        // websocket-listener paths share the root, the port and httpNodeAuth with http in (WebSocketNodeMiddleware.cs).
        var sockets = new WebSocketNodeRouteTable();
        services.AddSingleton<IWebSocketNodeRouter>(sockets);
        services.AddSingleton<IStartupFilter>(new Filter(new Endpoint(table, root, auth, clock, MaxBody(settings), ResponseTimeout(settings)),
            new WebSocketNodeMiddleware(sockets, root, auth)));
        return services;
    }

    internal static string NormaliseRoot(string? root)
    {
        if (string.IsNullOrEmpty(root)) return "/";
        if (!root.StartsWith('/')) root = "/" + root;
        return root.Length > 1 ? root.TrimEnd('/') : root;
    }

    private static long MaxBody(RuntimeSettings settings) => settings.Raw.Get("apiMaxLength") switch
    {
        double d when d > 0 => (long)d,
        string s when TryParseSize(s, out var size) => size,
        _ => DefaultMaxBody,
    };

    private static TimeSpan ResponseTimeout(RuntimeSettings settings) =>
        settings.Raw.Get("httpNodeTimeout") is double ms && ms > 0 ? TimeSpan.FromMilliseconds(ms) : DefaultResponseTimeout;

    private static bool TryParseSize(string text, out long size)
    {
        text = text.Trim().ToLowerInvariant();
        long factor = 1;
        if (text.EndsWith("kb", StringComparison.Ordinal)) factor = 1024;
        else if (text.EndsWith("mb", StringComparison.Ordinal)) factor = 1024 * 1024;
        else if (text.EndsWith("gb", StringComparison.Ordinal)) factor = 1024 * 1024 * 1024;
        var digits = factor == 1 ? text.TrimEnd('b') : text[..^2];
        var ok = double.TryParse(digits, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value);
        size = (long)(value * factor);
        return ok && size > 0;
    }

    private sealed class Filter(Endpoint endpoint, WebSocketNodeMiddleware sockets) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // These run before the host's own UseWebSockets, so the upgrade feature is added here; the host's
            // middleware leaves a request that already has it alone.
            app.UseWebSockets();
            app.Use(sockets.InvokeAsync);
            app.Use(endpoint.InvokeAsync);
            next(app);
        };
    }

    /// <summary>settings.httpNodeAuth {user, pass}: HTTP basic auth with a bcrypt hash of the password.</summary>
    internal sealed class Authenticator(string user, string passHash)
    {
        public static Authenticator? From(object? setting) =>
            setting is JsObject auth && auth.Get("user") is string user && auth.Get("pass") is string pass ? new Authenticator(user, pass) : null;

        public bool Allows(HttpRequest request)
        {
            var header = request.Headers.Authorization.ToString();
            if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            }
            catch (FormatException)
            {
                return false;
            }
            var colon = decoded.IndexOf(':');
            if (colon < 0 || decoded[..colon] != user) return false;
            try
            {
                return BCrypt.Net.BCrypt.Verify(decoded[(colon + 1)..], passHash);
            }
            catch (BCrypt.Net.SaltParseException)
            {
                // A pass that is not a bcrypt hash never matches: the setting must hold the hash, not the password.
                return false;
            }
        }
    }

    private sealed class Endpoint(HttpNodeRouteTable table, string root, Authenticator? auth, TimeProvider clock, long maxBody, TimeSpan timeout)
    {
        public async Task InvokeAsync(HttpContext context, Func<Task> next)
        {
            var fullPath = context.Request.Path.Value ?? "/";
            string path;
            if (root == "/") path = fullPath;
            else if (fullPath.Equals(root, StringComparison.OrdinalIgnoreCase)) path = "/";
            else if (fullPath.StartsWith(root + "/", StringComparison.OrdinalIgnoreCase)) path = fullPath[root.Length..];
            else
            {
                await next().ConfigureAwait(false);
                return;
            }
            if (table.Match(context.Request.Method, path, out _) is null)
            {
                await next().ConfigureAwait(false);
                return;
            }
            if (auth is not null && !auth.Allows(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"Authorization Required\"";
                await context.Response.WriteAsync("Unauthorized", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            if (context.Request.ContentLength > maxBody)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.Response.WriteAsync("request entity too large", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            var request = await ReadRequestAsync(context, path).ConfigureAwait(false);
            if (request is null)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.Response.WriteAsync("request entity too large", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            HttpNodeResponse? response;
            try
            {
                response = await table.DispatchAsync(request, timeout, clock, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
            if (response is null)
            {
                // The route went away between the match and the dispatch (a deploy): as if it never existed.
                await next().ConfigureAwait(false);
                return;
            }
            await WriteResponseAsync(context, response).ConfigureAwait(false);
        }

        private async Task<HttpNodeRequest?> ReadRequestAsync(HttpContext context, string path)
        {
            var http = context.Request;
            var headers = new JsObject();
            foreach (var (name, values) in http.Headers)
            {
                headers[name.ToLowerInvariant()] = values.ToString();
            }
            var cookies = new JsObject();
            foreach (var (name, value) in http.Cookies) cookies[name] = value;

            byte[] body = [];
            JsObject? fields = null;
            var files = new List<HttpNodeFile>();
            if (http.HasFormContentType && http.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true)
            {
                var form = await http.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
                fields = new JsObject();
                foreach (var (name, values) in form)
                {
                    fields[name] = values.Count == 1 ? values[0] : values.Select(v => (object?)v).ToList();
                }
                foreach (var file in form.Files)
                {
                    using var buffer = new MemoryStream();
                    await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                    files.Add(new HttpNodeFile(file.Name, file.FileName, file.ContentType ?? "application/octet-stream", buffer.ToArray()));
                }
            }
            else
            {
                using var buffer = new MemoryStream();
                var chunk = new byte[16384];
                int read;
                while ((read = await http.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    buffer.Write(chunk, 0, read);
                    if (buffer.Length > maxBody) return null;
                }
                body = buffer.ToArray();
            }
            var query = http.QueryString.Value ?? "";
            return new HttpNodeRequest
            {
                Method = http.Method,
                Path = path,
                OriginalUrl = (http.PathBase.Value ?? "") + (http.Path.Value ?? "/") + query,
                Query = HttpQueryString.Parse(query),
                Headers = headers,
                Cookies = cookies,
                ContentType = http.ContentType,
                Body = body,
                FormFields = fields,
                Files = files,
                RemoteAddress = context.Connection.RemoteIpAddress?.ToString() ?? "",
                Protocol = http.Scheme,
                Host = http.Host.Host,
            };
        }

        private async Task WriteResponseAsync(HttpContext context, HttpNodeResponse response)
        {
            var http = context.Response;
            http.StatusCode = response.StatusCode;
            foreach (var (name, value) in response.Headers)
            {
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
                http.Headers[name] = value;
            }
            var now = clock.GetUtcNow();
            foreach (var cookie in response.Cookies)
            {
                http.Headers.Append("Set-Cookie", cookie.ToHeaderValue(now));
            }
            // The body decides the length (a header from msg.headers cannot make Kestrel send a broken response).
            if (response.StatusCode is 204 or 304) return;
            http.ContentLength = response.Body.Length;
            if (HttpMethods.IsHead(context.Request.Method)) return;
            await http.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
