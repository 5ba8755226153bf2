using System.Diagnostics;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Modbus.Tests;

/// <summary>Small helpers for flows with Modbus nodes.</summary>
internal static class ModbusFlows
{
    public static TestFlowOptions Options(bool fakeClock = true) => new() { Register = ModbusNodes.Register, FakeClock = fakeClock };

    public static Task<TestFlow> StartAsync(string nodes, bool fakeClock = true) =>
        TestFlow.StartAsync($$"""[{"id":"t1","type":"tab","label":"Modbus"},{{nodes}}]""", Options(fakeClock));

    /// <summary>A modbus-device config node "dev" on loopback; extra is more JSON properties (",\"timeout\":300").</summary>
    public static string Device(int port, string extra = "") =>
        $$"""{"id":"dev","type":"modbus-device","host":"127.0.0.1","port":{{port}},"unitId":1{{extra}}}""";

    public static T Node<T>(TestFlow flow, string id) where T : class =>
        flow.Runtime.Services.Nodes.Find(id) as T ?? throw new InvalidOperationException($"no running {typeof(T).Name} {id}");

    /// <summary>Waits (real time, bounded) for a condition that depends on a peer or a socket.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.ElapsedMilliseconds > timeoutMs) return false;
            await Task.Delay(10);
        }
        return true;
    }

    /// <summary>Moves the fake clock in steps until a message reaches the helper (for timeouts armed after real I/O).</summary>
    public static async Task<JsObject> NextAdvancingAsync(TestFlow flow, string helper, TimeSpan step, int maxSteps = 50)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            if (flow.Received(helper).Count > 0) break;
            await flow.AdvanceAsync(step);
        }
        return await flow.NextAsync(helper);
    }

    public static string? Text(this JsObject message, string path) => PropertyPath.Parse(path).GetValue(message) switch
    {
        null => null,
        object value => JsValue.ToJsString(value),
    };
}
