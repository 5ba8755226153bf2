using FlowEngine.Core.Flows;
using FlowEngine.Core.Storage;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Hosting;

/// <summary>
/// Wraps the flow file storage so the host sees what was read at start, and can hold flows back (safe mode):
/// the runtime then starts nothing, while the admin API still shows and deploys the stored flows.
/// </summary>
internal sealed class ObservedFlowStorage(IFlowStorage inner) : IFlowStorage
{
    /// <summary>When set, the next load hands the runtime an empty configuration (credentials are kept).</summary>
    public bool HoldNextLoad { get; set; }

    /// <summary>What the last load read from disk, before any holding back.</summary>
    public FlowLoadResult? LastLoad { get; private set; }

    public async Task<FlowLoadResult> LoadAsync(CancellationToken cancellationToken)
    {
        var loaded = await inner.LoadAsync(cancellationToken).ConfigureAwait(false);
        LastLoad = loaded;
        if (!HoldNextLoad) return loaded;
        HoldNextLoad = false;
        return loaded with { Configuration = FlowConfiguration.Empty };
    }

    public Task SaveAsync(FlowConfiguration configuration, JsObject credentials, CancellationToken cancellationToken) =>
        inner.SaveAsync(configuration, credentials, cancellationToken);
}
