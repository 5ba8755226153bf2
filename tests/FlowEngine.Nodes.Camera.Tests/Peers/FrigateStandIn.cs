using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Camera.Tests.Peers;

/// <summary>
/// A stand-in for Frigate NVR (which needs Docker and models, so it cannot run in tests), following Frigate's
/// documented formats (docs/docs/integrations/mqtt.md and docs/static/frigate-api.yaml, 0.14–0.16): tracked-object
/// events published on <c>frigate/events</c> through a real mosquitto (with mosquitto_pub) as
/// <c>{"type":"new|update|end","before":{…},"after":{…}}</c>, and the HTTP API: <c>GET /api/events</c> with its
/// camera/label/zone/after/before/has_clip/has_snapshot/in_progress/limit filters (after/before on start_time,
/// newest first), <c>GET /api/events/&lt;id&gt;</c>, <c>…/clip.mp4</c>, <c>…/snapshot.jpg</c>, <c>…/thumbnail.jpg</c>,
/// <c>GET /api/version</c> and, with a user set, <c>POST /api/login</c> that sets the <c>frigate_token</c> cookie
/// (every other request then needs it as cookie or bearer token, as on port 8971). has_clip/has_snapshot are true
/// only for events whose media the stand-in really serves (a real MP4 and JPEG).
/// </summary>
public sealed class FrigateStandIn : IAsyncDisposable
{
    private readonly Dictionary<string, JsonObject> _events = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int _mqttPort;
    private readonly byte[] _clip;
    private readonly byte[] _jpeg;
    private readonly string? _user;
    private readonly string? _password;
    private readonly string _token = Guid.NewGuid().ToString("N");
    private WebApplication? _app;

    private FrigateStandIn(int mqttPort, byte[] clip, byte[] jpeg, string? user, string? password)
    {
        _mqttPort = mqttPort;
        _clip = clip;
        _jpeg = jpeg;
        _user = user;
        _password = password;
    }

    public string BaseUrl { get; private set; } = "";
    public int ClipDownloads { get; private set; }
    public int EventQueries { get; private set; }

    public static async Task<FrigateStandIn> StartAsync(int mqttPort, byte[] clip, byte[] jpeg, string? user = null, string? password = null)
    {
        var standIn = new FrigateStandIn(mqttPort, clip, jpeg, user, password);
        await standIn.StartServerAsync();
        return standIn;
    }

