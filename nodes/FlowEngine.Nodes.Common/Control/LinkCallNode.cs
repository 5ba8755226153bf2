using System.Security.Cryptography;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's link call: sends the message to a link in node as a subroutine call and sends on the message that a
/// link out in return mode brings back, or reports "timeout" (§1.11, §5.2 link).
/// </summary>
/// <remarks>
/// The call pushes <c>{id, node}</c> onto msg._linkSource and delivers the message to the link in's input. The return
/// arrives from the link out's mailbox through <see cref="ReturnFromLink"/>, which posts it onto this node's mailbox, so
/// the pending-call table is only ever touched by this node's own serial work.
/// </remarks>
internal sealed class LinkCallNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("link call")
    {
        Category = "common",
        Color = "#ddd",
        Icon = "link-call.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/link",
        DefaultLabel = "link call",
        Help = """
            Calls a flow that starts with a **link in** node and ends with a **link out** node in `return` mode, and
            sends on the message that flow returns.

            - **linkType** `static`: the target is the first id in **links**. `dynamic`: the target is `msg.target`,
              either a link in node's id or its name: first a link in of that name on this node's own flow, otherwise
              the only one of that name on any tab (names used on several tabs are an error; link ins inside subflows
              are only found by id).
            - **timeout**: seconds to wait for the return (default 30). When nothing returns in time, the error
              "timeout" is reported to catch nodes with the message as it was sent.

            The call pushes `{id, node}` onto `msg._linkSource`; the return removes that entry again (and the property
            when the list becomes empty). A missing target is reported as an error with the message.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("links", PropertyKind.Any) { Default = new List<object?>(), Help = "the id of the link in to call (static)" },
            new PropertyDeclaration("linkType", PropertyKind.Select) { Default = "static", Options = ["static", "dynamic"] },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = "30", Label = "timeout (seconds)" },
        ],
    };

    /// <summary>A call waiting for its return.</summary>
    private sealed class PendingCall(JsObject sent, InputCompletion completion)
    {
        /// <summary>A copy of the message as it was before the call, for the timeout error.</summary>
        public JsObject Sent { get; } = sent;
        public InputCompletion Completion { get; } = completion;
        public ITimer? Timer { get; set; }
    }

    private readonly string? _staticTarget;
    private readonly bool _dynamic;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<string, PendingCall> _calls = new(StringComparer.Ordinal);

    public LinkCallNode(NodeSetup setup) : base(setup)
    {
        var linkType = Config.GetString("linkType", "static");
        _dynamic = linkType switch
        {
            "" or "static" => false,
            "dynamic" => true,
            _ => throw Config.Invalid("linkType", $"expected \"static\" or \"dynamic\", got \"{linkType}\""),
        };
        // links is a list of ids; very old flows stored a single id.
        _staticTarget = Config.Get("links") as string ?? Config.GetStringList("links").FirstOrDefault();
        if (!_dynamic && string.IsNullOrEmpty(_staticTarget)) throw Config.Invalid("links", "link undefined: choose the link in node to call");
        // Node-RED: parseFloat(timeout || "30") seconds, 30 when that is not a number.
        var timeout = JsSemantics.ParseFloat(ControlValues.IsFalsy(Config.Get("timeout")) ? "30" : Config.Get("timeout"));
        _timeout = ControlValues.Wait((double.IsNaN(timeout) ? 30 : timeout) * 1000);
    }

    /// <summary>Calls waiting for their return.</summary>
    internal int PendingCount => _calls.Count;

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var target = FindTarget(_dynamic ? msg.Get("target") : _staticTarget);

        List<object?> stack;
        switch (msg.Get("_linkSource"))
        {
            case List<object?> existing:
                stack = existing;
                break;
            case var other when ControlValues.IsFalsy(other):
                stack = [];
                break;
            default:
                throw new InvalidOperationException("msg._linkSource must be an array");
        }
        var call = new PendingCall(NodeRunner.CloneMessage(msg), input.Defer());
        var eventId = RandomNumberGenerator.GetHexString(28, lowercase: true);
        stack.Add(new JsObject { ["id"] = eventId, ["node"] = Id });
        msg["_linkSource"] = stack;
        _calls[eventId] = call;
        call.Timer = StartTimer(_timeout, Timeout.InfiniteTimeSpan, () =>
        {
            TimeOut(eventId, call);
            return ValueTask.CompletedTask;
        });
        Services.Deliver(target.Id, msg);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Called by a link out in return mode, on its own mailbox: queues the return onto this node's mailbox. A return
    /// whose call is unknown (timed out, or made before a redeploy) is still sent on, as Node-RED does.
    /// </summary>
    internal void ReturnFromLink(string eventId, JsObject msg) => Post(() =>
    {
        if (msg.Get("_linkSource") is List<object?> { Count: 0 }) msg.Remove("_linkSource");
        if (_calls.Remove(eventId, out var call))
        {
            StopTimer(call.Timer);
            Send(msg);
            call.Completion.Done();
        }
        else
        {
            Send(msg);
        }
        return ValueTask.CompletedTask;
    });

    private void TimeOut(string eventId, PendingCall call)
    {
        if (!_calls.TryGetValue(eventId, out var current) || current != call) return;
        _calls.Remove(eventId);
        // Reported with the copy taken before the call: the sent message may still be changing in the called flow.
        ReportError("timeout", call.Sent);
    }

    /// <summary>Node-RED's link-call target lookup: by id, then (dynamic) by name in this flow, then a unique name anywhere.</summary>
    private LinkInNode FindTarget(object? target)
    {
        var key = target switch
        {
            null => "",
            string s => s,
            _ => JsValue.ToJsString(target),
        };
        if (key.Length > 0 && Services.Nodes.Find(key) is LinkInNode byId) return byId;
        if (_dynamic && key.Length > 0)
        {
            var named = Services.Nodes.All().OfType<LinkInNode>().Where(n => n.CallName == key).ToList();
            var sameFlow = named.Where(n => n.Setup.FlowId == Setup.FlowId).ToList();
            if (sameFlow.Count == 1) return sameFlow[0];
            // Link ins inside subflow instances are reachable by id only.
            var onTabs = named.Where(n => n.Setup.Alias is null).ToList();
            if (onTabs.Count == 1) return onTabs[0];
            if (onTabs.Count > 1) throw new InvalidOperationException($"Multiple link-in nodes named '{key}' found");
        }
        throw new InvalidOperationException($"target link-in node '{key}' not found");
    }
}
