using System.Reflection;
using System.Security.Claims;
using System.Text;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Hmi.Widgets;
using FlowEngine.Nodes.Industrial;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowEngine.Nodes.Hmi.Web;

/// <summary>
/// The HTTP side of the HMI, all below /ui:
/// <list type="bullet">
/// <item>GET /ui, /ui/{file}: the page (embedded ES modules and CSS). Open to anyone: the page holds no data and
/// asks for a login when the API answers 401.</item>
/// <item>GET /ui/api/info: where to log in (adminRoot) and whether login is on. Open.</item>
/// <item>GET /ui/api/snapshot: layout, theme, every widget's state, and the caller's rights (hmi.read).</item>
/// <item>/ui/hub: SignalR hub pushing updates (hmi.read; the token comes as access_token in the query).</item>
/// <item>POST /ui/api/widgets/{id}/action {value}: a person's action (hmi.write).</item>
/// <item>POST /ui/api/alarms/acknowledge {id, comment?, widget?} and /ui/api/alarms/shelve {id, minutes, reason,
/// widget?}: alarm commands (alarms.write).</item>
/// </list>
/// </summary>
internal static partial class HmiEndpoints
{
    public const string Root = "/ui";
    public const string Read = "hmi.read";
    public const string Write = "hmi.write";
    public const string AlarmsWrite = "alarms.write";
    private const int MaxBodyBytes = 256 * 1024;

    public static void Map(IEndpointRouteBuilder endpoints, HmiServices hmi)
    {
        var provider = endpoints.ServiceProvider;
        var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("FlowEngine.Hmi") ?? NullLogger.Instance;
        var audit = provider.GetService<IAuditLog>();
        var settings = provider.GetService<FlowRuntime>()?.Settings.Raw;
        var info = new JsObject
        {
            ["adminRoot"] = AdminRoot(settings),
            ["auth"] = settings?.Get("adminAuth") is JsObject,
        };

        endpoints.MapGet(Root, (HttpContext c) => ServeAsset(c, "index.html"));
        endpoints.MapGet(Root + "/{file}", (HttpContext c) => ServeAsset(c, c.Request.RouteValues["file"] as string ?? ""));
        endpoints.MapGet(Root + "/api/info", (HttpContext c) =>
        {
            info["hub"] = hmi.HubAvailable;
            return Json(c, 200, info);
        });
        endpoints.MapGet(Root + "/api/snapshot", (HttpContext c) =>
        {
            var client = Client(c.User);
            return Json(c, 200, hmi.Snapshot(client.User, Allowed(c.User, Write), Allowed(c.User, AlarmsWrite)));
        }).WithMetadata(new EndpointPermission(Read));
        endpoints.MapPost(Root + "/api/widgets/{id}/action", (HttpContext c) => ActionAsync(c, hmi))
            .WithMetadata(new EndpointPermission(Write));
        endpoints.MapPost(Root + "/api/alarms/{command}", (HttpContext c) => AlarmCommandAsync(c, hmi, audit))
            .WithMetadata(new EndpointPermission(AlarmsWrite));

        if (provider.GetService<IHubContext<HmiHub>>() is { } hub)
        {
            endpoints.MapHub<HmiHub>(Root + "/hub").WithMetadata(new EndpointPermission(Read));
            hmi.StartPump(new HmiPump(hmi, hub, logger));
        }
        else
        {
            LogNoHub(logger);
        }
    }

    private static string AdminRoot(JsObject? settings)
    {
        var root = settings?.Get("httpAdminRoot") switch
        {
            string s when s.Length > 0 => s,
            false => null,
            _ => "/",
        };
        if (root is null) return "";
        if (!root.StartsWith('/')) root = "/" + root;
        return root.EndsWith('/') ? root : root + "/";
    }

    // ---- the caller ----

    /// <summary>
    /// Without adminAuth the host lets every request through unauthenticated: then everyone may act. With it, the
    /// host set HttpContext.User (name and permission claims) before the endpoint ran.
    /// </summary>
    internal static bool Allowed(ClaimsPrincipal user, string permission) =>
        user.Identity?.IsAuthenticated != true || PermissionScope.Has(Permissions(user), permission);

    private static IEnumerable<string> Permissions(ClaimsPrincipal user) =>
        user.FindAll(PermissionScope.ClaimType).Select(c => c.Value);

