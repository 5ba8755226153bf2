using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FlowEngine.Nodes.Influx.Protocol;

/// <summary>Which HTTP API a server speaks.</summary>
public enum InfluxApiVersion
{
    /// <summary>InfluxDB 1.x: /write?db=&amp;rp=, /query (InfluxQL), user and password.</summary>
    V1,
    /// <summary>InfluxDB 2.x (and 1.8 with Flux enabled): /api/v2/write?org=&amp;bucket=, /api/v2/query (Flux), a token.</summary>
    V2,
    /// <summary>InfluxDB 3.x: /api/v2/write?bucket= for writes, the v1-compatible /query (InfluxQL) for queries, a token.</summary>
    V3,
}

/// <summary>Where points go: a v1 database and retention policy, or a v2 org and bucket (3.x: the bucket is the database).</summary>
public sealed record InfluxWriteTarget(string? Database, string? RetentionPolicy, string? Org, string? Bucket);

public sealed class InfluxClientOptions
{
    public required Uri BaseUri { get; init; }
    public InfluxApiVersion Version { get; init; } = InfluxApiVersion.V1;
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? Token { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The HTTP handler (TLS options live there). The client owns and disposes it.</summary>
    public HttpMessageHandler? Handler { get; init; }
}

/// <summary>A write did not succeed. <see cref="IsRetryable"/> says whether the same body may succeed later.</summary>
public sealed class InfluxWriteException(string message, HttpStatusCode? status, bool retryable, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
    /// <summary>
    /// False only when the server refused the data itself (400 bad line protocol or field type conflict, 413, 422):
    /// sending it again cannot help. Unreachable, timeouts, 5xx, 429, and also 401/403/404 (wrong credentials or a
    /// missing database, which an operator can fix) are retryable, so no data is thrown away for them.
    /// </summary>
    public bool IsRetryable { get; } = retryable;
}

/// <summary>A query failed (server error text included).</summary>
public sealed class InfluxQueryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A small InfluxDB HTTP client: line protocol writes and InfluxQL / Flux queries over the v1 and v2 APIs
/// (InfluxDB 1.x /write and /query; 2.x /api/v2/write and /api/v2/query). Thread-safe; one per server.
/// </summary>
public sealed class InfluxClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly InfluxClientOptions _options;

    public InfluxClient(InfluxClientOptions options)
    {
        _options = options;
        _http = new HttpClient(options.Handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
        {
            BaseAddress = options.BaseUri,
            Timeout = Timeout.InfiniteTimeSpan, // per request, below, so a timeout is told apart from a cancellation
        };
    }

    public InfluxClientOptions Options => _options;

    /// <summary>Writes line protocol (lines separated by '\n') whose timestamps are in nanoseconds.</summary>
    public async Task WriteAsync(InfluxWriteTarget target, string lines, CancellationToken cancellationToken)
    {
        var query = new List<KeyValuePair<string, string?>>();
        string path;
        if (_options.Version == InfluxApiVersion.V1)
        {
            path = "write";
            query.Add(new("db", target.Database));
            if (!string.IsNullOrEmpty(target.RetentionPolicy)) query.Add(new("rp", target.RetentionPolicy));
        }
        else
        {
            path = "api/v2/write";
            if (!string.IsNullOrEmpty(target.Org)) query.Add(new("org", target.Org));
            query.Add(new("bucket", target.Bucket));
        }
        query.Add(new("precision", _options.Version == InfluxApiVersion.V1 ? "n" : "ns"));
        using var request = new HttpRequestMessage(HttpMethod.Post, path + QueryString(query))
        {
            Content = new StringContent(lines, new UTF8Encoding(false), "text/plain"),
        };
        request.Content.Headers.ContentType!.CharSet = "utf-8";
        Authorize(request);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InfluxWriteException(string.Create(CultureInfo.InvariantCulture, $"no answer from {_options.BaseUri} within {_options.Timeout.TotalSeconds:0.#} s"), null, true, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new InfluxWriteException($"cannot reach {_options.BaseUri}: {ex.Message}", null, true, ex);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            var text = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            var status = response.StatusCode;
            var retryable = status is not (HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity);
            throw new InfluxWriteException($"write refused: {(int)status} {text}", status, retryable);
        }
    }

    /// <summary>
    /// Runs InfluxQL through /query (1.x, and 2.x/3.x through their v1 compatibility endpoint). Parameters are sent
    /// as the <c>params</c> JSON object and referred to as <c>$name</c> in the query, never pasted into its text.
    /// Returns the raw JSON response.
    /// </summary>
    public async Task<string> QueryInfluxQlRawAsync(string query, string? database, string? retentionPolicy, TimePrecision? epoch,
        IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("q", query) };
        if (!string.IsNullOrEmpty(database)) form.Add(new("db", database));
        if (!string.IsNullOrEmpty(retentionPolicy)) form.Add(new("rp", retentionPolicy));
        if (epoch is { } e) form.Add(new("epoch", TimePrecisions.V1Name(e)));
        if (parameters is { Count: > 0 }) form.Add(new("params", JsonSerializer.Serialize(parameters)));
        // POST so that statements such as CREATE DATABASE work too (GET /query is read-only in 1.x).
        using var request = new HttpRequestMessage(HttpMethod.Post, "query") { Content = new FormUrlEncodedContent(form) };
        Authorize(request);
        var text = await SendQueryAsync(request, cancellationToken).ConfigureAwait(false);
        InfluxQlResults.ThrowOnError(text);
        return text;
    }

