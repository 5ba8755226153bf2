using FlowEngine.Nodes.Mqtt;
using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Storage;
using FlowEngine.Host.Admin;
using FlowEngine.Host.Configuration;
using FlowEngine.Nodes.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FlowEngine.Host.Hosting;

/// <summary>Extension points for tests and embedding; the program uses the defaults.</summary>
internal sealed class FlowEngineServerOptions
{
    /// <summary>Registers node types beyond the common set (tests add their own).</summary>
    public Action<NodeRegistry>? RegisterNodes { get; init; }
    /// <summary>Changes logging after the console set-up (tests capture lines instead of printing them).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>The server could not start listening (port in use, address not available...). The message says which and why.</summary>
internal sealed class ServerStartException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// One FlowEngine server: the runtime, the admin HTTP API and logging, wired the same way for the program and for
/// tests. Start binds the port first and starts the flows after, so a port that is taken stops the program before
/// any flow has touched the outside world.
/// </summary>
internal sealed class FlowEngineServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmbeddedBroker _embeddedBroker = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private bool _started;

    private FlowEngineServer(WebApplication app, ILoggerFactory loggerFactory, HostConfiguration configuration, FlowsService flows)
    {
        _app = app;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("FlowEngine.Host");
        Configuration = configuration;
        Flows = flows;
    }

    public HostConfiguration Configuration { get; }
    public FlowsService Flows { get; }
    public FlowRuntime Runtime => Flows.Runtime;
    /// <summary>The port actually bound (differs from the setting when it was 0).</summary>
    public int Port { get; private set; }
    /// <summary>http://host:port/ of the server root, known after start.</summary>
    public Uri? BaseAddress { get; private set; }
    /// <summary>Cancelled when the process is asked to stop (SIGINT, SIGTERM).</summary>
    public CancellationToken ShutdownRequested => _app.Lifetime.ApplicationStopping;

    /// <summary>Builds everything; throws <see cref="SettingsException"/> for settings the runtime cannot use.</summary>
    public static FlowEngineServer Create(HostConfiguration configuration, FlowEngineServerOptions? options = null)
    {
        options ??= new FlowEngineServerOptions();
        var loggerFactory = LoggerFactory.Create(logging =>
        {
            ConfigureLogging(logging, configuration);
            options.ConfigureLogging?.Invoke(logging);
        });
        try
        {
            return Build(configuration, options, loggerFactory);
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }
    }

    private static FlowEngineServer Build(HostConfiguration configuration, FlowEngineServerOptions options, ILoggerFactory loggerFactory)
    {
        var registry = new NodeRegistry();
        NodeFamilies.Register(registry);
        options.RegisterNodes?.Invoke(registry);

        var storage = new ObservedFlowStorage(new FileFlowStorage(configuration.Settings));
        var hostServices = new DeferredServiceProvider();
        FlowRuntime runtime;
        try
        {
            runtime = new FlowRuntime(new FlowRuntimeOptions
            {
                Settings = configuration.Settings,
                Registry = registry,
                LoggerFactory = loggerFactory,
                TimeProvider = options.TimeProvider,
                Expressions = ExpressionEngineFactory.Create(options.TimeProvider),
                Storage = storage,
                HostServices = hostServices,
            });
        }
        catch (InvalidOperationException ex)
        {
            // The context stores are built from settings.contextStorage: an unknown module lands here.
            throw new SettingsException(ex.Message);
        }
        var flows = new FlowsService(runtime, storage, configuration, options.TimeProvider, loggerFactory.CreateLogger("FlowEngine.Host"));

        // The empty builder reads no appsettings.json and no ASPNETCORE_* variables: settings.json is the only configuration.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "flowengine",
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            Listen(kestrel, configuration);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton(configuration);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton(flows);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var app = builder.Build();
        hostServices.Provider = app.Services;
        var adminLogger = loggerFactory.CreateLogger("FlowEngine.Admin");
        app.Use(ErrorResponses.Middleware(adminLogger));
        AdminApi.Map(app, new AdminServices(flows, configuration, adminLogger));
        return new FlowEngineServer(app, loggerFactory, configuration, flows);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, HostConfiguration configuration)
    {
        logging.SetMinimumLevel(configuration.LogLevel);
        // ASP.NET Core's own chatter (request lines, "Application started") stays out unless something goes wrong;
        // start failures are reported by this class in one line.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None);
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        logging.AddConsole(console => console.FormatterName = NodeRedConsoleFormatter.FormatterName);
        logging.AddConsoleFormatter<NodeRedConsoleFormatter, NodeRedConsoleFormatterOptions>(format => format.IncludeStackTraces = configuration.Verbose);
    }

