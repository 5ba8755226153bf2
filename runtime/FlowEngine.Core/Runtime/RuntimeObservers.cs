using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Runtime;

/// <summary>Who a node-originated event came from, as Node-RED's comms describe it.</summary>
public sealed record NodeIdentity(string Id, string Type, string Name, string? FlowId, string? Alias, string Path);

public sealed record NodeStatusEvent(NodeIdentity Node, NodeStatus Status);

/// <summary>A debug node's output: the value shown, and the property path it came from.</summary>
public sealed record DebugEvent(NodeIdentity Node, object? Value, string? Property, string? Topic, bool ToSidebar, DateTime Timestamp);

public sealed record NodeLogEvent(NodeIdentity? Node, LogLevel Level, string Message, DateTime Timestamp);

/// <summary>Runtime notifications (runtime-state, runtime-deploy...) with Node-RED's comms topic names.</summary>
public sealed record RuntimeNotification(string Topic, JsObject Data, bool Retain);

/// <summary>Receives what the runtime shows the outside world. Implementations must be fast and must not throw.</summary>
public interface IRuntimeObserver
{
    void OnStatus(NodeStatusEvent e) { }
    void OnDebug(DebugEvent e) { }
    void OnLog(NodeLogEvent e) { }
    void OnNotification(RuntimeNotification e) { }
}

/// <summary>The single observer channel: the host adds its comms forwarder, tests add recorders.</summary>
public sealed class RuntimeObservers
{
    private volatile IRuntimeObserver[] _observers = [];
    private readonly Lock _gate = new();

    public IDisposable Add(IRuntimeObserver observer)
    {
        lock (_gate) _observers = [.. _observers, observer];
        return new Subscription(this, observer);
    }

    private void Remove(IRuntimeObserver observer)
    {
        lock (_gate) _observers = _observers.Where(o => o != observer).ToArray();
    }

    public bool HasObservers => _observers.Length > 0;

    public void Status(NodeStatusEvent e)
    {
        foreach (var o in _observers) Safe(() => o.OnStatus(e));
    }

    public void Debug(DebugEvent e)
    {
        foreach (var o in _observers) Safe(() => o.OnDebug(e));
    }

    public void Log(NodeLogEvent e)
    {
        foreach (var o in _observers) Safe(() => o.OnLog(e));
    }

    public void Notify(RuntimeNotification e)
    {
        foreach (var o in _observers) Safe(() => o.OnNotification(e));
    }

    private static void Safe(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // An observer's bug must not break message delivery; observers log their own failures.
        catch (Exception)
        {
        }
#pragma warning restore CA1031
    }

    private sealed class Subscription(RuntimeObservers owner, IRuntimeObserver observer) : IDisposable
    {
        public void Dispose() => owner.Remove(observer);
    }
}
