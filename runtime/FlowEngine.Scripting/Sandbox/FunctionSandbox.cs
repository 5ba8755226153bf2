using System.Globalization;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using JsObject = FlowEngine.Core.Values.JsObject;
using JsValue = Jint.Native.JsValue;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// Runs one function node's code in its own Jint engine with Node-RED's function API: <c>msg</c>, <c>node</c>,
/// <c>context</c>/<c>flow</c>/<c>global</c>, <c>env</c>, <c>RED.util</c>, <c>console</c>, <c>util</c>, <c>Buffer</c>,
/// timers, promises, On Start and On Stop.
/// </summary>
/// <remarks>
/// <para>
/// Thread safety: every use of the engine happens under one lock. The node's mailbox already serialises inputs and
/// timer callbacks, but start and close run on the deploy task and may overlap with them; the lock makes that safe
/// without the node having to know.
/// </para>
/// <para>
/// Failures: a script error is reported to catch nodes with the message that caused it, worded as Node-RED words it.
/// A script that runs out of time, memory, statements or stack is stopped, reported the same way and in the node's
/// status, and the engine stays usable for the next message.
/// </para>
/// </remarks>
public sealed partial class FunctionSandbox : IDisposable
{
    private enum State
    {
        Created,
        Starting,
        Ready,
        Broken,
        Closed,
    }

    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly FunctionScript _script;
    private readonly IFunctionHost _host;
    private readonly SandboxLimits _limits;
    private readonly Queue<(JsObject Message, Action Done)> _waiting = new();
    private readonly Dictionary<int, ITimer> _timers = [];
    private State _state;
    private Engine? _engine;
    private ScriptValues _values = null!;
    private ObjectInstance _helpers = null!;
    private JsValue _invoke = JsValue.Undefined;
    private JsValue _fireTimer = JsValue.Undefined;
    private JsValue _body = JsValue.Undefined;
    private bool _statusUsed;
    private bool _drainPending;
    private Invocation? _current;

    public FunctionSandbox(FunctionScript script, IFunctionHost host, SandboxLimits limits)
    {
        _script = script;
        _host = host;
        _limits = limits;
    }

    /// <summary>True once On Start has finished and messages run.</summary>
    public bool IsReady
    {
        get
        {
            lock (_gate) return _state == State.Ready;
        }
    }

