using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Control;

namespace FlowEngine.Nodes.Common
{
    public static partial class CommonNodes
    {
        static partial void RegisterControlNodes(NodeRegistry registry)
        {
            registry.Register(InjectNode.Declaration, s => new InjectNode(s));
            registry.Register(DebugNode.Declaration, s => new DebugNode(s));
            registry.Register(DelayNode.Declaration, s => new DelayNode(s));
            registry.Register(TriggerNode.Declaration, s => new TriggerNode(s));
            registry.Register(LinkInNode.Declaration, s => new LinkInNode(s));
            registry.Register(LinkOutNode.Declaration, s => new LinkOutNode(s));
            registry.Register(LinkCallNode.Declaration, s => new LinkCallNode(s));
        }
    }
}

namespace FlowEngine.Nodes.Common.Control
{
    /// <summary>Small pieces of JavaScript behaviour the control nodes share.</summary>
    internal static class ControlValues
    {
        /// <summary>
        /// The longest wait a single timer is given. JavaScript's setTimeout cannot wait longer than 2^31-1 ms either;
        /// .NET timers stop at about 49 days, so this keeps every node inside both limits.
        /// </summary>
        public static readonly TimeSpan MaxTimerWait = TimeSpan.FromMilliseconds(int.MaxValue);

        /// <summary>Milliseconds as a timer wait: NaN and negatives wait 0 (as setTimeout does), huge values are capped.</summary>
        public static TimeSpan Wait(double milliseconds)
        {
            if (double.IsNaN(milliseconds) || milliseconds <= 0) return TimeSpan.Zero;
            return milliseconds >= MaxTimerWait.TotalMilliseconds ? MaxTimerWait : TimeSpan.FromMilliseconds(milliseconds);
        }

        /// <summary>JavaScript's === for the primitive values a topic can hold; objects only equal themselves.</summary>
        public static bool StrictEquals(object? a, object? b) => (a, b) switch
        {
            (null, null) => true,
            (string x, string y) => x == y,
            (double x, double y) => x == y,
            (bool x, bool y) => x == y,
            _ => ReferenceEquals(a, b),
        };

        /// <summary>JavaScript truthiness of a raw configuration value (for Node-RED's <c>n.x || default</c> idiom).</summary>
        public static bool IsFalsy(object? value) => !JsValue.IsTruthy(value);
    }
}
