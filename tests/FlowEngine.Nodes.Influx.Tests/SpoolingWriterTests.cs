using System.Collections.Concurrent;
using FlowEngine.Nodes.Influx.Protocol;
using FlowEngine.Nodes.Influx.Spool;
using FlowEngine.Nodes.Influx.Tests.Peers;
using FlowEngine.TestKit.Peers;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>
/// The writer between a node and InfluxDB when things fail that are not the server's answer: the HTTP client disposed
/// under it, an unexpected exception from the HTTP stack, a spool file that cannot be written.
/// </summary>
public sealed class SpoolingWriterTests(InfluxPeerFixture fixture) : IClassFixture<InfluxPeerFixture>, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("spooling-writer-test-").FullName;
    private readonly ConcurrentQueue<string> _errors = new();

    private string SpoolPath => Path.Combine(_directory, "out.db");

    private static SpoolingWriterOptions FastRetries => new() { RetryDelay = TimeSpan.FromMilliseconds(20), RetryMaxDelay = TimeSpan.FromMilliseconds(50) };

    private static string Lines(int from, int count) =>
        string.Join('\n', Enumerable.Range(from, count).Select(i => $"s seq={i}i,v={i} {1_700_000_000_000_000_000L + i}"));

    private SpoolingWriter NewWriter(InfluxClient client, string database, SpoolingWriterOptions options) =>
        new(client, new InfluxWriteTarget(database, null, null, null), new PointSpool(SpoolPath, 1_000_000, SpoolOverflow.DropOldest), options,
            () => { }, _errors.Enqueue);

    [Fact]
    public async Task A_client_disposed_under_the_writer_loses_no_point_and_the_writer_still_closes()
    {
        // A config node closed before the node using it (as happened on a redeploy) disposes the client under a
        // writer that is still retrying. Its spool must come out whole for the next instance of the node.
        var client = new InfluxClient(new InfluxClientOptions { BaseUri = new Uri($"http://127.0.0.1:{InfluxPeer.FreePort()}") });
        var writer = NewWriter(client, "plant", FastRetries);
        writer.Start();
        writer.Enqueue(500, Lines(0, 500));
        Assert.True(await Waiting.UntilAsync(() => writer.State.Retrying, Wait), "the writer never tried to write");
        client.Dispose();
        writer.Enqueue(200, Lines(500, 200));
        Assert.True(await Waiting.UntilAsync(() => _errors.Any(e => e.Contains("disposed", StringComparison.Ordinal)), Wait),
            "no error about the disposed client: " + string.Join(" | ", _errors));

        await writer.DisposeAsync();

        using var reopened = new PointSpool(SpoolPath, 1_000_000, SpoolOverflow.DropOldest);
        Assert.Equal(700, reopened.Points);
        Assert.Equal([500, 200], reopened.PeekOldest(5000).Select(b => b.Count));
    }

    [Fact]
    public async Task An_unexpected_exception_from_the_http_stack_is_retried_and_every_point_is_written()
    {
        var database = "db" + Guid.NewGuid().ToString("N")[..10];
        await fixture.Peer.CreateDatabaseAsync(database);
        using var client = new InfluxClient(new InfluxClientOptions
        {
            BaseUri = new Uri(fixture.Peer.Url),
            Handler = new FailsOnceHandler { InnerHandler = new SocketsHttpHandler() },
        });
        await using (var writer = NewWriter(client, database, FastRetries))
        {
            writer.Start();
            writer.Enqueue(300, Lines(0, 300));
            Assert.Equal(300, await fixture.Peer.WaitForCountAsync("SELECT count(v) FROM s", database, 300, Wait));
            Assert.True(await Waiting.UntilAsync(() => writer.State.Written == 300, Wait), $"written: {writer.State.Written}");
        }
        Assert.Contains(_errors, e => e.Contains("will retry", StringComparison.Ordinal) && e.Contains(FailsOnceHandler.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_spool_that_cannot_be_written_is_reported_with_the_points_lost()
    {
        var client = new InfluxClient(new InfluxClientOptions { BaseUri = new Uri($"http://127.0.0.1:{InfluxPeer.FreePort()}") });
        var writer = NewWriter(client, "plant", FastRetries);
        writer.Start();
        writer.Spool.Dispose();
        writer.Enqueue(10, Lines(0, 10));
        writer.Enqueue(5, Lines(10, 5));
        Assert.True(await Waiting.UntilAsync(() => _errors.Sum(e => e.StartsWith("could not store ", StringComparison.Ordinal) ? int.Parse(e.Split(' ')[3]) : 0) == 15, Wait),
            "errors: " + string.Join(" | ", _errors));
        Assert.Equal(15, writer.State.RefusedNew);
        await writer.DisposeAsync();
        client.Dispose();
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Throws an exception the client does not translate (as a bug in a handler would), once.</summary>
    private sealed class FailsOnceHandler : DelegatingHandler
    {
        public const string Message = "handler failed once";
        private int _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) == 1 ? throw new InvalidOperationException(Message) : base.SendAsync(request, cancellationToken);
    }
}
