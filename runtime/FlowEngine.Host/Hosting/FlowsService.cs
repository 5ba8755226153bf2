using FlowEngine.Core.Flows;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Storage;
using FlowEngine.Core.Values;
using FlowEngine.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Hosting;

/// <summary>What the last successful deploy did (GET /flows/status).</summary>
internal sealed record DeploySummary(string Type, DateTimeOffset At, string Revision, int Started, int Stopped, long DroppedMessages);

/// <summary>
/// Every change to the flow configuration goes through here, one at a time: deploys (POST /flows), the single-flow
/// API (read, change, deploy) and the runtime state. It also holds flows that are stored but not running — in safe
/// mode, or when the saved flows failed validation at start — so GET /flows still shows them and a deploy from the
/// editor does not silently replace them with an empty configuration.
/// </summary>
internal sealed partial class FlowsService(FlowRuntime runtime, ObservedFlowStorage storage, HostConfiguration configuration, TimeProvider clock, ILogger logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    // Written under the deploy lock, read by GET handlers without it.
    private volatile FlowLoadResult? _held;

    /// <summary>Node-RED's runtime flow state: "start", "stop" or "safe" (GET /flows/state).</summary>
    public string State { get; private set; } = "stop";

    /// <summary>Why the stored flows are not running; null when they are.</summary>
    public string? HeldReason { get; private set; }

    /// <summary>True once start-up has run (successfully or not); /readyz waits for it.</summary>
    public bool StartupCompleted { get; private set; }

    public DeploySummary? LastDeploy { get; private set; }
    /// <summary>Raised after each applied deploy, in the deploying request's async flow (the audit trail and comms listen).</summary>
    public event Action<DeployOutcome>? Deployed;

    /// <summary>The configuration the admin API shows: the held one when flows are not running, else the running one.</summary>
    public FlowConfiguration Current => _held?.Configuration ?? runtime.Configuration;

    public string CurrentRevision => Current.Revision;

    public FlowRuntime Runtime => runtime;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            storage.HoldNextLoad = configuration.SafeMode;
            await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
            var loaded = storage.LastLoad;
            if (configuration.SafeMode)
            {
                _held = loaded ?? new FlowLoadResult(FlowConfiguration.Empty, new JsObject(), null);
                HeldReason = "safe mode: the flows are loaded but not started until the next deploy";
                State = "safe";
                LogSafeMode(logger);
            }
            else if (runtime.LoadError is not null && runtime.Configuration.Items.Count == 0 && loaded is { Configuration.Items.Count: > 0 })
            {
                // The saved flows parsed but failed validation: keep them visible and deployable instead of showing [].
                _held = loaded;
                HeldReason = runtime.LoadError;
                State = "stop";
            }
            else
            {
                State = "start";
            }
        }
        finally
        {
            StartupCompleted = true;
            _gate.Release();
        }
    }

    /// <summary>
    /// POST /flows. <paramref name="flows"/> is a flow array (v1) or the v2 object; <paramref name="checkRevision"/>
    /// says whether the caller sent a rev (any value: Node-RED compares whenever the key is present).
    /// </summary>
    public async Task<DeployOutcome> DeployAsync(object? flows, DeploymentType type, bool checkRevision, object? revision, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (checkRevision && !(revision is string rev && rev == CurrentRevision)) throw new VersionMismatchException(CurrentRevision);
            return await ApplyLockedAsync(flows, type, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Reads the current configuration, lets <paramref name="change"/> build a new flow array from it (it may throw
    /// to refuse), and deploys that as a "flows" deploy — all under the deploy lock, so concurrent edits do not lose
    /// each other's changes.
    /// </summary>
    public async Task<T> UpdateAsync<T>(Func<FlowConfiguration, (List<object?> Flows, T Result)> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (flows, result) = change(Current);
            await ApplyLockedAsync(flows, DeploymentType.Flows, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DeployOutcome> ApplyLockedAsync(object? flows, DeploymentType type, CancellationToken cancellationToken)
    {
        if (_held is not null && type != DeploymentType.Reload)
        {
            // Node-RED upgrades flows/nodes deploys to full in safe mode; and the runtime never saw the held
            // credentials when validation failed at start, so they travel with this deploy.
            flows = WithCredentials(flows, _held.Credentials);
            type = DeploymentType.Full;
        }
        var outcome = await runtime.DeployAsync(flows, type, null, cancellationToken).ConfigureAwait(false);
        _held = null;
        HeldReason = null;
        State = "start";
        LastDeploy = new DeploySummary(outcome.Type.ToString().ToLowerInvariant(), clock.GetUtcNow(), outcome.Revision,
            outcome.Started.Count, outcome.Stopped.Count, outcome.DroppedMessages);
        Deployed?.Invoke(outcome);
        return outcome;
    }

    private static object? WithCredentials(object? flows, JsObject held)
    {
        if (held.Count == 0) return flows;
        var wrapper = new JsObject();
        if (flows is JsObject posted)
        {
            foreach (var (key, value) in posted) wrapper[key] = value;
        }
        else
        {
            wrapper["flows"] = flows;
        }
        var merged = new JsObject();
        foreach (var (id, value) in held) merged[id] = value;
        if (wrapper.Get("credentials") is JsObject postedCredentials)
        {
            foreach (var (id, value) in postedCredentials) merged[id] = value;
        }
        wrapper["credentials"] = merged;
        return wrapper;
    }

    /// <summary>
    /// GET /credentials: plain fields in clear, password fields as has_&lt;field&gt; (§1.10). Held flows answer from
    /// the credentials read with them, since the runtime does not run them.
    /// </summary>
    public JsObject PublicCredentials(string nodeId)
    {
        if (_held is not { } held) return runtime.PublicCredentials(nodeId) ?? new JsObject();
        var result = new JsObject();
        if (!held.Configuration.ById.TryGetValue(nodeId, out var node)) return result;
        var stored = held.Credentials.Get(nodeId) as JsObject ?? new JsObject();
        foreach (var field in runtime.Registry.Declaration(FlowConfiguration.TypeOf(node))?.Credentials ?? [])
        {
            if (field.IsPassword) result["has_" + field.Name] = stored.ContainsKey(field.Name);
            else if (stored.Get(field.Name) is { } value) result[field.Name] = value;
        }
        return result;
    }

    /// <summary>POST /flows/state (when settings runtimeState.enabled): "stop" stops every node and keeps the configuration; "start" starts it again.</summary>
    public async Task<string> SetStateAsync(string state, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (state == "stop" && State == "start")
            {
                await runtime.StopAsync(cancellationToken).ConfigureAwait(false);
                State = "stop";
                HeldReason = "flows stopped through POST /flows/state";
                LogFlowsStopped(logger);
            }
            else if (state == "start" && State != "start")
            {
                // Restart from the configuration saved on disk (held flows are the saved ones too): nothing is written.
                await ApplyLockedAsync(null, DeploymentType.Reload, cancellationToken).ConfigureAwait(false);
            }
            return State;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Shutdown: stops every node and flushes context stores.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await runtime.StopAsync(cancellationToken).ConfigureAwait(false);
            State = "stop";
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Safe mode: flows are loaded but not started. Deploy to start them.")]
    private static partial void LogSafeMode(ILogger logger);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Flows stopped (runtime state)")]
    private static partial void LogFlowsStopped(ILogger logger);
}
