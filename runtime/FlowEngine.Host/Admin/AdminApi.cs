using FlowEngine.Core.Runtime;
using FlowEngine.Host.Configuration;
using FlowEngine.Host.Audit;
using FlowEngine.Host.Comms;
using FlowEngine.Host.Hosting;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Admin;

/// <summary>What admin endpoints work with. One instance per server; endpoints capture it.</summary>
internal sealed record AdminServices(FlowsService Flows, HostConfiguration Configuration, ILogger Logger)
{
    public FlowRuntime Runtime => Flows.Runtime;
    /// <summary>adminAuth at run time; null when settings have none (everything open).</summary>
    public AdminAuthService? Auth { get; init; }
    public LiteDbAuditLog? Audit { get; init; }
    public CommsBroadcaster? Comms { get; init; }
    /// <summary>The node families' shared services (alarm store, current value tables, asset table).</summary>
    public NodeFamilies? Families { get; init; }

    /// <summary>Reads a JSON body within settings apiMaxLength.</summary>
    public Task<JsonBody> ReadBodyAsync(HttpContext context) =>
        RequestBody.ReadJsonAsync(context, Configuration.ApiMaxLength, Configuration.ApiMaxLengthText);
}

/// <summary>
/// Node-RED's admin HTTP API (§4.1) under settings httpAdminRoot, one file per area. Authentication, the comms
/// websocket and the editor's static files hang from the same group when they come.
/// </summary>
/// <remarks>
/// Handlers are lambdas or method groups that the Request Delegate Generator turns into code at compile time (the
/// runtime alternative compiled expression trees for every route at start: about 150 ms of a 0.9 s start). A handler
/// that takes only the HttpContext and returns Task&lt;IResult&gt; declares that return type
/// (<c>Task&lt;IResult&gt; (HttpContext c) =&gt; ...</c>): otherwise it binds as a bare RequestDelegate and its result is dropped.
/// </remarks>
internal static class AdminApi
{
    public static void Map(WebApplication app, AdminServices services)
    {
        HealthEndpoints.Map(app, services);
        MetricsEndpoints.Map(app, services);
        if (services.Configuration.AdminRoot is { } root)
        {
            var group = app.MapGroup(root.TrimEnd('/'));
            // With adminAuth set, every route of the group needs the permission its path names (Security/Permissions.cs).
            group.WithMetadata(new AdminRouteMetadata());
            group.AddEndpointFilter(async (context, next) =>
            {
                // Until the stored flows are loaded, GET /flows would show an empty configuration that an editor
                // could deploy over them. Node-RED answers 503 for its editor in the same window.
                if (!services.Flows.StartupCompleted)
                {
                    return ErrorResponses.Error(StatusCodes.Status503ServiceUnavailable, ErrorResponses.NotStarted,
                        "FlowEngine is starting: the flows are not loaded yet. Try again shortly.");
                }
                return await next(context).ConfigureAwait(false);
            });
            AuthEndpoints.Map(group, services);
            FlowsEndpoints.Map(group, services);
            FlowEndpoints.Map(group, services);
            NodesEndpoints.Map(group, services);
            InjectEndpoints.Map(group, services);
            DebugEndpoints.Map(group, services);
            CredentialsEndpoints.Map(group, services);
            SettingsEndpoints.Map(group, services);
            AuditEndpoints.Map(group, services);
            ContextEndpoints.Map(group, services);
            DiagnosticsEndpoints.Map(group, services);
            IndustrialEndpoints.Map(group, services);
        }
        // Anything else: Node-RED's error shape rather than an empty 404. A RequestDelegate, which the Request Delegate
        // Generator leaves alone: its version of MapFallback(pattern, handler) drops the pattern for "{*path:nonfile}"
        // and the fallback's last place, and took the editor's page from every path without a dot.
        app.MapFallback("{**path}", context =>
            ErrorResponses.Error(StatusCodes.Status404NotFound, ErrorResponses.NotFound, $"Cannot {context.Request.Method} {context.Request.Path}").ExecuteAsync(context));
    }
}
