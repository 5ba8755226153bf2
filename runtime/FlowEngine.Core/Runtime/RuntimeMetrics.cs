using System.Diagnostics.Metrics;

namespace FlowEngine.Core.Runtime;

/// <summary>
/// The runtime's metrics on one <c>Meter("FlowEngine")</c>. Every instrument is observable: values are read from
/// the node runners' plain counters when a listener asks, so the message path pays nothing for them.
/// </summary>
internal sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "FlowEngine";

    private readonly Meter _meter = new(MeterName);

    public RuntimeMetrics(Func<IEnumerable<NodeRunner>> runners)
    {
        _meter.CreateObservableCounter("flowengine.node.messages", () => Measure(runners(), r => r.MessagesIn, "in")
            .Concat(Measure(runners(), r => r.MessagesOut, "out")), "{message}", "Messages received and sent per node");
        _meter.CreateObservableCounter("flowengine.node.errors", () => Measure(runners(), r => Interlocked.Read(ref r.Errors), null),
            "{error}", "Errors reported per node");
        _meter.CreateObservableGauge("flowengine.node.queue_depth", () => Measure(runners(), r => r.QueueDepth, null),
            "{message}", "Messages waiting in each node's mailbox");
    }

    private static IEnumerable<Measurement<long>> Measure(IEnumerable<NodeRunner> runners, Func<NodeRunner, long> value, string? direction)
    {
        foreach (var runner in runners)
        {
            yield return direction is null
                ? new Measurement<long>(value(runner), new("node.id", runner.Id), new("node.type", runner.Identity.Type))
                : new Measurement<long>(value(runner), new("node.id", runner.Id), new("node.type", runner.Identity.Type), new("direction", direction));
        }
    }

    public void Dispose() => _meter.Dispose();
}
