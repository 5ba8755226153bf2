using FlowEngine.Core.Runtime;

namespace FlowEngine.Host.Security;

/// <summary>
/// Node-RED's permission strings (§4.2): "*" everything; "read" (or "*.read") any X.read; "write" (or "*.write")
/// any X.write; specific names (flows.read, inject.write...); a list is the union. FlowEngine's roles map onto them.
/// </summary>
internal static class Permissions
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    /// <summary>
    /// The roles: admin does everything; operator reads everything, triggers inject nodes, switches debug output,
    /// acknowledges alarms and writes HMI values, but cannot deploy; viewer only reads.
    /// </summary>
    public static IReadOnlyList<string>? ForRole(string role) => role switch
    {
        Admin => ["*"],
        Operator => ["read", "inject.write", "debug.write", "alarms.write", "hmi.write"],
        Viewer => ["read"],
        _ => null,
    };

    /// <summary>True when any scope entry grants the permission (Node-RED's hasPermission).</summary>
    public static bool Has(IReadOnlyList<string> scope, string permission) => PermissionScope.Has(scope, permission);

    /// <summary>True when every entry of the requested scope is within the user's permissions.</summary>
    public static bool Within(IReadOnlyList<string> userScope, IReadOnlyList<string> requested) =>
        requested.All(r => Has(userScope, r));

    /// <summary>
    /// The permission an admin route needs, from its path below httpAdminRoot and its method, as Node-RED's
    /// routes declare them. Null: open to anyone (the login endpoints). "": any caller that passes authentication.
    /// Anything not listed needs "*", so a route added later is closed until someone decides otherwise.
    /// </summary>
    public static string? ForRoute(string path, string method)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var first = segments.Length > 0 ? segments[0] : "";
        var read = method is "GET" or "HEAD";
        return first switch
        {
            "auth" when segments.Length > 1 && segments[1] is "login" or "token" => null,
            "auth" => "",
            "flows" or "flow" => read ? "flows.read" : "flows.write",
            "nodes" => read ? "nodes.read" : "nodes.write",
            "context" => read ? "context.read" : "context.write",
            "settings" => read ? "settings.read" : "settings.write",
            "inject" => "inject.write",
            "debug" => "debug.write",
            "credentials" => "credentials.read",
            "diagnostics" => "diagnostics.read",
            "audit" => "audit.read",
            "comms" => "status.read",
            "metrics" => "metrics.read",
            "alarms" => read ? "alarms.read" : "alarms.write",
            "cvt" => "cvt.read",
            "assets" => read ? "assets.read" : "assets.write",
            _ => "*",
        };
    }
}
