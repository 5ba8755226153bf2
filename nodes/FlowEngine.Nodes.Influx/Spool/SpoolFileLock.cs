using System.Collections.Concurrent;

namespace FlowEngine.Nodes.Influx.Spool;

/// <summary>
/// Gives one node instance at a time a spool file. On a redeploy the runtime may start the new instance of a node
/// while the old one is still closing (its close deadline passed on a busy machine); two LiteDB instances on one file
/// would lose the batches of one of them. The lock is process-wide on purpose: the file is a process-wide resource.
/// </summary>
public static class SpoolFileLock
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <summary>Waits until no other instance holds <paramref name="path"/>; the result releases it when disposed.</summary>
    public static async Task<IDisposable> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var gate = Locks.GetOrAdd(Path.GetFullPath(path), _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
            throw new TimeoutException($"the spool {path} is still held by a closing instance after {timeout.TotalSeconds:0} s");
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
