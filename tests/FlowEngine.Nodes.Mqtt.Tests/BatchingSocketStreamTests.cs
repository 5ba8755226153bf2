using System.Net;
using System.Net.Sockets;
using FlowEngine.Nodes.Mqtt.Client;

namespace FlowEngine.Nodes.Mqtt.Tests;

public sealed class BatchingSocketStreamTests
{
    private static async Task<(BatchingSocketStream Stream, Socket Peer)> ConnectedPairAsync(TimeSpan receivePause = default)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptSocketAsync();
        await client.ConnectAsync(listener.LocalEndpoint);
        return (new BatchingSocketStream(client, receivePause), await accept);
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0) throw new IOException($"closed after {read} of {count} bytes");
            read += n;
        }
        return buffer;
    }

    [Fact]
    public async Task A_burst_of_small_writes_arrives_whole_and_in_order_in_fewer_sends_than_writes()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        using var __ = peer;
        const int packets = 20_000;
        var expected = new byte[packets * 8];
        for (var i = 0; i < packets; i++)
        {
            var packet = BitConverter.GetBytes((long)i);
            packet.CopyTo(expected, i * 8);
            await stream.WriteAsync(packet);
        }
        await stream.FlushAsync();
        Assert.Equal(expected, await ReceiveExactlyAsync(peer, expected.Length));
        Assert.True(stream.SendCalls < packets, $"{stream.SendCalls} sends for {packets} writes");
    }

    [Fact]
    public async Task A_lone_write_is_sent_without_waiting_for_more()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        using var __ = peer;
        await stream.WriteAsync(new byte[] { 1, 2, 3 });
        // No flush: the bytes must leave on their own.
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReceiveExactlyAsync(peer, 3));
    }

    [Fact]
    public async Task Small_reads_are_served_across_one_receive_and_a_closed_peer_reads_as_end_of_stream()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        await peer.SendAsync(data, SocketFlags.None);
        peer.Shutdown(SocketShutdown.Send);
        var received = new List<byte>();
        var chunk = new byte[7];
        int n;
        while ((n = await stream.ReadAsync(chunk)) > 0) received.AddRange(chunk.AsSpan(0, n).ToArray());
        Assert.Equal(data, received.ToArray());
        peer.Dispose();
    }

    [Fact]
    public async Task Fill_waits_for_bytes_without_taking_them_and_a_reader_can_take_part_in_place()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        using var __ = peer;
        var filling = stream.FillAsync(CancellationToken.None);
        Assert.False(filling.IsCompleted);
        peer.Send([1, 2, 3, 4, 5]);
        Assert.Equal(5, await filling.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, stream.Buffered.ToArray());
        Assert.Equal(5, await stream.FillAsync(CancellationToken.None));
        stream.Consume(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Consume(4));
        Assert.Equal(new byte[] { 3, 4, 5 }, await ReadAsync(stream, 3));
        Assert.True(stream.Buffered.IsEmpty);
    }

    [Fact]
    public async Task Fill_at_the_end_of_the_stream_gives_zero_and_the_next_read_says_end_of_stream()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        var filling = stream.FillAsync(CancellationToken.None);
        peer.Shutdown(SocketShutdown.Both);
        peer.Dispose();
        Assert.Equal(0, await filling.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await stream.FillAsync(CancellationToken.None));
        Assert.Equal(0, await stream.ReadAsync(new byte[4]));
    }

    [Fact]
    public async Task After_the_peer_goes_away_writes_fail_with_an_io_error()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose(); // reset: the next sends fail
        var payload = new byte[64 * 1024];
        var failed = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!failed && !timeout.IsCancellationRequested)
        {
            try
            {
                await stream.WriteAsync(payload, timeout.Token);
                await stream.FlushAsync(timeout.Token);
            }
            catch (IOException)
            {
                failed = true;
            }
        }
        Assert.True(failed, "writes kept succeeding after the connection was reset");
    }

    [Fact]
    public async Task Writes_made_inside_a_send_batch_wait_for_its_end_and_leave_in_one_send()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        using var __ = peer;
        var expected = new byte[100 * 8];
        SendBatch.Begin();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                var packet = BitConverter.GetBytes((long)i);
                packet.CopyTo(expected, i * 8);
                // Completes at once, so this method stays on the thread that holds the batch.
                Assert.True(stream.WriteAsync(packet).IsCompletedSuccessfully);
            }
            Assert.Equal(0, stream.SendCalls);
        }
        finally
        {
            SendBatch.End();
        }
        Assert.Equal(1, stream.SendCalls);
        Assert.Equal(expected, await ReceiveExactlyAsync(peer, expected.Length));
    }

    [Fact]
    public async Task A_read_goes_on_on_the_connections_receive_thread_without_a_thread_pool_hop()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        using var __ = peer;
        var reading = ReadAndNameTheThreadAsync(stream);
        await peer.SendAsync(new byte[] { 7, 8, 9 }, SocketFlags.None);
        var (count, thread) = await reading;
        Assert.Equal(3, count);
        Assert.Equal("MQTT receive", thread);
    }

    /// <summary>Reads, and names the thread the read's continuation ran on (no context to return to).</summary>
    private static async Task<(int Count, string? Thread)> ReadAndNameTheThreadAsync(BatchingSocketStream stream)
    {
        var count = await stream.ReadAsync(new byte[16]).ConfigureAwait(false);
        return (count, Thread.CurrentThread.Name);
    }

    [Fact]
    public async Task Cancelling_a_waiting_read_ends_the_connection_instead_of_leaving_the_read_hanging()
    {
        var (stream, peer) = await ConnectedPairAsync();
        await using var _ = stream;
        using var __ = peer;
        using var cancel = new CancellationTokenSource();
        var reading = stream.ReadAsync(new byte[16], cancel.Token).AsTask();
        await Task.Delay(100);
        cancel.Cancel();
        await Assert.ThrowsAsync<IOException>(() => reading.WaitAsync(TimeSpan.FromSeconds(10)));
        // The peer sees the connection end, and later reads fail at once.
        Assert.Empty(await ReceiveAvailableAsync(peer));
        await Assert.ThrowsAsync<IOException>(() => stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<byte[]> ReceiveAvailableAsync(Socket socket)
    {
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return buffer[..n];
    }
    /// <summary>Sends <paramref name="segments"/> segments of 64 bytes, each on its own, one about every 30 µs.</summary>
    private static byte[] SendDenseStream(Socket peer, int segments)
    {
        peer.NoDelay = true;
        var all = new byte[segments * 64];
        for (var i = 0; i < all.Length; i++) all[i] = (byte)(i * 7);
        for (var i = 0; i < segments; i++)
        {
            peer.Send(all, i * 64, 64, SocketFlags.None);
            var next = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 33_000;
            while (System.Diagnostics.Stopwatch.GetTimestamp() < next) Thread.SpinWait(10);
        }
        return all;
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (read < count)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
            if (n == 0) throw new IOException($"closed after {read} of {count} bytes");
            read += n;
        }
        return buffer;
    }

    /// <summary>Connects with the given pause, has the peer send a dense stream and reads all of it.</summary>
    private static async Task<(BatchingSocketStream Stream, Socket Peer, byte[] Sent, byte[] Read)> DenseStreamAsync(TimeSpan pause, int segments)
    {
        var (stream, peer) = await ConnectedPairAsync(pause);
        var reading = ReadAsync(stream, segments * 64);
        var sent = await Task.Run(() => SendDenseStream(peer, segments));
        return (stream, peer, sent, await reading);
    }

    [Fact]
    public async Task A_dense_stream_of_small_segments_is_read_many_segments_at_a_time_and_whole()
    {
        const int segments = 4000;
        var (stream, peer, sent, read) = await DenseStreamAsync(TimeSpan.FromMilliseconds(2), segments);
        await using var _ = stream;
        using var __ = peer;
        Assert.Equal(sent, read);
        // Read as each segment arrives, it takes about one receive per segment or two; pausing 2 ms in a stream that
        // brings a segment every 30 µs gathers dozens per receive.
        Assert.True(stream.ReceiveCalls < segments / 4, $"{stream.ReceiveCalls} receives for {segments} segments");
    }

    [Fact]
    public async Task After_a_dense_stream_stops_a_lone_segment_is_read_at_once()
    {
        var (stream, peer, _, _) = await DenseStreamAsync(TimeSpan.FromMilliseconds(10), 2000);
        await using var _ = stream;
        using var __ = peer;
        await Task.Delay(100);
        var lone = ReadAsync(stream, 3);
        var sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
        peer.Send(new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, await lone);
        // One pause at most (10 ms here), not one per segment that never comes; generous for a loaded machine.
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(sentAt);
        Assert.True(waited < TimeSpan.FromSeconds(2), $"{waited.TotalMilliseconds:F0} ms");
    }
}
