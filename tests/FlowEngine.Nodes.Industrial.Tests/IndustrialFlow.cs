using System.Text;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests;

/// <summary>
/// Builds the flow most tests need: the node under test ("n") wired output by output to helpers "out1", "out2",
/// and a catch node that sends every error to helper "errors". All on a fake clock.
/// </summary>
internal static class IndustrialFlow
{
    public static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string Json(string type, string properties, int outputs = 1, string id = "n", string extraNodes = "")
    {
        var wires = string.Join(",", Enumerable.Range(1, outputs).Select(i => $"[\"out{i}\"]"));
        var inner = properties.Trim().TrimStart('{').TrimEnd('}').Trim();
        var props = inner.Length == 0 ? "" : inner + ",";
        var sb = new StringBuilder();
        sb.Append("""[{"id":"t","type":"tab","label":"T"},""");
        sb.Append($$"""{"id":"{{id}}","type":"{{type}}","z":"t",{{props}}"wires":[{{wires}}]},""");
        for (var i = 1; i <= outputs; i++) sb.Append($$"""{"id":"out{{i}}","type":"helper","z":"t","wires":[]},""");
        sb.Append("""{"id":"c","type":"catch","z":"t","scope":null,"wires":[["errors"]]},""");
        sb.Append("""{"id":"errors","type":"helper","z":"t","wires":[]}""");
        if (extraNodes.Length > 0) sb.Append(',').Append(extraNodes);
        sb.Append(']');
        return sb.ToString();
    }

    public static TestFlowOptions Options(IndustrialServices? services = null, string? userDir = null, bool persist = false) => new()
    {
        Register = services is null ? IndustrialNodes.Register : r => IndustrialNodes.Register(r, services),
        FakeClock = true,
        Settings = userDir is null ? null : new JsObject { ["userDir"] = userDir },
        PersistFlows = persist,
    };

    public static Task<TestFlow> StartAsync(string type, string properties, int outputs = 1, IndustrialServices? services = null) =>
        TestFlow.StartAsync(Json(type, properties, outputs), Options(services));

    /// <summary>Sends messages to the node under test in order and waits until the flow is quiet.</summary>
    public static async Task SendAllAsync(this TestFlow flow, params string[] messages)
    {
        foreach (var message in messages) flow.Send("n", message);
        await flow.QuietAsync();
    }

    /// <summary>Moves the fake clock and waits until what the timers started has finished.</summary>
    public static async Task StepAsync(this TestFlow flow, TimeSpan by)
    {
        flow.Clock!.Advance(by);
        await flow.QuietAsync();
    }

    /// <summary>
    /// Waits until no node has queued work and the message counters of every node stayed the same for three polls
    /// in a row. Stricter than TestFlow.SettleAsync, which can return while a node is still handling the message it
    /// took off its queue (and so before what it sends has arrived).
    /// </summary>
    public static async Task QuietAsync(this TestFlow flow)
    {
        var deadline = DateTime.UtcNow + TestFlow.DefaultTimeout;
        long previous = -1;
        var stable = 0;
        while (stable < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            long signature = 0;
            var busy = false;
            foreach (var runner in flow.Runtime.Runners)
            {
                busy |= runner.QueueDepth > 0;
                signature = unchecked(signature * 31 + Interlocked.Read(ref runner.MessagesIn) * 7 + Interlocked.Read(ref runner.MessagesOut) * 3 + Interlocked.Read(ref runner.Errors));
            }
            stable = !busy && signature == previous ? stable + 1 : 0;
            previous = signature;
        }
    }

    public static IReadOnlyList<object?> Payloads(this TestFlow flow, string helper) =>
        flow.Received(helper).Select(m => m.Get("payload")).ToList();

    public static IReadOnlyList<string> Errors(this TestFlow flow) =>
        flow.Received("errors").Select(m => (m.Get("error") as JsObject)?.Get("message") as string ?? "").ToList();

    /// <summary>The problems of a deploy that must be refused.</summary>
    public static async Task<FlowValidationException> RefusedAsync(string type, string properties, int outputs = 1)
    {
        await using var flow = await TestFlow.StartAsync("", Options());
        return await Assert.ThrowsAsync<FlowValidationException>(() => flow.DeployAsync(Json(type, properties, outputs)));
    }

    public static string Iso(double secondsAfterStart) => JsJson.FormatIsoDate(Start.AddSeconds(secondsAfterStart));
}
