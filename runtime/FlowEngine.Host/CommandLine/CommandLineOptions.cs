using System.Globalization;

namespace FlowEngine.Host.CommandLine;

/// <summary>
/// The command line, shaped like Node-RED's so habits carry over:
/// <c>flowengine [-p PORT] [-s SETTINGS.json] [-u USERDIR] [-v] [--safe] [-D key=value] [FLOWFILE]</c>.
/// Parsed by hand: the grammar is small and a package would add a dependency for nothing.
/// </summary>
internal sealed record CommandLineOptions
{
    public int? Port { get; init; }
    public string? SettingsFile { get; init; }
    public string? UserDir { get; init; }
    public bool Verbose { get; init; }
    public bool Safe { get; init; }
    public IReadOnlyList<string> Defines { get; init; } = [];
    public string? FlowFile { get; init; }
    /// <summary>FlowEngine's addition: a flow file copied to the flow file path when that file does not exist yet.</summary>
    public string? SeedFile { get; init; }
    public string? Title { get; init; }
    public bool Help { get; init; }
    public bool Version { get; init; }

    public const string Usage = """
        Usage: flowengine [-v] [-?] [--settings settings.json] [--userDir DIR]
                          [--port PORT] [--safe] [-D key=value|@file.json] [flows.json]

        Options:
          -p, --port     PORT   port to listen on (overrides uiPort; 0 picks a free port)
          -s, --settings FILE   settings file (JSON with Node-RED's settings.js key names);
                                default: <userDir>/settings.json when it exists
          -u, --userDir  DIR    user directory (default ~/.flowengine): flows, credentials, context
          -v, --verbose         verbose output: debug log level and stack traces of errors
              --safe            load the flows but do not start them until the next deploy
          -D, --define   X=Y    set a setting (value read as JSON when it parses, else as text;
                                X may be a path such as logging.console.level); @file.json sets
                                every key of a JSON object
              --seed     FILE   copy FILE to the flow file when the flow file does not exist yet
              --title    TITLE  accepted for Node-RED compatibility; ignored
              --version         show the version and exit
          -?, -h, --help        show this help and exit

        FLOWFILE: an absolute path; a path starting with ./ (relative to the working directory);
        otherwise a file that exists relative to the working directory, else a name inside userDir.
        Environment: PORT (used when no setting gives uiPort), FLOWENGINE_<SETTING> (e.g.
        FLOWENGINE_UI_HOST, FLOWENGINE_LOGGING__CONSOLE__LEVEL), FLOWENGINE_SETTINGS, FLOWENGINE_SAFE_MODE.
        """;

    /// <summary>Parses the arguments; throws <see cref="CommandLineException"/> with a message for the user.</summary>
    public static CommandLineOptions Parse(IReadOnlyList<string> args)
    {
        var result = new CommandLineOptions();
        var defines = new List<string>();
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var name = arg;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 2)
            {
                name = arg[..eq];
                inlineValue = arg[(eq + 1)..];
            }

            string Value()
            {
                if (inlineValue is not null) return inlineValue;
                if (i + 1 >= args.Count) throw new CommandLineException($"option {name} needs a value");
                return args[++i];
            }

            switch (name)
            {
                case "-p" or "--port":
                    result = result with { Port = ParsePort(Value()) };
                    break;
                case "-s" or "--settings":
                    result = result with { SettingsFile = Value() };
                    break;
                case "-u" or "--userDir" or "--userdir":
                    result = result with { UserDir = Value() };
                    break;
                case "-D" or "--define":
                    defines.Add(Value());
                    break;
                case "--seed":
                    result = result with { SeedFile = Value() };
                    break;
                case "--title":
                    result = result with { Title = Value() };
                    break;
                case "-v" or "--verbose":
                    result = result with { Verbose = true };
                    break;
                case "--safe":
                    result = result with { Safe = true };
                    break;
                case "-?" or "-h" or "--help" or "-t":
                    // Node-RED maps -t to help as well (it reserves -t).
                    result = result with { Help = true };
                    break;
                case "--version":
                    result = result with { Version = true };
                    break;
                case "--":
                    positional.AddRange(args.Skip(i + 1));
                    i = args.Count;
                    break;
                default:
                    if (arg.Length > 1 && arg[0] == '-')
                    {
                        throw new CommandLineException($"unknown option {arg}");
                    }
                    if (positional.Count == 0 && arg == "admin")
                    {
                        throw new CommandLineException("'flowengine admin' commands are not available; use the admin HTTP API");
                    }
                    positional.Add(arg);
                    break;
            }
        }
        if (positional.Count > 1)
        {
            throw new CommandLineException($"only one flow file may be given, got {positional.Count}: {string.Join(" ", positional)}");
        }
        return result with { Defines = defines, FlowFile = positional.Count == 1 ? positional[0] : null };
    }

    private static int ParsePort(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535) return port;
        throw new CommandLineException($"port must be a number from 0 to 65535, got \"{text}\"");
    }
}

/// <summary>A command line that cannot be used; the message is shown to the user with a pointer to --help.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
