using System.Globalization;
using System.Text;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Host.CommandLine;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Configuration;

/// <summary>A settings problem the user must fix: printed as one line, and the program exits with code 1.</summary>
internal sealed class SettingsException(string message) : Exception(message);

/// <summary>What the program reads from its surroundings; tests pass their own instead of the process's.</summary>
internal sealed record HostEnvironment(IReadOnlyDictionary<string, string> Variables, string CurrentDirectory, string? HomeDirectory)
{
    public static HostEnvironment FromProcess()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value) variables[key] = value;
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new HostEnvironment(variables, Directory.GetCurrentDirectory(), string.IsNullOrEmpty(home) ? null : home);
    }
}

/// <summary>
/// The effective configuration of one run: the settings file (JSON, Node-RED's settings.js key names), then
/// FLOWENGINE_* environment variables, then -D definitions, then the command line options, each overriding the one
/// before. Paths are made absolute here so nothing later depends on the working directory.
/// </summary>
internal sealed class HostConfiguration
{
    public const string EnvironmentPrefix = "FLOWENGINE_";
    private const string DefaultAdminRoot = "/";

    /// <summary>Settings whose environment values stay text even when they look like JSON numbers (a secret "1234").</summary>
    private static readonly HashSet<string> TextSettings = new(StringComparer.Ordinal)
    {
        "credentialSecret", "uiHost", "flowFile", "userDir", "httpAdminRoot", "httpNodeRoot", "httpRoot",
    };

    private HostConfiguration(RuntimeSettings settings)
    {
        Settings = settings;
    }

    /// <summary>The runtime settings; Raw holds every key with the effective values (userDir and flowFile absolute).</summary>
    public RuntimeSettings Settings { get; }
    /// <summary>The settings file that was read, or null when none was.</summary>
    public string? SettingsFile { get; private init; }
    public string UserDir => Settings.UserDir;
    public string FlowFilePath => Settings.FlowFilePath;
    public string? SeedFile { get; private init; }
    public int Port { get; private init; }
    public string Host { get; private init; } = "127.0.0.1";
    /// <summary>Prefix of the admin API ("/" or "/admin/"); null when settings disable it (httpAdminRoot: false).</summary>
    public string? AdminRoot { get; private init; }
    /// <summary>Prefix of flow HTTP endpoints; null when disabled. Reported by GET /settings.</summary>
    public string? NodeRoot { get; private init; }
    public long ApiMaxLength { get; private init; }
    public string ApiMaxLengthText { get; private init; } = "5mb";
    public LogLevel LogLevel { get; private init; }
    public bool Verbose { get; private init; }
    public bool SafeMode { get; private init; }
    public bool RuntimeStateEnabled { get; private init; }
    public bool RuntimeStateUi { get; private init; }

    /// <summary>True when the address is reachable from other machines (anything but loopback).</summary>
    public bool BindsBeyondLoopback => Host is not ("127.0.0.1" or "localhost" or "::1") && !Host.StartsWith("127.", StringComparison.Ordinal);

