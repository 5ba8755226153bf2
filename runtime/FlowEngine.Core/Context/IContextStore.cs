namespace FlowEngine.Core.Context;

/// <summary>
/// A context store: values by scope ("global", a flow id, "nodeId:flowId") and top-level key.
/// Implementations keep every value in memory so reads are synchronous; persistent stores write behind.
/// </summary>
public interface IContextStore : IAsyncDisposable
{
    string Name { get; }
    bool IsPersistent { get; }
    ValueTask OpenAsync(CancellationToken cancellationToken);
    bool TryGet(string scope, string key, out object? value);
    void Set(string scope, string key, object? value);
    bool Delete(string scope, string key);
    IReadOnlyList<string> Keys(string scope);
    IReadOnlyList<string> Scopes();
    void DeleteScope(string scope);
    /// <summary>Runs an update of a scope's values under the store's lock (nested-path writes).</summary>
    T Update<T>(string scope, Func<IDictionary<string, object?>, T> update);
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
