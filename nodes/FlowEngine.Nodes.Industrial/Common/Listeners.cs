namespace FlowEngine.Nodes.Industrial.Common;

/// <summary>
/// Subscribers to a change feed (HMI pages, the host's live views). Copy-on-write so publishing from node threads
/// takes no lock; a subscriber that throws is removed rather than allowed to break the node that published.
/// </summary>
internal sealed class Listeners<T>
{
    private Action<T>[] _items = [];

    public bool IsEmpty => Volatile.Read(ref _items).Length == 0;

    public IDisposable Add(Action<T> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        Update(items => [.. items, listener]);
        return new Subscription(this, listener);
    }

    private void Remove(Action<T> listener) => Update(items => items.Where(l => l != listener).ToArray());

    private void Update(Func<Action<T>[], Action<T>[]> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _items);
            if (Interlocked.CompareExchange(ref _items, change(current), current) == current) return;
        }
    }

    public void Publish(T item)
    {
        foreach (var listener in Volatile.Read(ref _items))
        {
            try
            {
                listener(item);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A broken subscriber (a closed browser connection) must not fail the node that published; drop it.
                Remove(listener);
            }
        }
    }

    private sealed class Subscription(Listeners<T> owner, Action<T> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Remove(listener);
        }
    }
}
