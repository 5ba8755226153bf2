using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /credentials/:type/:id (§1.10): plain credential fields in clear and password fields as has_&lt;field&gt;;
/// {} for a node without credentials. The type segment (Node-RED writes spaces as dashes) is not needed: the
/// node's type comes from the configuration.
/// </summary>
internal static class CredentialsEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/credentials/{type}/{id}", (string type, string id) => AdminResults.Json(services.Flows.PublicCredentials(id)));
    }
}
