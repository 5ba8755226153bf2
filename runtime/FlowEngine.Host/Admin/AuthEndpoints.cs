using FlowEngine.Core.Values;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /auth/login, POST /auth/token, POST /auth/revoke (§4.2). Without adminAuth, /auth/login answers {} (no
/// login needed) and the other two are not there, as in Node-RED.
/// </summary>
internal static class AuthEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        var auth = services.Auth;
        group.MapGet("/auth/login", () => AdminResults.Json(auth is null ? new JsObject() : LoginPrompts(auth)));
        if (auth is null) return;
        group.MapPost("/auth/token", Task<IResult> (HttpContext context) => TokenAsync(context, services, auth));
        group.MapPost("/auth/revoke", Task<IResult> (HttpContext context) => RevokeAsync(context, services, auth));
    }

    private static JsObject LoginPrompts(AdminAuthService auth)
    {
        var prompts = new List<object?>
        {
            new JsObject { ["id"] = "username", ["type"] = "text", ["label"] = "user.username" },
            new JsObject { ["id"] = "password", ["type"] = "password", ["label"] = "user.password" },
        };
        // FlowEngine's addition: the second factor, asked only when some user has one.
        if (auth.Settings.AnyTotp) prompts.Add(new JsObject { ["id"] = "totp", ["type"] = "text", ["label"] = "user.totp" });
        return new JsObject { ["type"] = "credentials", ["prompts"] = prompts };
    }

    private static async Task<IResult> TokenAsync(HttpContext context, AdminServices services, AdminAuthService auth)
    {
        var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
        if (body.Value is not JsObject request)
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, "expected {client_id, grant_type, scope, username, password}");
        }
        if (request.Get("grant_type") is string grantType && grantType != "password")
        {
            return AdminResults.Json(new JsObject { ["error"] = "unsupported_grant_type", ["error_description"] = "Only the password grant is supported" },
                StatusCodes.Status400BadRequest);
        }
        var grant = await auth.GrantAsync(Text(request, "username"), Text(request, "password"), Totp(request),
            Text(request, "scope"), Text(request, "client_id"), context.RequestAborted).ConfigureAwait(false);
        if (grant.AccessToken is null)
        {
            return AdminResults.Json(new JsObject { ["error"] = "invalid_grant", ["error_description"] = grant.Refusal }, StatusCodes.Status403Forbidden);
        }
        return AdminResults.Json(new JsObject { ["access_token"] = grant.AccessToken, ["expires_in"] = grant.ExpiresIn, ["token_type"] = "Bearer" });
    }

    private static async Task<IResult> RevokeAsync(HttpContext context, AdminServices services, AdminAuthService auth)
    {
        var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
        if (body.Value is not JsObject request || request.Get("token") is not string token)
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, "expected {token}");
        }
        auth.Revoke(token, AdminAuthMiddleware.UserName(context));
        return AdminResults.Status(StatusCodes.Status200OK);
    }

    /// <summary>A JSON number loses a code's leading zeros: put them back.</summary>
    private static string? Totp(JsObject request) => request.Get("totp") is double d
        ? ((long)d).ToString("D6", System.Globalization.CultureInfo.InvariantCulture)
        : Text(request, "totp");

    // Form fields arrive as text; a JSON body may carry a TOTP code as a number.
    private static string? Text(JsObject request, string key) => request.Get(key) switch
    {
        string s => s,
        double d => JsValue.FormatNumber(d),
        _ => null,
    };
}
