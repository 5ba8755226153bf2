using System.Collections.Concurrent;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Scripting.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Scripting.Tests.Sandbox;

/// <summary>
/// Runs function-node code in a <see cref="FunctionSandbox"/> with a recording host and a fake clock, without a
/// flow runtime: what the code sends, logs, reports and sets as status is kept in lists.
/// </summary>
internal sealed class SandboxHarness : IFunctionHost, IDisposable
{
    private readonly Dictionary<string, object?> _context = new(StringComparer.Ordinal);

    public SandboxHarness(string func, SandboxLimits? limits = null, string? initialize = null, string? finalize = null, int outputs = 1)
    {
        OutputCount = outputs;
        Script = FunctionScript.Compile(func, initialize, finalize);
        // Generous by default: the test machine may be busy; tests of the time limit pass their own.
        Sandbox = new FunctionSandbox(Script, this, limits ?? new SandboxLimits { Timeout = TimeSpan.FromSeconds(20) });
        Sandbox.Start();
    }

    public FunctionScript Script { get; }
    public FunctionSandbox Sandbox { get; }
    public FakeTimeProvider FakeClock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public List<(int Port, JsObject Message)> Sent { get; } = [];
    public List<(string Text, JsObject? Message)> Errors { get; } = [];
    public List<(LogLevel Level, string Text)> Logs { get; } = [];
    public List<NodeStatus> Statuses { get; } = [];
    public int Completed { get; private set; }
    public int Deferred { get; private set; }

    public string NodeId => "fn1";
    public string NodeName => "my function";
    public string NodePath => "tab1/fn1";
    public int OutputCount { get; }
    public TimeProvider Clock => FakeClock;

    /// <summary>Runs the code for one message and returns the messages sent on output 1 so far.</summary>
    public static JsObject RunOnce(string func, string message = """{"payload":null}""")
    {
        using var harness = new SandboxHarness(func);
        harness.Invoke(message);
        if (harness.Errors.Count > 0) throw new InvalidOperationException("script failed: " + harness.Errors[0].Text);
        return Assert.Single(harness.Sent).Message;
    }

    /// <summary>The payload the code returns for a message (the code usually ends with return msg).</summary>
    public static object? Payload(string func, string message = """{"payload":null}""") => RunOnce(func, message)["payload"];

    public bool Invoke(string json) => Invoke((JsObject)JsJson.Parse(json)!);

    public bool Invoke(JsObject message)
    {
        var finished = Sandbox.Invoke(message, () =>
        {
            Deferred++;
            return () => Completed++;
        });
        if (finished) Completed++;
        return finished;
    }

    public void Advance(TimeSpan by) => FakeClock.Advance(by);

    public void Send(int port, JsObject message) => Sent.Add((port, message));

    public void Send(IReadOnlyList<object?> perPort)
    {
        for (var port = 0; port < perPort.Count && port < OutputCount; port++)
        {
            switch (perPort[port])
            {
                case JsObject one:
                    Sent.Add((port, one));
                    break;
                case List<object?> many:
                    foreach (var m in many.OfType<JsObject>()) Sent.Add((port, m));
                    break;
            }
        }
    }

    public void Log(LogLevel level, string text) => Logs.Add((level, text));

    public void ReportError(string text, JsObject? message) => Errors.Add((text, message));

    public void SetStatus(NodeStatus status) => Statuses.Add(status);

    public ITimer StartTimer(TimeSpan dueTime, TimeSpan period, Func<ValueTask> callback) =>
        FakeClock.CreateTimer(_ => callback().AsTask().GetAwaiter().GetResult(), null, dueTime, period);

    public void StopTimer(ITimer timer) => timer.Dispose();

    public object? GetEnv(string name) => name == "FOO" ? "bar" : null;

    public object? ContextGet(ScriptContextScope scope, string key, string? store) => _context.GetValueOrDefault($"{scope}/{store}/{key}");

    public void ContextSet(ScriptContextScope scope, string key, object? value, string? store) => _context[$"{scope}/{store}/{key}"] = value;

    public void ContextDelete(ScriptContextScope scope, string key, string? store) => _context.Remove($"{scope}/{store}/{key}");

    public IReadOnlyList<string> ContextKeys(ScriptContextScope scope, string? store) =>
        _context.Keys.Where(k => k.StartsWith($"{scope}/{store}/", StringComparison.Ordinal)).Select(k => k[($"{scope}/{store}/".Length)..]).ToList();

    public object? EvaluateProperty(string value, string type, JsObject message) => type switch
    {
        "str" => value,
        "num" => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
        "msg" => PropertyPath.Parse(value).GetValue(message),
        _ => throw new FunctionHostException($"unsupported type {type}"),
    };

    public object? EvaluateJsonata(string expression, JsObject message) => throw new FunctionHostException("JSONata is not available in this runtime");

    public void Dispose() => Sandbox.Dispose();
}