    /// <summary>
    /// Creates the engine, loads the libs and runs On Start. Messages that arrive before On Start has resolved wait
    /// and then run in order; if On Start fails, the node stays broken and drops messages (Node-RED).
    /// </summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_state != State.Created) return;
            _state = State.Starting;
            if (!Enter(static s => s.CreateEngine(), null))
            {
                Break("failed to start");
                return;
            }
            if (_script.Initialize is { } initialize)
            {
                if (!Enter(static (s, code) =>
                    {
                        var function = s._engine!.Evaluate(code);
                        s._engine.Call(s._helpers.Get("initialize"), JsValue.Undefined, [function]);
                    }, initialize, null))
                {
                    Break("On Start failed");
                    return;
                }
            }
            else
            {
                _state = State.Ready;
                _drainPending = true;
            }
            DrainWaiting();
        }
    }

    /// <summary>
    /// Runs the body for one message. True when the message finished (sent and done) before returning; false when
    /// it is still in progress (a promise, or code that calls <c>node.done()</c> itself) or failed. In both false
    /// cases <paramref name="defer"/> has been called: its action completes the message later, or never when it
    /// failed (the error has then been reported with the message).
    /// </summary>
    public bool Invoke(JsObject message, Func<Action> defer)
    {
        lock (_gate)
        {
            switch (_state)
            {
                case State.Ready:
                    return RunMessage(message, null, defer);
                case State.Created:
                case State.Starting:
                    _waiting.Enqueue((message, defer()));
                    return false;
                default:
                    // Broken (On Start failed) or closed: dropped without completion, as Node-RED does.
                    defer();
                    return false;
            }
        }
    }

    /// <summary>Stops the node: timers cleared, On Stop and close handlers run, status cleared if the code set one.</summary>
    public void Close(bool removed)
    {
        lock (_gate)
        {
            if (_state == State.Closed) return;
            _state = State.Closed;
            foreach (var timer in _timers.Values) _host.StopTimer(timer);
            _timers.Clear();
            _waiting.Clear();
            if (_engine is null) return;
            if (_script.Finalize is { } finalize)
            {
                Enter(static (s, code) =>
                {
                    var function = s._engine!.Evaluate(code);
                    s._engine.Call(s._helpers.Get("finalize"), JsValue.Undefined, [function]);
                }, finalize, null);
            }
            Enter(static (s, removed) => s._engine!.Call(s._helpers.Get("close"), JsValue.Undefined, [removed ? JsBoolean.True : JsBoolean.False]), removed, null);
            if (_statusUsed) _host.SetStatus(NodeStatus.Clear);
            _engine.Dispose();
            _engine = null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _state = State.Closed;
            foreach (var timer in _timers.Values) _host.StopTimer(timer);
            _timers.Clear();
            _engine?.Dispose();
            _engine = null;
        }
    }

    private void CreateEngine()
    {
        var (engine, deadline) = SandboxEngine.Create(_limits, _host.Clock);
        _engine = engine;
        // Setting up runs our own code and the libs' top level, not a message: it gets a generous limit.
        deadline.Limit = SetupTimeout;
        engine.Constraints.Reset();
        try
        {
            SetUp(engine);
        }
        finally
        {
            deadline.Limit = _limits.Timeout;
        }
    }

    private void SetUp(Engine engine)
    {
        _values = new ScriptValues(engine);
        var info = new Jint.Native.JsObject(engine);
        info.FastSetDataProperty("id", _host.NodeId);
        info.FastSetDataProperty("name", _host.NodeName);
        info.FastSetDataProperty("path", _host.NodePath);
        info.FastSetDataProperty("outputCount", _host.OutputCount);
        var bootstrap = SandboxBootstrap.Prepared;
        var factory = engine.Evaluate(bootstrap);
        _helpers = engine.Call(factory, JsValue.Undefined, [CreateNatives(engine), info]).AsObject();
        var bufferPrototype = _helpers.Get("bufferPrototype");
        _values.SetBufferPrototype(() => engine.Call(bufferPrototype, JsValue.Undefined, []).AsObject());
        _invoke = _helpers.Get("invoke");
        _fireTimer = _helpers.Get("fireTimer");
        foreach (var module in _script.Modules)
        {
            var code = module.Code;
            var function = engine.Evaluate(code);
            var exports = engine.Call(_helpers.Get("loadModule"), JsValue.Undefined, [function]);
            engine.Global.Set(module.Variable, exports);
        }
        var body = _script.Body;
        _body = engine.Evaluate(body);
    }

    private bool RunMessage(JsObject message, Action? deferred, Func<Action>? defer)
    {
        if (message.Get("_msgid") is not string msgId)
        {
            // Node-RED gives every received message an id.
            msgId = MessageIds.NewId();
            message["_msgid"] = msgId;
        }
        var invocation = new Invocation(this, message, msgId);
        var engine = _engine!;
        _current = invocation;
        try
        {
            var scriptMessage = _values.ToScript(message);
            engine.Call(_invoke, JsValue.Undefined, [_body, scriptMessage, _script.NeedsNode ? JsBoolean.True : JsBoolean.False]);
            _current = null;
            engine.Advanced.ProcessTasks();
        }
        catch (Exception ex) when (IsEngineFailure(ex))
        {
            invocation.Failed = true;
            HandleFailure(ex, message);
        }
        finally
        {
            _current = null;
        }
        if (_drainPending) DrainWaiting();
        if (invocation.Failed)
        {
            if (deferred is null) defer!();
            return false;
        }
        if (invocation.IsSettled)
        {
            invocation.Signalled = true;
            deferred?.Invoke();
            return deferred is null;
        }
        invocation.Completion = deferred ?? defer!();
        return false;
    }

    private void DrainWaiting()
    {
        _drainPending = false;
        while (_state == State.Ready && _waiting.TryDequeue(out var waiting)) RunMessage(waiting.Message, waiting.Done, null);
        if (_state is State.Broken) _waiting.Clear();
    }

    private void Break(string what)
    {
        _state = State.Broken;
        _waiting.Clear();
        _statusUsed = true;
        _host.SetStatus(NodeStatus.Error(what));
    }

    private void FireTimer(int id, bool repeat)
    {
        lock (_gate)
        {
            if (_state == State.Closed || _engine is null) return;
            if (!repeat) _timers.Remove(id);
            // Errors in timer callbacks reach catch nodes with an empty message, as in Node-RED.
            Enter(static (s, timer) => s._engine!.Call(s._fireTimer, JsValue.Undefined, [timer]), id, new JsObject());
            if (_drainPending) DrainWaiting();
        }
    }

    /// <summary>One call into the engine plus the promise jobs it queued; false when it failed (already reported).</summary>
    private bool Enter(Action<FunctionSandbox> call, JsObject? message) =>
        Enter(static (s, c) => c(s), call, message);

    private bool Enter<TState>(Action<FunctionSandbox, TState> call, TState state, JsObject? message)
    {
        try
        {
            call(this, state);
            _engine?.Advanced.ProcessTasks();
            return true;
        }
        catch (Exception ex) when (IsEngineFailure(ex))
        {
            HandleFailure(ex, message);
            return false;
        }
    }

    private static bool IsEngineFailure(Exception ex) =>
        ex is JintException or TimeoutException or RegexMatchTimeoutException or ScriptConversionException or FunctionHostException;

    private void HandleFailure(Exception ex, JsObject? message)
    {
        if (_engine is { } engine)
        {
            // The call was abandoned mid-flight: start the next one from a clean stack and fresh limits.
            engine.Advanced.ResetCallStack();
            engine.Constraints.Reset();
        }
        if (LimitText(ex) is { } limit)
        {
            _statusUsed = true;
            _host.SetStatus(NodeStatus.Error(limit));
            _host.ReportError(limit, message);
            return;
        }
        var text = ex switch
        {
            JavaScriptException js => ErrorText(js.Error),
            _ => ex.Message,
        };
        _host.ReportError(text, message);
    }

    private string? LimitText(Exception ex) => ex switch
    {
        TimeoutException or RegexMatchTimeoutException => $"Script timed out after {Seconds(_limits.Timeout)} s",
        MemoryLimitExceededException => $"Script used more memory than allowed ({_limits.MemoryBytes / (1024 * 1024)} MB)",
        StatementsCountOverflowException => $"Script ran more statements than allowed ({_limits.MaxStatements})",
        RecursionDepthOverflowException => $"Script exceeded the recursion limit ({_limits.RecursionDepth} nested calls)",
        _ => null,
    };

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>
    /// Node-RED's text for an error the body threw or rejected with: a ReferenceError gets "(line L, col C)" counted
    /// in the code as typed, other errors give "Name: message", a thrown string is itself, other values are JSON.
    /// </summary>
    internal string BodyErrorText(JsValue error)
    {
        if (error is JsError obj)
        {
            var text = NameAndMessage(obj);
            if (text.StartsWith("ReferenceError", StringComparison.Ordinal) && obj.Get("stack") is JsString stack &&
                Location().Match(stack.ToString()) is { Success: true } m)
            {
                var line = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) - 1;
                text += $" (line {line}, col {m.Groups[3].Value})";
            }
            return text;
        }
        if (error is JsString thrown) return thrown.ToString();
        if (error.IsUndefined()) return "undefined";
        try
        {
            return JsJson.Serialize(_values.FromScript(error));
        }
        catch (JavaScriptException)
        {
            return "[object Object]";
        }
    }

    /// <summary>Node-RED's text for node.error(err), done(err) and errors in timer callbacks: err.toString().</summary>
    internal string ErrorText(JsValue error)
    {
        switch (error)
        {
            case JsError obj:
                return NameAndMessage(obj);
            case ObjectInstance obj:
                try
                {
                    return TypeConverter.ToString(obj);
                }
                catch (JavaScriptException)
                {
                    return "[object Object]";
                }
            default:
                return error.Type == Types.Symbol ? error.ToString() : TypeConverter.ToString(error);
        }
    }

    private static string NameAndMessage(ObjectInstance error)
    {
        var name = error.Get("name");
        var message = error.Get("message");
        var nameText = name.IsUndefined() ? "Error" : TypeConverter.ToString(name);
        var messageText = message.IsUndefined() ? "" : TypeConverter.ToString(message);
        return messageText.Length == 0 ? nameText : nameText.Length == 0 ? messageText : $"{nameText}: {messageText}";
    }

    [GeneratedRegex(@"\b(func|initialize|finalize):(\d+):(\d+)")]
    private static partial Regex Location();

    /// <summary>One message's run: its id, what the script reported, and how to complete it later.</summary>
    private sealed class Invocation(FunctionSandbox owner, JsObject message, string msgId)
    {
        public JsObject Message { get; } = message;
        public string MsgId { get; } = msgId;
        public bool Finished { get; set; }
        public bool Failed { get; set; }
        public bool DoneCalled { get; set; }
        public bool Signalled { get; set; }
        public Action? Completion { get; set; }

        public bool IsSettled => !Failed && (owner._script.UsesDone ? DoneCalled : Finished);

        public void TrySignal()
        {
            if (Signalled || Completion is null || !IsSettled) return;
            Signalled = true;
            Completion();
        }
    }
}

/// <summary>An error a host reports to the script (bad context key, typed input that cannot be evaluated).</summary>
public sealed class FunctionHostException(string message, Exception? inner = null) : Exception(message, inner);
