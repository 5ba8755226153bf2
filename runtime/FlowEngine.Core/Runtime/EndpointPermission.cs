using System.Text.RegularExpressions;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// Endpoint metadata a node family puts on the HTTP endpoints it maps (clips, HMI pages' actions, alarm commands):
/// when adminAuth is set, the host lets a request through only with this permission (Node-RED permission strings:
/// "hmi.read", "hmi.write", "alarms.write"...) and leaves the caller in HttpContext.User (Identity.Name is the
/// username; one <see cref="PermissionScope.ClaimType"/> claim per granted permission: test them with
/// <see cref="PermissionScope.Has(IEnumerable{string}, string)"/>).
/// Without adminAuth every request passes and HttpContext.User is unauthenticated.
/// </summary>
public sealed record EndpointPermission(string Permission);

/// <summary>Node-RED's permission matching: "*" grants everything, "read"/"*.read" any X.read, "write"/"*.write" any X.write.</summary>
public static partial class PermissionScope
{
    /// <summary>The claim type the host uses for each granted permission on HttpContext.User.</summary>
    public const string ClaimType = "flowengine/permission";

    /// <summary>True when any granted entry covers the permission ("" is granted to anyone authenticated).</summary>
    public static bool Has(IEnumerable<string> granted, string permission)
    {
        if (permission.Length == 0) return true;
        foreach (var entry in granted)
        {
            if (Grants(entry, permission)) return true;
        }
        return false;
    }

    private static bool Grants(string granted, string permission)
    {
        if (granted == "*" || granted == permission) return true;
        if (granted is "read" or "*.read") return ReadPermission().IsMatch(permission);
        if (granted is "write" or "*.write") return WritePermission().IsMatch(permission);
        return false;
    }

    [GeneratedRegex(@"^(([^.]+)\.)?read$", RegexOptions.CultureInvariant)]
    private static partial Regex ReadPermission();

    [GeneratedRegex(@"^(([^.]+)\.)?write$", RegexOptions.CultureInvariant)]
    private static partial Regex WritePermission();
}
