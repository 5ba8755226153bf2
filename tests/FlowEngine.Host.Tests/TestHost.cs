using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Host.CommandLine;
using FlowEngine.Host.Configuration;
using FlowEngine.Host.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Tests;

/// <summary>
/// A real FlowEngine server in this process on 127.0.0.1 and a free port, built from a command line through the
/// same code path as the program (CommandLineOptions → HostConfiguration → FlowEngineServer), with a temporary
/// user directory and an HttpClient pointed at it. Disposing stops it and deletes the directory.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(FlowEngineServer server, string userDir, ConcurrentQueue<string> logs)
    {
        Server = server;
        UserDir = userDir;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(server.BaseAddress!, server.Configuration.AdminRoot ?? "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public FlowEngineServer Server { get; }
    public FlowRuntime Runtime => Server.Runtime;
    public HttpClient Client { get; }
    public string UserDir { get; }
    public string FlowFile => Path.Combine(UserDir, "flows.json");
    /// <summary>Log lines as "[level] message".</summary>
    public ConcurrentQueue<string> Logs { get; }

    /// <param name="flowFile">Text written to userDir/flows.json before start (null: no file).</param>
    /// <param name="settings">settings.json content written to userDir before start (null: none).</param>
    /// <param name="args">Extra command line arguments.</param>
    public static async Task<TestHost> StartAsync(string? flowFile = null, string? settings = null, IEnumerable<string>? args = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeProvider? clock = null)
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-host-test-").FullName;
        if (flowFile is not null) await File.WriteAllTextAsync(Path.Combine(userDir, "flows.json"), flowFile);
        if (settings is not null) await File.WriteAllTextAsync(Path.Combine(userDir, "settings.json"), settings);
        var logs = new ConcurrentQueue<string>();
        var cli = CommandLineOptions.Parse(["-p", "0", "-u", userDir, .. args ?? []]);
        var configuration = HostConfiguration.Load(cli, new HostEnvironment(environment ?? new Dictionary<string, string>(), userDir, userDir));
        var server = FlowEngineServer.Create(configuration, new FlowEngineServerOptions
        {
            RegisterNodes = TestNodes.Register,
            TimeProvider = clock ?? TimeProvider.System,
            ConfigureLogging = logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(new ListLoggerProvider(logs));
            },
        });
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return new TestHost(server, userDir, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(UserDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing store; the temp directory is cleaned by the OS later.
        }
    }

    // ---- request helpers ----

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, string? apiVersion = null, string? deploymentType = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        if (apiVersion is not null) request.Headers.Add("Node-RED-API-Version", apiVersion);
        if (deploymentType is not null) request.Headers.Add("Node-RED-Deployment-Type", deploymentType);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? apiVersion = null, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (apiVersion is not null) request.Headers.Add("Node-RED-API-Version", apiVersion);
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return Client.SendAsync(request);
    }

    /// <summary>Deploys with v1 and checks it was accepted.</summary>
    public async Task DeployAsync(string flowsJson, string? deploymentType = null)
    {
        using var response = await PostJsonAsync("flows", flowsJson, deploymentType: deploymentType);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>A request with a bearer token (null: anonymous).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = Json(json);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return Client.SendAsync(request);
    }

    /// <summary>POST /auth/token with the password grant; returns the access token, failing the test when refused.</summary>
    public async Task<string> LoginAsync(string username, string password, string? totp = null)
    {
        var body = new JsObject { ["client_id"] = "node-red-editor", ["grant_type"] = "password", ["scope"] = "", ["username"] = username, ["password"] = password };
        if (totp is not null) body["totp"] = totp;
        using var response = await Client.PostAsync("auth/token", Json(JsJson.Serialize(body)));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (string)((JsObject)(await ReadJsonAsync(response))!)["access_token"]!;
    }

    public async Task<object?> ReadJsonAsync(HttpResponseMessage response) => JsJson.Parse(await response.Content.ReadAsStringAsync());

    public async Task<JsObject> GetObjectAsync(string path, string? apiVersion = null)
    {
        using var response = await GetAsync(path, apiVersion);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return Assert.IsType<JsObject>(await ReadJsonAsync(response));
    }

    public async Task<string> RevisionAsync() => (string)(await GetObjectAsync("flows", "v2"))["rev"]!;

    private sealed class ListLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose()
        {
        }
    }

    private sealed class ListLogger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"[{NodeRedLogLevels.Name(logLevel)}] {formatter(state, exception)}");
    }
}
