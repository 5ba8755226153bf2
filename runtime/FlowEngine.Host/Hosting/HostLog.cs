using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Hosting;

/// <summary>The host's log lines, with stable event ids (21xx flows, 22xx admin API, 20xx start and stop).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "\n\nWelcome to FlowEngine\n=====================\n")]
    public static partial void Welcome(ILogger logger);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "FlowEngine version: v{Version}")]
    public static partial void Version(ILogger logger, string version);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = ".NET version      : v{Version}")]
    public static partial void DotNetVersion(ILogger logger, string version);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "{Platform}")]
    public static partial void Platform(ILogger logger, string platform);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Node types     : {Count} registered")]
    public static partial void NodeTypes(ILogger logger, int count);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Settings file  : {Path}")]
    public static partial void SettingsFile(ILogger logger, string path);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Context store  : {Stores}")]
    public static partial void ContextStores(ILogger logger, string stores);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "User directory : {Path}")]
    public static partial void UserDirectory(ILogger logger, string path);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Flows file     : {Path}")]
    public static partial void FlowsFile(ILogger logger, string path);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Seeded the flows file from {Seed}")]
    public static partial void Seeded(ILogger logger, string seed);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Server now running at {Url}")]
    public static partial void Running(ILogger logger, string url);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message =
        "Listening on {Host}, reachable from other machines: there is no adminAuth in settings, so anyone who can reach port {Port} can change and run flows. Set uiHost to 127.0.0.1 unless this network is trusted.")]
    public static partial void OpenToNetwork(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Admin API disabled (httpAdminRoot: false)")]
    public static partial void AdminDisabled(ILogger logger);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information, Message = "Starting flows")]
    public static partial void StartingFlows(ILogger logger);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Started flows")]
    public static partial void StartedFlows(ILogger logger);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Information, Message = "Stopping flows")]
    public static partial void StoppingFlows(ILogger logger);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Information, Message = "Stopped flows")]
    public static partial void StoppedFlows(ILogger logger);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Error, Message = "{Message}")]
    public static partial void StartFailed(ILogger logger, string message);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Information, Message = "Embedded MQTT broker listening on {Host}:{Port}")]
    public static partial void EmbeddedBroker(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "No adminAuth in settings: the admin API is open, so FlowEngine listens on {Host} only (set adminAuth before binding uiHost elsewhere)")]
    public static partial void NoAdminAuth(ILogger logger, string host);
}
