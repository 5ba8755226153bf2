using FlowEngine.Core.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowEngine.Host.Admin;

/// <summary>
/// Probes for supervisors and load balancers, at the server root whatever httpAdminRoot is:
/// /healthz answers 200 "ok" while the process serves HTTP; /readyz answers 200 once the flows run and every
/// connection config node in use (MQTT brokers, devices, servers: <see cref="IConnectionHealth"/>) is connected, and
/// 503 naming what is missing otherwise (starting, safe mode, stopped, shutting down, a connection down).
/// <c>/readyz?connections=false</c> checks only that the flows run.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(WebApplication app, AdminServices services)
    {
        app.MapGet("/healthz", () => Results.Text("ok", "text/plain; charset=utf-8"));
        app.MapGet("/readyz", (HttpContext context) =>
        {
            if (!(services.Flows.StartupCompleted && services.Flows.State == "start" && services.Runtime.IsStarted))
            {
                return NotReady($"not ready: flows {(services.Flows.StartupCompleted ? services.Flows.State : "starting")}");
            }
            if (context.Request.Query["connections"].ToString() != "false")
            {
                var down = services.Runtime.Runners.Select(r => r.Node)
                    .Where(n => n is IConnectionHealth { IsConnected: false })
                    .Select(n => $"{n.Type} {n.Id} ({((IConnectionHealth)n).ConnectionTarget})")
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (down.Count > 0) return NotReady("not ready: disconnected: " + string.Join(", ", down));
            }
            return Results.Text("ready", "text/plain; charset=utf-8");
        });
    }

    private static IResult NotReady(string text) =>
        Results.Text(text, "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
}
