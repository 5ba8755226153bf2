using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>POST /inject/:id — the inject button (§4.1): 200, or 404 for an unknown node.</summary>
internal static class InjectEndpoints
{
    /// <summary>The body key the editor uses to send one-off property values for a single injection.</summary>
    public const string UserInjectProperties = "__user_inject_props__";

    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapPost("/inject/{id}", async (HttpContext context, string id) =>
        {
            var node = services.Runtime.FindNode(id) ?? throw ErrorResponses.NotFoundError($"No running node with id {id}");
            var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
            // As Node-RED's inject handler: the body counts only when it carries __user_inject_props__.
            var overrides = body.Value is JsObject props && props.ContainsKey(UserInjectProperties) ? props : null;
            if (!await services.Runtime.InjectAsync(id, overrides, context.RequestAborted).ConfigureAwait(false))
            {
                throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, $"Node {id} ({node.Type}) cannot be triggered");
            }
            return AdminResults.Status(StatusCodes.Status200OK);
        });
    }
}
