using FlowEngine.Core.Context;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using FlowEngine.Scripting.Sandbox;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Common.Function;

/// <summary>
/// Node-RED's function node: JavaScript run for each message in a sandboxed Jint engine of its own (Node-RED §6).
/// The node adapts the runtime to <see cref="FunctionSandbox"/>, which holds the engine and the script API.
/// </summary>
internal sealed class FunctionNode : FlowNode, IFunctionHost
{
    private const int MaxCachedExpressions = 64;

    public static readonly NodeDeclaration Declaration = new("function")
    {
        Category = "function",
        Color = "#fdd0a2",
        Icon = "function.svg",
        Inputs = 1,
        Outputs = 1,
        OutputsProperty = "outputs",
        Set = "node-red/function",
        Module = "node-red",
        Help = """
            Runs JavaScript against each message. The code is the body of an `async function (msg, node)`: return the
            message to send it on, `null` to stop it, or an array with one entry per output (an entry may itself be an
            array to send several messages on that output). Returned messages are not copied; `node.send()` copies the
            first message it sends unless called as `node.send(msg, false)`. Every message sent carries the `_msgid` of
            the message received.

            **Properties**
            - **func**: the code run for each message.
            - **outputs**: number of outputs (default 1).
            - **timeout**: seconds one call may run; 0 uses the `functionTimeout` setting (default 1 s). A call that runs
              longer is stopped, reported to catch nodes with its message and shown in the node status; the next message
              runs normally.
            - **initialize** (On Start): runs once when the node starts, may be async; messages wait until it resolves.
              If it fails the node stays stopped and drops messages.
            - **finalize** (On Stop): runs when the node stops; timers are cleared and a status the code set is cleared.
            - **libs**: `[{var, module}]` modules bound to variables. Refused unless the setting `functionExternalModules`
              is `true`. Only single-file CommonJS modules without `require()` calls, already installed in
              `<userDir>/node_modules`, can run in the sandbox; anything else is refused at deploy with the reason.
            - **noerr**: kept for compatibility (the editor's count of syntax errors); the runtime checks the code itself
              and refuses a deploy whose code does not parse, naming the line.

            **Available to the code**: `msg`; `node` (`id`, `name`, `path`, `outputCount`, `send`, `done`, `status`, `log`,
            `warn`, `error`, `debug`, `trace`, `on('close', fn)`); `context`, `flow`, `global` (`get`, `set`, `keys`, with
            an optional store name and an optional callback); `env.get(name)`; `RED.util` (`cloneMessage`,
            `getMessageProperty`, `setMessageProperty`, `getObjectProperty`, `setObjectProperty`, `evaluateNodeProperty`,
            `evaluateJSONataExpression`, `prepareJSONataExpression`, `generateId`, `ensureString`, `ensureBuffer`,
            `compareObjects`, `normalisePropertyExpression`, `parseContextStore`); `console` (to the node log); `util`
            (`format`, `inspect`, `promisify`, `isDeepStrictEqual`, `types`); `promisify`; `Buffer` (Node.js API,
            including the read/write integer and float methods); `setTimeout`, `setInterval`, `clearTimeout`,
            `clearInterval` (cleared when the node stops); `URL` and `URLSearchParams` (the common WHATWG parts); Promises
            and `async`/`await`. Not available: `node.linkcall()` (its promise rejects with a clear error).

            A call to `node.done()` anywhere in the code (found by parsing) means the code completes each message itself;
            otherwise a message is done when the code returns (or its promise resolves). A thrown error reaches catch
            nodes with the message as the code left it, worded as Node-RED words it: `ReferenceError: x is not defined
            (line 3, col 1)` for an unknown name, `Name: message` for other errors, a thrown string as it is, other
            thrown values as JSON. Errors in timer callbacks reach catch nodes with an empty message.

            **Sandbox**: no access to .NET, files, network or processes (`require`, `process`, `eval` and `new Function`
            are not available). Per call limits: time (above), memory (`functionMemoryLimit`, MB, default 128),
            statements (`functionMaxStatements`, default 100 million per second of the time limit) and nested calls (`functionRecursionLimit`, default
            400). Each node has its own engine: changes to built-in prototypes or globals stay in that node. Values read
            from context are copies: change them and `set` them back.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Label = "Name" },
            new PropertyDeclaration("func", PropertyKind.Code) { Default = "\nreturn msg;", Label = "On Message", Help = "the body of an async function (msg, node)" },
            new PropertyDeclaration("outputs", PropertyKind.Number)
            {
                Default = 1.0,
                Label = "Outputs",
                Validate = v => JsValue.ToNumber(v) is var n && (double.IsNaN(n) || n < 0 || n != Math.Floor(n) || n > 1000) && v is not string { Length: 0 }
                    ? "must be a whole number from 0 to 1000"
                    : null,
            },
            new PropertyDeclaration("timeout", PropertyKind.Number)
            {
                Default = 0.0,
                Label = "Timeout (s)",
                Help = "0 uses the functionTimeout setting (default 1 s)",
                Validate = v => JsValue.ToNumber(v) is var n && (double.IsNaN(n) || n < 0) && v is not string { Length: 0 } ? "must be 0 or a positive number of seconds" : null,
            },
            new PropertyDeclaration("noerr", PropertyKind.Number) { Default = 0.0 },
            new PropertyDeclaration("initialize", PropertyKind.Code) { Default = "", Label = "On Start" },
            new PropertyDeclaration("finalize", PropertyKind.Code) { Default = "", Label = "On Stop" },
            new PropertyDeclaration("libs", PropertyKind.Any) { Default = new List<object?>(), Label = "Modules", Help = "[{var, module}]; needs functionExternalModules: true" },
        ],
    };

    private readonly FunctionSandbox _sandbox;
    private readonly int _outputs;
    private readonly Dictionary<string, ICompiledExpression> _expressions = new(StringComparer.Ordinal);
    /// <summary>Sends made while the script runs for an input, handed on once it has returned (see OnInputAsync).</summary>
    private readonly List<(int Port, JsObject? Message, IReadOnlyList<object?>? PerPort)> _heldSends = [];
    private bool _holdingSends;

    public FunctionNode(NodeSetup setup) : base(setup)
    {
        var outputs = Config.GetNumber("outputs", 1);
        if (outputs < 0 || outputs != Math.Floor(outputs) || outputs > 1000) throw Config.Invalid("outputs", $"must be a whole number from 0 to 1000, got {outputs}");
        _outputs = (int)outputs;
        var timeout = Config.GetNumber("timeout", 0);
        if (timeout < 0 || double.IsNaN(timeout)) throw Config.Invalid("timeout", $"must be 0 or a positive number of seconds, got {timeout}");
        FunctionScript script;
        try
        {
            var modules = ExternalModule.Load(Config.GetList("libs"), Services.Settings.Raw.Get("functionExternalModules") is true, Services.Settings.UserDir);
            script = FunctionScript.Compile(Config.GetString("func"), Config.GetStringOrNull("initialize"), Config.GetStringOrNull("finalize"), modules);
        }
        catch (FunctionScriptException ex)
        {
            throw Config.Invalid(ex.Property, ex.Message);
        }
        _sandbox = new FunctionSandbox(script, this, SandboxLimits.FromSettings(Services.Settings, timeout));
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        _sandbox.Start();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        // What the script sends while it runs for this message (its return value, node.send) is held until the
        // script engine has returned, then handed on as any node's sends are: an idle next node runs at once on this
        // thread. From inside the engine's call stack they would have to go through the next node's queue (a chain of
        // function nodes would otherwise nest script engines, each deep in the one before).
        _holdingSends = true;
        try
        {
            _sandbox.Invoke(input.Message, () => input.Defer().Done);
        }
        finally
        {
            _holdingSends = false;
        }
        try
        {
            foreach (var (port, message, perPort) in _heldSends)
            {
                if (perPort is null) Send(port, message);
                else SendToPorts(perPort);
            }
        }
        finally
        {
            _heldSends.Clear();
        }
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        _sandbox.Close(removed);
        return ValueTask.CompletedTask;
    }

    string IFunctionHost.NodeId => Id;

    string IFunctionHost.NodeName => Name;

    string IFunctionHost.NodePath => GetEnv("NR_NODE_PATH") as string ?? Id;

    int IFunctionHost.OutputCount => _outputs;

    TimeProvider IFunctionHost.Clock => Clock;

    // Queued, not handed on inline: node.send runs inside the script engine, possibly hundreds of calls deep, and an
    // inline next function node would stack its own engine on top (FunctionChainTests).
    void IFunctionHost.Send(int port, JsObject message)
    {
        if (_holdingSends) _heldSends.Add((port, message, null));
        else SendQueued(port, message);
    }

    void IFunctionHost.Send(IReadOnlyList<object?> perPort)
    {
        if (_holdingSends) _heldSends.Add((0, null, perPort));
        else SendToPortsQueued(perPort);
    }

    void IFunctionHost.Log(LogLevel level, string text)
    {
        switch (level)
        {
            case LogLevel.Error or LogLevel.Critical:
                // FlowNode has no public error-level log: an error without a message is logged at error level.
                ReportError(text);
                break;
            case LogLevel.Warning:
                Warn(text);
                break;
            case LogLevel.Information:
                Log(text);
                break;
            default:
                LogDebug(text);
                break;
        }
    }

    void IFunctionHost.ReportError(string text, JsObject? message) => ReportError(text, message);

    void IFunctionHost.SetStatus(NodeStatus status) => SetStatus(status);

    ITimer IFunctionHost.StartTimer(TimeSpan dueTime, TimeSpan period, Func<ValueTask> callback) => StartTimer(dueTime, period, callback);

    void IFunctionHost.StopTimer(ITimer timer) => StopTimer(timer);

    object? IFunctionHost.GetEnv(string name) => GetEnv(name);

    private ContextScope Scope(ScriptContextScope scope) => scope switch
    {
        ScriptContextScope.Flow => FlowContext,
        ScriptContextScope.Global => GlobalContext,
        _ => Context,
    };

    object? IFunctionHost.ContextGet(ScriptContextScope scope, string key, string? store) => Scope(scope).Get(key, store);

    void IFunctionHost.ContextSet(ScriptContextScope scope, string key, object? value, string? store) => Scope(scope).Set(key, value, store);

    void IFunctionHost.ContextDelete(ScriptContextScope scope, string key, string? store) => Scope(scope).Delete(key, store);

    IReadOnlyList<string> IFunctionHost.ContextKeys(ScriptContextScope scope, string? store) => Scope(scope).Keys(store);

    object? IFunctionHost.EvaluateProperty(string value, string type, JsObject message)
    {
        try
        {
            return TypedValue.Create(type, value, Services.Expressions).Evaluate(this, message);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or FunctionHostException))
        {
            // Whatever the typed input or the expression engine throws is shown to the script as an Error it can catch.
            throw new FunctionHostException(ex.Message, ex);
        }
    }

    object? IFunctionHost.EvaluateJsonata(string expression, JsObject message)
    {
        var engine = Services.Expressions ?? throw new FunctionHostException("JSONata is not available in this runtime");
        try
        {
            if (!_expressions.TryGetValue(expression, out var compiled))
            {
                compiled = engine.Compile(expression);
                if (_expressions.Count >= MaxCachedExpressions) _expressions.Clear();
                _expressions[expression] = compiled;
            }
            return compiled.Evaluate(message, TypedValue.ScopeFor(this));
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or FunctionHostException))
        {
            throw new FunctionHostException(ex.Message, ex);
        }
    }
}
