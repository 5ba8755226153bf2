namespace FlowEngine.Nodes.Industrial.Common;

/// <summary>
/// Deadlines of many items (tags, alarms, windows) in one priority queue. Entries are checked when they come due
/// rather than removed when a deadline moves, so moving a deadline costs nothing; owners keep at most one entry per
/// item and kind by re-queueing a moved deadline when its old entry comes up.
/// </summary>
internal sealed class DueQueue<T>
{
    private readonly PriorityQueue<T, long> _queue = new();

    public int Count => _queue.Count;

    public void Add(T item, long dueTicks) => _queue.Enqueue(item, dueTicks);

    /// <summary>The earliest deadline, or null when empty.</summary>
    public long? Next => _queue.TryPeek(out _, out var due) ? due : null;

    /// <summary>Takes the next entry that is due at <paramref name="nowTicks"/>.</summary>
    public bool TryTakeDue(long nowTicks, out T item, out long dueTicks)
    {
        if (_queue.TryPeek(out item!, out dueTicks) && dueTicks <= nowTicks)
        {
            _queue.Dequeue();
            return true;
        }
        item = default!;
        return false;
    }

    public void Clear() => _queue.Clear();
}
