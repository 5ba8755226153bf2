using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET/POST /flows (the whole configuration, §1.1 and §3), GET/POST /flows/state (§3.3), and FlowEngine's
/// GET /flows/status (load errors, missing types, the last deploy).
/// </summary>
internal static class FlowsEndpoints
{
    public const string ApiVersionHeader = "Node-RED-API-Version";
    public const string DeploymentTypeHeader = "Node-RED-Deployment-Type";

    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/flows", (HttpContext context) => GetFlows(context, services));
        group.MapPost("/flows", Task<IResult> (HttpContext context) => PostFlowsAsync(context, services));
        group.MapGet("/flows/state", () => AdminResults.Json(new JsObject { ["state"] = services.Flows.State }));
        if (services.Configuration.RuntimeStateEnabled)
        {
            // Node-RED offers this route only when settings enable it; otherwise it is a 404 (§4.1).
            group.MapPost("/flows/state", Task<IResult> (HttpContext context) => PostStateAsync(context, services));
        }
        else
        {
            // Mapped anyway so the answer is Node-RED's 404, not a 405 for the GET route beside it.
            group.MapPost("/flows/state", () => ErrorResponses.Error(StatusCodes.Status404NotFound, ErrorResponses.NotFound,
                "POST /flows/state is available when settings runtimeState.enabled is true"));
        }
        group.MapGet("/flows/status", () => GetStatus(services));
    }

    /// <summary>"v1" (default) or "v2"; anything else is refused as Node-RED refuses it.</summary>
    private static string ApiVersion(HttpContext context)
    {
        var header = context.Request.Headers[ApiVersionHeader].ToString();
        if (header.Length == 0) return "v1";
        if (header is "v1" or "v2") return header;
        throw ErrorResponses.BadRequest(ErrorResponses.InvalidApiVersion, "Invalid API Version requested");
    }

    private static IResult GetFlows(HttpContext context, AdminServices services)
    {
        var version = ApiVersion(context);
        var config = services.Flows.Current;
        if (version == "v1") return AdminResults.Json(config.ToJson());
        return AdminResults.Json(new JsObject { ["flows"] = config.ToJson(), ["rev"] = config.Revision });
    }

    private static async Task<IResult> PostFlowsAsync(HttpContext context, AdminServices services)
    {
        var version = ApiVersion(context);
        var typeHeader = context.Request.Headers[DeploymentTypeHeader].ToString();
        if (!DeploymentTypes.TryParse(typeHeader, out var type))
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidDeploymentType,
                $"Unknown deployment type \"{typeHeader}\" in {DeploymentTypeHeader}: use full, nodes, flows or reload");
        }
        object? flows = null;
        var checkRevision = false;
        object? revision = null;
        if (type != DeploymentType.Reload)
        {
            // Node-RED ignores the body of a reload: the flows are re-read from storage.
            var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
            if (version == "v1")
            {
                if (body.Value is not List<object?>)
                {
                    throw ErrorResponses.BadRequest(ErrorResponses.InvalidFlows,
                        $"The body must be a JSON array of flow objects (send {ApiVersionHeader}: v2 for the {{\"flows\":[...],\"rev\":\"...\"}} form)");
                }
                flows = body.Value;
            }
            else
            {
                if (body.Value is not JsObject wrapper || wrapper.Get("flows") is not List<object?>)
                {
                    throw ErrorResponses.BadRequest(ErrorResponses.InvalidFlows, "The body must be a JSON object {\"flows\":[...], \"rev\"?:\"...\", \"credentials\"?:{...}}");
                }
                flows = wrapper;
                checkRevision = wrapper.ContainsKey("rev");
                revision = wrapper.Get("rev");
            }
        }
        // Not the request's cancellation: a deploy the client stops waiting for still finishes whole.
        var outcome = await services.Flows.DeployAsync(flows, type, checkRevision, revision, CancellationToken.None).ConfigureAwait(false);
        return version == "v1" ? Results.NoContent() : AdminResults.Json(new JsObject { ["rev"] = outcome.Revision });
    }

    private static async Task<IResult> PostStateAsync(HttpContext context, AdminServices services)
    {
        var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
        var state = (body.Value as JsObject)?.Get("state") as string;
        if (state is not ("start" or "stop"))
        {
            throw ErrorResponses.BadRequest(ErrorResponses.InvalidRunState, $"Invalid state \"{state}\": use start or stop");
        }
        var result = await services.Flows.SetStateAsync(state, CancellationToken.None).ConfigureAwait(false);
        return AdminResults.Json(new JsObject { ["state"] = result });
    }

    private static IResult GetStatus(AdminServices services)
    {
        var flows = services.Flows;
        var runtime = services.Runtime;
        var last = flows.LastDeploy;
        return AdminResults.Json(new JsObject
        {
            ["state"] = flows.State,
            ["started"] = runtime.IsStarted,
            ["revision"] = flows.CurrentRevision,
            ["safeMode"] = services.Configuration.SafeMode,
            ["notRunningReason"] = flows.HeldReason,
            ["loadError"] = runtime.LoadError,
            ["missingTypes"] = runtime.MissingTypes.Order(StringComparer.Ordinal).Select(t => (object?)t).ToList(),
            ["flowFile"] = services.Configuration.FlowFilePath,
            ["lastDeploy"] = last is null ? null : new JsObject
            {
                ["type"] = last.Type,
                ["at"] = last.At.UtcDateTime,
                ["revision"] = last.Revision,
                ["started"] = (double)last.Started,
                ["stopped"] = (double)last.Stopped,
                ["droppedMessages"] = (double)last.DroppedMessages,
            },
        });
    }
}
