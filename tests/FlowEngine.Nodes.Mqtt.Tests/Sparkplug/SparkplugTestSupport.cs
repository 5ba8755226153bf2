using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Mqtt.Tests.Sparkplug;

/// <summary>Flow builders and waits for the Sparkplug tests.</summary>
internal static class Spb
{
    public static string Group() => "G" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A tab with nodes; config nodes (mqtt-broker, sparkplug-edge) get no tab, wires or position.</summary>
    public static string Flow(params string[] nodes)
    {
        var sb = new StringBuilder("""[{"id":"t1","type":"tab","label":"T"}""");
        foreach (var node in nodes)
        {
            var trimmed = node.Trim();
            var isConfig = trimmed.Contains("\"type\":\"mqtt-broker\"", StringComparison.Ordinal) || trimmed.Contains("\"type\":\"sparkplug-edge\"", StringComparison.Ordinal);
            sb.Append(',').Append(trimmed[..^1]);
            if (!isConfig) sb.Append(""","z":"t1","x":100,"y":100""");
            if (!isConfig && !trimmed.Contains("\"wires\"", StringComparison.Ordinal)) sb.Append(""","wires":[]""");
            sb.Append('}');
        }
        return sb.Append(']').ToString();
    }

    public static string Edge(string id, string broker, string group, string edge, string extra = "") =>
        $$"""{"id":"{{id}}","type":"sparkplug-edge","broker":"{{broker}}","groupId":"{{group}}","edgeNodeId":"{{edge}}","clientid":"{{group}}-{{edge}}"{{extra}}}""";

    public static string Out(string id, string edge, string device = "", string wires = "") =>
        $$"""{"id":"{{id}}","type":"sparkplug out","edge":"{{edge}}","deviceId":"{{device}}","wires":[[{{(wires.Length > 0 ? "\"" + wires + "\"" : "")}}]]}""";

    public static string In(string id, string broker, string group, string wires, string extra = "") =>
        $$"""{"id":"{{id}}","type":"sparkplug in","broker":"{{broker}}","groupId":"{{group}}","edgeNodeId":"","deviceId":"","output":"metric","rebirth":true{{extra}},"wires":[["{{wires}}"]]}""";

    public static string Command(string id, string broker, string group, string edge, string device = "") =>
        $$"""{"id":"{{id}}","type":"sparkplug command","broker":"{{broker}}","groupId":"{{group}}","edgeNodeId":"{{edge}}","deviceId":"{{device}}"}""";

    public static string Catch(string wires) => $$"""{"id":"c","type":"catch","scope":null,"wires":[["{{wires}}"]]}""";

    public static Task<TestFlow> StartAsync(string flowJson, IServiceProvider? hostServices = null) =>
        TestFlow.StartAsync(flowJson, new TestFlowOptions
        {
            Register = MqttNodes.Register,
            Settings = new JsObject { ["mqttReconnectTime"] = 500.0 },
            HostServices = hostServices,
        });

    /// <summary>The next message on a helper that matches; earlier ones that do not match are skipped.</summary>
    public static async Task<JsObject> NextMatchingAsync(this TestFlow flow, string helperId, Func<JsObject, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        var seen = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            JsObject next;
            try
            {
                next = await flow.NextAsync(helperId, deadline - DateTime.UtcNow);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                break;
            }
            if (match(next)) return next;
            seen.Add($"{next.Get("topic")}={JsJson.Serialize(next.Get("payload"))}({next.Get("quality")})");
        }
        throw new TimeoutException($"no matching message on {helperId}; saw: {string.Join(" | ", seen)}");
    }

    public static JsonObject Metric(this JsonObject message, string name) =>
        message["payload"]!["metrics"]!.AsArray().Select(m => m!.AsObject()).FirstOrDefault(m => (string?)m["name"] == name)
        ?? throw new InvalidOperationException($"no metric {name} in {message.ToJsonString()}");

    public static long Seq(this JsonObject message) => (long)message["payload"]!["seq"]!;
}

/// <summary>The audit trail a host would keep, recorded in memory.</summary>
internal sealed class AuditRecorder : IAuditLog, IServiceProvider
{
    public ConcurrentQueue<(string Action, string? User, JsObject? Details)> Entries { get; } = new();

    public void Record(string action, string? user, JsObject? details = null) => Entries.Enqueue((action, user, details));

    public object? GetService(Type serviceType) => serviceType == typeof(IAuditLog) ? this : null;
}
