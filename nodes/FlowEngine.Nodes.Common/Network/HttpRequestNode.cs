using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>Node-RED's http request node: sends an HTTP request and passes the response on.</summary>
/// <remarks>
/// Requests run concurrently (Node-RED does not wait for one response before sending the next request); each input
/// is deferred and completed when its response or error has been sent on. Redirects are followed here rather than by
/// the handler so msg.followRedirects can switch them per message and msg.redirectList can be filled.
/// </remarks>
internal sealed class HttpRequestNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("http request")
    {
        Category = "network",
        Color = "rgb(231, 231, 174)",
        Icon = "white-globe.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/httprequest",
        DefaultLabel = "http request",
        Help = """
            Sends an HTTP request and returns the response.

            **method**: `GET`, `POST`, `PUT`, `DELETE`, `HEAD`, or `use` to take `msg.method`. **url**: may contain
            mustache tags (`http://host/{{{topic}}}`); empty uses `msg.url`. A URL without a scheme gets `http://`
            (`https://` with a TLS configuration). **ret**: `txt` a UTF-8 string, `bin` a Buffer, `obj` a parsed
            JSON object (a body that is not JSON stays a string, with the warning "JSON parse error").
            **paytoqs**: `ignore`, `query` (an object payload of a GET becomes the query string), `body` (sent as
            the body even for GET). **authType** `basic`, `digest` or `bearer` with the credentials `user` and
            `password` (the bearer token). **headers**: a list of `{keyType, keyValue, valueType, valueValue}`
            (keyType `other` = the name in keyValue, `msg` = the name from a msg property; likewise for values).
            **persist**: keep the connection open between requests. **senderr**: errors go only to catch nodes.
            **tls**: a tls-config node; its `verifyservercert` is honoured. **proxy**: an http proxy config node;
            otherwise the `http_proxy`/`https_proxy`/`no_proxy` environment variables apply.

            Reads `msg.url`, `msg.method` (with `use`), `msg.headers`, `msg.cookies` (`{name: value}` or
            `{name: {value}}`), `msg.payload` (string/Buffer as-is; an object is JSON, or a form when the
            Content-Type is `application/x-www-form-urlencoded`), `msg.requestTimeout` (ms; default setting
            `httpRequestTimeout`, 120000), `msg.followRedirects` (default true), `msg.rejectUnauthorized`.

            Output: `msg.payload`, `msg.statusCode`, `msg.headers` (lower-case names, plus
            `x-node-red-request-node`), `msg.responseUrl`, `msg.redirectList`, `msg.responseCookies`, `msg.retry`.
            On failure the error goes to catch nodes and, unless **senderr**, the message is sent with
            `msg.payload` = the error text and the URL.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("method", PropertyKind.Select) { Default = "GET", Options = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "use"] },
            new PropertyDeclaration("ret", PropertyKind.Select) { Default = "txt", Options = ["txt", "bin", "obj"] },
            new PropertyDeclaration("paytoqs", PropertyKind.Select) { Default = "ignore", Options = ["ignore", "query", "body"] },
            new PropertyDeclaration("url", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("tls", PropertyKind.ConfigReference) { Default = "", ConfigType = "tls-config" },
            new PropertyDeclaration("persist", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("proxy", PropertyKind.ConfigReference) { Default = "", ConfigType = "http proxy" },
            new PropertyDeclaration("insecureHTTPParser", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("authType", PropertyKind.Select) { Default = "", Options = ["", "basic", "digest", "bearer"] },
            new PropertyDeclaration("senderr", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("headers", PropertyKind.Any) { Default = new List<object?>() },
        ],
        Credentials = [new CredentialDeclaration("user", false, "Username"), new CredentialDeclaration("password", true, "Password")],
    };

    private const int MaxRedirects = 21;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(120000);

    private readonly string _method;
    private readonly string _url;
    private readonly MustacheTemplate? _urlTemplate;
    private readonly string _ret;
    private readonly string _payToQuery;
    private readonly bool _persist;
    private readonly string _authType;
    private readonly bool _sendErrorsOnlyToCatch;
    private readonly List<(string KeyType, string KeyValue, string ValueType, string ValueValue)> _headers = [];
    private readonly TimeSpan _defaultTimeout;
    private readonly CancellationTokenSource _closing = new();
    private HttpMessageInvoker? _strict;
    private HttpMessageInvoker? _lenient;
    private bool _verifyServerCertificate = true;
    private bool _hasTls;
    private IWebProxy? _proxy;

    public HttpRequestNode(NodeSetup setup) : base(setup)
    {
        _method = Config.GetString("method", "GET");
        if (_method.Length == 0) _method = "GET";
        if (_method != "use") _method = _method.ToUpperInvariant();
        _url = Config.GetString("url").Trim();
        if (_url.Contains("{{", StringComparison.Ordinal))
        {
            try
            {
                _urlTemplate = MustacheTemplate.Parse(_url);
            }
            catch (MustacheException ex)
            {
                throw Config.Invalid("url", ex.Message);
            }
        }
        _ret = Config.GetString("ret", "txt");
        if (_ret.Length == 0) _ret = "txt";
        if (_ret is not ("txt" or "bin" or "obj")) throw Config.Invalid("ret", $"\"{_ret}\" is not one of txt, bin, obj");
        // Flows from Node-RED before 1.1 store paytoqs as a boolean.
        _payToQuery = Config.Get("paytoqs") switch
        {
            true => "query",
            false or null => "ignore",
            var other => JsValue.ToJsString(other) is { Length: > 0 } text ? text : "ignore",
        };
        if (_payToQuery is not ("ignore" or "query" or "body")) throw Config.Invalid("paytoqs", $"\"{_payToQuery}\" is not one of ignore, query, body");
        _persist = Config.GetBool("persist", false);
        _authType = Config.GetString("authType");
        // Old flows have credentials without an authType: they meant basic.
        if (_authType.Length == 0 && Credentials.Get("user") is string { Length: > 0 }) _authType = "basic";
        if (_authType is not ("" or "basic" or "digest" or "bearer")) throw Config.Invalid("authType", $"\"{_authType}\" is not one of basic, digest, bearer");
        _sendErrorsOnlyToCatch = Config.GetBool("senderr", false);
        foreach (var item in Config.GetList("headers"))
        {
            if (item is not JsObject header) throw Config.Invalid("headers", "each header must be an object {keyType, keyValue, valueType, valueValue}");
            _headers.Add((JsValue.ToJsString(header.Get("keyType") ?? "other"), JsValue.ToJsString(header.Get("keyValue") ?? ""),
                JsValue.ToJsString(header.Get("valueType") ?? "other"), JsValue.ToJsString(header.Get("valueValue") ?? "")));
        }
        _defaultTimeout = Services.Settings.Raw.Get("httpRequestTimeout") is double ms && ms > 0 ? TimeSpan.FromMilliseconds(ms) : DefaultTimeout;
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (Config.GetStringOrNull("tls") is { Length: > 0 })
        {
            // A tls-config node is optional here: its verifyservercert flag is what an HTTP client needs from it.
            var tls = Setup.ConfigNode<FlowNode>("tls");
            _hasTls = tls is not null;
            _verifyServerCertificate = tls?.Config.GetBool("verifyservercert", true) ?? true;
        }
        if (Config.GetStringOrNull("proxy") is { Length: > 0 } && Setup.ConfigNode<FlowNode>("proxy") is { } proxyNode)
        {
            var proxy = new WebProxy(proxyNode.Config.GetString("url"))
            {
                BypassList = proxyNode.Config.GetStringList("noproxy").Select(h => System.Text.RegularExpressions.Regex.Escape(h)).ToArray(),
            };
            if (proxyNode.Credentials.Get("username") is string { Length: > 0 } user)
            {
                proxy.Credentials = new NetworkCredential(user, proxyNode.Credentials.Get("password") as string ?? "");
            }
            _proxy = proxy;
        }
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _strict?.Dispose();
        _lenient?.Dispose();
        _closing.Dispose();
    }

    private HttpMessageInvoker Client(bool verify)
    {
        if (verify) return _strict ??= CreateClient(true);
        return _lenient ??= CreateClient(false);
    }

    private HttpMessageInvoker CreateClient(bool verify)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        if (_proxy is not null)
        {
            handler.Proxy = _proxy;
            handler.UseProxy = true;
        }
        if (!verify) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (_authType == "digest")
        {
            handler.Credentials = new NetworkCredential(Credentials.Get("user") as string ?? "", Credentials.Get("password") as string ?? "");
            handler.PreAuthenticate = false;
        }
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var completion = input.Defer();
        PreparedRequest prepared;
        try
        {
            prepared = Prepare(msg);
        }
        catch (HttpRequestSetupException ex)
        {
            // Node-RED reports a missing or invalid URL without sending the message on.
            completion.Fail(ex.Message);
            return ValueTask.CompletedTask;
        }
        SetStatus(new NodeStatus("blue", "dot", "requesting"));
        _ = RunAsync(msg, prepared, completion);
        return ValueTask.CompletedTask;
    }

    private sealed class HttpRequestSetupException(string message) : Exception(message);

    private sealed record PreparedRequest(string Method, Uri Url, List<KeyValuePair<string, string>> Headers, byte[]? Body, TimeSpan Timeout, bool FollowRedirects, bool Verify);

    private PreparedRequest Prepare(JsObject msg)
    {
        var msgUrl = msg.Get("url") as string;
        string url;
        if (_url.Length > 0)
        {
            if (msgUrl is not null && msgUrl != _url) Warn("Warning: msg properties can no longer override set node properties. See bit.ly/nr-override-msg-props");
            url = _urlTemplate is null ? _url : _urlTemplate.Render(new MustacheContext(msg, null, escapeStrings: false));
        }
        else
        {
            url = msgUrl ?? "";
        }
        if (url.Length == 0) throw new HttpRequestSetupException("No url specified");
        if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            url = (_hasTls ? "https://" : "http://") + url.TrimStart('/');
        }

        var method = _method;
        if (method == "use") method = (msg.Get("method") as string)?.ToUpperInvariant() is { Length: > 0 } m ? m : "GET";
        else if (msg.Get("method") is string msgMethod && !msgMethod.Equals(method, StringComparison.OrdinalIgnoreCase))
        {
            Warn("Warning: msg properties can no longer override set node properties. See bit.ly/nr-override-msg-props");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (msg.Get("headers") is JsObject msgHeaders)
        {
            foreach (var (name, value) in msgHeaders)
            {
                // Node-RED drops its own marker header so a response of one request node can feed another.
                if (name.Equals("x-node-red-request-node", StringComparison.OrdinalIgnoreCase) || value is null) continue;
                headers[name] = value is List<object?> list ? string.Join(", ", list.Select(JsValue.ToJsString)) : JsValue.ToJsString(value);
            }
        }
        foreach (var (keyType, keyValue, valueType, valueValue) in _headers)
        {
            var name = keyType switch
            {
                "other" => keyValue,
                "msg" => PathValue(msg, keyValue) is { } v ? JsValue.ToJsString(v) : "",
                _ => keyType,
            };
            var value = valueType switch
            {
                "other" => valueValue,
                "msg" => PathValue(msg, valueValue) is { } v ? JsValue.ToJsString(v) : "",
                _ => valueType,
            };
            if (name.Length > 0) headers[name] = value;
        }
        if (msg.Get("cookies") is JsObject cookies)
        {
            var parts = new List<string>();
            foreach (var (name, value) in cookies)
            {
                var text = value is JsObject { } c ? (c.Get("value") is { } v ? JsValue.ToJsString(v) : null) : value is null ? null : JsValue.ToJsString(value);
                if (text is not null) parts.Add($"{name}={text}");
            }
            if (parts.Count > 0)
            {
                headers["Cookie"] = headers.TryGetValue("Cookie", out var existing) ? existing + "; " + string.Join("; ", parts) : string.Join("; ", parts);
            }
        }
        if (_authType == "basic" && (Credentials.Get("user") is string { Length: > 0 } || Credentials.Get("password") is string { Length: > 0 }))
        {
            var pair = $"{Credentials.Get("user") as string ?? ""}:{Credentials.Get("password") as string ?? ""}";
            headers["Authorization"] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));
        }
        else if (_authType == "bearer")
        {
            headers["Authorization"] = "Bearer " + (Credentials.Get("password") as string ?? "");
        }
        if (!_persist) headers.TryAdd("Connection", "close");

        var payload = msg.Get("payload");
        byte[]? body = null;
        var sendsBody = method is not ("GET" or "HEAD") || _payToQuery == "body";
        if (method == "GET" && _payToQuery == "query" && payload is JsObject query)
        {
            url = AppendQuery(url, query);
        }
        else if (sendsBody && payload is not null)
        {
            headers.TryGetValue("Content-Type", out var contentType);
            switch (payload)
            {
                case byte[] bytes:
                    body = bytes;
                    break;
                case string text:
                    body = Encoding.UTF8.GetBytes(text);
                    break;
                case JsObject form when contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase):
                    body = Encoding.UTF8.GetBytes(FormEncode(form));
                    break;
                case JsObject or List<object?> or bool or DateTime:
                    body = Encoding.UTF8.GetBytes(JsJson.Serialize(payload));
                    headers.TryAdd("Content-Type", "application/json");
                    break;
                default:
                    body = Encoding.UTF8.GetBytes(JsValue.ToJsString(payload));
                    break;
            }
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new HttpRequestSetupException($"Invalid URL: {url}");
        }

        var timeout = _defaultTimeout;
        if (msg.Get("requestTimeout") is { } requested)
        {
            var ms = JsValue.ToNumber(requested);
            if (double.IsNaN(ms)) Warn("Timeout value is not a valid number, ignoring");
            else if (ms < 1) Warn("Timeout value is negative, ignoring");
            else timeout = TimeSpan.FromMilliseconds(ms);
        }
        var follow = msg.Get("followRedirects") is not false;
        var verify = _verifyServerCertificate && msg.Get("rejectUnauthorized") is not false;
        return new PreparedRequest(method, uri, [.. headers], body, timeout, follow, verify);
    }

    private static object? PathValue(JsObject msg, string path)
    {
        try
        {
            return PropertyPath.Parse(path).TryGetValue(msg, out var value) ? value : null;
        }
        catch (PropertyPathException)
        {
            return null;
        }
    }

    private static string AppendQuery(string url, JsObject query)
    {
        var parts = new List<string>();
        foreach (var (key, value) in query)
        {
            if (value is List<object?> list)
            {
                parts.AddRange(list.Select(v => Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(JsValue.ToJsString(v))));
            }
            else
            {
                parts.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value is null ? "" : JsValue.ToJsString(value)));
            }
        }
        if (parts.Count == 0) return url;
        return url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + string.Join("&", parts);
    }

    private static string FormEncode(JsObject form) =>
        string.Join("&", form.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value is null ? "" : kv.Value is JsObject or List<object?> ? JsJson.Serialize(kv.Value) : JsValue.ToJsString(kv.Value))));

    private async Task RunAsync(JsObject msg, PreparedRequest prepared, InputCompletion completion)
    {
        using var timeout = new CancellationTokenSource(prepared.Timeout, Clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _closing.Token);
        try
        {
            var (response, body, redirects) = await SendAsync(prepared, linked.Token).ConfigureAwait(false);
            Post(() =>
            {
                using (response)
                {
                    Deliver(msg, prepared, response, body, redirects);
                }
                completion.Done();
                return ValueTask.CompletedTask;
            });
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or InvalidOperationException)
        {
            if (_closing.IsCancellationRequested)
            {
                completion.Done();
                return;
            }
            var (text, code) = ex is OperationCanceledException
                ? ($"RequestError: Timeout awaiting 'request' for {prepared.Timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms", "ETIMEDOUT")
                : Describe(ex);
            Post(() =>
            {
                SetStatus(new NodeStatus("red", "ring", code));
                msg["payload"] = $"{text} : {prepared.Url}";
                msg["statusCode"] = code;
                completion.Fail(text);
                if (!_sendErrorsOnlyToCatch) Send(msg);
                return ValueTask.CompletedTask;
            });
        }
    }

    private static (string Text, string Code) Describe(Exception ex)
    {
        var socket = ex as System.Net.Sockets.SocketException ?? ex.InnerException as System.Net.Sockets.SocketException;
        var code = socket?.SocketErrorCode switch
        {
            System.Net.Sockets.SocketError.ConnectionRefused => "ECONNREFUSED",
            System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData => "ENOTFOUND",
            System.Net.Sockets.SocketError.ConnectionReset => "ECONNRESET",
            System.Net.Sockets.SocketError.TimedOut => "ETIMEDOUT",
            _ => ex.InnerException is System.Security.Authentication.AuthenticationException ? "CERT_ERROR" : "ERROR",
        };
        var message = ex.InnerException is { } inner && ex.Message.Contains(inner.Message, StringComparison.Ordinal) is false ? $"{ex.Message} ({inner.Message})" : ex.Message;
        return ($"RequestError: {message}", code);
    }

    private async Task<(HttpResponseMessage Response, byte[] Body, List<object?> Redirects)> SendAsync(PreparedRequest prepared, CancellationToken cancellationToken)
    {
        var client = Client(prepared.Verify);
        var method = prepared.Method;
        var url = prepared.Url;
        var body = prepared.Body;
        var redirects = new List<object?>();
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null) request.Content = new ByteArrayContent(body);
            foreach (var (name, value) in prepared.Headers)
            {
                if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    request.Headers.ConnectionClose = value.Equals("close", StringComparison.OrdinalIgnoreCase);
                    continue;
                }
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    request.Content ??= new ByteArrayContent([]);
                    request.Content.Headers.Remove(name);
                    request.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }
            var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (prepared.FollowRedirects && status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location && hop < MaxRedirects)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                redirects.Add(new JsObject
                {
                    ["location"] = next.ToString(),
                    ["cookies"] = ParseCookies(response.Headers),
                });
                response.Dispose();
                // RFC 9110 §15.4: 303 always becomes GET; browsers (and got) do the same for 301/302 after POST.
                if (status == 303 || (status is 301 or 302 && method == "POST"))
                {
                    if (method != "HEAD") method = "GET";
                    body = null;
                }
                url = next;
                continue;
            }
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return (response, bytes, redirects);
        }
    }

    private void Deliver(JsObject msg, PreparedRequest prepared, HttpResponseMessage response, byte[] body, List<object?> redirects)
    {
        var headers = new JsObject();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            var lower = name.ToLowerInvariant();
            headers[lower] = lower == "set-cookie" ? values.Select(v => (object?)v).ToList() : string.Join(", ", values);
        }
        headers["x-node-red-request-node"] = RequestNodeMarker(headers);
        msg["statusCode"] = (double)(int)response.StatusCode;
        msg["headers"] = headers;
        msg["responseUrl"] = (response.RequestMessage?.RequestUri ?? prepared.Url).ToString();
        msg["redirectList"] = redirects;
        msg["retry"] = 0.0;
        var cookies = ParseCookies(response.Headers);
        if (cookies.Count > 0) msg["responseCookies"] = cookies;
        else msg.Remove("responseCookies");
        switch (_ret)
        {
            case "bin":
                msg["payload"] = body;
                break;
            case "obj":
                var text = Encoding.UTF8.GetString(body);
                try
                {
                    msg["payload"] = JsJson.Parse(text);
                }
                catch (JsJsonException)
                {
                    msg["payload"] = text;
                    Warn("JSON parse error");
                }
                break;
            default:
                msg["payload"] = Encoding.UTF8.GetString(body);
                break;
        }
        SetStatus(NodeStatus.Clear);
        Send(msg);
    }

    /// <summary>Node-RED marks responses with a hash of their headers so a later http request node can drop it.</summary>
    private static string RequestNodeMarker(JsObject headers)
    {
        var hash = System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(JsJson.Serialize(headers)));
        return Convert.ToHexStringLower(hash)[..8];
    }

    private static JsObject ParseCookies(HttpResponseHeaders headers)
    {
        var result = new JsObject();
        if (!headers.TryGetValues("Set-Cookie", out var values)) return result;
        foreach (var header in values)
        {
            var parts = header.Split(';');
            var eq = parts[0].IndexOf('=');
            if (eq <= 0) continue;
            var cookie = new JsObject { ["value"] = Uri.UnescapeDataString(parts[0][(eq + 1)..].Trim()) };
            foreach (var attribute in parts.Skip(1))
            {
                var aeq = attribute.IndexOf('=');
                var key = (aeq < 0 ? attribute : attribute[..aeq]).Trim();
                if (key.Length == 0) continue;
                cookie[key] = aeq < 0 ? true : attribute[(aeq + 1)..].Trim();
            }
            result[parts[0][..eq].Trim()] = cookie;
        }
        return result;
    }
}
