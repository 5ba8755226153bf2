using FlowEngine.TestKit;

namespace FlowEngine.Core.Tests.Runtime;

internal static class Flows
{
    public static Task<TestFlow> StartAsync(string json, TestFlowOptions? options = null) =>
        TestFlow.StartAsync(json, new TestFlowOptions
        {
            Register = TestNodes.Register,
            FakeClock = options?.FakeClock ?? false,
            Settings = options?.Settings,
            PersistFlows = options?.PersistFlows ?? false,
        });
}
