using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FlowEngine.Host.Hosting;

namespace FlowEngine.Host.Tests;

/// <summary>The built program run as a process: `dotnet flowengine.dll ...`, its output and exit codes.</summary>
public sealed class ProgramProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("flowengine-process-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The program next to the test assembly (the project reference copies it there).</summary>
    private static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "flowengine.dll");

    private sealed class RunningProgram(Process process) : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<string> _running = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Process Process { get; } = process;

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        private string? _url;

        /// <summary>The URL from "Server now running at ...", once "Started flows" is printed as well.</summary>
        public Task<string> RunningAt => _running.Task;

        public void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
            const string marker = "Server now running at ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) _url = line[(at + marker.Length)..].Trim();
            if (line.Contains("[info] Started flows", StringComparison.Ordinal) && _url is not null) _running.TrySetResult(_url);
        }

        public async Task<int> ExitCodeAsync()
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await Process.WaitForExitAsync(timeout.Token);
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private RunningProgram Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        info.ArgumentList.Add(ProgramPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // The child must not pick up settings meant for this machine's own FlowEngine.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("FLOWENGINE_", StringComparison.Ordinal) || k == "PORT").ToList())
        {
            info.Environment.Remove(name);
        }
        info.Environment["HOME"] = _dir;
        var process = new Process { StartInfo = info };
        var running = new RunningProgram(process);
        process.OutputDataReceived += (_, e) => running.Append(e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var program = Start(args);
        var code = await program.ExitCodeAsync();
        program.Process.WaitForExit(); // flushes the asynchronous output readers
        return (code, program.Output);
    }

    private static void AssertNoStackTrace(string output) =>
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

    [Fact]
    public async Task Help_prints_the_usage_and_exits_0()
    {
        var (code, output) = await RunAsync("--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage: flowengine", output, StringComparison.Ordinal);
        Assert.Contains("-u, --userDir", output, StringComparison.Ordinal);
        Assert.Contains("-D, --define", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var (code, output) = await RunAsync("--version");
        Assert.Equal(0, code);
        Assert.StartsWith($"FlowEngine v{HostInfo.Version}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_lists_every_problem_of_a_flow_file_with_node_ids_and_exits_1()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.json"), """
            [{"id":"t1","type":"tab","label":"Flow 1"},
             {"id":"i1","type":"inject","z":"t1","repeat":"abc","wires":[["c1"]]},
             {"id":"c1","type":"change","z":"t1","rules":[{"t":"set","p":"payload","pt":"msg","to":"$bad(","tot":"jsonata"}],"wires":[["x1"]]},
             {"id":"x1","type":"not-a-node","z":"t1","wires":[]},
             {"id":"m1","type":"mqtt in","z":"t1","topic":"a","broker":"nope","wires":[[]]}]
            """);
        var (code, output) = await RunAsync("check", "bad.json", "-u", _dir);
        Assert.Equal(1, code);
        Assert.Contains("4 problems", output, StringComparison.Ordinal);
        Assert.Contains("not-a-node node x1: unknown node type", output, StringComparison.Ordinal);
        Assert.Contains("inject node i1, property 'repeat'", output, StringComparison.Ordinal);
        Assert.Contains("change node c1, property 'rules': rule 1: invalid JSONata expression", output, StringComparison.Ordinal);
        Assert.Contains("mqtt in node m1, property 'broker': config node nope does not exist", output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task Check_accepts_the_quick_start_example_and_names_broken_json()
    {
        var example = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "quick-start", "flows.json");
        var (code, output) = await RunAsync("check", Path.GetFullPath(example), "-u", _dir);
        Assert.Equal(0, code);
        Assert.Contains(": ok (", output, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(_dir, "broken.json"), "[{\"id\":\"t1\",\n \"type\": }]");
        (code, output) = await RunAsync("check", "broken.json", "-u", _dir);
        Assert.Equal(1, code);
        Assert.Contains("not valid JSON", output, StringComparison.Ordinal);
        Assert.Contains("line 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_exits_1_with_a_pointer_to_help()
    {
        var (code, output) = await RunAsync("--frobnicate");
        Assert.Equal(1, code);
        Assert.Contains("unknown option --frobnicate", output, StringComparison.Ordinal);
        Assert.Contains("--help", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_exits_1_with_one_clear_error_line()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;

        var (code, output) = await RunAsync("-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", Path.Combine(_dir, "u"));

        Assert.Equal(1, code);
        var errors = output.Split('\n').Where(l => l.Contains("[error]", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains($"port {port} is already in use", error, StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task An_invalid_settings_file_exits_1_naming_the_line_and_column()
    {
        var settings = Path.Combine(_dir, "settings.json");
        await File.WriteAllTextAsync(settings, "{\n  \"uiPort\": 1880\n  \"uiHost\": \"x\"\n}");
        var (code, output) = await RunAsync("-s", settings, "-u", _dir);
        Assert.Equal(1, code);
        Assert.Contains($"settings file {settings} is not valid JSON", output, StringComparison.Ordinal);
        Assert.Contains("line 3", output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
    }

    [Fact]
    public async Task Sigterm_stops_the_flows_and_exits_0()
    {
        var userDir = Path.Combine(_dir, "u");
        Directory.CreateDirectory(userDir);
        await File.WriteAllTextAsync(Path.Combine(userDir, "flows.json"), """[{"id":"t1","type":"tab","label":"T"}]""");
        using var program = Start("-p", "0", "-u", userDir);
        var url = await program.RunningAt.WaitAsync(Timeout);
        using (var client = new HttpClient())
        {
            var flows = await client.GetStringAsync(new Uri(new Uri(url), "flows"));
            Assert.Contains("\"t1\"", flows, StringComparison.Ordinal);
        }

        using (var kill = Process.Start("kill", ["-TERM", program.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        Assert.Equal(0, await program.ExitCodeAsync());
        program.Process.WaitForExit();
        Assert.Contains("[info] Stopped flows", program.Output, StringComparison.Ordinal);
    }
}