    private async Task StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            if (_user is not null && context.Request.Path != "/api/login" && !HasToken(context.Request))
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { success = false, message = "Unauthorized" });
                return;
            }
            await next(context);
        });
        _app.MapPost("/api/login", async (HttpContext context) =>
        {
            var body = await JsonNode.ParseAsync(context.Request.Body);
            if (_user is null || body?["user"]?.GetValue<string>() != _user || body?["password"]?.GetValue<string>() != _password)
            {
                return Results.Json(new { message = "Login failed" }, statusCode: 401);
            }
            context.Response.Cookies.Append("frigate_token", _token, new CookieOptions { HttpOnly = true });
            return Results.Json(new { });
        });
        _app.MapGet("/api/version", () => Results.Text("0.16.0-standin"));
        _app.MapGet("/api/events", (HttpRequest request) => Results.Text(Query(request).ToJsonString(), "application/json"));
        _app.MapGet("/api/events/{id}", (string id) =>
        {
            lock (_gate) return _events.TryGetValue(id, out var e) ? Results.Text(ApiJson(e).ToJsonString(), "application/json") : Results.Json(new { success = false, message = "Event not found" }, statusCode: 404);
        });
        _app.MapGet("/api/events/{id}/clip.mp4", (string id) =>
        {
            lock (_gate)
            {
                if (!_events.TryGetValue(id, out var e) || !e["has_clip"]!.GetValue<bool>()) return Results.NotFound();
                ClipDownloads++;
            }
            return Results.File(_clip, "video/mp4", enableRangeProcessing: true);
        });
        _app.MapGet("/api/events/{id}/snapshot.jpg", (string id) => Media(id, "has_snapshot"));
        _app.MapGet("/api/events/{id}/thumbnail.jpg", (string id) => Media(id, null));
        await _app.StartAsync();
        BaseUrl = _app.Urls.First();
    }

    private bool HasToken(HttpRequest request) =>
        request.Cookies["frigate_token"] == _token || request.Headers.Authorization.ToString() == "Bearer " + _token;

    private IResult Media(string id, string? flag)
    {
        lock (_gate)
        {
            if (!_events.TryGetValue(id, out var e) || flag is not null && !e[flag]!.GetValue<bool>()) return Results.NotFound();
        }
        return Results.File(_jpeg, "image/jpeg");
    }

    private JsonArray Query(HttpRequest request)
    {
        EventQueries++;
        string? Get(string name) => request.Query[name].ToString() is { Length: > 0 } v ? v : null;
        double? Number(string name) => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;
        var cameras = Get("cameras") ?? Get("camera");
        var labels = Get("labels") ?? Get("label");
        var zone = Get("zones") ?? Get("zone");
        var after = Number("after");
        var before = Number("before");
        var limit = (int)(Number("limit") ?? 100);
        List<JsonObject> all;
        lock (_gate) all = _events.Values.Select(e => (JsonObject)e.DeepClone()).ToList();
        var result = new JsonArray();
        foreach (var e in all.OrderByDescending(e => e["start_time"]!.GetValue<double>()).Where(e =>
                     (cameras is null or "all" || cameras.Split(',').Contains(e["camera"]!.GetValue<string>()))
                     && (labels is null or "all" || labels.Split(',').Contains(e["label"]!.GetValue<string>()))
                     && (zone is null or "all" || e["current_zones"]!.AsArray().Concat(e["entered_zones"]!.AsArray()).Any(z => zone.Split(',').Contains(z!.GetValue<string>())))
                     && (after is null || e["start_time"]!.GetValue<double>() > after)
                     && (before is null || e["start_time"]!.GetValue<double>() < before)
                     && (Get("has_clip") is not { } hc || e["has_clip"]!.GetValue<bool>() == (hc == "1"))
                     && (Get("has_snapshot") is not { } hs || e["has_snapshot"]!.GetValue<bool>() == (hs == "1"))
                     && (Get("in_progress") is not { } ip || (e["end_time"] is null) == (ip == "1")))
                     .Take(limit))
        {
            result.Add(ApiJson(e));
        }
        return result;
    }

    /// <summary>The HTTP API's event shape (scores inside "data", zones as "zones").</summary>
    private static JsonObject ApiJson(JsonObject e) => new()
    {
        ["id"] = e["id"]!.GetValue<string>(),
        ["label"] = e["label"]!.GetValue<string>(),
        ["sub_label"] = null,
        ["camera"] = e["camera"]!.GetValue<string>(),
        ["start_time"] = e["start_time"]!.GetValue<double>(),
        ["end_time"] = e["end_time"]?.GetValue<double>(),
        ["false_positive"] = e["false_positive"]!.GetValue<bool>(),
        ["zones"] = e["entered_zones"]!.DeepClone(),
        ["thumbnail"] = null,
        ["has_clip"] = e["has_clip"]!.GetValue<bool>(),
        ["has_snapshot"] = e["has_snapshot"]!.GetValue<bool>(),
        ["retain_indefinitely"] = false,
        ["plus_id"] = null,
        ["model_hash"] = null,
        ["data"] = new JsonObject
        {
            ["box"] = e["box"]!.DeepClone(),
            ["region"] = e["region"]!.DeepClone(),
            ["score"] = e["score"]!.GetValue<double>(),
            ["top_score"] = e["top_score"]!.GetValue<double>(),
            ["attributes"] = new JsonArray(),
            ["type"] = "object",
        },
    };

    /// <summary>A tracked object appears: the event is stored and "new" is published. Returns its id.</summary>
    public async Task<string> NewEventAsync(string camera, string label, DateTimeOffset start, string[]? zones = null, double score = 0.85, bool hasClip = true, bool hasSnapshot = true)
    {
        var startSeconds = start.ToUnixTimeMilliseconds() / 1000.0;
        var id = startSeconds.ToString("0.000000", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        var zoneArray = new JsonArray((zones ?? []).Select(z => (JsonNode?)JsonValue.Create(z)).ToArray());
        var e = new JsonObject
        {
            ["id"] = id,
            ["camera"] = camera,
            ["frame_time"] = startSeconds,
            ["snapshot"] = new JsonObject { ["frame_time"] = startSeconds, ["box"] = new JsonArray(415, 489, 528, 700), ["area"] = 12728, ["region"] = new JsonArray(260, 446, 660, 846), ["score"] = score, ["attributes"] = new JsonArray() },
            ["label"] = label,
            ["sub_label"] = null,
            ["top_score"] = score,
            ["false_positive"] = false,
            ["start_time"] = startSeconds,
            ["end_time"] = null,
            ["score"] = score,
            ["box"] = new JsonArray(432, 496, 544, 854),
            ["area"] = 40096,
            ["ratio"] = 1.251397,
            ["region"] = new JsonArray(218, 440, 693, 915),
            ["current_zones"] = zoneArray.DeepClone(),
            ["entered_zones"] = zoneArray,
            ["thumbnail"] = null,
            ["has_snapshot"] = hasSnapshot,
            ["has_clip"] = hasClip,
            ["active"] = true,
            ["stationary"] = false,
            ["motionless_count"] = 0,
            ["position_changes"] = 2,
            ["attributes"] = new JsonObject(),
            ["current_attributes"] = new JsonArray(),
        };
        lock (_gate) _events[id] = e;
        await PublishAsync("new", e, e);
        return id;
    }

    /// <summary>A better snapshot or a zone change: "update" with the previous state as "before".</summary>
    public async Task UpdateEventAsync(string id, double score, string[] zones)
    {
        JsonObject before, after;
        lock (_gate)
        {
            before = (JsonObject)_events[id].DeepClone();
            var e = _events[id];
            e["score"] = score;
            e["top_score"] = Math.Max(score, e["top_score"]!.GetValue<double>());
            e["current_zones"] = new JsonArray(zones.Select(z => (JsonNode?)JsonValue.Create(z)).ToArray());
            var entered = e["entered_zones"]!.AsArray().Select(z => z!.GetValue<string>()).Union(zones).ToArray();
            e["entered_zones"] = new JsonArray(entered.Select(z => (JsonNode?)JsonValue.Create(z)).ToArray());
            after = (JsonObject)e.DeepClone();
        }
        await PublishAsync("update", before, after);
    }

    /// <summary>The object is gone: end_time is set and "end" is published.</summary>
    public async Task EndEventAsync(string id, DateTimeOffset end)
    {
        JsonObject before, after;
        lock (_gate)
        {
            before = (JsonObject)_events[id].DeepClone();
            _events[id]["end_time"] = end.ToUnixTimeMilliseconds() / 1000.0;
            _events[id]["active"] = false;
            after = (JsonObject)_events[id].DeepClone();
        }
        await PublishAsync("end", before, after);
    }

    private Task PublishAsync(string type, JsonObject before, JsonObject after)
    {
        var message = new JsonObject { ["type"] = type, ["before"] = before.DeepClone(), ["after"] = after.DeepClone() };
        return PublishRawAsync(message.ToJsonString());
    }

    /// <summary>Publishes any payload on frigate/events (not retained, like Frigate).</summary>
    public Task PublishRawAsync(string payload) => _mqttPort == 0 ? Task.CompletedTask :
        PeerProcess.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", _mqttPort.ToString(CultureInfo.InvariantCulture), "-t", "frigate/events", "-q", "1", "-s"], stdin: payload);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
