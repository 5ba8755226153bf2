using Acornima;
using Acornima.Ast;
using Jint;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// A function node's code, parsed once per deploy: the body ("func"), On Start ("initialize"), On Stop
/// ("finalize") and its external modules. Pure: preparing it opens nothing and runs nothing, so a node's
/// constructor can do it and refuse a deploy with a syntax error.
/// </summary>
/// <remarks>
/// As in Node-RED the body becomes the body of <c>async function (msg, node)</c>. When the body never awaits at
/// its own level it is also prepared as a plain function, which runs the same way without a promise per message.
/// </remarks>
public sealed class FunctionScript
{
    internal const string BodySource = "func";
    internal const string InitializeSource = "initialize";
    internal const string FinalizeSource = "finalize";

    private FunctionScript(Prepared<Script> body, bool bodyIsAsync, bool usesDone, bool needsNode, Prepared<Script>? initialize,
        Prepared<Script>? finalize, IReadOnlyList<ExternalModule> modules)
    {
        Body = body;
        BodyIsAsync = bodyIsAsync;
        UsesDone = usesDone;
        NeedsNode = needsNode;
        Initialize = initialize;
        Finalize = finalize;
        Modules = modules;
    }

    internal Prepared<Script> Body { get; }
    internal Prepared<Script>? Initialize { get; }
    internal Prepared<Script>? Finalize { get; }

    /// <summary>The modules of the <c>libs</c> property, each bound to a global variable.</summary>
    public IReadOnlyList<ExternalModule> Modules { get; }

    /// <summary>True when the body awaits at its own level, so it must run as an async function.</summary>
    public bool BodyIsAsync { get; }

    /// <summary>
    /// True when the body contains a real call <c>node.done()</c> (found by parsing, not by searching the text): the
    /// script then completes each message itself, otherwise the message is done when the body returns.
    /// </summary>
    public bool UsesDone { get; }

    /// <summary>
    /// False when the body uses <c>node</c> only for members that do not depend on the message (id, name, log,
    /// warn, error, status, on...): it then gets the node's shared object instead of one made per message.
    /// </summary>
    internal bool NeedsNode { get; }

    /// <summary>Parses the code. Throws <see cref="FunctionScriptException"/> naming the property and the line.</summary>
    public static FunctionScript Compile(string func, string? initialize = null, string? finalize = null,
        IReadOnlyList<ExternalModule>? modules = null)
    {
        var asyncBody = Prepare("func", BodySource, "(async function (msg, node) {\n" + func + "\n})");
        var analysis = new BodyAnalysis();
        if (asyncBody.Program is { } program) analysis.Visit(program);
        var body = asyncBody;
        if (!analysis.AwaitsAtTopLevel)
        {
            // Without a top-level await the body is valid in a plain function too, and behaves the same there:
            // the host still awaits a returned promise and reports a thrown error.
            body = Prepare("func", BodySource, "(function (msg, node) {\n" + func + "\n})");
        }
        var init = string.IsNullOrWhiteSpace(initialize)
            ? (Prepared<Script>?)null
            : Prepare("initialize", InitializeSource, "(async function (node) {\n" + initialize + "\n})");
        var fin = string.IsNullOrWhiteSpace(finalize)
            ? (Prepared<Script>?)null
            : Prepare("finalize", FinalizeSource, "(function (node) {\n" + finalize + "\n})");
        return new FunctionScript(body, analysis.AwaitsAtTopLevel, analysis.CallsDone, analysis.NeedsNode, init, fin, modules ?? []);
    }

    private static Prepared<Script> Prepare(string property, string source, string code)
    {
        try
        {
            return Engine.PrepareScript(code, source);
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            throw new FunctionScriptException(property, SyntaxErrorText(parse));
        }
    }

    /// <summary>"SyntaxError: Unexpected identifier 'b' (line 2, col 5)" with the line counted in the user's code.</summary>
    internal static string SyntaxErrorText(ParseErrorException error)
    {
        var description = error.Description ?? error.Message;
        // The wrapper adds one line before the user's first line.
        var line = Math.Max(1, error.LineNumber - 1);
        // Acornima counts columns from 0; Node-RED (V8) from 1.
        return $"SyntaxError: {description} (line {line}, col {error.Column + 1})";
    }

    /// <summary>Finds awaits at the body's own level, real calls of node.done() and uses of node that need the message.</summary>
    private sealed class BodyAnalysis
    {
        public bool AwaitsAtTopLevel { get; private set; }
        public bool CallsDone { get; private set; }
        public bool NeedsNode { get; private set; }

        public void Visit(Node root)
        {
            // The program is "(async function (msg, node) {...})": start inside the wrapper's body, past its parameters.
            var wrapper = FindFirst(root, n => n.Type == NodeType.FunctionExpression) as FunctionExpression;
            Walk(wrapper?.Body ?? root, topLevel: true);
        }

        private void Walk(Node node, bool topLevel)
        {
            switch (node)
            {
                case AwaitExpression when topLevel:
                case ForOfStatement { Await: true } when topLevel:
                    AwaitsAtTopLevel = true;
                    break;
                case CallExpression { Callee: MemberExpression { Computed: false, Object: Identifier { Name: "node" }, Property: Identifier { Name: "done" } } } call
                    when call.Arguments.Count == 0:
                    CallsDone = true;
                    NeedsNode = true;
                    break;
                case MemberExpression { Computed: false, Object: Identifier { Name: "node" }, Property: Identifier { Name: var member } }:
                    // node.warn(...), node.id: the shared object serves. node.send/node.done carry the message's id.
                    if (member is "send" or "done") NeedsNode = true;
                    return;
                case Identifier { Name: "node" or "arguments" }:
                    // node passed around, indexed or rebound: be safe and give the per-message object.
                    NeedsNode = true;
                    break;
            }
            var nested = topLevel && node.Type is not (NodeType.FunctionExpression or NodeType.FunctionDeclaration or NodeType.ArrowFunctionExpression);
            foreach (var child in node.ChildNodes)
            {
                if (child is not null) Walk(child, nested);
            }
        }

        private static Node? FindFirst(Node node, Func<Node, bool> predicate)
        {
            if (predicate(node)) return node;
            foreach (var child in node.ChildNodes)
            {
                if (child is not null && FindFirst(child, predicate) is { } found) return found;
            }
            return null;
        }
    }
}

/// <summary>A function node's code or libs cannot be used; <see cref="Property"/> names the node property at fault.</summary>
public sealed class FunctionScriptException(string property, string message) : Exception(message)
{
    public string Property { get; } = property;
}
