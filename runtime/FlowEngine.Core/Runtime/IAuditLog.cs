using FlowEngine.Core.Values;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// The audit trail (IEC 62443 style: who changed what, when). The host provides it; node families record device
/// writes, alarm acknowledgements and operator actions through <see cref="AuditLogExtensions.AuditLog"/>.
/// </summary>
public interface IAuditLog
{
    /// <param name="action">What happened, dotted: "auth.login", "flows.deploy", "modbus.write", "hmi.action"...</param>
    /// <param name="user">Who did it: a username, "anonymous", or null when no adminAuth is set or a flow did it alone.</param>
    /// <param name="details">Anything else worth keeping (JSON values: string, double, bool, lists, JsObject).</param>
    void Record(string action, string? user, JsObject? details = null);
}

public static class AuditLogExtensions
{
    /// <summary>The host's audit trail, or null when the runtime runs without a host (unit tests, benchmarks).</summary>
    public static IAuditLog? AuditLog(this IRuntimeServices services) => services.HostServices.GetService(typeof(IAuditLog)) as IAuditLog;

    /// <summary>
    /// The person behind a message, when an HMI page or an HTTP caller started it: <c>msg._client.user</c>, as HMI
    /// widgets set it. Null for values a flow produced by itself.
    /// </summary>
    public static string? ClientUser(JsObject message) => message.Get("_client") is JsObject client ? client.Get("user") as string : null;
}
