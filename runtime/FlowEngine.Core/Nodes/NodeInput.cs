using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Nodes;

/// <summary>One message being handled by a node.</summary>
public readonly struct NodeInput
{
    private readonly NodeRunner _runner;

    internal NodeInput(NodeRunner runner, JsObject message)
    {
        _runner = runner;
        Message = message;
    }

    public JsObject Message { get; }

    /// <summary>
    /// Keeps the message "in progress" after the handler returns (delay, trigger, join): the node must call
    /// <see cref="InputCompletion.Done"/> later, which fires complete nodes, or <see cref="InputCompletion.Fail"/>.
    /// </summary>
    public InputCompletion Defer() => _runner.DeferCurrent(Message);
}

/// <summary>Completion of a deferred message: exactly one of Done or Fail takes effect.</summary>
public sealed class InputCompletion
{
    private readonly NodeRunner _runner;
    private readonly JsObject _message;
    private int _completed;

    internal InputCompletion(NodeRunner runner, JsObject message)
    {
        _runner = runner;
        _message = message;
    }

    public void Done()
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0) _runner.CompleteMessage(_message);
    }

    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0) _runner.ReportError(error.Message, error, _message);
    }

    public void Fail(string error)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0) _runner.ReportError(error, null, _message);
    }
}
