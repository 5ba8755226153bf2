using System.Collections.Concurrent;
using System.Diagnostics;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.S7.Tests;

/// <summary>Helpers for flows with S7 nodes. They run on the real clock: the peer and the sockets do.</summary>
internal static class S7Flows
{
    public static Task<TestFlow> StartAsync(string nodes, IServiceProvider? hostServices = null) =>
        TestFlow.StartAsync($$"""[{"id":"t1","type":"tab","label":"S7"},{{nodes}}]""",
            new TestFlowOptions { Register = S7Nodes.Register, FakeClock = false, HostServices = hostServices });

    /// <summary>An s7 endpoint "plc" on loopback; vartable is a JSON list of {addr, name}.</summary>
    public static string Endpoint(int port, string vartable, string extra = "") =>
        $$"""{"id":"plc","type":"s7 endpoint","transport":"iso-on-tcp","address":"127.0.0.1","port":{{port}},"rack":0,"slot":1,"connmode":"rack-slot","cycletime":100,"timeout":2000,"vartable":{{vartable}}{{extra}}}""";

    public static T Node<T>(TestFlow flow, string id) where T : class =>
        flow.Runtime.Services.Nodes.Find(id) as T ?? throw new InvalidOperationException($"no running {typeof(T).Name} {id}");

    /// <summary>Waits (real time, bounded, generous for a loaded machine) for a condition that depends on the peer.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 15000)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.ElapsedMilliseconds > timeoutMs) return false;
            await Task.Delay(20);
        }
        return true;
    }
}

/// <summary>The host's audit trail as the nodes see it, recording what they write.</summary>
internal sealed class AuditRecorder : IAuditLog, IServiceProvider
{
    public ConcurrentQueue<(string Action, string? User, JsObject? Details)> Records { get; } = new();

    public void Record(string action, string? user, JsObject? details = null) => Records.Enqueue((action, user, details));

    public object? GetService(Type serviceType) => serviceType == typeof(IAuditLog) ? this : null;
}
