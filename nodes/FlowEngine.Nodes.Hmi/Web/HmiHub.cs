using System.Text.Json;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Hmi.Web;

/// <summary>
/// The HMI pages' live channel at /ui/hub. Server → page only: "hmi" with an array of updates
/// ({kind: state|point|notify|layout, id?, seq, ...}). Pages read with hmi.read (checked by the host before the
/// connection reaches the hub); actions go through the HTTP endpoints, where hmi.write is checked.
/// </summary>
internal sealed class HmiHub : Hub;

/// <summary>
/// Moves updates from the widgets to every open page. It sends as soon as an update is there (no timer), and
/// gathers whatever queued meanwhile into one call, so a burst costs one frame per page and a single value goes
/// out at once.
/// </summary>
internal sealed partial class HmiPump(HmiServices hmi, IHubContext<HmiHub> hub, ILogger logger)
{
    public const int BatchSize = 200;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = hmi.Updates;
        var batch = new List<JsObject>(BatchSize);
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (batch.Count < BatchSize && reader.TryRead(out var update)) batch.Add(update);
                try
                {
                    await hub.Clients.All.SendAsync("hmi", Encode(batch), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or HubException)
                {
                    LogSendFailed(logger, ex.Message);
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static JsonElement Encode(List<JsObject> batch)
    {
        using var document = JsonDocument.Parse(JsJson.SerializeToUtf8(batch.Cast<object?>().ToList()));
        return document.RootElement.Clone();
    }

    [LoggerMessage(EventId = 9002, Level = LogLevel.Debug, Message = "HMI: sending updates failed: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string reason);
}
