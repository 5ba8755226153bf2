using System.Collections.Concurrent;
using System.Text;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Hmi.Tests;

/// <summary>
/// A page "p" with a group "g", the widget under test "n" in it wired to helper "out", and a catch node sending
/// errors to helper "errors". The HMI services and an audit trail that records are the test's.
/// </summary>
internal sealed class HmiFlow : IAsyncDisposable
{
    private HmiFlow(TestFlow flow, HmiServices hmi, RecordingAudit audit)
    {
        Flow = flow;
        Hmi = hmi;
        Audit = audit;
    }

    public TestFlow Flow { get; }
    public HmiServices Hmi { get; }
    public RecordingAudit Audit { get; }

    public static string Json(string type, string properties, string extraNodes = "", string tabEnv = "[]")
    {
        var inner = properties.Trim().TrimStart('{').TrimEnd('}').Trim();
        var props = inner.Length == 0 ? "" : inner + ",";
        var sb = new StringBuilder();
        sb.Append($$"""[{"id":"t","type":"tab","label":"T","env":{{tabEnv}}},""");
        sb.Append("""{"id":"p","type":"hmi-page","title":"Main"},{"id":"g","type":"hmi-group","page":"p","title":"G","width":6},""");
        sb.Append($$"""{"id":"n","type":"{{type}}","z":"t","group":"g",{{props}}"wires":[["out"]]},""");
        sb.Append("""{"id":"out","type":"helper","z":"t","wires":[]},""");
        sb.Append("""{"id":"c","type":"catch","z":"t","scope":null,"wires":[["errors"]]},""");
        sb.Append("""{"id":"errors","type":"helper","z":"t","wires":[]}""");
        if (extraNodes.Length > 0) sb.Append(',').Append(extraNodes);
        sb.Append(']');
        return sb.ToString();
    }

    public static async Task<HmiFlow> StartAsync(string type, string properties, string extraNodes = "", IndustrialServices? industrial = null, string tabEnv = "[]")
    {
        var hmi = new HmiServices(TimeProvider.System, industrial?.Alarms);
        var audit = new RecordingAudit();
        var flow = await TestFlow.StartAsync(Json(type, properties, extraNodes, tabEnv), new TestFlowOptions
        {
            Register = registry =>
            {
                HmiNodes.Register(registry, hmi);
                if (industrial is not null) IndustrialNodes.Register(registry, industrial);
            },
            HostServices = audit,
        });
        return new HmiFlow(flow, hmi, audit);
    }

    public HmiWidgetNode Widget => Hmi.Widget("n") ?? throw new InvalidOperationException("widget n is not running");

    /// <summary>Waits for the next update of a widget on the page stream (skipping others).</summary>
    public async Task<JsObject> NextUpdateAsync(string id = "n", string kind = "state")
    {
        using var cts = new CancellationTokenSource(TestFlow.DefaultTimeout);
        while (true)
        {
            var update = await Hmi.Updates.ReadAsync(cts.Token);
            if (update.Get("id") as string == id && update.Get("kind") as string == kind) return update;
        }
    }

    /// <summary>Waits until the widget's state satisfies a condition (state changes run on the node's mailbox).</summary>
    public async Task<object?> StateAsync(Func<object?, bool> done)
    {
        var deadline = DateTime.UtcNow + TestFlow.DefaultTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var state = Hmi.Widget("n")?.State;
            if (done(state)) return state;
            await Task.Delay(10);
        }
        throw new TimeoutException("the widget state did not change; it is " + JsJson.Serialize(Hmi.Widget("n")?.State));
    }

    public async ValueTask DisposeAsync()
    {
        await Flow.DisposeAsync();
        Hmi.Dispose();
    }
}

/// <summary>An audit trail that keeps what was recorded, offered to nodes as a host service.</summary>
internal sealed class RecordingAudit : IAuditLog, IServiceProvider
{
    public ConcurrentQueue<(string Action, string? User, JsObject? Details)> Entries { get; } = new();

    public void Record(string action, string? user, JsObject? details = null) => Entries.Enqueue((action, user, details));

    public object? GetService(Type serviceType) => serviceType == typeof(IAuditLog) ? this : null;
}