    private static void Listen(KestrelServerOptions kestrel, HostConfiguration configuration)
    {
        var host = configuration.Host;
        var port = configuration.Port;
        if (host == "localhost")
        {
            // Kestrel cannot pick a free port for "localhost" (two sockets); loopback IPv4 can.
            if (port == 0) kestrel.Listen(IPAddress.Loopback, 0);
            else kestrel.ListenLocalhost(port);
            return;
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            try
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault()
                    ?? throw new SettingsException($"uiHost {host} has no address");
            }
            catch (SocketException ex)
            {
                throw new SettingsException($"uiHost {host} cannot be resolved: {ex.Message}");
            }
        }
        kestrel.Listen(address, port);
    }

    /// <summary>Seeds the flow file if asked, binds the port, then loads and starts the flows.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var settings = Configuration.Settings;
        HostLog.Welcome(_logger);
        HostLog.Version(_logger, HostInfo.Version);
        HostLog.DotNetVersion(_logger, HostInfo.DotNetVersion);
        HostLog.Platform(_logger, HostInfo.Platform);
        HostLog.NodeTypes(_logger, Runtime.Registry.Declarations.Count());
        HostLog.SettingsFile(_logger, Configuration.SettingsFile ?? "none (defaults)");
        var contexts = Runtime.Contexts;
        HostLog.ContextStores(_logger, string.Join(", ", contexts.StoreNames.Select(s => s == contexts.DefaultStoreName ? $"'{s}' (default)" : $"'{s}'")));
        HostLog.UserDirectory(_logger, Configuration.UserDir);
        HostLog.FlowsFile(_logger, settings.FlowFilePath);
        Seed();

        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            var message = IsAddressInUse(ex)
                ? $"Error: port {Configuration.Port} is already in use on {Configuration.Host}: is another FlowEngine or Node-RED running? Choose another port with -p PORT."
                : $"Error: cannot listen on {Configuration.Host}:{Configuration.Port}: {Innermost(ex).Message}";
            HostLog.StartFailed(_logger, message);
            throw new ServerStartException(message, ex);
        }
        _started = true;
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var bound = addresses.Select(a => new Uri(a)).FirstOrDefault() ?? new Uri($"http://{Configuration.Host}:{Configuration.Port}/");
        Port = bound.Port;
        BaseAddress = new Uri($"{bound.Scheme}://{DisplayHost(bound)}:{bound.Port}/");
        if (Configuration.AdminRoot is { } root) HostLog.Running(_logger, new Uri(BaseAddress, root).ToString());
        else HostLog.AdminDisabled(_logger);
        if (Configuration.BindsBeyondLoopback) HostLog.OpenToNetwork(_logger, Configuration.Host, Port);

        try
        {
            if (await _embeddedBroker.StartAsync(settings, cancellationToken).ConfigureAwait(false))
            {
                HostLog.EmbeddedBroker(_logger, _embeddedBroker.Host, _embeddedBroker.Port ?? 0);
            }
        }
        catch (InvalidOperationException ex)
        {
            var message = $"Error: the embedded MQTT broker cannot start: {ex.Message}";
            HostLog.StartFailed(_logger, message);
            throw new ServerStartException(message, ex);
        }

        HostLog.StartingFlows(_logger);
        try
        {
            await Flows.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unreadable flow file or a context store another process holds: nothing can run safely.
            var message = $"Error: cannot load the flows or open the context stores in {Configuration.UserDir}: {ex.Message}";
            HostLog.StartFailed(_logger, message);
            throw new ServerStartException(message, ex);
        }
        // When the flows are held (safe mode, invalid saved flows) the reason has already been logged.
        if (Flows.HeldReason is null && Runtime.LoadError is null) HostLog.StartedFlows(_logger);
    }

    /// <summary>--seed: the first start copies an example flow file; later starts keep what was deployed.</summary>
    private void Seed()
    {
        if (Configuration.SeedFile is not { } seed) return;
        var target = Configuration.Settings.FlowFilePath;
        if (File.Exists(target)) return;
        if (!File.Exists(seed)) throw new SettingsException($"seed flow file {seed} does not exist");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(seed, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"cannot copy seed flow file {seed} to {target}: {ex.Message}");
        }
        HostLog.Seeded(_logger, seed);
    }

    private static string DisplayHost(Uri bound) => bound.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : bound.Host;

    private static bool IsAddressInUse(Exception ex)
    {
        for (var current = ex; current is not null; current = current.InnerException)
        {
            if (current is AddressInUseException) return true;
            if (current is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }) return true;
        }
        return false;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }

    /// <summary>Completes when the process is asked to stop (Ctrl+C, SIGTERM) or <see cref="RequestShutdown"/> is called.</summary>
    public Task WaitForShutdownRequestAsync()
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        return stopping.Task;
    }

    public void RequestShutdown() => _app.Lifetime.StopApplication();

    /// <summary>Stops accepting requests, then stops every node and flushes the context stores.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_started) return;
        _started = false;
        HostLog.StoppingFlows(_logger);
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        await Flows.StopAsync(cancellationToken).ConfigureAwait(false);
        await _embeddedBroker.DisposeAsync().ConfigureAwait(false);
        HostLog.StoppedFlows(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await Runtime.DisposeAsync().ConfigureAwait(false);
        // Last: disposing the console provider flushes lines still queued, such as a start error.
        _loggerFactory.Dispose();
    }

    /// <summary>Lets the runtime reach the web app's services, which exist only after the runtime is built.</summary>
    private sealed class DeferredServiceProvider : IServiceProvider
    {
        public IServiceProvider? Provider { get; set; }

        public object? GetService(Type serviceType) => Provider?.GetService(serviceType);
    }
}
