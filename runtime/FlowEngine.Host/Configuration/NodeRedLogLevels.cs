using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Configuration;

/// <summary>Node-RED's log level names (settings logging.console.level, §7) and how they map to .NET log levels.</summary>
internal static class NodeRedLogLevels
{
    public static bool TryParse(string? name, out LogLevel level)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "off": level = LogLevel.None; return true;
            case "fatal": level = LogLevel.Critical; return true;
            case "error": level = LogLevel.Error; return true;
            case "warn": level = LogLevel.Warning; return true;
            case "info": level = LogLevel.Information; return true;
            case "debug": level = LogLevel.Debug; return true;
            // audit and metric sit above trace in Node-RED: choosing them shows everything.
            case "trace" or "audit" or "metric": level = LogLevel.Trace; return true;
            default: level = LogLevel.Information; return false;
        }
    }

    /// <summary>The name Node-RED prints in brackets: [info], [warn]...</summary>
    public static string Name(LogLevel level) => level switch
    {
        LogLevel.Critical => "fatal",
        LogLevel.Error => "error",
        LogLevel.Warning => "warn",
        LogLevel.Information => "info",
        LogLevel.Debug => "debug",
        LogLevel.Trace => "trace",
        _ => "off",
    };
}
