using System.Diagnostics;
using FlowEngine.Nodes.Mqtt.Client;

namespace FlowEngine.Nodes.Mqtt.Tests;

public sealed class ReceivePacingTests
{
    private static readonly long Dense = ReceivePacing.DenseWaitTicks / 2;
    private static readonly long Sparse = ReceivePacing.DenseWaitTicks * 10;

    private static int[] Pauses(ReceivePacing pacing, params long[] waits) =>
        waits.Select(w => pacing.AfterReceive(w, filledBuffer: false)).ToArray();

    [Fact]
    public void A_sparse_stream_is_never_paused()
    {
        var pacing = new ReceivePacing(TimeSpan.FromMilliseconds(0.5));
        Assert.All(Pauses(pacing, Enumerable.Repeat(Sparse, 100).ToArray()), p => Assert.Equal(0, p));
    }

    [Fact]
    public void Pausing_starts_after_enough_receives_in_a_row_found_data_at_once()
    {
        var pacing = new ReceivePacing(TimeSpan.FromMilliseconds(0.5));
        var pauses = Pauses(pacing, Enumerable.Repeat(Dense, ReceivePacing.DenseReceivesBeforePausing + 2).ToArray());
        Assert.All(pauses[..(ReceivePacing.DenseReceivesBeforePausing - 1)], p => Assert.Equal(0, p));
        Assert.All(pauses[(ReceivePacing.DenseReceivesBeforePausing - 1)..], p => Assert.Equal(500, p));
    }

    [Fact]
    public void Two_receives_in_a_row_that_had_to_wait_end_pausing()
    {
        var pacing = new ReceivePacing(TimeSpan.FromMilliseconds(0.5));
        Pauses(pacing, Enumerable.Repeat(Dense, ReceivePacing.DenseReceivesBeforePausing).ToArray());
        Assert.True(pacing.IsPausing);
        Assert.Equal(500, pacing.AfterReceive(Sparse, filledBuffer: false));
        Assert.Equal(0, pacing.AfterReceive(Sparse, filledBuffer: false));
        Assert.False(pacing.IsPausing);
        // And it takes a whole run of dense receives again to start.
        Assert.Equal(0, pacing.AfterReceive(Dense, filledBuffer: false));
    }

    [Fact]
    public void One_gap_in_a_dense_stream_does_not_end_pausing()
    {
        var pacing = new ReceivePacing(TimeSpan.FromMilliseconds(0.5));
        Pauses(pacing, Enumerable.Repeat(Dense, ReceivePacing.DenseReceivesBeforePausing).ToArray());
        Assert.Equal([500, 500, 500, 500], Pauses(pacing, Sparse, Dense, Sparse, Dense));
        Assert.True(pacing.IsPausing);
    }

    [Fact]
    public void A_receive_that_filled_the_buffer_is_followed_at_once()
    {
        var pacing = new ReceivePacing(TimeSpan.FromMilliseconds(0.5));
        Pauses(pacing, Enumerable.Repeat(Dense, ReceivePacing.DenseReceivesBeforePausing).ToArray());
        Assert.Equal(0, pacing.AfterReceive(Dense, filledBuffer: true));
        Assert.Equal(500, pacing.AfterReceive(Dense, filledBuffer: false));
    }

    [Fact]
    public void A_zero_pause_switches_pacing_off()
    {
        var pacing = new ReceivePacing(TimeSpan.Zero);
        Assert.All(Pauses(pacing, Enumerable.Repeat(Dense, 100).ToArray()), p => Assert.Equal(0, p));
    }

    [Fact]
    public void The_pause_is_capped()
    {
        Assert.Equal((int)ReceivePacing.MaxPause.TotalMicroseconds, new ReceivePacing(TimeSpan.FromSeconds(5)).PauseMicroseconds);
    }

    [Fact]
    public void A_pause_of_a_fraction_of_a_millisecond_sleeps_about_that_long()
    {
        // Thread.Sleep counts whole milliseconds; the pause must neither round 300 µs down to nothing nor up to a
        // millisecond or more on average. Timer slack and a loaded machine only ever make sleeps longer.
        const int rounds = 200;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < rounds; i++) ReceivePacing.Pause(300);
        var averageMicroseconds = Stopwatch.GetElapsedTime(started).TotalMicroseconds / rounds;
        Assert.True(averageMicroseconds >= 300, $"{averageMicroseconds:F0} µs");
    }
}
