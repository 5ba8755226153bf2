using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>
/// Where http in nodes register their routes. The host implements it over its web server (under settings
/// httpNodeRoot); node tests use <see cref="HttpNodeRouteTable"/> directly. Found through
/// <c>Services.HostServices.GetService(typeof(IHttpNodeRouter))</c>, so this project needs no ASP.NET reference.
/// </summary>
public interface IHttpNodeRouter
{
    /// <summary>
    /// Adds a route. <paramref name="method"/> is lower case (get, post, put, delete, patch, or "all");
    /// <paramref name="path"/> is Express-style (<c>/users/:id</c>) relative to httpNodeRoot. The handler must
    /// eventually complete the response (the http response node does); the host answers a timeout otherwise.
    /// Disposing the result removes the route.
    /// </summary>
    IDisposable Add(string method, string path, Func<HttpNodeRequest, HttpNodeResponse, Task> handler);
}

/// <summary>An uploaded file of a multipart/form-data request (Node-RED's msg.req.files entry, multer's shape).</summary>
public sealed record HttpNodeFile(string FieldName, string OriginalName, string ContentType, byte[] Data);

/// <summary>One request to an http in route, in plain values the node turns into msg.req and msg.payload.</summary>
public sealed class HttpNodeRequest
{
    public string Method { get; init; } = "GET";
    /// <summary>The path below httpNodeRoot, as the route saw it (no query string).</summary>
    public string Path { get; init; } = "/";
    /// <summary>The original URL below the server root, with its query string.</summary>
    public string OriginalUrl { get; init; } = "/";
    /// <summary>Named route parameters (<c>:id</c>), filled in by the route table.</summary>
    public JsObject Params { get; set; } = new();
    /// <summary>The query string: repeated keys become arrays, as Express's query parser does.</summary>
    public JsObject Query { get; init; } = new();
    /// <summary>Headers with lower-case names; repeated headers joined with ", ".</summary>
    public JsObject Headers { get; init; } = new();
    public JsObject Cookies { get; init; } = new();
    public string? ContentType { get; init; }
    public byte[] Body { get; init; } = [];
    /// <summary>Text fields of a multipart/form-data body (parsed by the host), or null when the body is not multipart.</summary>
    public JsObject? FormFields { get; init; }
    public IReadOnlyList<HttpNodeFile> Files { get; init; } = [];
    public string RemoteAddress { get; init; } = "";
    public string Protocol { get; init; } = "http";
    public string Host { get; init; } = "";
}

