using System.Security.Claims;
using FlowEngine.Core.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Security;

/// <summary>Marks an endpoint as part of the admin API: with adminAuth set, it needs the permission its route names.</summary>
internal sealed class AdminRouteMetadata;

/// <summary>
/// Guards every endpoint marked <see cref="AdminRouteMetadata"/> (the admin route group, the comms hub,
/// /metrics) when adminAuth is set: the permission comes from <see cref="Permissions.ForRoute"/>; a caller without
/// it gets Node-RED's bare 401. The caller is left in HttpContext.Items for endpoints that record who did what.
/// Endpoints without the marker (probes, editor files, flow HTTP endpoints) are not touched.
/// </summary>
internal static class AdminAuthMiddleware
{
    public static Func<HttpContext, RequestDelegate, Task> Create(AdminAuthService? auth, string? adminRoot)
    {
        var prefix = (adminRoot ?? "/").TrimEnd('/');
        return async (context, next) =>
        {
            if (auth is null || context.GetEndpoint() is not RouteEndpoint endpoint)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            // Admin routes take their permission from the route; node families' endpoints declare theirs.
            string? permission;
            if (endpoint.Metadata.GetMetadata<EndpointPermission>() is { } declared) permission = declared.Permission;
            else if (endpoint.Metadata.GetMetadata<AdminRouteMetadata>() is not null) permission = Permissions.ForRoute(RelativePath(endpoint.RoutePattern.RawText ?? "", prefix), context.Request.Method);
            else
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            if (permission is not null)
            {
                var user = auth.Authenticate(context);
                if (user is null || !user.Has(permission))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync("Unauthorized", context.RequestAborted).ConfigureAwait(false);
                    return;
                }
                context.Items[AuthUser.ItemKey] = user;
                context.User = Principal(user);
                CurrentUser.Value = user.Username;
            }
            await next(context).ConfigureAwait(false);
        };
    }

    /// <summary>The caller as ASP.NET Core sees users, for node families' endpoints (see <see cref="EndpointPermission"/>).</summary>
    private static ClaimsPrincipal Principal(AuthUser user)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, user.Username) };
        foreach (var granted in user.Permissions) claims.Add(new Claim(PermissionScope.ClaimType, granted));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, user.Anonymous ? "anonymous" : "flowengine"));
    }

    /// <summary>The caller of the admin request in progress, for code below the endpoints (deploy audit).</summary>
    public static readonly AsyncLocal<string?> CurrentUser = new();

    public static string RelativePath(string pattern, string prefix)
    {
        var path = "/" + pattern.TrimStart('/');
        return prefix.Length > 0 && path.StartsWith(prefix + "/", StringComparison.Ordinal) ? path[prefix.Length..] : path;
    }

    /// <summary>Who made the request: the user's name, "anonymous", or null when adminAuth is not set.</summary>
    public static string? UserName(HttpContext context) => context.Items[AuthUser.ItemKey] is AuthUser user ? user.Username : null;
}
