using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Network;

/// <summary>Node-RED's http in node: an HTTP endpoint under settings httpNodeRoot whose requests become messages.</summary>
internal sealed class HttpInNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("http in")
    {
        Category = "network",
        Color = "rgb(231, 231, 174)",
        Icon = "white-globe.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/httpin",
        DefaultLabel = "http in",
        Help = """
            Creates an HTTP endpoint under the `httpNodeRoot` setting (default `/`). Each request is sent as a message;
            an **http response** node must answer it (the server answers 504 after 120 s otherwise).

            **method**: `get`, `post`, `put`, `delete`, `patch` (or `all`). **url**: an Express-style path; `:name`
            segments become `msg.req.params.name`, `*` matches anything. **upload**: accept multipart/form-data
            uploads; the files are in `msg.req.files` (`fieldname`, `originalname`, `mimetype`, `size`, `buffer`) and
            the text fields in `msg.payload`. **skipBodyParsing**: `msg.payload` is the raw body as a Buffer.

            Output: `msg.payload` is the query object for GET, otherwise the body: JSON is parsed, a
            urlencoded form becomes an object, text types give a string, binary types (`application/octet-stream`,
            images...) a Buffer. `msg.req` holds `method`, `url`, `originalUrl`, `path`, `params`, `query`, `headers`
            (lower-case names), `cookies`, `body`, `ip`; `msg.res` is the response handle the http response node
            needs (never copied when the message is cloned). A JSON body that does not parse is answered 400.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("url", PropertyKind.String) { Default = "", Required = true, Help = "Express-style path, e.g. /users/:id" },
            new PropertyDeclaration("method", PropertyKind.Select) { Default = "get", Options = ["get", "post", "put", "delete", "patch", "all"] },
            new PropertyDeclaration("upload", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("skipBodyParsing", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("swaggerDoc", PropertyKind.String) { Default = "" },
        ],
    };

    private readonly string _url;
    private readonly string _method;
    private readonly bool _upload;
    private readonly bool _skipBodyParsing;
    private IDisposable? _route;

    public HttpInNode(NodeSetup setup) : base(setup)
    {
        _url = Config.GetString("url").Trim();
        if (_url.Length == 0) throw Config.Invalid("url", "missing path");
        if (!_url.StartsWith('/')) _url = "/" + _url;
        _method = Config.GetString("method", "get").ToLowerInvariant();
        if (_method is not ("get" or "post" or "put" or "delete" or "patch" or "all" or "head" or "options"))
        {
            throw Config.Invalid("method", $"\"{_method}\" is not one of get, post, put, delete, patch");
        }
        _upload = Config.GetBool("upload", false);
        _skipBodyParsing = Config.GetBool("skipBodyParsing", false);
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (Services.HostServices.GetService(typeof(IHttpNodeRouter)) is not IHttpNodeRouter router)
        {
            // Node-RED refuses the node when httpNodeRoot is false; FlowEngine embedded without a web server does the same.
            Warn("Cannot create http-in node when httpNodeRoot set to false");
            return ValueTask.CompletedTask;
        }
        _route = router.Add(_method, _url, HandleAsync);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _route?.Dispose();
        _route = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs on the host's request thread: builds the message and hands it to the node's mailbox.</summary>
    private Task HandleAsync(HttpNodeRequest request, HttpNodeResponse response)
    {
        object? body;
        try
        {
            body = ParseBody(request);
        }
        catch (JsJsonException ex)
        {
            // Express's JSON body parser answers 400 before the flow sees the request.
            response.TryComplete(400, new Dictionary<string, string> { ["Content-Type"] = "text/plain; charset=utf-8" }, [],
                Encoding.UTF8.GetBytes($"Bad Request: {ex.Message}"));
            return Task.CompletedTask;
        }
        var req = new JsObject
        {
            ["method"] = request.Method.ToUpperInvariant(),
            ["url"] = request.OriginalUrl,
            ["originalUrl"] = request.OriginalUrl,
            ["path"] = request.Path,
            ["params"] = request.Params,
            ["query"] = request.Query,
            ["headers"] = request.Headers,
            ["cookies"] = request.Cookies,
            ["body"] = body,
            ["ip"] = request.RemoteAddress,
            ["protocol"] = request.Protocol,
            ["hostname"] = request.Host,
        };
        if (_upload)
        {
            req["files"] = request.Files.Select(f => (object?)new JsObject
            {
                ["fieldname"] = f.FieldName,
                ["originalname"] = f.OriginalName,
                ["encoding"] = "7bit",
                ["mimetype"] = f.ContentType,
                ["size"] = (double)f.Data.Length,
                ["buffer"] = f.Data,
            }).ToList();
        }
        var msg = new JsObject
        {
            ["req"] = req,
            ["res"] = response,
            ["payload"] = request.Method.Equals("GET", StringComparison.OrdinalIgnoreCase) ? request.Query : body,
        };
        Post(() =>
        {
            Send(msg);
            return ValueTask.CompletedTask;
        });
        return Task.CompletedTask;
    }

    private object? ParseBody(HttpNodeRequest request)
    {
        if (_skipBodyParsing) return request.Body;
        if (request.FormFields is { } fields)
        {
            // Multipart: the text fields become the body (multer's req.body); files only when upload is on.
            return _upload ? fields : new JsObject();
        }
        var (type, subtype, charset) = ParseContentType(request.ContentType);
        if (request.Body.Length == 0)
        {
            return type == "application" && (subtype == "json" || subtype.EndsWith("+json", StringComparison.Ordinal) || subtype == "x-www-form-urlencoded")
                ? new JsObject()
                : "";
        }
        var encoding = Encoding.UTF8;
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                encoding = Encoding.GetEncoding(charset);
            }
            catch (ArgumentException)
            {
                encoding = Encoding.UTF8;
            }
        }
        if (type == "application" && (subtype == "json" || subtype.EndsWith("+json", StringComparison.Ordinal)))
        {
            return JsJson.Parse(encoding.GetString(request.Body));
        }
        if (type == "application" && subtype == "x-www-form-urlencoded")
        {
            return HttpQueryString.Parse(encoding.GetString(request.Body));
        }
        // Node-RED's raw body parser: text, xml and other application types are text; octet-stream, cbor,
        // protobuf and non-application types (image/png...) stay binary. Without a content type the body is text.
        if (type.Length == 0 || type == "text" || subtype == "xml" || subtype.EndsWith("+xml", StringComparison.Ordinal))
        {
            return encoding.GetString(request.Body);
        }
        if (type != "application" || subtype is "octet-stream" or "cbor" or "x-protobuf") return request.Body;
        return encoding.GetString(request.Body);
    }

    private static (string Type, string Subtype, string? Charset) ParseContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return ("", "", null);
        var parts = contentType.Split(';');
        var media = parts[0].Trim().ToLowerInvariant();
        var slash = media.IndexOf('/');
        var type = slash < 0 ? media : media[..slash];
        var subtype = slash < 0 ? "" : media[(slash + 1)..];
        string? charset = null;
        foreach (var parameter in parts.Skip(1))
        {
            var eq = parameter.IndexOf('=');
            if (eq > 0 && parameter[..eq].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                charset = parameter[(eq + 1)..].Trim().Trim('"');
            }
        }
        return (type, subtype, charset);
    }
}

/// <summary>Query strings and urlencoded forms as Express's parser reads them: repeated keys become arrays.</summary>
public static class HttpQueryString
{
    public static JsObject Parse(string text)
    {
        var result = new JsObject();
        if (text.StartsWith('?')) text = text[1..];
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            if (key.EndsWith("[]", StringComparison.Ordinal)) key = key[..^2];
            switch (result.Get(key))
            {
                case null when !result.ContainsKey(key):
                    result[key] = value;
                    break;
                case List<object?> list:
                    list.Add(value);
                    break;
                case var existing:
                    result[key] = new List<object?> { existing, value };
                    break;
            }
        }
        return result;
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
