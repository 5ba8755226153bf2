using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests;

/// <summary>Small node types that exercise the runtime without depending on the common node set.</summary>
internal static class TestNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(new NodeDeclaration("test-thrower"), s => new ThrowerNode(s));
        registry.Register(new NodeDeclaration("test-counter"), s => new CounterNode(s));
        registry.Register(new NodeDeclaration("test-status"), s => new StatusSetterNode(s));
        registry.Register(new NodeDeclaration("test-mutate"), s => new MutateNode(s));
        registry.Register(new NodeDeclaration("test-config") { IsConfig = true, Inputs = 0, Outputs = 0,
            Properties = [new PropertyDeclaration("setting", PropertyKind.String)] }, s => new ConfigNode(s));
        registry.Register(new NodeDeclaration("test-uses-config")
        {
            Properties =
            [
                new PropertyDeclaration("config", PropertyKind.ConfigReference) { ConfigType = "test-config" },
                new PropertyDeclaration("limit", PropertyKind.Number),
            ],
        }, s => new UsesConfigNode(s));
        registry.Register(new NodeDeclaration("test-closing-config") { IsConfig = true, Inputs = 0, Outputs = 0,
            Properties = [new PropertyDeclaration("uses", PropertyKind.ConfigReference) { ConfigType = "test-closing-config" },
                          new PropertyDeclaration("journal", PropertyKind.String)] }, s => new ClosingConfigNode(s));
        registry.Register(new NodeDeclaration("test-no-done") { ReportsCompletion = false }, s => new PassNode(s));
        registry.Register(new NodeDeclaration("test-pass"), s => new PassNode(s));
        registry.Register(new NodeDeclaration("test-env"), s => new EnvNode(s));
    }

    /// <summary>Throws on every message whose payload is not "ok".</summary>
    private sealed class ThrowerNode(NodeSetup setup) : FlowNode(setup)
    {
        protected override ValueTask OnInputAsync(NodeInput input)
        {
            if (input.Message.Get("payload") as string == "ok")
            {
                Send(input.Message);
                return ValueTask.CompletedTask;
            }
            throw new InvalidOperationException("boom");
        }
    }

    /// <summary>Counts messages in a field (in-memory state) and in node context; sends {payload: count, ctx: contextCount}.</summary>
    private sealed class CounterNode(NodeSetup setup) : FlowNode(setup)
    {
        private int _count;

        protected override ValueTask OnInputAsync(NodeInput input)
        {
            _count++;
            var ctx = (Context.Get("count") as double? ?? 0) + 1;
            Context.Set("count", ctx);
            var flowCount = (FlowContext.Get("count") as double? ?? 0) + 1;
            FlowContext.Set("count", flowCount);
            input.Message["payload"] = (double)_count;
            input.Message["ctx"] = ctx;
            input.Message["flowCtx"] = flowCount;
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class StatusSetterNode(NodeSetup setup) : FlowNode(setup)
    {
        protected override ValueTask OnInputAsync(NodeInput input)
        {
            SetStatus(new NodeStatus("green", "dot", JsValue.ToJsString(input.Message.Get("payload"))));
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Sets payload.a = 100 after a moment, to prove fan-out receivers get independent copies.</summary>
    private sealed class MutateNode(NodeSetup setup) : FlowNode(setup)
    {
        protected override ValueTask OnInputAsync(NodeInput input)
        {
            if (input.Message.Get("payload") is JsObject payload) payload["a"] = 100.0;
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class ConfigNode(NodeSetup setup) : FlowNode(setup)
    {
        public string Setting { get; } = setup.Config.GetString("setting");
    }

    /// <summary>Journals of <see cref="ClosingConfigNode"/>, by the name its flow gives in "journal".</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<string>> CloseJournals = new();

    /// <summary>
    /// A config node that may use another of its kind and takes a while to close: it writes "start id" and "end id"
    /// to its journal, so a test sees whether closes overlapped.
    /// </summary>
    private sealed class ClosingConfigNode(NodeSetup setup) : FlowNode(setup)
    {
        private readonly ClosingConfigNode? _uses = setup.ConfigNode<ClosingConfigNode>("uses");
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _journal = CloseJournals.GetOrAdd(setup.Config.GetString("journal"), _ => new());

        public bool Closed { get; private set; }

        protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
        {
            _journal.Enqueue($"start {Id}" + (_uses is { Closed: true } ? $" ({_uses.Id} already closed)" : ""));
            await Task.Delay(30, cancellationToken);
            Closed = true;
            _journal.Enqueue($"end {Id}");
        }
    }

    private sealed class UsesConfigNode : FlowNode
    {
        private readonly ConfigNode? _config;

        public UsesConfigNode(NodeSetup setup) : base(setup)
        {
            _config = setup.ConfigNode<ConfigNode>("config");
            _ = setup.Config.GetNumber("limit", 0);
        }

        protected override ValueTask OnInputAsync(NodeInput input)
        {
            input.Message["payload"] = _config?.Setting;
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class PassNode(NodeSetup setup) : FlowNode(setup)
    {
        protected override ValueTask OnInputAsync(NodeInput input)
        {
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Sends the value of env variable msg.topic and the substituted property "value".</summary>
    private sealed class EnvNode(NodeSetup setup) : FlowNode(setup)
    {
        protected override ValueTask OnInputAsync(NodeInput input)
        {
            input.Message["payload"] = GetEnv(input.Message.Get("topic") as string ?? "");
            input.Message["value"] = Config.Get("value");
            Send(input.Message);
            return ValueTask.CompletedTask;
        }
    }
}
