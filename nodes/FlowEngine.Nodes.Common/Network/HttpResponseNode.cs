using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>Node-RED's http response node: answers the request an http in node received.</summary>
internal sealed class HttpResponseNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("http response")
    {
        Category = "network",
        Color = "rgb(231, 231, 174)",
        Icon = "white-globe.svg",
        Inputs = 1,
        Outputs = 0,
        Module = "node-red",
        Set = "node-red/httpin",
        DefaultLabel = "http",
        Help = """
            Sends the response to a request received by an **http in** node.

            **statusCode**: the status; empty uses `msg.statusCode`, then 200. **headers**: an object of headers,
            merged over `msg.headers` (the node's values win, names compared without case).

            `msg.payload`: the body. An object, array, boolean or null is sent as JSON (`application/json`); a
            Buffer as-is (`application/octet-stream` unless a Content-Type header says otherwise); anything else as
            text (`text/html; charset=utf-8` by default, numbers turned into text). Content-Length is always set.
            `msg.cookies`: `{name: value}` sets a cookie, `{name: {value, domain, path, maxAge, expires, httpOnly,
            secure, sameSite}}` sets one with options, `{name: null}` clears it. A message without `msg.res` (not
            from an http in node) only logs a warning.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("statusCode", PropertyKind.String) { Default = "", Help = "HTTP status; empty = msg.statusCode or 200" },
            new PropertyDeclaration("headers", PropertyKind.Json) { Default = new JsObject() },
        ],
    };

    private readonly int? _statusCode;
    private readonly JsObject _headers;

    public HttpResponseNode(NodeSetup setup) : base(setup)
    {
        var status = Config.GetNumberOrNull("statusCode");
        if (status is { } code)
        {
            if (code < 100 || code > 999 || code != Math.Floor(code)) throw Config.Invalid("statusCode", $"{code} is not an HTTP status code");
            _statusCode = (int)code;
        }
        _headers = Config.Get("headers") switch
        {
            null => new JsObject(),
            JsObject headers => headers,
            string text when text.Trim().Length == 0 => new JsObject(),
            string text => ParseHeaders(text),
            _ => throw Config.Invalid("headers", "expected an object of header names and values"),
        };
    }

    private JsObject ParseHeaders(string text)
    {
        try
        {
            return JsJson.Parse(text) as JsObject ?? throw Config.Invalid("headers", "expected an object of header names and values");
        }
        catch (JsJsonException ex)
        {
            throw Config.Invalid("headers", ex.Message);
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var response = msg.Get("res") switch
        {
            HttpNodeResponse direct => direct,
            JsObject wrapper => wrapper.Get("_res") as HttpNodeResponse,
            _ => null,
        };
        if (response is null)
        {
            Warn("No response object");
            return ValueTask.CompletedTask;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (msg.Get("headers") is JsObject msgHeaders)
        {
            foreach (var (name, value) in msgHeaders)
            {
                // The http request node's marker header must not leak into a response built from its output.
                if (name.Equals("x-node-red-request-node", StringComparison.OrdinalIgnoreCase)) continue;
                if (value is not null) headers[name] = HeaderText(value);
            }
        }
        foreach (var (name, value) in _headers)
        {
            if (value is not null) headers[name] = HeaderText(value);
        }

        var status = _statusCode ?? StatusFromMessage(msg.Get("statusCode")) ?? 200;
        var payload = msg.Get("payload");
        byte[] body;
        switch (payload)
        {
            case byte[] bytes:
                body = bytes;
                headers.TryAdd("Content-Type", "application/octet-stream");
                break;
            case string text:
                body = Encoding.UTF8.GetBytes(text);
                headers.TryAdd("Content-Type", "text/html; charset=utf-8");
                break;
            case double number:
                body = Encoding.UTF8.GetBytes(JsValue.ToJsString(number));
                headers.TryAdd("Content-Type", "text/html; charset=utf-8");
                break;
            default:
                // res.jsonp: objects, arrays, booleans, null and dates are JSON.
                body = Encoding.UTF8.GetBytes(payload is HttpNodeResponse ? "{}" : JsJson.Serialize(payload));
                headers.TryAdd("Content-Type", "application/json; charset=utf-8");
                break;
        }
        headers["Content-Length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var cookies = new List<HttpNodeCookie>();
        if (msg.Get("cookies") is JsObject cookieSpec)
        {
            foreach (var (name, value) in cookieSpec)
            {
                cookies.Add(value switch
                {
                    null => new HttpNodeCookie(name, null, null),
                    JsObject { } options when options.ContainsKey("value") && options.Get("value") is null => new HttpNodeCookie(name, null, options),
                    JsObject options => new HttpNodeCookie(name, JsValue.ToJsString(options.Get("value")), options),
                    _ => new HttpNodeCookie(name, JsValue.ToJsString(value), null),
                });
            }
        }
        if (!response.TryComplete(status, headers, cookies, body))
        {
            Warn("The response was already sent (by another http response node or after the timeout)");
        }
        return ValueTask.CompletedTask;
    }

    private static int? StatusFromMessage(object? value)
    {
        if (value is null) return null;
        var number = JsValue.ToNumber(value);
        if (double.IsNaN(number) || number < 100 || number > 999) return null;
        return (int)number;
    }

    private static string HeaderText(object value) => value switch
    {
        List<object?> list => string.Join(", ", list.Select(JsValue.ToJsString)),
        _ => JsValue.ToJsString(value),
    };
}
