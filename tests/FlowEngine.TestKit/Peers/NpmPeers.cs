using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace FlowEngine.TestKit.Peers;

/// <summary>
/// What every test peer written for Node.js (tests/peers/&lt;name&gt;: a Modbus server, an S7 server, an OPC UA server,
/// a Sparkplug decoder...) needs from the tests that start it: its folder, its npm packages installed once, programs
/// run to completion with a time limit, and free loopback ports.
/// </summary>
public static class NpmPeers
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InstallGates = new(StringComparer.Ordinal);

    /// <summary>
    /// tests/peers/<paramref name="name"/>, found above the test binaries or, when they are built elsewhere (for
    /// example with --artifacts-path), above the calling source file.
    /// </summary>
    public static string Directory(string name, [CallerFilePath] string callerFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(callerFile) ?? "" })
        {
            for (var dir = start.Length > 0 ? new DirectoryInfo(start) : null; dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "peers", name);
                if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
            }
        }
        throw new DirectoryNotFoundException($"tests/peers/{name}/package.json not found above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// npm install in the peer's folder, once per folder and process, unless every marker file (paths relative to the
    /// folder, such as node_modules/modbus-serial/package.json) is already there. npm install rather than npm ci: npm
    /// mirrors that hold only some platforms' optional packages leave them out of lock files, which npm ci refuses.
    /// </summary>
    public static async Task EnsureInstalledAsync(string directory, params string[] markerFiles)
    {
        var gate = InstallGates.GetOrAdd(directory, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            if (markerFiles.Length > 0 && markerFiles.All(f => File.Exists(Path.Combine(directory, f)))) return;
            var (code, output) = await RunAsync("npm", "install --no-audit --no-fund --loglevel=error", directory, TimeSpan.FromMinutes(10));
            if (code != 0) throw new InvalidOperationException($"npm install in {directory} failed ({code}):\n{output}");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs a program to completion; returns its exit code and stdout followed by stderr. Killed after the timeout.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish in {timeout}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A loopback TCP port nobody listens on at the moment.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts <c>node &lt;script&gt;</c> in the peer's folder with the given environment and waits until it prints a line
    /// starting with <paramref name="readyPrefix"/>. Every stdout line goes to <paramref name="onLine"/>, stderr lines
    /// prefixed "stderr: ". Throws with everything it printed when it exits or stays silent past the timeout (and is
    /// then killed).
    /// </summary>
    public static async Task<Process> StartScriptAsync(string directory, string script, IReadOnlyDictionary<string, string> environment,
        string readyPrefix, Action<string> onLine, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("node", script)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var printed = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            printed.Enqueue(line);
            onLine(line);
            if (line.StartsWith(readyPrefix, StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            printed.Enqueue("stderr: " + line);
            onLine("stderr: " + line);
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"node {script} in {directory} exited:\n" + string.Join("\n", printed)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(timeout);
            return process;
        }
        catch
        {
            await StopAsync(process);
            if (ready.Task.IsFaulted) throw;
            throw new TimeoutException($"node {script} in {directory} did not print {readyPrefix} within {timeout}:\n" + string.Join("\n", printed));
        }
    }

    /// <summary>Kills a process started by <see cref="StartScriptAsync"/> (with its children) and waits for it.</summary>
    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
