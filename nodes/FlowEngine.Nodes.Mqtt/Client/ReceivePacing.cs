using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// Decides, after each receive of a connection's receive thread, whether to pause before the next one so that a dense
/// stream of small packets is read many at a time instead of one wake-up per TCP segment.
/// </summary>
/// <remarks>
/// <para>
/// A broker with TCP_NODELAY sends each message as its own segment. A receiver faster than the sender wakes for every
/// segment: at 20,000 msg/s that was 7,800 receives, 7,800 sends and 6,800 context switches a second on the
/// side-by-side benchmark's chain flow, and those system calls and switches cost more than the flows themselves.
/// Node-RED gets big reads for free because it is slow; a NIC gets them from interrupt moderation. This is the same
/// trade: only while the stream is dense (several receives in a row found data at once), the thread waits
/// <see cref="PauseMicroseconds"/> before the next receive, and a message waits at most that long more.
/// </para>
/// <para>
/// Two receives in a row that had to wait for data end the pausing, so a stream that turns sparse pays for at most two
/// pauses, and a sparse stream (a message every few milliseconds, a PLC publishing every 100 ms) never pays anything.
/// A stream of more than one message per pause that came out of a burst stays paced: its messages wait up to one
/// pause more.
/// </para>
/// </remarks>
internal sealed class ReceivePacing(TimeSpan pause)
{
    /// <summary>
    /// Side-by-side benchmark, mqtt in → 10 change → mqtt out at 20,000 msg/s: 20 µs of CPU per message with no
    /// pause, 12 with 0.25 ms, 10 with 0.5 ms (2026-11-23). Once the rest had become cheaper (2026-11-24, means of
    /// three to seven runs): json → filter at 36,000 msg/s 4.9 µs with 0.5 ms, 4.0 with 1 ms, 4.4 with 2 ms; the
    /// chain 7.5–7.8 with 0.5 ms, 6.1–6.3 with 1 ms (one run of three 8.7). At 2 ms a steady 1,000 msg/s stream that
    /// came out of a burst stays paced (each read finds its message waiting) and its median latency went from 0.3 to
    /// 1.2 ms; at 1 ms it did not.
    /// </summary>
    public static readonly TimeSpan DefaultPause = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest pause the setting allows: beyond it a message would wait longer than pausing saves.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(10);

    /// <summary>A receive that got its data within this time found the stream dense.</summary>
    public static readonly long DenseWaitTicks = Stopwatch.Frequency / 10_000; // 100 µs

    /// <summary>Dense receives in a row before pausing starts.</summary>
    public const int DenseReceivesBeforePausing = 8;

    public int PauseMicroseconds { get; } = (int)Bounded(pause.TotalMilliseconds).TotalMicroseconds;

    /// <summary>A pause the setting allows: negative or NaN gives none, more than <see cref="MaxPause"/> gives that.</summary>
    public static TimeSpan Bounded(double milliseconds) =>
        double.IsNaN(milliseconds) || milliseconds <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(milliseconds, MaxPause.TotalMilliseconds));

    private int _denseReceives;
    private bool _lastWaited;

    public bool IsPausing => _denseReceives >= DenseReceivesBeforePausing;

    /// <summary>
    /// Notes one receive: how long it waited for data and whether it filled the buffer. Returns how many microseconds
    /// to pause before the next receive (0: receive at once).
    /// </summary>
    public int AfterReceive(long waitedTicks, bool filledBuffer)
    {
        if (PauseMicroseconds <= 0) return 0;
        if (waitedTicks > DenseWaitTicks)
        {
            // One gap does not end a dense stream (a busy broker sends in spurts); two waits in a row do.
            if (_lastWaited || !IsPausing) _denseReceives = 0;
            _lastWaited = true;
            return IsPausing && !filledBuffer ? PauseMicroseconds : 0;
        }
        _lastWaited = false;
        if (_denseReceives < DenseReceivesBeforePausing) _denseReceives++;
        // A full buffer means more is waiting already: read it now.
        return IsPausing && !filledBuffer ? PauseMicroseconds : 0;
    }

    /// <summary>Sleeps the calling thread for a fraction of a millisecond (Thread.Sleep counts whole milliseconds).</summary>
    public static void Pause(int microseconds)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) Native.Usleep((uint)microseconds);
        else Thread.Sleep(1);
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "usleep")]
        public static extern int Usleep(uint microseconds);
    }
}
