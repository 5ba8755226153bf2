using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Core.Context;

/// <summary>
/// The context stores of a runtime, configured like Node-RED's <c>contextStorage</c>, and the scopes nodes read
/// and write through (node, flow, global).
/// </summary>
public sealed partial class ContextManager : IAsyncDisposable
{
    private readonly Dictionary<string, IContextStore> _stores = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _warnedUnknownStores = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly JsObject _globalSeed;

    /// <param name="contextStorage">Node-RED's settings.contextStorage object, or null.</param>
    /// <param name="userDir">Directory for the LiteDB file of persistent stores.</param>
    public ContextManager(JsObject? contextStorage, string userDir, TimeProvider clock, ILogger logger, JsObject? functionGlobalContext = null)
    {
        _logger = logger;
        _globalSeed = functionGlobalContext ?? new JsObject();
        IsConfigured = contextStorage is { Count: > 0 };
        string? defaultAlias = null;
        if (contextStorage is { Count: > 0 })
        {
            foreach (var (name, spec) in contextStorage)
            {
                if (name == "default" && spec is string alias)
                {
                    defaultAlias = alias;
                    continue;
                }
                var module = spec is JsObject o ? o.Get("module") as string ?? "memory" : spec as string ?? "memory";
                var config = (spec as JsObject)?.Get("config") as JsObject;
                _stores[name] = CreateStore(name, module, config, userDir, clock);
            }
            if (defaultAlias is not null && _stores.ContainsKey(defaultAlias))
            {
                DefaultStoreName = defaultAlias;
            }
            else if (_stores.ContainsKey("default"))
            {
                // Node-RED lists the default store under its own name ("memory" when it is the memory module).
                DefaultStoreName = "default";
            }
            else
            {
                DefaultStoreName = _stores.Keys.First();
            }
        }
        else
        {
            // Like Node-RED, the default is memory; unlike Node-RED, a persistent "file" store is always there
            // to choose, so an imported flow that names it works without settings.
            _stores["memory"] = new MemoryContextStore("memory");
            _stores["file"] = new LiteDbContextStore("file", Path.Combine(userDir, "context.db"), TimeSpan.FromSeconds(1), clock);
            DefaultStoreName = "memory";
        }
    }

    /// <summary>True when settings configured contextStorage. Without it, a node's own context is wiped on restart (Node-RED).</summary>
    public bool IsConfigured { get; }

    public string DefaultStoreName { get; }

    public IReadOnlyCollection<string> StoreNames => _stores.Keys;

    public IContextStore DefaultStore => _stores[DefaultStoreName];

    private static IContextStore CreateStore(string name, string module, JsObject? config, string userDir, TimeProvider clock)
    {
        switch (module)
        {
            case "memory":
                return new MemoryContextStore(name);
            case "localfilesystem" or "litedb" or "file":
                var dir = config?.Get("dir") as string ?? userDir;
                var baseName = config?.Get("base") as string ?? "context";
                var seconds = config?.Get("flushInterval") switch { double d => d, string s when double.TryParse(s, out var p) => p, _ => 1 };
                return new LiteDbContextStore(name, Path.Combine(dir, baseName + ".db"), TimeSpan.FromSeconds(Math.Max(0.05, seconds)), clock);
            default:
                throw new InvalidOperationException($"contextStorage.{name}: unknown module \"{module}\" (use memory, localfilesystem or litedb)");
        }
    }

    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        foreach (var store in _stores.Values) await store.OpenAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store for a name; unknown names fall back to the default with a warning once (Node-RED).</summary>
    public IContextStore Store(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "default") return DefaultStore;
        if (_stores.TryGetValue(name, out var store)) return store;
        if (_warnedUnknownStores.TryAdd(name, 0)) LogUnknownStore(_logger, name, DefaultStoreName);
        return DefaultStore;
    }

    public ContextScope Global() => new(this, "global", null, _globalSeed);

    public ContextScope Flow(string flowId, ContextScope? parent) => new(this, flowId, parent, null);

    public ContextScope Node(string nodeId, string? flowId) => new(this, flowId is null ? nodeId : $"{nodeId}:{flowId}", null, null);

    public void DeleteScope(string scope)
    {
        foreach (var store in _stores.Values) store.DeleteScope(scope);
    }

    /// <summary>After a deploy: removes the context of nodes and flows the deploy removed.</summary>
    public void Purge(ISet<string> removedOwners)
    {
        if (removedOwners.Count == 0) return;
        foreach (var store in _stores.Values)
        {
            foreach (var scope in store.Scopes())
            {
                if (scope == "global") continue;
                var separator = scope.IndexOf(':', StringComparison.Ordinal);
                var owner = separator < 0 ? scope : scope[..separator];
                var flow = separator < 0 ? null : scope[(separator + 1)..];
                if (removedOwners.Contains(owner) || (flow is not null && removedOwners.Contains(flow))) store.DeleteScope(scope);
            }
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var store in _stores.Values) await store.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores.Values) await store.DisposeAsync().ConfigureAwait(false);
        _stores.Clear();
    }

    /// <summary>Splits Node-RED's "#:(store)::key" form (how typed inputs name a store) into store and key.</summary>
    public static (string? Store, string Key) ParseKey(string key)
    {
        var m = StorePrefix().Match(key);
        return m.Success ? (m.Groups[1].Value, m.Groups[2].Value) : (null, key);
    }

    [GeneratedRegex(@"^#:\((\S+?)\)::(.*)$", RegexOptions.Singleline)]
    private static partial Regex StorePrefix();

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Unknown context store \"{Store}\" - using \"{Default}\"")]
    private static partial void LogUnknownStore(ILogger logger, string store, string @default);
}

