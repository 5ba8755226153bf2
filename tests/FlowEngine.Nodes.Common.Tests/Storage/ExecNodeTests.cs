using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Storage;

/// <summary>exec with /bin/sh commands (the tests skip themselves on Windows).</summary>
public sealed class ExecNodeTests
{
    private const string Enabled = """{"execNodeEnabled":true}""";

    private static Task<TestFlow> Exec(string properties, string? settings = Enabled, bool fakeClock = false) =>
        StartAsync($$""" "type":"exec",{{properties}} """, """[["h0"],["h1"],["h2"]]""", settings: settings, fakeClock: fakeClock);

    [Fact]
    public async Task Exec_is_refused_unless_the_setting_enables_it()
    {
        await using var flow = await Exec(""" "command":"echo hi","useSpawn":"false" """, settings: null);
        flow.Send("n", "{}");
        var error = (string)((JsObject)(await flow.NextAsync("err"))["error"]!)["message"]!;
        Assert.Contains("execNodeEnabled", error);
        Assert.True(await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Exec_mode_sends_stdout_and_the_return_code_with_the_payload_appended()
    {
        if (OperatingSystem.IsWindows()) return;
        await using var flow = await Exec(""" "command":"echo","addpay":"payload","append":"there","useSpawn":"false" """);
        flow.Send("n", """{"payload":"hello","topic":"t"}""");
        var stdout = await flow.NextAsync("h0");
        Assert.Equal("hello there\n", stdout["payload"]);
        Assert.Equal("t", stdout["topic"]);
        Assert.Equal("""{"code":0}""", ToJson(stdout["rc"]));
        Assert.Equal("""{"code":0}""", ToJson((await flow.NextAsync("h2"))["payload"]));
        Assert.True(await flow.NothingArrivesAsync("h1", TimeSpan.FromMilliseconds(50)));
        await flow.StatusAsync("n", "rc:0");
    }

    [Fact]
    public async Task Exec_mode_sends_stderr_and_a_failing_return_code()
    {
        if (OperatingSystem.IsWindows()) return;
        await using var flow = await Exec(""" "command":"echo oops >&2; exit 3","useSpawn":"false","oldrc":false """);
        flow.Send("n", "{}");
        Assert.Equal("oops\n", (await flow.NextAsync("h1"))["payload"]);
        Assert.Equal(3.0, ((JsObject)(await flow.NextAsync("h2"))["payload"]!)["code"]);
        await flow.StatusAsync("n", "rc:3");
    }

    [Fact]
    public async Task Oldrc_sends_the_return_code_as_a_number()
    {
        if (OperatingSystem.IsWindows()) return;
        await using var flow = await Exec(""" "command":"exit 1","useSpawn":"false","oldrc":true """);
        flow.Send("n", "{}");
        Assert.Equal(1.0, (await flow.NextAsync("h2"))["payload"]);
    }

    [Fact]
    public async Task Spawn_mode_streams_output_and_ends_with_the_return_code()
    {
        if (OperatingSystem.IsWindows()) return;
        await using var flow = await Exec(""" "command":"sh -c 'echo streamed'","useSpawn":"true" """);
        flow.Send("n", "{}");
        Assert.Equal("streamed\n", (await flow.NextAsync("h0"))["payload"]);
        Assert.Equal("""{"code":0}""", ToJson((await flow.NextAsync("h2"))["payload"])); 
    }

    [Fact]
    public async Task Timer_kills_a_command_that_runs_too_long()
    {
        if (OperatingSystem.IsWindows()) return;
        await using var flow = await Exec(""" "command":"sleep 30","useSpawn":"false","timer":"2" """, fakeClock: true);
        flow.Send("n", "{}");
        await flow.StatusAsync("n", "pid:");
        await flow.AdvanceAsync(TimeSpan.FromSeconds(3));
        var rc = (JsObject)(await flow.NextAsync("h2"))["payload"]!;
        Assert.Equal(true, rc["killed"]);
        await flow.StatusAsync("n", "killed");
    }

    [Fact]
    public async Task Msg_kill_stops_the_running_command()
    {
        if (OperatingSystem.IsWindows()) return;
        await using var flow = await Exec(""" "command":"sleep 30","useSpawn":"false" """);
        flow.Send("n", "{}");
        await flow.StatusAsync("n", "pid:");
        flow.Send("n", """{"kill":"SIGTERM"}""");
        var rc = (JsObject)(await flow.NextAsync("h2"))["payload"]!;
        Assert.NotEqual(0.0, rc["code"]);
    }
}
