using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace FlowEngine.Host.Tests.Comms;

/// <summary>A real SignalR client on the comms hub, collecting every {topic, data} item it receives.</summary>
internal sealed class CommsClient : IAsyncDisposable
{
    private readonly Channel<JsonElement> _items = Channel.CreateUnbounded<JsonElement>();

    private CommsClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<List<JsonElement>>("comms", batch =>
        {
            Batches++;
            MaxBatch = Math.Max(MaxBatch, batch.Count);
            foreach (var item in batch) _items.Writer.TryWrite(item);
        });
    }

    public HubConnection Connection { get; }
    public int Batches { get; private set; }
    public int MaxBatch { get; private set; }

    public static HubConnection Build(TestHost host, string? token) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(host.Client.BaseAddress!, "comms"), options =>
            {
                if (token is not null) options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();

    public static async Task<CommsClient> ConnectAsync(TestHost host, string? token = null)
    {
        var client = new CommsClient(Build(host, token));
        await client.Connection.StartAsync();
        return client;
    }

    /// <summary>The next item with this topic (other topics are skipped); fails after 10 s.</summary>
    public async Task<JsonElement> NextAsync(string topic)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var item = await _items.Reader.ReadAsync(timeout.Token);
            if (item.GetProperty("topic").GetString() == topic) return item.GetProperty("data");
        }
    }

    /// <summary>Every item that arrives within the period.</summary>
    public async Task<List<JsonElement>> CollectAsync(TimeSpan period)
    {
        var result = new List<JsonElement>();
        using var timeout = new CancellationTokenSource(period);
        try
        {
            while (true) result.Add(await _items.Reader.ReadAsync(timeout.Token));
        }
        catch (OperationCanceledException)
        {
            return result;
        }
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
