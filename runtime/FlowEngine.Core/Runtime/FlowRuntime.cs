using FlowEngine.Core.Context;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Storage;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowEngine.Core.Runtime;

/// <summary>A deploy refused because the caller's rev is not the current one (HTTP 409 version_mismatch).</summary>
public sealed class VersionMismatchException(string current) : Exception("Flows have been changed since they were loaded (version_mismatch)")
{
    public string CurrentRevision { get; } = current;
}

/// <summary>Options for creating a runtime; everything has a safe default.</summary>
public sealed class FlowRuntimeOptions
{
    public RuntimeSettings Settings { get; init; } = new();
    public NodeRegistry Registry { get; init; } = new();
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    public IExpressionEngine? Expressions { get; init; }
    public IFlowStorage? Storage { get; init; }
    public IServiceProvider? HostServices { get; init; }
}

/// <summary>
/// The FlowEngine runtime: loads flows, deploys them (full, flows, nodes, reload), and runs them. The host is an
/// adapter around this class; nothing here knows about HTTP.
/// </summary>
public sealed partial class FlowRuntime : IAsyncDisposable
{
    private readonly RuntimeCore _core;
    private readonly IFlowStorage? _storage;
    private readonly SemaphoreSlim _deployGate = new(1, 1);
    private readonly ILogger _logger;

    public FlowRuntime(FlowRuntimeOptions options)
    {
        Settings = options.Settings;
        var logger = options.LoggerFactory.CreateLogger("FlowEngine.Context");
        Contexts = new ContextManager(options.Settings.ContextStorage, options.Settings.UserDir, options.TimeProvider, logger, options.Settings.FunctionGlobalContext);
        _core = new RuntimeCore(options.Settings, options.Registry, options.LoggerFactory, options.TimeProvider, Contexts, options.Expressions,
            options.HostServices ?? EmptyServiceProvider.Instance);
        _storage = options.Storage;
        _logger = options.LoggerFactory.CreateLogger("FlowEngine.Runtime");
    }

    public RuntimeSettings Settings { get; }
    public ContextManager Contexts { get; }
    public NodeRegistry Registry => _core.Registry;
    public RuntimeObservers Observers => _core.Observers;
    public IRuntimeServices Services => _core;
    public FlowConfiguration Configuration => _core.Configuration;
    public string Revision => _core.Configuration.Revision;
    public bool IsStarted => _core.Started;
    /// <summary>An error met while loading the flow file at start (bad JSON...), shown to the user; null when none.</summary>
    public string? LoadError { get; private set; }
    public IReadOnlyCollection<string> MissingTypes { get; private set; } = [];