    internal static HmiClient Client(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? new HmiClient(user.Identity.Name, Permissions(user).ToList()) : new HmiClient(null, null);

    // ---- actions ----

    private static async Task ActionAsync(HttpContext context, HmiServices hmi)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        if (hmi.Widget(id) is not { AcceptsActions: true } widget)
        {
            await Json(context, 404, Error($"no HMI widget {id} that takes actions is running")).ConfigureAwait(false);
            return;
        }
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await Json(context, 400, Error("expected a JSON object {\"value\": ...}")).ConfigureAwait(false);
            return;
        }
        object? value;
        try
        {
            value = widget.ValidateAction(body.Get("value"));
        }
        catch (HmiValueException ex)
        {
            await Json(context, 400, Error(ex.Message)).ConfigureAwait(false);
            return;
        }
        widget.Act(value, Client(context.User));
        await Json(context, 200, new JsObject { ["ok"] = true, ["value"] = value }).ConfigureAwait(false);
    }

    private static async Task AlarmCommandAsync(HttpContext context, HmiServices hmi, IAuditLog? audit)
    {
        var command = context.Request.RouteValues["command"] as string;
        if (command is not ("acknowledge" or "shelve"))
        {
            await Json(context, 404, Error("alarm commands are acknowledge and shelve")).ConfigureAwait(false);
            return;
        }
        if (hmi.Alarms is not { } alarms)
        {
            await Json(context, 503, Error("this server has no alarm store")).ConfigureAwait(false);
            return;
        }
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body?.Get("id") is not string { Length: > 0 } alarmId)
        {
            await Json(context, 400, Error("expected a JSON object with the alarm's id")).ConfigureAwait(false);
            return;
        }
        var list = body.Get("widget") is string widgetId ? hmi.Widget(widgetId) as AlarmListWidget : null;
        var client = Client(context.User);
        var user = client.User ?? "hmi";
        var reason = body.Get("reason") as string ?? body.Get("comment") as string;
        if (reason is { Length: > 500 }) reason = reason[..500];
        AlarmCommandResult result;
        double? minutes = null;
        if (command == "acknowledge")
        {
            result = await alarms.AcknowledgeAsync(alarmId, user, string.IsNullOrWhiteSpace(reason) ? null : reason, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(reason))
            {
                await Json(context, 400, Error("shelving needs a reason")).ConfigureAwait(false);
                return;
            }
            if (body.Get("minutes") is not double m || !double.IsFinite(m) || m <= 0 || m > 7 * 24 * 60)
            {
                await Json(context, 400, Error("minutes: expected a duration from 1 minute to 7 days")).ConfigureAwait(false);
                return;
            }
            minutes = m;
            result = await alarms.ShelveAsync(alarmId, TimeSpan.FromMinutes(m), user, reason, context.RequestAborted).ConfigureAwait(false);
        }
        var status = result.Status switch
        {
            AlarmCommandStatus.Done => 200,
            AlarmCommandStatus.NotFound => 404,
            _ => 409,
        };
        if (result is { Status: AlarmCommandStatus.Done, Alarm: { } alarm })
        {
            AlarmListWidget.Audit(audit, command, alarm, client, reason, minutes);
            if (list is not null && list.Shows(alarm)) list.Commanded(command, alarm, client, reason);
            await Json(context, 200, new JsObject { ["ok"] = true, ["alarm"] = alarm.ToJson() }).ConfigureAwait(false);
            return;
        }
        await Json(context, status, Error(result.Message)).ConfigureAwait(false);
    }

    private static async Task<JsObject?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes) return null;
        }
        return JsJson.TryParse(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), out var parsed, out _) ? parsed as JsObject : null;
    }

    private static JsObject Error(string message) => new() { ["error"] = message };

    private static Task Json(HttpContext context, int status, JsObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync(JsJson.SerializeToUtf8(body), context.RequestAborted).AsTask();
    }

    // ---- the page's files ----

    private static readonly Assembly Assets = typeof(HmiEndpoints).Assembly;

    private static async Task ServeAsset(HttpContext context, string file)
    {
        var contentType = Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => null,
        };
        // Only known kinds of file, by exact resource name: no path ever reaches the file system.
        using var stream = contentType is null ? null : Assets.GetManifestResourceStream("hmi/" + file);
        if (stream is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.ContentType = contentType;
        // Revalidated each time, so a new FlowEngine version never runs an old cached page against a new server.
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "HMI: SignalR is not available (the admin API is off), so /ui pages are not live")]
    private static partial void LogNoHub(ILogger logger);
}