/// <summary>One context scope as nodes see it: get, set and keys with optional store names and property paths.</summary>
public sealed class ContextScope
{
    private readonly ContextManager _manager;
    private readonly ContextScope? _parent;
    private readonly JsObject? _seed;

    internal ContextScope(ContextManager manager, string scopeId, ContextScope? parent, JsObject? seed)
    {
        _manager = manager;
        ScopeId = scopeId;
        _parent = parent;
        _seed = seed;
    }

    public string ScopeId { get; }

    /// <summary>The containing flow's scope for "$parent." keys in subflows.</summary>
    public ContextScope? Parent => _parent;

    public object? Get(string key, string? store = null) => TryGet(key, out var value, store) ? value : null;

    /// <summary>Reads a key; false when it is not set (as opposed to set to null).</summary>
    public bool TryGet(string key, out object? value, string? store = null)
    {
        value = null;
        var (scope, path, storeName) = Resolve(key, store);
        if (scope is null) return false;
        var target = scope._manager.Store(storeName);
        var top = path.FirstKey ?? key;
        if (!target.TryGet(scope.ScopeId, top, out var stored))
        {
            if (scope._seed is null || !scope._seed.TryGetValue(top, out stored)) return false;
        }
        if (path.Length == 1)
        {
            value = stored;
            return true;
        }
        var holder = new JsObject { [top] = stored };
        return path.TryGetValue(holder, out value);
    }

    public void Set(string key, object? value, string? store = null)
    {
        var (scope, path, storeName) = Resolve(key, store);
        if (scope is null) return;
        var target = scope._manager.Store(storeName);
        var top = path.FirstKey ?? key;
        if (path.Length == 1)
        {
            target.Set(scope.ScopeId, top, value);
            return;
        }
        target.Update(scope.ScopeId, values =>
        {
            var holder = new JsObject();
            if (values.TryGetValue(top, out var current)) holder[top] = current;
            if (value is null) path.Delete(holder);
            else path.SetValue(holder, value);
            if (holder.TryGetValue(top, out var updated)) values[top] = updated;
            return true;
        });
    }

    public IReadOnlyList<string> Keys(string? store = null)
    {
        var keys = _manager.Store(store).Keys(ScopeId);
        if (_seed is null || _seed.Count == 0) return keys;
        return keys.Concat(_seed.Keys).Distinct(StringComparer.Ordinal).ToList();
    }

    public bool Delete(string key, string? store = null)
    {
        var (scope, path, storeName) = Resolve(key, store);
        if (scope is null) return false;
        if (path.Length == 1) return scope._manager.Store(storeName).Delete(scope.ScopeId, path.FirstKey ?? key);
        var existed = Get(key, store) is not null;
        Set(key, null, store);
        return existed;
    }

    private (ContextScope? Scope, PropertyPath Path, string? Store) Resolve(string key, string? store)
    {
        var (prefixStore, bareKey) = ContextManager.ParseKey(key);
        var scope = this;
        while (bareKey.StartsWith("$parent.", StringComparison.Ordinal))
        {
            scope = scope?._parent;
            bareKey = bareKey["$parent.".Length..];
        }
        return (scope, PropertyPath.Parse(bareKey), store ?? prefixStore);
    }
}
