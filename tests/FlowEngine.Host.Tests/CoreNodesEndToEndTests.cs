using System.Net;
using System.Threading.Channels;
using FlowEngine.Core.Runtime;

namespace FlowEngine.Host.Tests;

/// <summary>The admin API driving Node-RED's own inject and debug nodes, as the editor's buttons do.</summary>
public sealed class CoreNodesEndToEndTests
{
    private const string Flows = """
        [{"id":"t1","type":"tab","label":"T"},
         {"id":"i1","type":"inject","z":"t1","props":[{"p":"payload"}],"payload":"hello","payloadType":"str","repeat":"","once":false,"x":100,"y":40,"wires":[["d1"]]},
         {"id":"d1","type":"debug","z":"t1","active":true,"tosidebar":true,"complete":"payload","targetType":"msg","x":300,"y":40,"wires":[]}]
        """;

    private sealed class DebugRecorder : IRuntimeObserver
    {
        public Channel<DebugEvent> Events { get; } = Channel.CreateUnbounded<DebugEvent>();

        public void OnDebug(DebugEvent e) => Events.Writer.TryWrite(e);

        public async Task<object?> NextValueAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return (await Events.Reader.ReadAsync(timeout.Token)).Value;
        }
    }

    [Fact]
    public async Task Inject_button_sends_the_configured_payload_or_the_one_off_override_to_debug()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        var recorder = new DebugRecorder();
        using var subscription = host.Runtime.Observers.Add(recorder);

        using var plain = await host.Client.PostAsync("inject/i1", null);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("hello", await recorder.NextValueAsync());

        using var overridden = await host.PostJsonAsync("inject/i1", """{"__user_inject_props__":[{"p":"payload","v":"override","vt":"str"}]}""");
        Assert.Equal(HttpStatusCode.OK, overridden.StatusCode);
        Assert.Equal("override", await recorder.NextValueAsync());
    }

    [Fact]
    public async Task A_disabled_debug_node_shows_nothing_until_it_is_enabled_again()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flows);
        var recorder = new DebugRecorder();
        using var subscription = host.Runtime.Observers.Add(recorder);

        using (var disable = await host.Client.PostAsync("debug/d1/disable", null)) Assert.Equal(HttpStatusCode.Created, disable.StatusCode);
        using (var first = await host.PostJsonAsync("inject/i1", """{"__user_inject_props__":[{"p":"payload","v":"hidden","vt":"str"}]}""")) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // Let the hidden message pass i1 and then d1 (each node's mailbox runs posted work after queued messages).
        await DrainAsync(host.Runtime.FindNode("i1")!);
        await DrainAsync(host.Runtime.FindNode("d1")!);
        using (var enable = await host.Client.PostAsync("debug/d1/enable", null)) Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        using (var second = await host.Client.PostAsync("inject/i1", null)) Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        Assert.Equal("hello", await recorder.NextValueAsync());
    }

    private static Task DrainAsync(FlowEngine.Core.Nodes.FlowNode node)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Post(() =>
        {
            done.SetResult();
            return ValueTask.CompletedTask;
        });
        return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
