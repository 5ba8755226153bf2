using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FlowEngine.Nodes.Camera.Protocol.Frigate;

/// <summary>Frigate answered with an error or something that is not its documented JSON.</summary>
internal sealed class FrigateApiException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A client for Frigate's HTTP API (base <c>/api</c>, as documented in Frigate's frigate-api.yaml): event search,
/// one event, and the clip and snapshot media URLs. On the authenticated port (8971, Frigate 0.14+) it logs in with
/// <c>POST /api/login</c> and sends the JWT it gets back as a bearer token.
/// </summary>
internal sealed class FrigateClient(HttpClient http, Uri baseUrl, string? user = null, string? password = null)
{
    private string? _token;

    public Uri BaseUrl { get; } = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");

    public string ClipUrl(string eventId) => new Uri(BaseUrl, $"api/events/{Uri.EscapeDataString(eventId)}/clip.mp4").AbsoluteUri;
    public string SnapshotUrl(string eventId) => new Uri(BaseUrl, $"api/events/{Uri.EscapeDataString(eventId)}/snapshot.jpg").AbsoluteUri;
    public string ThumbnailUrl(string eventId) => new Uri(BaseUrl, $"api/events/{Uri.EscapeDataString(eventId)}/thumbnail.jpg").AbsoluteUri;

    /// <summary>
    /// Events of a camera whose start_time lies in (after, before) (Frigate filters <c>after</c>/<c>before</c> on the
    /// start time), newest first as Frigate returns them.
    /// </summary>
    public async Task<IReadOnlyList<FrigateEvent>> EventsAsync(string camera, double after, double before, int limit, CancellationToken cancellationToken)
    {
        var query = string.Create(CultureInfo.InvariantCulture,
            $"api/events?camera={Uri.EscapeDataString(camera)}&after={after:0.###}&before={before:0.###}&limit={limit}&include_thumbnails=0");
        using var doc = await GetJsonAsync(query, cancellationToken).ConfigureAwait(false)
            ?? throw new FrigateApiException("GET /api/events answered nothing");
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new FrigateApiException("GET /api/events did not return a JSON array");
        var list = new List<FrigateEvent>();
        foreach (var element in doc.RootElement.EnumerateArray())
        {
            try
            {
                list.Add(FrigateEvent.FromJson(element));
            }
            catch (FormatException e)
            {
                throw new FrigateApiException("GET /api/events returned an event that is not Frigate's format: " + e.Message, e);
            }
        }
        return list;
    }

    /// <summary>One event by id; null when Frigate does not know it (404).</summary>
    public async Task<FrigateEvent?> EventAsync(string id, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync($"api/events/{Uri.EscapeDataString(id)}", cancellationToken, allowNotFound: true).ConfigureAwait(false);
        if (doc is null) return null;
        try
        {
            return FrigateEvent.FromJson(doc.RootElement);
        }
        catch (FormatException e)
        {
            throw new FrigateApiException($"GET /api/events/{id} is not Frigate's event format: " + e.Message, e);
        }
    }

    /// <summary>Streams the event's clip into <paramref name="destination"/>.</summary>
    public async Task DownloadClipAsync(string eventId, Stream destination, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, ClipUrl(eventId), cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "clip of event " + eventId).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonDocument?> GetJsonAsync(string relative, CancellationToken cancellationToken, bool allowNotFound = false)
    {
        using var response = await SendAsync(HttpMethod.Get, new Uri(BaseUrl, relative).AbsoluteUri, cancellationToken).ConfigureAwait(false);
        if (allowNotFound && response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, "GET /" + relative.Split('?')[0]).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new FrigateApiException($"GET /{relative.Split('?')[0]} did not return JSON: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        if (user is { Length: > 0 } && _token is null) await LoginAsync(cancellationToken).ConfigureAwait(false);
        var response = await SendOnceAsync(method, url, completion, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized && user is { Length: > 0 })
        {
            // The JWT expired: log in again once.
            response.Dispose();
            await LoginAsync(cancellationToken).ConfigureAwait(false);
            response = await SendOnceAsync(method, url, completion, cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string url, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        if (_token is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
        try
        {
            return await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new FrigateApiException($"Frigate at {BaseUrl} is unreachable: {e.Message}", e);
        }
    }

    private async Task LoginAsync(CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(new Uri(BaseUrl, "api/login"), new Dictionary<string, string> { ["user"] = user!, ["password"] = password ?? "" }, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new FrigateApiException($"Frigate at {BaseUrl} is unreachable: {e.Message}", e);
        }
        using (response)
        {
            await EnsureSuccessAsync(response, "POST /api/login").ConfigureAwait(false);
            // Frigate sets the JWT as a cookie (frigate_token by default; the name is configurable): take any Set-Cookie value.
            if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
            {
                foreach (var cookie in cookies)
                {
                    var pair = cookie.Split(';')[0];
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0 && pair.Length > eq + 1)
                    {
                        _token = pair[(eq + 1)..];
                        return;
                    }
                }
            }
            throw new FrigateApiException("POST /api/login succeeded but set no token cookie");
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (body.Length > 200) body = body[..200];
        throw new FrigateApiException($"Frigate {what} answered {(int)response.StatusCode} {response.ReasonPhrase} {body}".TrimEnd());
    }
}
