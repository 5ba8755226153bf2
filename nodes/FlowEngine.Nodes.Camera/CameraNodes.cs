using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Camera.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Nodes.Camera;

/// <summary>Registers the Camera node family (camera, snapshot, clip, frigate-events, frigate-correlate) and maps its HTTP endpoints.</summary>
public static class CameraNodes
{
    /// <summary>Registers the node types; <paramref name="services"/> is shared by every node and the endpoints.</summary>
    public static void Register(NodeRegistry registry, CameraServices services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        registry.Register(CameraNode.Declaration, s => new CameraNode(s, services));
        registry.Register(SnapshotNode.Declaration, s => new SnapshotNode(s, services));
        registry.Register(ClipNode.Declaration, s => new ClipNode(s, services));
        registry.Register(FrigateEventsNode.Declaration, s => new FrigateEventsNode(s));
        registry.Register(FrigateCorrelateNode.Declaration, s => new FrigateCorrelateNode(s, services));
    }

    /// <summary>
    /// <c>GET /camera/clips?camera=&amp;from=&amp;to=&amp;limit=</c> (the index, newest first), <c>GET /camera/clips/{id}</c> (the MP4),
    /// <c>GET /camera/snapshots?…</c> and <c>GET /camera/snapshots/{id}</c> (the JPEG). Media answers honour HTTP range
    /// requests so a browser can seek. All need the "camera.read" permission when adminAuth is set.
    /// </summary>
    public static void MapEndpoints(IEndpointRouteBuilder endpoints, CameraServices services)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(services);
        var permission = new EndpointPermission("camera.read");
        endpoints.MapGet("/camera/clips", (HttpRequest request) => List(services, "clip", request)).WithMetadata(permission);
        endpoints.MapGet("/camera/snapshots", (HttpRequest request) => List(services, "snapshot", request)).WithMetadata(permission);
        endpoints.MapGet("/camera/clips/{id}", (string id) => Serve(services, "clip", id, "video/mp4")).WithMetadata(permission);
        endpoints.MapGet("/camera/snapshots/{id}", (string id) => Serve(services, "snapshot", id, "image/jpeg")).WithMetadata(permission);
    }

    private static IResult List(CameraServices services, string kind, HttpRequest request)
    {
        if (services.Store.Root is null) return Results.Text("[]", "application/json");
        DateTime? from = null, to = null;
        if (request.Query["from"].ToString() is { Length: > 0 } f)
        {
            if (CameraMessages.ParseTime(ParseNumberOrText(f)) is not { } parsed) return Results.BadRequest(new { error = $"from: \"{f}\" is not a time (ISO 8601 or Unix ms)" });
            from = parsed.UtcDateTime;
        }
        if (request.Query["to"].ToString() is { Length: > 0 } t)
        {
            if (CameraMessages.ParseTime(ParseNumberOrText(t)) is not { } parsed) return Results.BadRequest(new { error = $"to: \"{t}\" is not a time (ISO 8601 or Unix ms)" });
            to = parsed.UtcDateTime;
        }
        var limit = int.TryParse(request.Query["limit"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 1000) : 100;
        var camera = request.Query["camera"].ToString();
        var items = services.Store.Query(camera.Length > 0 ? camera : null, kind, from, to, limit);
        var list = new List<object?>();
        foreach (var m in items)
        {
            var json = new JsObject
            {
                ["id"] = m.Id,
                ["kind"] = m.Kind,
                ["camera"] = m.Camera,
                ["start"] = JsJson.FormatIsoDate(m.Start.ToUniversalTime()),
                ["end"] = JsJson.FormatIsoDate(m.End.ToUniversalTime()),
                ["size"] = (double)m.Size,
                ["source"] = m.Source,
                ["url"] = kind == "clip" ? CameraServices.ClipUrl(m.Id) : CameraServices.SnapshotUrl(m.Id),
            };
            if (m.Trigger is { } trigger) json["trigger"] = JsJson.FormatIsoDate(trigger.ToUniversalTime());
            if (m.FrigateEventId is not null) json["frigateEventId"] = m.FrigateEventId;
            list.Add(json);
        }
        return Results.Text(JsJson.Serialize(list), "application/json");
    }

    private static object ParseNumberOrText(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : text;

    private static IResult Serve(CameraServices services, string kind, string id, string contentType)
    {
        if (services.Store.Root is null || id.Length != 32 || !id.All(char.IsAsciiHexDigitLower)) return Results.NotFound();
        var media = services.Store.Find(id);
        if (media is null || media.Kind != kind || !File.Exists(media.Path)) return Results.NotFound();
        return Results.File(media.Path, contentType, fileDownloadName: null, lastModified: media.Created.ToUniversalTime(), enableRangeProcessing: true);
    }
}
