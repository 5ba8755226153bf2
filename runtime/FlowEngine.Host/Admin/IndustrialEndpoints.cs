using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// The industrial nodes' endpoints under httpAdminRoot, each one call into <see cref="IndustrialApi"/> (routes and
/// shapes are documented there and in docs/admin-api.md):
/// GET /alarms, GET /alarms/history, POST /alarms/ack|shelve|unshelve, POST /alarms/:id/ack|shelve|unshelve
/// (permission alarms.write: operators have it), GET /cvt, /cvt/tables, /cvt/:tag, GET/PUT/DELETE /assets[/:tag].
/// Alarm commands are recorded by the alarm store with the logged-in user; asset changes go to the audit trail.
/// </summary>
internal static class IndustrialEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        if (services.Families is not { } families) return;
        var api = new IndustrialApi(families.Industrial);

        group.MapGet("/alarms", (HttpContext c) => Write(api.ListAlarms(Query(c, "tag"), Query(c, "state"))));
        group.MapGet("/alarms/history", (HttpContext c) => Write(api.History(Query(c, "page"), Query(c, "pageSize"), Query(c, "tag"),
            Query(c, "alarmId"), Query(c, "from"), Query(c, "to"))));
        group.MapPost("/alarms/{action}", async Task<IResult> (HttpContext c) =>
        {
            var body = await services.ReadBodyAsync(c).ConfigureAwait(false);
            return Write(await api.CommandAsync((string)c.GetRouteValue("action")!, body.Value as JsObject, UserOf(c), null, c.RequestAborted).ConfigureAwait(false));
        });
        group.MapPost("/alarms/{id}/{action}", async Task<IResult> (HttpContext c) =>
        {
            var body = await services.ReadBodyAsync(c).ConfigureAwait(false);
            var id = Uri.UnescapeDataString((string)c.GetRouteValue("id")!);
            return Write(await api.CommandAsync((string)c.GetRouteValue("action")!, body.Value as JsObject, UserOf(c), id, c.RequestAborted).ConfigureAwait(false));
        });

        group.MapGet("/cvt", (HttpContext c) => Write(api.CurrentValues(Query(c, "table"), Query(c, "prefix"))));
        group.MapGet("/cvt/tables", () => Write(api.CurrentValueTableNames()));
        group.MapGet("/cvt/{*tag}", (HttpContext c, string tag) => Write(api.CurrentValue(tag, Query(c, "table"))));

        group.MapGet("/assets", () => Write(api.ListAssets()));
        group.MapGet("/assets/{*tag}", (string tag) => Write(api.GetAsset(tag)));
        group.MapPut("/assets", async Task<IResult> (HttpContext c) =>
        {
            ApiResult result;
            if (IsCsv(c.Request.ContentType))
            {
                using var reader = new StreamReader(c.Request.Body, Encoding.UTF8);
                var text = await reader.ReadToEndAsync(c.RequestAborted).ConfigureAwait(false);
                if (text.Length > services.Configuration.ApiMaxLength) return ErrorResponses.Error(413, "payload_too_large", "the asset table is larger than apiMaxLength");
                result = api.ReplaceAssets(text, csv: true);
            }
            else
            {
                result = api.ReplaceAssets((await services.ReadBodyAsync(c).ConfigureAwait(false)).Value);
            }
            if (result.StatusCode == 200) services.Audit?.Record("assets.replace", AdminAuthMiddleware.UserName(c), result.Body as JsObject);
            return Write(result);
        });
        group.MapPut("/assets/{*tag}", async Task<IResult> (HttpContext c) =>
        {
            var tag = (string)c.GetRouteValue("tag")!;
            var result = api.PutAsset(tag, (await services.ReadBodyAsync(c).ConfigureAwait(false)).Value);
            if (result.StatusCode == 200) services.Audit?.Record("assets.put", AdminAuthMiddleware.UserName(c), new JsObject { ["tag"] = tag });
            return Write(result);
        });
        group.MapDelete("/assets/{*tag}", (HttpContext c, string tag) =>
        {
            var result = api.DeleteAsset(tag);
            if (result.StatusCode == 204) services.Audit?.Record("assets.delete", AdminAuthMiddleware.UserName(c), new JsObject { ["tag"] = tag });
            return Write(result);
        });
    }

    private static string? Query(HttpContext context, string name)
    {
        var value = context.Request.Query[name].ToString();
        return value.Length == 0 ? null : value;
    }

    /// <summary>The person acknowledging: the logged-in user; without adminAuth, "anonymous".</summary>
    private static string UserOf(HttpContext context) => AdminAuthMiddleware.UserName(context) ?? "anonymous";

    private static bool IsCsv(string? contentType) =>
        contentType is not null && contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase);

    private static IResult Write(ApiResult result) =>
        result.StatusCode == StatusCodes.Status204NoContent ? Results.NoContent() : AdminResults.Json(result.Body, result.StatusCode);
}
