using System.Globalization;
using FlowEngine.Host.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace FlowEngine.Host.Hosting;

internal sealed class NodeRedConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Show exception stack traces (-v). Off by default: a user needs the message, not our call stack.</summary>
    public bool IncludeStackTraces { get; set; }
}

/// <summary>
/// Console lines as Node-RED prints them, so log readers and habits carry over:
/// <c>23 Nov 10:22:23 - [info] Server now running at http://127.0.0.1:1880/</c>.
/// </summary>
internal sealed class NodeRedConsoleFormatter(IOptionsMonitor<NodeRedConsoleFormatterOptions> options)
    : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "node-red";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        var exception = logEntry.Exception;
        if (string.IsNullOrEmpty(message) && exception is null) return;
        var now = TimeProvider.System.GetLocalNow();
        textWriter.Write(now.ToString("d MMM HH:mm:ss", CultureInfo.InvariantCulture));
        textWriter.Write(" - [");
        textWriter.Write(NodeRedLogLevels.Name(logEntry.LogLevel));
        textWriter.Write("] ");
        textWriter.Write(message);
        if (exception is not null)
        {
            if (options.CurrentValue.IncludeStackTraces)
            {
                textWriter.Write(Environment.NewLine);
                textWriter.Write(exception.ToString());
            }
            else if (!message.Contains(exception.Message, StringComparison.Ordinal))
            {
                textWriter.Write(string.IsNullOrEmpty(message) ? exception.Message : ": " + exception.Message);
            }
        }
        textWriter.Write(Environment.NewLine);
    }
}
