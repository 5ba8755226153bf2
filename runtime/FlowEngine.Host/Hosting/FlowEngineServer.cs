using FlowEngine.Nodes.Mqtt;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Storage;
using FlowEngine.Host.Admin;
using FlowEngine.Host.Audit;
using FlowEngine.Host.Comms;
using FlowEngine.Host.Security;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.SignalR;
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

    private readonly NodeFamilies _families;

    private FlowEngineServer(WebApplication app, ILoggerFactory loggerFactory, HostConfiguration configuration, FlowsService flows, AdminServices admin, NodeFamilies families)
    {
        _app = app;
        _families = families;
        Admin = admin;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("FlowEngine.Host");
        Configuration = configuration;
        Flows = flows;
    }

    public HostConfiguration Configuration { get; }
    public FlowsService Flows { get; }
    public FlowRuntime Runtime => Flows.Runtime;
    /// <summary>What the admin endpoints work with, including adminAuth (null when not set), the audit trail and comms.</summary>
    internal AdminServices Admin { get; }
    /// <summary>Every endpoint the server maps (tests walk them).</summary>
    internal IEnumerable<Microsoft.AspNetCore.Http.Endpoint> Endpoints =>
        _app.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints;
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
        var families = new NodeFamilies(configuration.UserDir, options.TimeProvider);
        families.RegisterAll(registry);
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
        var certificate = LoadHttpsCertificate(configuration);
        // The core Kestrel leaves TLS out unless asked for.
        if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            Listen(kestrel, configuration, certificate);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton(configuration);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(families);
        builder.Services.AddSingleton(families.Industrial);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton(flows);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        var (audit, auth) = CreateSecurity(builder.Services, configuration, options, loggerFactory);
        ConfigureComms(builder.Services, configuration, options, loggerFactory, auth);
        FlowEngine.Host.HttpNodes.HttpNodeRouting.AddHttpNodeRouting(builder.Services, configuration.Settings, options.TimeProvider); // http in routes (HttpNodes/HttpNodeRouting.cs)

        var app = builder.Build();
        hostServices.Provider = app.Services;
        var adminLogger = loggerFactory.CreateLogger("FlowEngine.Admin");
        app.Use(ErrorResponses.Middleware(adminLogger));
        UseSecurity(app, configuration, auth, certificate is not null);
        var comms = MapComms(app, configuration, runtime);
        WireDeployAudit(flows, audit, comms);
        var admin = new AdminServices(flows, configuration, adminLogger) { Auth = auth, Audit = audit, Comms = comms, Families = families };
        families.MapEndpoints(app);
        AdminApi.Map(app, admin);
        FlowEngine.Host.Editor.EditorStaticFiles.MapEditorStaticFiles(app, configuration); // editor static files (Editor/EditorStaticFiles.cs)
        return new FlowEngineServer(app, loggerFactory, configuration, flows, admin, families);
    }

    // ---- security: adminAuth and the audit trail ----

    /// <summary>The audit trail (also offered to node families as <see cref="IAuditLog"/>) and adminAuth when settings have it.</summary>
    private static (LiteDbAuditLog Audit, AdminAuthService? Auth) CreateSecurity(IServiceCollection services, HostConfiguration configuration,
        FlowEngineServerOptions options, ILoggerFactory loggerFactory)
    {
        var authSettings = AdminAuthSettings.From(configuration.Settings.Raw);
        var audit = new LiteDbAuditLog(LiteDbAuditLog.PathIn(configuration.UserDir), options.TimeProvider);
        services.AddSingleton(audit);
        services.AddSingleton<IAuditLog>(audit);
        var auth = authSettings is null ? null
            : new AdminAuthService(authSettings, configuration.UserDir, options.TimeProvider, audit, loggerFactory.CreateLogger("FlowEngine.Auth"));
        return (audit, auth);
    }

    private static void UseSecurity(WebApplication app, HostConfiguration configuration, AdminAuthService? auth, bool https)
    {
        if (https)
        {
            // HSTS: browsers keep using HTTPS for this host for a year.
            app.Use((context, next) =>
            {
                context.Response.Headers.StrictTransportSecurity = "max-age=31536000";
                return next(context);
            });
        }
        app.UseWebSockets();
        app.Use(AdminAuthMiddleware.Create(auth, configuration.AdminRoot));
    }

    /// <summary>Each applied deploy goes to the audit trail and, as notification/deploy-by, to every editor.</summary>
    private static void WireDeployAudit(FlowsService flows, IAuditLog audit, CommsBroadcaster? comms)
    {
        flows.Deployed += outcome =>
        {
            var user = AdminAuthMiddleware.CurrentUser.Value;
            var type = outcome.Type.ToString().ToLowerInvariant();
            var changed = outcome.Started.Concat(outcome.Stopped).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Cast<object?>().ToList();
            audit.Record("flows.deploy", user, new JsObject { ["type"] = type, ["revision"] = outcome.Revision, ["nodes"] = changed });
            comms?.Publish("notification/deploy-by", new JsObject { ["user"] = user, ["revision"] = outcome.Revision, ["type"] = type });
        };
    }

    // ---- live comms for the editor (SignalR) ----

    private static void ConfigureComms(IServiceCollection services, HostConfiguration configuration, FlowEngineServerOptions options, ILoggerFactory loggerFactory,
        AdminAuthService? auth)
    {
        if (configuration.AdminRoot is null) return;
        services.AddSignalR();
        services.AddSingleton(new CommsSessionGuard(auth, options.TimeProvider));
        var rateLimit = configuration.Settings.Raw.Get("debugRateLimit") is double limit ? (int)limit : 250;
        services.AddSingleton(provider => new CommsBroadcaster(provider.GetRequiredService<IHubContext<CommsHub>>(),
            configuration.Settings.DebugMaxLength, rateLimit, options.TimeProvider, loggerFactory.CreateLogger("FlowEngine.Comms")));
    }

    /// <summary>The hub at &lt;httpAdminRoot&gt;comms, fed by the runtime's observer channel. Null when the admin API is off.</summary>
    private static CommsBroadcaster? MapComms(WebApplication app, HostConfiguration configuration, FlowRuntime runtime)
    {
        if (configuration.AdminRoot is not { } root) return null;
        var comms = app.Services.GetRequiredService<CommsBroadcaster>();
        runtime.Observers.Add(comms);
        app.MapHub<CommsHub>(root.TrimEnd('/') + "/comms").WithMetadata(new AdminRouteMetadata());
        return comms;
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

    /// <summary>
    /// settings https: {"key": "privkey.pem", "cert": "cert.pem"} (PEM files; relative paths are inside userDir):
    /// the server then speaks HTTPS only, with HSTS. Null without the setting.
    /// </summary>
    private static X509Certificate2? LoadHttpsCertificate(HostConfiguration configuration)
    {
        if (configuration.Settings.Raw.Get("https") is not { } raw || raw is false) return null;
        if (raw is not JsObject https || https.Get("key") is not string key || https.Get("cert") is not string cert)
        {
            throw new SettingsException("https must be {\"key\": \"<PEM key file>\", \"cert\": \"<PEM certificate file>\"}");
        }
        key = Path.GetFullPath(key, configuration.UserDir);
        cert = Path.GetFullPath(cert, configuration.UserDir);
        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new SettingsException($"https: cannot load certificate {cert} with key {key}: {ex.Message}");
        }
    }

    private static void Listen(KestrelServerOptions kestrel, HostConfiguration configuration, X509Certificate2? certificate)
    {
        var host = configuration.Host;
        var port = configuration.Port;
        Action<ListenOptions> tls = options =>
        {
            if (certificate is not null) options.UseHttps(certificate);
        };
        if (host == "localhost")
        {
            // Kestrel cannot pick a free port for "localhost" (two sockets); loopback IPv4 can.
            if (port == 0) kestrel.Listen(IPAddress.Loopback, 0, tls);
            else kestrel.ListenLocalhost(port, tls);
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
        kestrel.Listen(address, port, tls);
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
        Admin.Comms?.Start();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var bound = addresses.Select(a => new Uri(a)).FirstOrDefault() ?? new Uri($"http://{Configuration.Host}:{Configuration.Port}/");
        Port = bound.Port;
        BaseAddress = new Uri($"{bound.Scheme}://{DisplayHost(bound)}:{bound.Port}/");
        if (Configuration.AdminRoot is { } root) HostLog.Running(_logger, new Uri(BaseAddress, root).ToString());
        else HostLog.AdminDisabled(_logger);
        if (Admin.Auth is null)
        {
            if (Configuration.BindsBeyondLoopback) HostLog.OpenToNetwork(_logger, Configuration.Host, Port);
            else HostLog.NoAdminAuth(_logger, Configuration.Host);
        }

        try
        {
            if (await _embeddedBroker.StartAsync(settings, cancellationToken).ConfigureAwait(false))
            {
                HostLog.EmbeddedBroker(_logger, _embeddedBroker.Host, _embeddedBroker.Port ?? 0);
            }
        }
        catch (InvalidOperationException ex)
        {
            // Not fatal: flows still run, and mqtt nodes pointed at this port reach whatever broker holds it (often a
            // local mosquitto) or show "disconnected" in their status.
            HostLog.StartFailed(_logger, $"The embedded MQTT broker did not start: {ex.Message}. Flows start without it.");
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
        // After the runtime: nodes use the families' stores until they have stopped.
        _families.Dispose();
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