    public static HostConfiguration Load(CommandLineOptions cli, HostEnvironment environment)
    {
        var variables = environment.Variables;
        var cwd = environment.CurrentDirectory;

        var userDirHint = cli.UserDir ?? variables.GetValueOrDefault(EnvironmentPrefix + "USER_DIR")
            ?? (environment.HomeDirectory is { } home ? Path.Combine(home, ".flowengine")
                : throw new SettingsException("there is no home directory to keep flows in: give a user directory with -u DIR"));
        userDirHint = Path.GetFullPath(userDirHint, cwd);

        var settingsFile = cli.SettingsFile ?? variables.GetValueOrDefault(EnvironmentPrefix + "SETTINGS");
        if (settingsFile is not null)
        {
            settingsFile = Path.GetFullPath(settingsFile, cwd);
            if (!File.Exists(settingsFile)) throw new SettingsException($"settings file {settingsFile} does not exist");
        }
        else if (File.Exists(Path.Combine(userDirHint, "settings.json")))
        {
            settingsFile = Path.Combine(userDirHint, "settings.json");
        }
        var raw = settingsFile is null ? new JsObject() : ReadSettingsFile(settingsFile);

        ApplyEnvironment(raw, variables);
        if (!raw.ContainsKey("uiPort") && variables.GetValueOrDefault("PORT") is { Length: > 0 } portText)
        {
            // Node-RED's settings template reads uiPort as process.env.PORT || 1880: PORT applies when nothing sets uiPort.
            raw["uiPort"] = portText;
        }
        foreach (var define in cli.Defines) ApplyDefine(raw, define, cwd);
        if (cli.Port is { } port) raw["uiPort"] = (double)port;
        if (cli.UserDir is not null) raw["userDir"] = cli.UserDir;
        if (cli.FlowFile is not null) raw["flowFile"] = cli.FlowFile;

        var userDir = raw.Get("userDir") switch
        {
            null => userDirHint,
            string s when s.Length > 0 => Path.GetFullPath(s, cwd),
            var other => throw Invalid("userDir", "a directory path", other),
        };
        raw["userDir"] = userDir;
        raw["flowFile"] = ResolveFlowFile(raw.Get("flowFile"), userDir, cwd);
        raw["uiPort"] = (double)ParsePort(raw.Get("uiPort"));
        var host = raw.Get("uiHost") switch
        {
            null => "127.0.0.1",
            string s when s.Trim().Length > 0 => s.Trim(),
            var other => throw Invalid("uiHost", "an address such as 127.0.0.1 or 0.0.0.0", other),
        };
        raw["uiHost"] = host;
        if (raw.Get("credentialSecret") is not (null or string or false))
        {
            throw Invalid("credentialSecret", "a string, or false to store credentials unencrypted", raw.Get("credentialSecret"));
        }
        var (adminRoot, nodeRoot) = ResolveRoots(raw);
        var apiMaxLengthValue = raw.Get("apiMaxLength") ?? "5mb";
        if (!ByteSize.TryParse(apiMaxLengthValue, out var apiMaxLength))
        {
            throw Invalid("apiMaxLength", "a size such as \"5mb\", \"500kb\" or a number of bytes", apiMaxLengthValue);
        }
        var levelName = ((raw.Get("logging") as JsObject)?.Get("console") as JsObject)?.Get("level");
        if (!NodeRedLogLevels.TryParse(levelName as string ?? "info", out var level))
        {
            throw Invalid("logging.console.level", "one of off, fatal, error, warn, info, debug, trace", levelName);
        }
        if (cli.Verbose && level > LogLevel.Debug) level = LogLevel.Debug;
        var runtimeState = raw.Get("runtimeState") as JsObject;

        return new HostConfiguration(new RuntimeSettings(raw))
        {
            SettingsFile = settingsFile,
            SeedFile = cli.SeedFile is null ? null : Path.GetFullPath(cli.SeedFile, cwd),
            Port = (int)(double)raw["uiPort"]!,
            Host = host,
            AdminRoot = adminRoot,
            NodeRoot = nodeRoot,
            ApiMaxLength = apiMaxLength,
            ApiMaxLengthText = JsValue.ToJsString(apiMaxLengthValue),
            LogLevel = level,
            Verbose = cli.Verbose,
            SafeMode = cli.Safe || IsSet(variables, EnvironmentPrefix + "SAFE_MODE") || IsSet(variables, "NODE_RED_ENABLE_SAFE_MODE"),
            RuntimeStateEnabled = runtimeState?.Get("enabled") is true,
            RuntimeStateUi = runtimeState?.Get("ui") is true,
        };
    }

    private static bool IsSet(IReadOnlyDictionary<string, string> variables, string name) =>
        variables.TryGetValue(name, out var value) && value.Length > 0 && !value.Equals("false", StringComparison.OrdinalIgnoreCase);

