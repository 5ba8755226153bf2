using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// FlowEngine's GET /audit?page=1&amp;pageSize=50: the audit trail, newest first →
/// <c>{"total", "page", "pageSize", "entries":[{"id", "timestamp", "action", "user", ...details}]}</c>.
/// Needs audit.read when adminAuth is set. The trail cannot be changed through the API.
/// </summary>
internal static class AuditEndpoints
{
    public const int MaxPageSize = 500;

    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/audit", (HttpContext context) =>
        {
            if (services.Audit is not { } audit) throw ErrorResponses.NotFoundError("the audit trail is not available");
            var page = Number(context, "page", 1, int.MaxValue, 1);
            var pageSize = Number(context, "pageSize", 1, MaxPageSize, 50);
            var result = audit.Read(page, pageSize);
            return AdminResults.Json(new JsObject
            {
                ["total"] = (double)result.Total,
                ["page"] = (double)page,
                ["pageSize"] = (double)pageSize,
                ["entries"] = result.Entries.Cast<object?>().ToList(),
            });
        });
    }

    private static int Number(HttpContext context, string name, int min, int max, int fallback)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0) return fallback;
        if (!int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, $"{name} must be a whole number from {min} to {max}");
        }
        return value;
    }
}
