using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>
/// Each attack ends as an error reported to catch nodes with its message; the node handles its next message and
/// every other node keeps running.
/// </summary>
public sealed class FunctionSandboxAttackTests
{
    private const string Guard = "if (msg.payload === 'next') return msg;\n";

    private static async Task AssertReportedAndStillWorking(FlowEngine.TestKit.TestFlow flow, string expectedError)
    {
        flow.Send("f", """{"payload":"attack"}""");
        var caught = await flow.NextAsync("hc");
        Assert.Contains(expectedError, ErrorText(caught));
        Assert.Equal("attack", caught["payload"]);
        flow.Send("f", """{"payload":"next"}""");
        Assert.Equal("next", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task An_endless_loop_times_out_shows_in_the_status_and_the_next_message_runs()
    {
        await using var flow = await StartAsync(OneFunction(Guard + "while (true) {}", extra: ""","timeout":0.3"""));
        await AssertReportedAndStillWorking(flow, "Script timed out after 0.3 s");
        Assert.Contains(flow.Statuses, s => s.Node.Id == "f" && s.Status == NodeStatus.Error("Script timed out after 0.3 s"));
    }

    [Fact]
    public async Task Other_flows_keep_running_while_a_script_loops()
    {
        await using var flow = await StartAsync(OneFunction(Guard + "while (true) {}", extra: ""","timeout":3""",
            more: Node("g", "msg.payload = 'alive'; return msg;", """[["h2"]]""")), fakeClock: false);
        flow.Send("f", """{"payload":"attack"}""");
        await Task.Delay(100);
        flow.Send("g", """{"payload":0}""");
        Assert.Equal("alive", (await flow.NextAsync("h2", TimeSpan.FromSeconds(2.5)))["payload"]);
        Assert.Empty(flow.Received("hc"));
        Assert.Contains("Script timed out after 3 s", ErrorText(await flow.NextAsync("hc")));
    }

    [Fact]
    public async Task The_time_limit_comes_from_the_function_timeout_setting_when_the_node_has_none()
    {
        await using var flow = await StartAsync(OneFunction(Guard + "for (;;) {}"), new JsObject { ["functionTimeout"] = 0.2 });
        await AssertReportedAndStillWorking(flow, "Script timed out after 0.2 s");
    }

    [Fact]
    public async Task Endless_recursion_is_stopped()
    {
        await using var flow = await StartAsync(OneFunction(Guard + "function down(n) { return down(n + 1); } return down(0);"));
        flow.Send("f", """{"payload":"attack"}""");
        var text = ErrorText(await flow.NextAsync("hc"));
        Assert.True(text.Contains("recursion limit", StringComparison.Ordinal) || text.StartsWith("RangeError", StringComparison.Ordinal), text);
        flow.Send("f", """{"payload":"next"}""");
        Assert.Equal("next", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Allocating_without_end_is_stopped()
    {
        await using var flow = await StartAsync(OneFunction(Guard + "const hoard = []; while (true) hoard.push('x'.repeat(100000) + hoard.length);"),
            new JsObject { ["functionMemoryLimit"] = 32.0 });
        await AssertReportedAndStillWorking(flow, "Script used more memory than allowed (32 MB)");
    }

    [Theory]
    [InlineData("return ({}).constructor.constructor('return this')();", "String compilation has been disabled")]
    [InlineData("return importNamespace('System.IO');", "importNamespace is not defined")]
    [InlineData("return System.Diagnostics.Process.Start('sh');", "System is not defined")]
    [InlineData("const fs = require('fs'); return msg;", "require is not defined")]
    [InlineData("process.exit(1); return msg;", "process is not defined")]
    [InlineData("return eval('msg');", "String compilation has been disabled")]
    public async Task Escape_attempts_end_as_reported_errors(string code, string expected)
    {
        await using var flow = await StartAsync(OneFunction(Guard + code));
        await AssertReportedAndStillWorking(flow, expected);
    }

    [Fact]
    public async Task Prototype_pollution_in_one_function_node_is_invisible_to_another()
    {
        await using var flow = await StartAsync(OneFunction(
            "Object.prototype.isAdmin = true; Array.prototype.includes = () => true; String.prototype.trim = () => 'pwned'; leakedGlobal = 'secret'; return msg;",
            wires: """[["g"]]""",
            more: Node("g", "msg.payload = [({}).isAdmin, [1].includes(2), ' x '.trim(), typeof leakedGlobal]; return msg;", """[["h"]]""")));
        flow.Send("f", """{"payload":0}""");
        Assert.Equal("""[null,false,"x","undefined"]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
    }

    [Fact]
    public async Task A_message_carrying_proto_keys_pollutes_nothing_downstream()
    {
        await using var flow = await StartAsync(OneFunction("msg.payload = ({}).polluted === undefined && [].polluted === undefined; return msg;"));
        flow.Send("f", """{"payload":0,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}""");
        Assert.Equal(true, (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task An_opaque_host_object_passes_through_untouched_and_unreadable()
    {
        await using var flow = await StartAsync(OneFunction("msg.visible = Object.keys(msg.req).length + typeof msg.req.ToString; return msg;"));
        var request = new object();
        flow.Send("f", new JsObject { ["payload"] = 1.0, ["req"] = request });
        var msg = await flow.NextAsync("h");
        Assert.Equal("0undefined", msg["visible"]);
        Assert.Same(request, msg["req"]);
    }
}