/// <summary>A cookie to set (value) or clear (value null) on a response.</summary>
public sealed record HttpNodeCookie(string Name, string? Value, JsObject? Options)
{
    /// <summary>
    /// The Set-Cookie header value as Express's res.cookie / res.clearCookie write it: Path defaults to "/",
    /// maxAge is in milliseconds (Max-Age in seconds plus Expires), clearing sets an Expires in 1970.
    /// </summary>
    public string ToHeaderValue(DateTimeOffset now)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Name).Append('=').Append(Value is null ? "" : Uri.EscapeDataString(Value));
        var options = Options ?? new JsObject();
        if (options.Get("domain") is string domain && domain.Length > 0) sb.Append("; Domain=").Append(domain);
        sb.Append("; Path=").Append(options.Get("path") is string path && path.Length > 0 ? path : "/");
        if (Value is null)
        {
            sb.Append("; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        }
        else if (options.Get("maxAge") is { } maxAgeValue && JsValue.ToNumber(maxAgeValue) is var maxAge && !double.IsNaN(maxAge))
        {
            sb.Append("; Max-Age=").Append(((long)Math.Floor(maxAge / 1000)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            sb.Append("; Expires=").Append(now.AddMilliseconds(maxAge).ToUniversalTime().ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (options.Get("expires") is { } expires)
        {
            var at = expires is DateTime date ? new DateTimeOffset(date, TimeSpan.Zero)
                : DateTimeOffset.TryParse(JsValue.ToJsString(expires), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
            if (at is { } when) sb.Append("; Expires=").Append(when.ToUniversalTime().ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (JsValue.IsTruthy(options.Get("httpOnly"))) sb.Append("; HttpOnly");
        if (JsValue.IsTruthy(options.Get("secure"))) sb.Append("; Secure");
        switch (options.Get("sameSite"))
        {
            case true:
                sb.Append("; SameSite=Strict");
                break;
            case string sameSite when sameSite.Length > 0:
                sb.Append("; SameSite=").Append(char.ToUpperInvariant(sameSite[0])).Append(sameSite[1..].ToLowerInvariant());
                break;
        }
        return sb.ToString();
    }
}

/// <summary>
/// The answer to one http in request. The http response node fills it and calls <see cref="TryComplete"/>; the
/// host awaits <see cref="Completion"/> and writes it. Only the first completion counts, so a second http response
/// node for the same message (or a late one after the timeout) changes nothing.
/// </summary>
public sealed class HttpNodeResponse
{
    private readonly TaskCompletionSource<HttpNodeResponse> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int StatusCode { get; private set; } = 200;
    /// <summary>Header name (as given) to value.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; private set; } = new Dictionary<string, string>();
    public IReadOnlyList<HttpNodeCookie> Cookies { get; private set; } = [];
    public byte[] Body { get; private set; } = [];

    /// <summary>Completes with this response when a node answered.</summary>
    public Task<HttpNodeResponse> Completion => _completion.Task;

    public bool IsCompleted => _completion.Task.IsCompleted;

    public bool TryComplete(int statusCode, IReadOnlyDictionary<string, string> headers, IReadOnlyList<HttpNodeCookie> cookies, byte[] body)
    {
        if (_completion.Task.IsCompleted) return false;
        lock (_completion)
        {
            if (_completion.Task.IsCompleted) return false;
            StatusCode = statusCode;
            Headers = headers;
            Cookies = cookies;
            Body = body;
            return _completion.TrySetResult(this);
        }
    }

    public override string ToString() => "[http response]";
}

/// <summary>
/// The routes of http in nodes and Express-style matching. Thread-safe: nodes add and remove routes on deploy while
/// requests are matched. The first route added wins when several match, as Express runs them in order.
/// </summary>
public sealed class HttpNodeRouteTable : IHttpNodeRouter
{
    private readonly Lock _gate = new();
    private ImmutableRoutes _routes = new([]);

    public IDisposable Add(string method, string path, Func<HttpNodeRequest, HttpNodeResponse, Task> handler)
    {
        var route = new Route(method.ToLowerInvariant(), HttpRoutePattern.Parse(path), handler, this);
        lock (_gate) _routes = new([.. _routes.Items, route]);
        return route;
    }

    private void Remove(Route route)
    {
        lock (_gate) _routes = new(_routes.Items.Where(r => r != route).ToArray());
    }

    public int Count => _routes.Items.Length;

    /// <summary>Finds the handler for a method and path (below httpNodeRoot), filling the request's params.</summary>
    public Func<HttpNodeRequest, HttpNodeResponse, Task>? Match(string method, string path, out JsObject parameters)
    {
        var lower = method.ToLowerInvariant();
        foreach (var route in _routes.Items)
        {
            // Express answers HEAD with the GET route when no HEAD route exists.
            if (route.Method != "all" && route.Method != lower && !(lower == "head" && route.Method == "get")) continue;
            if (route.Pattern.TryMatch(path, out parameters)) return route.Handler;
        }
        parameters = new JsObject();
        return null;
    }

    /// <summary>Whether any route matches the path with another method (for a 405-free 404 decision by the host).</summary>
    public bool MatchesAnyMethod(string path) => _routes.Items.Any(r => r.Pattern.TryMatch(path, out _));

    /// <summary>
    /// Runs a request through the table as the host does: matches, calls the handler and waits for the response,
    /// or answers <paramref name="timeoutStatus"/> when nobody answers in time. Null when no route matches.
    /// </summary>
    public async Task<HttpNodeResponse?> DispatchAsync(HttpNodeRequest request, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        var handler = Match(request.Method, request.Path, out var parameters);
        if (handler is null) return null;
        request.Params = parameters;
        var response = new HttpNodeResponse();
        await handler(request, response).ConfigureAwait(false);
        try
        {
            return await response.Completion.WaitAsync(timeout, clock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            response.TryComplete(504, new Dictionary<string, string> { ["Content-Type"] = "text/plain; charset=utf-8" }, [],
                "No http response node answered this request in time."u8.ToArray());
            return response;
        }
    }

    private sealed record ImmutableRoutes(Route[] Items);

    private sealed class Route(string method, HttpRoutePattern pattern, Func<HttpNodeRequest, HttpNodeResponse, Task> handler, HttpNodeRouteTable owner) : IDisposable
    {
        public string Method { get; } = method;
        public HttpRoutePattern Pattern { get; } = pattern;
        public Func<HttpNodeRequest, HttpNodeResponse, Task> Handler { get; } = handler;

        public void Dispose() => owner.Remove(this);
    }
}

/// <summary>
/// An Express 4 route path (path-to-regexp 0.1): <c>:name</c> parameters (optional with <c>?</c>), <c>*</c>
/// wildcards, case-insensitive, a trailing slash optional.
/// </summary>
public sealed class HttpRoutePattern
{
    private readonly Regex _regex;
    private readonly List<string> _names;

    private HttpRoutePattern(Regex regex, List<string> names, string text)
    {
        _regex = regex;
        _names = names;
        Text = text;
    }

    public string Text { get; }

    public static HttpRoutePattern Parse(string path)
    {
        if (!path.StartsWith('/')) path = "/" + path;
        var names = new List<string>();
        var pattern = new System.Text.StringBuilder("^");
        var i = 0;
        while (i < path.Length)
        {
            var c = path[i];
            if (c == ':' && i + 1 < path.Length && (char.IsLetterOrDigit(path[i + 1]) || path[i + 1] == '_'))
            {
                var start = ++i;
                while (i < path.Length && (char.IsLetterOrDigit(path[i]) || path[i] == '_')) i++;
                names.Add(path[start..i]);
                var optional = i < path.Length && path[i] == '?';
                if (optional)
                {
                    i++;
                    // "/:id?" makes the slash optional too.
                    if (pattern.Length > 1 && pattern[^1] == '/')
                    {
                        pattern.Length--;
                        pattern.Append("(?:/([^/]+?))?");
                        continue;
                    }
                    pattern.Append("([^/]+?)?");
                }
                else
                {
                    pattern.Append("([^/]+?)");
                }
                continue;
            }
            if (c == '*')
            {
                pattern.Append("(.*)");
                names.Add((names.Count(n => int.TryParse(n, out _))).ToString(System.Globalization.CultureInfo.InvariantCulture));
                i++;
                continue;
            }
            pattern.Append(c == '/' ? "/" : Regex.Escape(c.ToString()));
            i++;
        }
        if (pattern[^1] == '/' && pattern.Length > 2) pattern.Length--;
        pattern.Append("/?$");
        return new HttpRoutePattern(new Regex(pattern.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), names, path);
    }

    public bool TryMatch(string path, out JsObject parameters)
    {
        parameters = new JsObject();
        var match = _regex.Match(path);
        if (!match.Success) return false;
        for (var g = 1; g < match.Groups.Count && g - 1 < _names.Count; g++)
        {
            if (!match.Groups[g].Success) continue;
            parameters[_names[g - 1]] = Uri.UnescapeDataString(match.Groups[g].Value);
        }
        return true;
    }

    public override string ToString() => Text;
}