    /// <summary>Opens the context stores and starts the flows saved in storage. A broken flow file starts no flows and is left untouched.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Contexts.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (_storage is null)
        {
            await DeployCoreAsync(FlowConfiguration.Empty, new JsObject(), new HashSet<string>(), DeploymentType.Full, persist: false, cancellationToken).ConfigureAwait(false);
            return;
        }
        var loaded = await _storage.LoadAsync(cancellationToken).ConfigureAwait(false);
        LoadError = loaded.Error;
        if (loaded.Error is not null) LogLoadError(_logger, loaded.Error);
        try
        {
            await DeployCoreAsync(loaded.Configuration, loaded.Credentials, new HashSet<string>(), DeploymentType.Full, persist: false, cancellationToken).ConfigureAwait(false);
        }
        catch (FlowValidationException ex)
        {
            LoadError = $"The saved flows were not started: {ex.Message}";
            LogLoadError(_logger, LoadError);
            await DeployCoreAsync(FlowConfiguration.Empty, new JsObject(), new HashSet<string>(), DeploymentType.Full, persist: false, cancellationToken).ConfigureAwait(false);
            // Keep what the user had on screen: the configuration stays readable through GET /flows even though it is not running.
        }
    }

    /// <summary>
    /// Checks a flow configuration (the parsed JSON of a flow file, array or v2 object) without deploying it: every
    /// problem a deploy would refuse, and node types that are not installed. Nothing running changes.
    /// </summary>
    public IReadOnlyList<FlowProblem> Check(object? flows)
    {
        try
        {
            var json = flows is JsObject { } v2 && v2.Get("flows") is { } inner ? inner : flows;
            return _core.Check(FlowConfiguration.FromJson(json), new JsObject());
        }
        catch (FlowValidationException ex)
        {
            return ex.Problems;
        }
    }

    /// <summary>
    /// Deploys a flow configuration (Node-RED POST /flows). <paramref name="flows"/> is the parsed JSON: an array, or
    /// the v2 object {flows, rev?, credentials?}. Throws <see cref="VersionMismatchException"/> for a stale rev and
    /// <see cref="FlowValidationException"/> when anything is invalid; in both cases nothing running changes.
    /// </summary>
    public async Task<DeployOutcome> DeployAsync(object? flows, DeploymentType type, string? expectedRevision = null, CancellationToken cancellationToken = default)
    {
        await _deployGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (expectedRevision is not null && expectedRevision != Revision) throw new VersionMismatchException(Revision);
            if (type == DeploymentType.Reload)
            {
                var loaded = _storage is null ? new FlowLoadResult(Configuration, _core.Credentials, null) : await _storage.LoadAsync(cancellationToken).ConfigureAwait(false);
                return await ApplyLockedAsync(loaded.Configuration, loaded.Credentials, new HashSet<string>(), DeploymentType.Full, persist: false, cancellationToken).ConfigureAwait(false);
            }
            var extraCredentials = flows is JsObject wrapper ? wrapper.Get("credentials") as JsObject : null;
            var cleaned = StripCredentials(flows, out var posted);
            var config = FlowConfiguration.FromJson(cleaned);
            var (credentials, changed) = MergeCredentials(config, posted, extraCredentials);
            return await ApplyLockedAsync(config, credentials, changed, type, persist: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _deployGate.Release();
        }
    }

    private async Task<DeployOutcome> DeployCoreAsync(FlowConfiguration config, JsObject credentials, IReadOnlySet<string> changed, DeploymentType type, bool persist, CancellationToken cancellationToken)
    {
        await _deployGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ApplyLockedAsync(config, credentials, changed, type, persist, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _deployGate.Release();
        }
    }

    private async Task<DeployOutcome> ApplyLockedAsync(FlowConfiguration config, JsObject credentials, IReadOnlySet<string> changed, DeploymentType type, bool persist, CancellationToken cancellationToken)
    {
        Func<CancellationToken, Task>? save = persist && _storage is not null ? ct => _storage.SaveAsync(config, credentials, ct) : null;
        var outcome = await _core.ApplyAsync(config, credentials, changed, type, save, cancellationToken).ConfigureAwait(false);
        MissingTypes = outcome.MissingTypes;
        if (persist) LoadError = null;
        LogDeployed(_logger, outcome.Type.ToString().ToLowerInvariant(), outcome.Started.Count, outcome.Stopped.Count, outcome.Revision[..8]);
        Observers.Notify(new RuntimeNotification("notification/runtime-deploy", new JsObject { ["revision"] = outcome.Revision }, true));
        if (outcome.MissingTypes.Count == 0)
        {
            Observers.Notify(new RuntimeNotification("notification/runtime-state", new JsObject { ["state"] = "start", ["deploy"] = persist }, true));
        }
        return outcome;
    }

    private static object? StripCredentials(object? flows, out Dictionary<string, JsObject> posted)
    {
        posted = new Dictionary<string, JsObject>(StringComparer.Ordinal);
        var array = flows is JsObject wrapper ? wrapper.Get("flows") : flows;
        if (array is not List<object?> list) return flows;
        var copy = new List<object?>(list.Count);
        foreach (var item in list)
        {
            if (item is JsObject obj && obj.ContainsKey("credentials"))
            {
                var clean = new JsObject(obj.Count);
                foreach (var (key, value) in obj)
                {
                    if (key == "credentials")
                    {
                        if (value is JsObject creds && obj.Get("id") is string id) posted[id] = creds;
                        continue;
                    }
                    clean[key] = value;
                }
                copy.Add(clean);
            }
            else
            {
                copy.Add(item);
            }
        }
        return copy;
    }

    /// <summary>Node-RED's credential rules: "__PWRD__" keeps a password, an empty value deletes, other values set (§1.10).</summary>
    private (JsObject Credentials, HashSet<string> Changed) MergeCredentials(FlowConfiguration config, Dictionary<string, JsObject> posted, JsObject? extra)
    {
        var result = new JsObject();
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, existing) in _core.Credentials)
        {
            if (config.ById.ContainsKey(id) && existing is JsObject creds) result[id] = JsValue.DeepClone(creds);
        }
        if (extra is not null)
        {
            foreach (var (id, value) in extra)
            {
                if (value is JsObject creds && !posted.ContainsKey(id)) posted[id] = creds;
            }
        }
        foreach (var (id, creds) in posted)
        {
            if (!config.ById.TryGetValue(id, out var node)) continue;
            var type = FlowConfiguration.TypeOf(node);
            var declaration = Registry.Declaration(type);
            var target = result.Get(id) as JsObject ?? new JsObject();
            foreach (var (field, value) in creds)
            {
                var declared = declaration?.Credentials.FirstOrDefault(c => c.Name == field);
                var openType = declaration is null || type is "tab" or "group" or "global-config" || type.StartsWith("subflow", StringComparison.Ordinal);
                if (declared is null && !openType) continue;
                if (value is "__PWRD__") continue;
                if (value is null || value is string s && string.IsNullOrWhiteSpace(s)) target.Remove(field);
                else target[field] = value;
            }
            if (target.Count > 0) result[id] = target;
            else result.Remove(id);
            changed.Add(id);
        }
        return (result, changed);
    }

    /// <summary>Credentials as the editor may see them: plain fields in clear, passwords as has_&lt;field&gt; flags.</summary>
    public JsObject? PublicCredentials(string nodeId)
    {
        if (!Configuration.ById.TryGetValue(nodeId, out var node)) return null;
        var declaration = Registry.Declaration(FlowConfiguration.TypeOf(node));
        var stored = _core.Credentials.Get(nodeId) as JsObject ?? new JsObject();
        var result = new JsObject();
        foreach (var field in declaration?.Credentials ?? [])
        {
            if (field.IsPassword) result["has_" + field.Name] = stored.ContainsKey(field.Name);
            else if (stored.Get(field.Name) is { } value) result[field.Name] = value;
        }
        return result;
    }

    public FlowNode? FindNode(string id) => _core.Find(id);

    public NodeRunner? FindRunner(string id) => _core.FindRunner(id);

    public IEnumerable<NodeRunner> Runners => _core.Runners.Values;

    /// <summary>Delivers a message to a node's input, as if a wire had sent it (tests, the admin API, HTTP routes).</summary>
    public bool Deliver(string nodeId, JsObject message) => _core.Deliver(nodeId, message);

    /// <summary>Triggers an inject node (button, POST /inject/:id). False when no such node or it cannot be triggered.</summary>
    public async Task<bool> InjectAsync(string nodeId, JsObject? overrides = null, CancellationToken cancellationToken = default)
    {
        var node = _core.Find(nodeId);
        return node is not null && await node.TriggerAsync(overrides, cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _deployGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _core.StopAllAsync(cancellationToken).ConfigureAwait(false);
            await Contexts.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _deployGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_core.Started) await StopAsync().ConfigureAwait(false);
        await Contexts.DisposeAsync().ConfigureAwait(false);
        _core.Metrics.Dispose();
        _deployGate.Dispose();
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogLoadError(ILogger logger, string error);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Deployed ({Type}): {Started} node(s) started, {Stopped} stopped, rev {Rev}")]
    private static partial void LogDeployed(ILogger logger, string type, int started, int stopped, string rev);

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();
        public object? GetService(Type serviceType) => null;
    }
}