    private static JsObject ReadSettingsFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"cannot read settings file {path}: {ex.Message}");
        }
        if (string.IsNullOrWhiteSpace(text)) return new JsObject();
        try
        {
            return JsJson.Parse(text) as JsObject ?? throw new SettingsException($"settings file {path} must hold a JSON object {{\"key\": value, ...}}");
        }
        catch (JsJsonException ex)
        {
            var hint = path.EndsWith(".js", StringComparison.OrdinalIgnoreCase)
                ? " (FlowEngine reads settings as JSON with the key names of Node-RED's settings.js, not JavaScript)"
                : "";
            throw new SettingsException($"settings file {path} is not valid JSON: {ex.Reason} at line {ex.Line}, column {ex.Column}{hint}");
        }
    }

    /// <summary>FLOWENGINE_UI_PORT=1881 sets uiPort; a double underscore nests: FLOWENGINE_LOGGING__CONSOLE__LEVEL=debug.</summary>
    private static void ApplyEnvironment(JsObject raw, IReadOnlyDictionary<string, string> variables)
    {
        foreach (var (name, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) || name.Length == EnvironmentPrefix.Length) continue;
            var rest = name[EnvironmentPrefix.Length..];
            if (rest is "SETTINGS" or "SAFE_MODE") continue;
            var path = string.Join('.', rest.Split("__").Select(CamelCase));
            var key = path.Split('.')[^1];
            object? parsed = TextSettings.Contains(key) ? value : ParseLoose(value);
            SetPath(raw, path, parsed, $"environment variable {name}");
        }
    }

    internal static string CamelCase(string upperSnake)
    {
        var words = upperSnake.Split('_', StringSplitOptions.RemoveEmptyEntries);
        var builder = new StringBuilder();
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i].ToLowerInvariant();
            builder.Append(i == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..]);
        }
        return builder.ToString();
    }

    /// <summary>Node-RED's -D: key=value (value read as JSON when it parses, else text; key may be a path) or @file.json.</summary>
    private static void ApplyDefine(JsObject raw, string define, string cwd)
    {
        if (define.StartsWith('@'))
        {
            var file = Path.GetFullPath(define[1..], cwd);
            var values = ReadSettingsFile(file);
            foreach (var (key, value) in values) SetPath(raw, key, value, $"-D {define}");
            return;
        }
        var eq = define.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == define.Length - 1)
        {
            throw new SettingsException($"-D {define}: expected key=value or @file.json");
        }
        SetPath(raw, define[..eq], ParseLoose(define[(eq + 1)..]), $"-D {define}");
    }

    private static object? ParseLoose(string text) => JsJson.TryParse(text, out var value, out _) ? value : text;

    private static void SetPath(JsObject raw, string path, object? value, string origin)
    {
        try
        {
            if (!PropertyPath.Parse(path).SetValue(raw, value)) throw new SettingsException($"{origin}: cannot set {path} (a parent value is not an object)");
        }
        catch (PropertyPathException ex)
        {
            throw new SettingsException($"{origin}: {path} is not a valid setting name: {ex.Message}");
        }
    }

    /// <summary>
    /// Node-RED's rule for flowFile (storage/localfilesystem): absolute stays; "./x" is relative to the working
    /// directory; otherwise the working directory is used when the file exists there, else userDir. With no flowFile
    /// at all the file is userDir/flows.json (Node-RED would use flows_&lt;hostname&gt;.json; one name is simpler).
    /// </summary>
    internal static string ResolveFlowFile(object? value, string userDir, string cwd)
    {
        switch (value)
        {
            case null:
                return Path.Combine(userDir, "flows.json");
            case string s when s.Trim().Length > 0:
                if (Path.IsPathRooted(s)) return Path.GetFullPath(s);
                if (s.StartsWith("./", StringComparison.Ordinal) || s.StartsWith(".\\", StringComparison.Ordinal)) return Path.GetFullPath(s, cwd);
                var inWorkingDirectory = Path.GetFullPath(s, cwd);
                return File.Exists(inWorkingDirectory) ? inWorkingDirectory : Path.GetFullPath(s, userDir);
            default:
                throw Invalid("flowFile", "a file name or path", value);
        }
    }

    private static int ParsePort(object? value)
    {
        switch (value)
        {
            case null:
                return 1880;
            case double d when d == Math.Floor(d) && d is >= 0 and <= 65535:
                return (int)d;
            case string s when int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535:
                return port;
            default:
                throw Invalid("uiPort", "a port number from 0 to 65535", value);
        }
    }

    /// <summary>httpRoot sets both roots when the specific ones are unset; false disables (Node-RED red.js).</summary>
    private static (string? Admin, string? Node) ResolveRoots(JsObject raw)
    {
        var httpRoot = raw.Get("httpRoot");
        if (httpRoot is not (null or string or false)) throw Invalid("httpRoot", "a path or false", httpRoot);
        if (httpRoot is false) return (null, null);
        string? Resolve(string key)
        {
            var value = raw.Get(key);
            return value switch
            {
                false => null,
                null or "" => FormatRoot(httpRoot as string is { Length: > 0 } r ? r : DefaultAdminRoot),
                string s => FormatRoot(s),
                _ => throw Invalid(key, "a path such as \"/\" or \"/admin\", or false", value),
            };
        }
        var admin = Resolve("httpAdminRoot");
        var node = Resolve("httpNodeRoot");
        return (admin, node);
    }

    /// <summary>Leading and trailing slash, as Node-RED's formatRoot.</summary>
    internal static string FormatRoot(string root)
    {
        if (!root.StartsWith('/')) root = "/" + root;
        if (!root.EndsWith('/')) root += "/";
        return root;
    }

    private static SettingsException Invalid(string key, string expected, object? got) =>
        new($"setting {key} must be {expected}, got {(got is string ? JsJson.Serialize(got) : JsValue.TypeName(got) + " " + JsJson.Serialize(got))}");
}
