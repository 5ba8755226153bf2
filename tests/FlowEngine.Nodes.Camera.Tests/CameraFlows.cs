using System.Diagnostics;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;
using FlowEngine.Nodes.Mqtt;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Camera.Tests;

/// <summary>Helpers for flows with camera nodes: each test gets its own clip store folder and services.</summary>
internal sealed class CameraFlows : IAsyncDisposable
{
    private CameraFlows(CameraServices services, string root)
    {
        Services = services;
        Root = root;
    }

    public CameraServices Services { get; }
    public string Root { get; }
    public TestFlow? Flow { get; private set; }

    public static CameraFlows Create() => CreateWith(null);

    public static CameraFlows CreateWith(HttpClient? http)
    {
        var root = Directory.CreateTempSubdirectory("flowengine-camera-store-").FullName;
        return new CameraFlows(new CameraServices(root, http), root);
    }

    public Task<TestFlow> StartAsync(string nodes) => StartFlowsAsync($$"""[{"id":"t1","type":"tab","label":"Camera"},{{nodes}}]""");

    /// <summary>Starts a whole flow file (an array with its own tabs).</summary>
    public async Task<TestFlow> StartFlowsAsync(string flowsJson)
    {
        Flow = await TestFlow.StartAsync(flowsJson, new TestFlowOptions
        {
            Register = r =>
            {
                CameraNodes.Register(r, Services);
                MqttNodes.Register(r);
                IndustrialNodes.Register(r, new IndustrialServices());
            },
        });
        return Flow;
    }

    /// <summary>A camera config node "cam" named "yard"; extra is more JSON properties.</summary>
    public static string Camera(string url, string extra = "", string source = "http", string id = "cam", string name = "yard") =>
        $$"""{"id":"{{id}}","type":"camera","name":"{{name}}","source":"{{source}}","url":"{{url}}","timeout":10,"minFreeMB":0{{extra}}}""";

    public static string Catch() => """{"id":"c","type":"catch","z":"t1","scope":null,"uncaught":false,"wires":[["e"]]},{"id":"e","type":"helper","z":"t1","wires":[]}""";

    public static T Node<T>(TestFlow flow, string id) where T : class =>
        flow.Runtime.Services.Nodes.Find(id) as T ?? throw new InvalidOperationException($"no running {typeof(T).Name} {id}");

    /// <summary>Waits (real time, bounded) for a condition that depends on a peer or a process.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 15000)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.ElapsedMilliseconds > timeoutMs) return false;
            await Task.Delay(50);
        }
        return true;
    }

    public static JsObject Obj(JsObject msg, string property) => (JsObject)msg[property]!;

    public async ValueTask DisposeAsync()
    {
        if (Flow is not null) await Flow.DisposeAsync();
        // Every ffmpeg a camera node started must be gone once the flow has stopped.
        var ended = await EventuallyAsync(() => Services.RunningProcesses == 0, 10000);
        Services.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        Assert.True(ended, $"{Services.RunningProcesses} ffmpeg process(es) still running after the flow stopped");
    }
}
