using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /auth/login (§4.2). There is no adminAuth yet, so the answer is Node-RED's "no login needed": {}.
/// The login, token and revoke endpoints arrive with authentication.
/// </summary>
internal static class AuthEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/auth/login", () => AdminResults.Json(new JsObject()));
    }
}
