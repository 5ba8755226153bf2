using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// POST /debug/:id/(enable|disable) and POST /debug/(enable|disable) {nodes:[...]} (§4.1): Node-RED answers
/// 200 for enable and 201 for disable (its debug node does so; the editor ignores the body).
/// </summary>
internal static class DebugEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapPost("/debug/{id}/{state}", (string id, string state) =>
        {
            var active = ParseState(state);
            var node = services.Runtime.FindNode(id) ?? throw ErrorResponses.NotFoundError($"No running node with id {id}");
            node.SetActive(active);
            return Answer(active);
        });
        group.MapPost("/debug/{state}", async (HttpContext context, string state) =>
        {
            var active = ParseState(state);
            var body = await services.ReadBodyAsync(context).ConfigureAwait(false);
            if ((body.Value as JsObject)?.Get("nodes") is not List<object?> ids)
            {
                throw ErrorResponses.BadRequest(ErrorResponses.InvalidRequest, "The body must be {\"nodes\":[\"<node id>\", ...]}");
            }
            // Unknown ids are skipped, as Node-RED does: the editor may list nodes that are no longer deployed.
            foreach (var id in ids.OfType<string>()) services.Runtime.FindNode(id)?.SetActive(active);
            return Answer(active);
        });
    }

    private static bool ParseState(string state) => state switch
    {
        "enable" => true,
        "disable" => false,
        _ => throw ErrorResponses.NotFoundError($"Unknown debug state \"{state}\": use enable or disable"),
    };

    private static IResult Answer(bool active) => AdminResults.Status(active ? StatusCodes.Status200OK : StatusCodes.Status201Created);
}
