using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace FlowEngine.Integration.Tests;

/// <summary>
/// No Docker engine runs here, so the image is checked in two parts: the Dockerfile says what the image is meant
/// to be (non-root, data volume, port, health check on /healthz, the published entry point), and the publish output,
/// laid out as the image's last stage copies it, runs and serves the editor and the probes.
/// </summary>
public sealed partial class ContainerLayoutTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void The_dockerfile_runs_the_published_program_as_a_non_root_user_with_a_volume_a_port_and_a_health_check()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        var stages = FromLine().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, stages.Count);
        var last = dockerfile[dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        Assert.Matches(@"(?m)^USER flowengine$", last);
        Assert.Matches(@"(?m)^VOLUME /data$", last);
        Assert.Matches(@"(?m)^EXPOSE 1880$", last);
        Assert.Contains("http://127.0.0.1:1880/healthz", last, StringComparison.Ordinal);
        Assert.Contains("ffmpeg", last, StringComparison.Ordinal);
        Assert.Contains("""ENTRYPOINT ["dotnet", "/app/flowengine.dll", "--userDir", "/data"]""", last, StringComparison.Ordinal);
        Assert.Contains("dotnet publish runtime/FlowEngine.Host -c Release -o /app", dockerfile, StringComparison.Ordinal);
        var compose = File.ReadAllText(Path.Combine(Root, "compose.yaml"));
        foreach (var service in new[] { "flowengine:", "mosquitto:", "influxdb:" }) Assert.Contains(service, compose, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "deploy", "mosquitto.conf")));
    }

    [Fact]
    public async Task The_publish_output_runs_from_the_image_layout_and_serves_the_editor_and_the_probes()
    {
        var app = Directory.CreateTempSubdirectory("flowengine-publish-").FullName;
        var data = Directory.CreateTempSubdirectory("flowengine-data-").FullName;
        try
        {
            var (code, output) = await RunAsync("dotnet", ["publish", Path.Combine(Root, "runtime", "FlowEngine.Host"), "-c", "Release", "-o", app, "-p:SkipEditorBuild=true", "-nologo", "-v", "quiet"], TimeSpan.FromMinutes(8));
            Assert.True(code == 0, "dotnet publish failed:\n" + output);
            Assert.True(File.Exists(Path.Combine(app, "flowengine.dll")));
            Assert.True(File.Exists(Path.Combine(app, "editor", "index.html")), "the editor is not in the publish output");

            var port = FreePort();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = app };
            foreach (var arg in new[] { Path.Combine(app, "flowengine.dll"), "--userDir", data }) start.ArgumentList.Add(arg);
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FLOWENGINE_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(name);
            // As the image sets it, but on loopback: a test never listens beyond this machine.
            start.Environment["FLOWENGINE_UI_HOST"] = "127.0.0.1";
            start.Environment["FLOWENGINE_UI_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
                var health = await RetryAsync(() => http.GetStringAsync("healthz"));
                Assert.Equal("ok", health);
                // As a browser asks for it: the editor page goes to navigations, API clients get Node-RED's 404.
                using var page = new HttpRequestMessage(HttpMethod.Get, "");
                page.Headers.Accept.ParseAdd("text/html");
                using var pageResponse = await http.SendAsync(page);
                var editor = await pageResponse.Content.ReadAsStringAsync();
                Assert.Contains("<html", editor, StringComparison.OrdinalIgnoreCase);
                // Every script and stylesheet the page names is served as a file, cached for good: the admin API's
                // routes under the same root (GET /assets/:tag once answered for Vite's assets/ folder) must not shadow it.
                var references = AssetReference().Matches(editor).Select(m => m.Groups[1].Value).ToList();
                Assert.NotEmpty(references);
                foreach (var reference in references)
                {
                    using var asset = await http.GetAsync(reference.TrimStart('/'));
                    Assert.True(asset.IsSuccessStatusCode, $"{reference} answered {(int)asset.StatusCode}");
                    Assert.Matches("javascript|css", asset.Content.Headers.ContentType?.MediaType ?? "");
                    Assert.Contains("immutable", asset.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
                }
                Assert.Equal("ready", await RetryAsync(() => http.GetStringAsync("readyz")));
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            TryDelete(app);
            TryDelete(data);
        }
    }

    private static async Task<string> RetryAsync(Func<Task<string>> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (process.ExitCode, await output + await error);
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FlowEngine.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("FlowEngine.sln not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"(?m)^FROM (\S+)")]
    private static partial Regex FromLine();

    [GeneratedRegex(@"(?:src|href)=""(/?[^""]+\.(?:js|css))""")]
    private static partial Regex AssetReference();
}
