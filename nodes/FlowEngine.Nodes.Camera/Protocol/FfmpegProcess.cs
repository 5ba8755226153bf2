using System.Diagnostics;
using System.Text;

namespace FlowEngine.Nodes.Camera.Protocol;

/// <summary>What one finished ffmpeg (or ffprobe) run gave.</summary>
internal sealed record FfmpegResult(int ExitCode, byte[] Output, string ErrorTail)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>ffmpeg ran past its deadline and was killed.</summary>
internal sealed class FfmpegTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// Starts ffmpeg/ffprobe as child processes and guarantees they end: on timeout, on cancellation and on dispose the
/// whole process tree is killed, so an unreachable camera or a source that sends garbage can never leave a process
/// behind. Every process started is counted in <see cref="Running"/> until it has exited.
/// </summary>
internal sealed class FfmpegRunner(string ffmpegPath = "ffmpeg", string ffprobePath = "ffprobe")
{
    private int _running;

    public string FfmpegPath { get; } = ffmpegPath;
    public string FfprobePath { get; } = ffprobePath;

    /// <summary>Processes started by this runner that have not exited yet.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Runs ffmpeg to completion, keeping stdout (for pipe:1 outputs) and the last lines of stderr.</summary>
    public Task<FfmpegResult> RunFfmpegAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(FfmpegPath, arguments, timeout, cancellationToken);

    public Task<FfmpegResult> RunFfprobeAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(FfprobePath, arguments, timeout, cancellationToken);

    private async Task<FfmpegResult> RunAsync(string file, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Start(file, arguments, redirectStdout: true);
        try
        {
            var stderr = new StderrTail();
            var errorPump = PumpStderrAsync(process, stderr);
            using var output = new MemoryStream();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await process.StandardOutput.BaseStream.CopyToAsync(output, deadline.Token).ConfigureAwait(false);
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                await errorPump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await KillAsync(process).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw new FfmpegTimeoutException($"{Path.GetFileName(file)} did not finish within {timeout.TotalSeconds:0.#} s and was stopped{FormatTail(stderr.Text)}");
            }
            return new FfmpegResult(process.ExitCode, output.ToArray(), stderr.Text);
        }
        finally
        {
            await KillAsync(process).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a long-running ffmpeg (the rolling segment recorder); the caller stops it with <see cref="StopAsync"/>.</summary>
    public RunningFfmpeg StartLongRunning(IReadOnlyList<string> arguments)
    {
        var process = Start(FfmpegPath, arguments, redirectStdout: false);
        var tail = new StderrTail();
        var pump = PumpStderrAsync(process, tail);
        return new RunningFfmpeg(this, process, tail, pump);
    }

    private Process Start(string file, IReadOnlyList<string> arguments, bool redirectStdout)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = redirectStdout,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Exited += (_, _) => Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _running);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Interlocked.Decrement(ref _running);
            process.Dispose();
            throw new InvalidOperationException($"cannot start {file}: {e.Message} (is ffmpeg installed and on PATH?)", e);
        }
        return process;
    }

    internal static async Task KillAsync(Process process)
    {
        try
        {
            if (process.HasExited) return;
            process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Not started or already reaped: nothing left to end.
        }
        catch (OperationCanceledException)
        {
            // The kernel did not reap it within 10 s; Exited still fires when it does.
        }
    }

    private static async Task PumpStderrAsync(Process process, StderrTail tail)
    {
        try
        {
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line) tail.Add(line);
        }
        catch (IOException)
        {
            // The pipe closes when the process is killed.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    internal static string FormatTail(string tail) => tail.Length == 0 ? "" : ": " + tail;

    /// <summary>The last few stderr lines: the reason ffmpeg gives for a failure is at the end.</summary>
    internal sealed class StderrTail
    {
        private const int MaxLines = 4;
        private readonly Queue<string> _lines = new();
        private readonly Lock _gate = new();

        public void Add(string line)
        {
            if (string.IsNullOrWhiteSpace(line)) return;
            lock (_gate)
            {
                _lines.Enqueue(line.Trim());
                while (_lines.Count > MaxLines) _lines.Dequeue();
            }
        }

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    var sb = new StringBuilder();
                    foreach (var line in _lines)
                    {
                        if (sb.Length > 0) sb.Append(" | ");
                        sb.Append(line);
                    }
                    return sb.ToString();
                }
            }
        }
    }
}

/// <summary>A long-running ffmpeg process; stopping sends "q" (so files are closed cleanly), then kills after a grace period.</summary>
internal sealed class RunningFfmpeg(FfmpegRunner runner, Process process, FfmpegRunner.StderrTail tail, Task stderrPump) : IAsyncDisposable
{
    public FfmpegRunner Runner { get; } = runner;
    public bool HasExited => process.HasExited;
    public string ErrorTail => tail.Text;
    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            if (!process.HasExited)
            {
                await process.StandardInput.WriteAsync('q').ConfigureAwait(false);
                await process.StandardInput.FlushAsync().ConfigureAwait(false);
                using var wait = new CancellationTokenSource(grace);
                await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // Stdin closed or ffmpeg ignored "q": kill below.
        }
        await FfmpegRunner.KillAsync(process).ConfigureAwait(false);
        await stderrPump.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        process.Dispose();
    }
}
