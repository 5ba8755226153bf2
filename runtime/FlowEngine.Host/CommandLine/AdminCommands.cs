using FlowEngine.Core.Values;
using FlowEngine.Host.Audit;
using FlowEngine.Host.Configuration;
using FlowEngine.Host.Hosting;
using FlowEngine.Host.Security;

namespace FlowEngine.Host.CommandLine;

/// <summary>
/// The program's commands besides running the server:
/// <c>flowengine hash-pw</c> reads a password from stdin and prints its bcrypt hash (for adminAuth.users[].password
/// or httpNodeAuth.pass); <c>flowengine user add NAME --role admin|operator|viewer [--settings FILE] [-u DIR]</c>
/// reads the password from stdin and adds the user to the adminAuth block of the settings file (creating the block,
/// or replacing a user of the same name), and records it in the audit trail; <c>flowengine check FLOWS.json</c> lists
/// every problem of a flow file without starting anything.
/// </summary>
internal static class AdminCommands
{
    public const int WorkFactor = 10;

    public const string Usage = """
        Commands:
          flowengine hash-pw                       read a password from stdin, print its bcrypt hash
          flowengine user add NAME --role ROLE     add (or replace) a user in settings adminAuth; the password
                     [--settings FILE] [-u DIR]    is read from stdin; ROLE: admin, operator or viewer
          flowengine check FLOWS.json              check a flow file without starting it: every problem a deploy
                     [--settings FILE] [-u DIR]    would refuse, and node types FlowEngine does not have, with
                                                   node ids; exit code 0 when there is none, 1 otherwise
        """;

