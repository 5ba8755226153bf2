using System.Globalization;
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

        /// <summary>
        /// JavaScript's parseFloat(String(value)): the longest numeric prefix ("250ms" gives 250), NaN when none.
        /// Node-RED reads msg.delay and msg.rate this way.
        /// </summary>
        public static double ParseFloat(object? value)
        {
            if (value is double d) return d;
            if (value is null or bool or JsObject) return double.NaN;
            var text = JsValue.ToJsString(value).TrimStart();
            var end = 0;
            if (end < text.Length && text[end] is '+' or '-') end++;
            if (string.CompareOrdinal(text, end, "Infinity", 0, 8) == 0)
            {
                return text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            }
            var digitsStart = end;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            if (end < text.Length && text[end] == '.')
            {
                end++;
                while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            }
            var mantissa = text[digitsStart..end];
            if (mantissa.Length == 0 || mantissa == ".") return double.NaN;
            if (end < text.Length && text[end] is 'e' or 'E')
            {
                var exponentEnd = end + 1;
                if (exponentEnd < text.Length && text[exponentEnd] is '+' or '-') exponentEnd++;
                var exponentDigits = exponentEnd;
                while (exponentEnd < text.Length && char.IsAsciiDigit(text[exponentEnd])) exponentEnd++;
                if (exponentEnd > exponentDigits) end = exponentEnd;
            }
            return double.Parse(text.AsSpan(0, end), NumberStyles.Float, CultureInfo.InvariantCulture);
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