    /// <summary>
    /// Runs Flux through /api/v2/query and returns the annotated CSV. Parameters go in the JSON body's
    /// <c>params</c> object and are read in Flux as <c>params.name</c> (InfluxDB Cloud supports them; OSS 2.x may refuse).
    /// </summary>
    public async Task<string> QueryFluxRawAsync(string flux, string? org, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?>
        {
            ["query"] = flux,
            ["type"] = "flux",
            ["dialect"] = new Dictionary<string, object?>
            {
                ["header"] = true,
                ["delimiter"] = ",",
                ["annotations"] = new[] { "datatype", "group", "default" },
                ["dateTimeFormat"] = "RFC3339",
            },
        };
        if (parameters is { Count: > 0 }) body["params"] = parameters;
        var path = "api/v2/query" + (string.IsNullOrEmpty(org) ? "" : QueryString([new("org", org)]));
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), new UTF8Encoding(false), "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/csv"));
        Authorize(request);
        return await SendQueryAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET /ping (1.x, 2.x): true when the server answers 204.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            using var response = await _http.GetAsync("ping", timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<string> SendQueryAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                throw new InfluxQueryException($"query refused: {(int)response.StatusCode} {error}");
            }
            return await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InfluxQueryException(string.Create(CultureInfo.InvariantCulture, $"no answer from {_options.BaseUri} within {_options.Timeout.TotalSeconds:0.#} s"), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new InfluxQueryException($"cannot reach {_options.BaseUri}: {ex.Message}", ex);
        }
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (_options.Version == InfluxApiVersion.V1)
        {
            if (!string.IsNullOrEmpty(_options.Username))
            {
                // HTTP Basic rather than ?u=&p= so the password never appears in a URL or an access log.
                var raw = Encoding.UTF8.GetBytes(_options.Username + ":" + (_options.Password ?? ""));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(raw));
            }
        }
        else if (!string.IsNullOrEmpty(_options.Token))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Token " + _options.Token);
        }
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (json.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String) return e.GetString()!;
                if (json.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) return m.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        return text.Length > 500 ? text[..500] : text;
    }

    private static string QueryString(IEnumerable<KeyValuePair<string, string?>> pairs) =>
        "?" + string.Join('&', pairs.Where(p => p.Value is not null).Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value!)));

    public void Dispose() => _http.Dispose();
}