    /// <summary>Null when the arguments are not a command (the server runs).</summary>
    public static async Task<int?> TryRunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, HostEnvironment environment)
    {
        if (args.Length == 0) return null;
        try
        {
            switch (args[0])
            {
                case "hash-pw":
                    {
                        var password = await ReadPasswordAsync(input).ConfigureAwait(false);
                        await output.WriteLineAsync(BCrypt.Net.BCrypt.HashPassword(password, WorkFactor)).ConfigureAwait(false);
                        return 0;
                    }
                case "user":
                    return await UserAsync(args[1..], input, output, environment).ConfigureAwait(false);
                case "check":
                    return await CheckAsync(args[1..], output, environment).ConfigureAwait(false);
                default:
                    return null;
            }
        }
        catch (CommandLineException ex)
        {
            await error.WriteLineAsync($"flowengine: {ex.Message}").ConfigureAwait(false);
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }
        catch (SettingsException ex)
        {
            await error.WriteLineAsync($"flowengine: error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<string> ReadPasswordAsync(TextReader input)
    {
        var password = await input.ReadLineAsync().ConfigureAwait(false);
        if (string.IsNullOrEmpty(password)) throw new CommandLineException("no password on stdin");
        return password;
    }

    private static async Task<int> UserAsync(string[] args, TextReader input, TextWriter output, HostEnvironment environment)
    {
        if (args.Length < 2 || args[0] != "add") throw new CommandLineException("expected: user add NAME --role ROLE");
        var name = args[1];
        string? role = null, settingsFile = null, userDir = null;
        for (var i = 2; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new CommandLineException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--role": role = value; break;
                case "-s" or "--settings": settingsFile = value; break;
                case "-u" or "--userDir": userDir = value; break;
                default: throw new CommandLineException($"unknown option {args[i]}");
            }
            i++;
        }
        if (role is null || Permissions.ForRole(role) is null) throw new CommandLineException("--role must be admin, operator or viewer");
        userDir ??= environment.Variables.GetValueOrDefault(HostConfiguration.EnvironmentPrefix + "USER_DIR")
            ?? (environment.HomeDirectory is { } home ? Path.Combine(home, ".flowengine") : throw new CommandLineException("give a user directory with -u DIR"));
        userDir = Path.GetFullPath(userDir, environment.CurrentDirectory);
        settingsFile = Path.GetFullPath(settingsFile ?? environment.Variables.GetValueOrDefault(HostConfiguration.EnvironmentPrefix + "SETTINGS")
            ?? Path.Combine(userDir, "settings.json"), environment.CurrentDirectory);

        var password = await ReadPasswordAsync(input).ConfigureAwait(false);
        var settings = new JsObject();
        if (File.Exists(settingsFile))
        {
            if (!JsJson.TryParse(await File.ReadAllTextAsync(settingsFile).ConfigureAwait(false), out var parsed, out var parseError) || parsed is not JsObject existing)
            {
                throw new SettingsException($"{settingsFile} is not a JSON object{(parseError is null ? "" : ": " + parseError.Message)}");
            }
            settings = existing;
        }
        if (settings.Get("adminAuth") is not JsObject auth)
        {
            auth = new JsObject { ["type"] = "credentials", ["users"] = new List<object?>() };
            settings["adminAuth"] = auth;
        }
        if (auth.Get("users") is not List<object?> users) auth["users"] = users = [];
        var replaced = users.RemoveAll(u => u is JsObject o && o.Get("username") as string == name) > 0;
        users.Add(new JsObject { ["username"] = name, ["password"] = BCrypt.Net.BCrypt.HashPassword(password, WorkFactor), ["role"] = role });
        Directory.CreateDirectory(Path.GetDirectoryName(settingsFile)!);
        var temp = settingsFile + ".tmp";
        await File.WriteAllTextAsync(temp, JsJson.Serialize(settings, pretty: true) + "\n").ConfigureAwait(false);
        File.Move(temp, settingsFile, overwrite: true);

        using (var audit = new LiteDbAuditLog(LiteDbAuditLog.PathIn(userDir), TimeProvider.System))
        {
            audit.Record(replaced ? "user.update" : "user.add", Environment.UserName, new JsObject { ["username"] = name, ["role"] = role, ["settings"] = settingsFile });
        }
        await output.WriteLineAsync($"{(replaced ? "Updated" : "Added")} user {name} ({role}) in {settingsFile}; restart FlowEngine to apply.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> CheckAsync(string[] args, TextWriter output, HostEnvironment environment)
    {
        if (args.Length == 0) throw new CommandLineException("expected: check FLOWS.json");
        var file = Path.GetFullPath(args[0], environment.CurrentDirectory);
        var options = CommandLineOptions.Parse(args[1..]);
        var configuration = HostConfiguration.Load(options, environment);
        if (!File.Exists(file)) throw new CommandLineException($"{file} does not exist");
        if (!JsJson.TryParse(await File.ReadAllTextAsync(file).ConfigureAwait(false), out var flows, out var parseError))
        {
            await output.WriteLineAsync($"{file}: not valid JSON: {parseError!.Message}").ConfigureAwait(false);
            return 1;
        }

        var registry = new Core.Nodes.NodeRegistry();
        using var families = new NodeFamilies(Path.Combine(Path.GetTempPath(), "flowengine-check-" + Guid.NewGuid().ToString("N")), TimeProvider.System);
        families.RegisterAll(registry);
        await using var runtime = new Core.Runtime.FlowRuntime(new Core.Runtime.FlowRuntimeOptions
        {
            Settings = configuration.Settings,
            Registry = registry,
            Expressions = ExpressionEngineFactory.Create(TimeProvider.System),
        });
        var problems = runtime.Check(flows);
        if (problems.Count == 0)
        {
            var items = (flows is JsObject v2 ? v2.Get("flows") : flows) as List<object?> ?? [];
            var tabs = items.Count(i => i is JsObject o && o.Get("type") as string == "tab");
            await output.WriteLineAsync($"{file}: ok ({items.Count} items, {tabs} flows)").ConfigureAwait(false);
            return 0;
        }
        await output.WriteLineAsync($"{file}: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}").ConfigureAwait(false);
        foreach (var problem in problems) await output.WriteLineAsync("  " + problem).ConfigureAwait(false);
        return 1;
    }
}
