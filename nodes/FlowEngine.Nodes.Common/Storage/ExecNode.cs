using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Storage;

/// <summary>
/// Node-RED's exec node: runs a system command and sends stdout, stderr and the return code on three outputs.
/// Switched off unless settings <c>execNodeEnabled</c> is true, because a flow imported from elsewhere must not be
/// able to run commands on the server.
/// </summary>
internal sealed partial class ExecNode : FlowNode
{
    public const string SettingName = "execNodeEnabled";

    public static readonly NodeDeclaration Declaration = new("exec")
    {
        Category = "function",
        Color = "darksalmon",
        Icon = "cog.svg",
        Inputs = 1,
        Outputs = 3,
        Module = "node-red",
        Set = "node-red/exec",
        DefaultLabel = "exec",
        OutputLabels = ["stdout", "stderr", "return code"],
        Help = """
            Runs a system command. **Off by default**: the settings must contain `"execNodeEnabled": true`; otherwise
            every message raises an error naming that setting.

            **command**, then the message property **addpay** (`""` = none; legacy `true` = `payload`), then
            **append** (extra arguments). **useSpawn**: `"false"` runs through the shell and sends the whole output
            when the command ends; `"true"` starts the program directly (arguments split on spaces, quotes kept
            together) and sends output chunks as they come. **timer**: seconds after which the command is killed
            (0 = never). **oldrc**: the return code output carries the number alone.

            Outputs: 1 stdout (a string, or a Buffer when it is not UTF-8), 2 stderr, 3 the return code
            `{code}` (also copied to `msg.rc` on outputs 1 and 2 in exec mode). `msg.kill` (a signal name, default
            SIGTERM) kills the running command (`msg.pid` picks one when several run). The status shows the pid
            while running, then the return code.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("command", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("addpay", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("append", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("useSpawn", PropertyKind.Select) { Default = "false", Options = ["false", "true"] },
            new PropertyDeclaration("timer", PropertyKind.Number) { Default = "" },
            new PropertyDeclaration("winHide", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("oldrc", PropertyKind.Bool) { Default = false },
        ],
    };

    private readonly bool _enabled;
    private readonly string _command;
    private readonly string? _addPayload;
    private readonly string _append;
    private readonly bool _spawn;
    private readonly TimeSpan? _timer;
    private readonly bool _oldrc;
    private readonly Dictionary<int, Process> _running = [];

    public ExecNode(NodeSetup setup) : base(setup)
    {
        _enabled = Services.Settings.Raw.Get(SettingName) is true;
        _command = Config.GetString("command").Trim();
        _addPayload = Config.Get("addpay") switch
        {
            true => "payload",
            false or null => null,
            var other => JsValue.ToJsString(other) is { Length: > 0 } text ? text : null,
        };
        _append = Config.GetString("append").Trim();
        _spawn = Config.GetBool("useSpawn", false);
        var seconds = Config.GetNumberOrNull("timer");
        if (seconds is < 0) throw Config.Invalid("timer", "the time limit cannot be negative");
        _timer = seconds is > 0 ? TimeSpan.FromSeconds(seconds.Value) : null;
        _oldrc = Config.GetBool("oldrc", false);
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (!_enabled) SetStatus(new NodeStatus("red", "ring", $"disabled: settings {SettingName} is not true"));
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        foreach (var process in _running.Values) Kill(process);
        _running.Clear();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_enabled) throw new InvalidOperationException($"exec is disabled: set \"{SettingName}\": true in the settings to allow running commands");
        if (msg.ContainsKey("kill"))
        {
            var target = msg.Get("pid") is { } pid ? _running.GetValueOrDefault((int)JsValue.ToNumber(pid)) : _running.Count == 1 ? _running.Values.First() : null;
            if (target is null)
            {
                Warn(_running.Count == 0 ? "No process to kill" : "Cannot kill: several processes are running; give msg.pid");
                return ValueTask.CompletedTask;
            }
            Kill(target);
            return ValueTask.CompletedTask;
        }

        var command = _command;
        if (_addPayload is not null && PropertyPath.Parse(_addPayload).TryGetValue(msg, out var extra) && extra is not null)
        {
            command += " " + (extra is JsObject or List<object?> ? JsJson.Serialize(extra) : JsValue.ToJsString(extra));
        }
        if (_append.Length > 0) command += " " + _append;
        var completion = input.Defer();
        Process process;
        try
        {
            process = Start(command);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            SetStatus(new NodeStatus("red", "ring", "error"));
            var rc = new JsObject { ["code"] = -2.0, ["message"] = ex.Message };
            msg["rc"] = rc;
            completion.Fail($"exec: {ex.Message}");
            SendToPorts([null, null, With(msg, _oldrc ? -2.0 : rc)]);
            return ValueTask.CompletedTask;
        }
        _running[process.Id] = process;
        SetStatus(new NodeStatus("blue", "dot", $"pid:{process.Id}"));
        ITimer? killTimer = null;
        var killed = new StrongFlag();
        if (_timer is { } limit)
        {
            killTimer = StartTimer(limit, Timeout.InfiniteTimeSpan, () =>
            {
                killed.Value = true;
                Kill(process);
                return ValueTask.CompletedTask;
            });
        }
        _ = RunAsync(process, msg, completion, () => StopTimer(killTimer), killed);
        return ValueTask.CompletedTask;
    }

    private sealed class StrongFlag
    {
        public bool Value { get; set; }
    }

    private Process Start(string command)
    {
        ProcessStartInfo info;
        if (_spawn)
        {
            var parts = ArgumentPattern().Matches(command).Select(m => m.Value.Length > 1 && m.Value[0] is '"' or '\'' && m.Value[^1] == m.Value[0] ? m.Value[1..^1] : m.Value).ToList();
            if (parts.Count == 0) throw new InvalidOperationException("no command given");
            info = new ProcessStartInfo(parts[0]);
            foreach (var argument in parts.Skip(1)) info.ArgumentList.Add(argument);
        }
        else if (OperatingSystem.IsWindows())
        {
            info = new ProcessStartInfo("cmd.exe");
            info.ArgumentList.Add("/d");
            info.ArgumentList.Add("/s");
            info.ArgumentList.Add("/c");
            info.ArgumentList.Add(command);
        }
        else
        {
            info = new ProcessStartInfo("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(command);
        }
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = false;
        info.UseShellExecute = false;
        info.CreateNoWindow = true;
        return Process.Start(info) ?? throw new InvalidOperationException($"cannot start {info.FileName}");
    }

    [GeneratedRegex("""("[^"]*"|'[^']*'|\S+)""")]
    private static partial Regex ArgumentPattern();

    private async Task RunAsync(Process process, JsObject msg, InputCompletion completion, Action stopTimer, StrongFlag killed)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var readOut = Pump(process.StandardOutput.BaseStream, stdout, 0, msg);
        var readErr = Pump(process.StandardError.BaseStream, stderr, 1, msg);
        await Task.WhenAll(readOut, readErr).ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        var code = process.ExitCode;
        var pid = process.Id;
        process.Dispose();
        Post(() =>
        {
            stopTimer();
            _running.Remove(pid);
            var rc = new JsObject { ["code"] = (double)code };
            if (killed.Value)
            {
                rc["signal"] = "SIGTERM";
                rc["killed"] = true;
            }
            SetStatus(killed.Value ? new NodeStatus("red", "dot", "killed") : new NodeStatus(code == 0 ? "blue" : "red", code == 0 ? "dot" : "ring", $"rc:{code}"));
            object rcPayload = _oldrc ? (double)code : rc;
            if (_spawn)
            {
                SendToPorts([null, null, With(msg, rcPayload)]);
            }
            else
            {
                var outMsg = With(msg, Text(stdout.ToArray()));
                outMsg["rc"] = JsValue.DeepClone(rcPayload);
                JsObject? errMsg = null;
                if (stderr.Length > 0)
                {
                    errMsg = With(msg, Text(stderr.ToArray()));
                    errMsg["rc"] = JsValue.DeepClone(rcPayload);
                }
                SendToPorts([outMsg, errMsg, With(msg, rcPayload)]);
            }
            completion.Done();
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Reads a stream to its end; in spawn mode each chunk is sent as it arrives.</summary>
    private async Task Pump(Stream source, MemoryStream collected, int port, JsObject msg)
    {
        var buffer = new byte[8192];
        int read;
        while ((read = await source.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (!_spawn)
            {
                collected.Write(buffer, 0, read);
                continue;
            }
            var chunk = Text(buffer[..read]);
            Post(() =>
            {
                var perPort = new object?[3];
                perPort[port] = With(msg, chunk);
                SendToPorts(perPort);
                return ValueTask.CompletedTask;
            });
        }
    }

    private static JsObject With(JsObject msg, object payload)
    {
        var copy = (JsObject)JsValue.DeepClone(msg)!;
        copy["payload"] = payload;
        return copy;
    }

    /// <summary>Output is text when it is valid UTF-8 (Node-RED's isUtf8 check), otherwise a Buffer.</summary>
    private static object Text(byte[] data)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return data;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
