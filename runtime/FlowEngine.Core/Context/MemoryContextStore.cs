namespace FlowEngine.Core.Context;

/// <summary>The in-memory store (Node-RED's "memory" module). Values are kept by reference, as Node-RED does.</summary>
public class MemoryContextStore(string name) : IContextStore
{
    private readonly Dictionary<string, Dictionary<string, object?>> _scopes = new(StringComparer.Ordinal);

    protected Lock Gate { get; } = new();

    public string Name { get; } = name;

    public virtual bool IsPersistent => false;

    public virtual ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public bool TryGet(string scope, string key, out object? value)
    {
        lock (Gate)
        {
            if (_scopes.TryGetValue(scope, out var values) && values.TryGetValue(key, out value)) return true;
        }
        value = null;
        return false;
    }

    public void Set(string scope, string key, object? value)
    {
        lock (Gate)
        {
            if (value is null)
            {
                // Node-RED: setting undefined deletes. null is kept as a value only when stored explicitly
                // through Update; a plain set of null removes the key, which matches what flows observe.
                if (_scopes.TryGetValue(scope, out var existing)) existing.Remove(key);
            }
            else
            {
                if (!_scopes.TryGetValue(scope, out var values)) _scopes[scope] = values = new(StringComparer.Ordinal);
                values[key] = value;
            }
            MarkDirty(scope);
        }
    }

    public bool Delete(string scope, string key)
    {
        lock (Gate)
        {
            var removed = _scopes.TryGetValue(scope, out var values) && values.Remove(key);
            if (removed) MarkDirty(scope);
            return removed;
        }
    }

    public IReadOnlyList<string> Keys(string scope)
    {
        lock (Gate)
        {
            return _scopes.TryGetValue(scope, out var values) ? values.Keys.ToList() : [];
        }
    }

    public IReadOnlyList<string> Scopes()
    {
        lock (Gate) return _scopes.Keys.ToList();
    }

    public void DeleteScope(string scope)
    {
        lock (Gate)
        {
            if (_scopes.Remove(scope)) MarkDirty(scope);
        }
    }

    public T Update<T>(string scope, Func<IDictionary<string, object?>, T> update)
    {
        lock (Gate)
        {
            if (!_scopes.TryGetValue(scope, out var values)) _scopes[scope] = values = new(StringComparer.Ordinal);
            var result = update(values);
            if (values.Count == 0) _scopes.Remove(scope);
            MarkDirty(scope);
            return result;
        }
    }

    /// <summary>Called under the lock whenever a scope changes; persistent stores remember it for the next flush.</summary>
    protected virtual void MarkDirty(string scope) { }

    /// <summary>Snapshot of a scope for writing, taken under the lock.</summary>
    protected Dictionary<string, object?>? SnapshotScope(string scope) =>
        _scopes.TryGetValue(scope, out var values) ? new Dictionary<string, object?>(values) : null;

    protected void LoadScope(string scope, Dictionary<string, object?> values) => _scopes[scope] = values;

    public virtual ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
