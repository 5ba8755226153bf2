using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowEngine.Host.Admin;

/// <summary>
/// Probes for supervisors and load balancers, at the server root whatever httpAdminRoot is:
/// /healthz answers 200 "ok" while the process serves HTTP; /readyz answers 200 once the flows run and 503 before
/// that (starting, safe mode, stopped, shutting down).
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(WebApplication app, AdminServices services)
    {
        app.MapGet("/healthz", () => Results.Text("ok", "text/plain; charset=utf-8"));
        app.MapGet("/readyz", () => services.Flows.StartupCompleted && services.Flows.State == "start" && services.Runtime.IsStarted
            ? Results.Text("ready", "text/plain; charset=utf-8")
            : Results.Text($"not ready: flows {(services.Flows.StartupCompleted ? services.Flows.State : "starting")}",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
