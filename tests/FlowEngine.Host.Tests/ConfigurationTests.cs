using FlowEngine.Host.CommandLine;
using FlowEngine.Host.Configuration;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Tests;

/// <summary>The command line and the settings it leads to (Node-RED's CLI habits, §7).</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flowengine-config-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private HostConfiguration Load(string[] args, Dictionary<string, string>? variables = null, string? cwd = null) =>
        HostConfiguration.Load(CommandLineOptions.Parse(args), new HostEnvironment(variables ?? [], cwd ?? _dir, _dir));

    private string Write(string relativePath, string text)
    {
        var path = Path.Combine(_dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Options_parse_in_short_long_and_equals_forms()
    {
        var options = CommandLineOptions.Parse(["-p", "1881", "--settings=s.json", "--userDir", "u", "-v", "--safe", "-D", "a=1", "--define", "b.c=x", "flows2.json"]);
        Assert.Equal(1881, options.Port);
        Assert.Equal("s.json", options.SettingsFile);
        Assert.Equal("u", options.UserDir);
        Assert.True(options.Verbose);
        Assert.True(options.Safe);
        Assert.Equal(["a=1", "b.c=x"], options.Defines);
        Assert.Equal("flows2.json", options.FlowFile);
    }

    [Theory]
    [InlineData("-p", "http")]
    [InlineData("-p", "70000")]
    [InlineData("--bogus", "x")]
    [InlineData("a.json", "b.json")]
    [InlineData("-u", null)]
    public void Bad_command_lines_are_refused_with_a_message(string first, string? second)
    {
        var args = second is null ? new[] { first } : [first, second];
        var ex = Assert.Throws<CommandLineException>(() => CommandLineOptions.Parse(args));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Defaults_are_port_1880_on_loopback_with_flows_json_in_the_user_dir()
    {
        var config = Load(["-u", "data"]);
        Assert.Equal(1880, config.Port);
        Assert.Equal("127.0.0.1", config.Host);
        Assert.False(config.BindsBeyondLoopback);
        Assert.Equal(Path.Combine(_dir, "data"), config.UserDir);
        Assert.Equal(Path.Combine(_dir, "data", "flows.json"), config.FlowFilePath);
        Assert.Null(config.SettingsFile);
        Assert.Equal("/", config.AdminRoot);
        Assert.Equal(5L * 1024 * 1024, config.ApiMaxLength);
        Assert.Equal(LogLevel.Information, config.LogLevel);
    }

    [Fact]
    public void The_user_dir_defaults_to_dot_flowengine_in_the_home_directory()
    {
        Assert.Equal(Path.Combine(_dir, ".flowengine"), Load([]).UserDir);
    }

    [Fact]
    public void Settings_json_in_the_user_dir_is_read_when_no_settings_file_is_given()
    {
        Write("u/settings.json", """{"uiPort":1999,"uiHost":"0.0.0.0","logging":{"console":{"level":"debug"}},"flowFile":"my.json"}""");
        var config = Load(["-u", "u"]);
        Assert.Equal(Path.Combine(_dir, "u", "settings.json"), config.SettingsFile);
        Assert.Equal(1999, config.Port);
        Assert.True(config.BindsBeyondLoopback);
        Assert.Equal(LogLevel.Debug, config.LogLevel);
        Assert.Equal(Path.Combine(_dir, "u", "my.json"), config.FlowFilePath);
    }

    [Fact]
    public void Command_line_beats_defines_which_beat_environment_which_beats_the_settings_file()
    {
        var settings = Write("s.json", """{"uiPort":1001,"uiHost":"127.0.0.2","httpAdminRoot":"/a","credentialSecret":"file"}""");
        var variables = new Dictionary<string, string>
        {
            ["FLOWENGINE_UI_PORT"] = "1002",
            ["FLOWENGINE_UI_HOST"] = "127.0.0.3",
            ["FLOWENGINE_CREDENTIAL_SECRET"] = "1234",
            ["PORT"] = "1009",
        };
        var config = Load(["-s", settings, "-D", "uiPort=1003", "-D", "uiHost=127.0.0.4", "-p", "1004"], variables);
        Assert.Equal(1004, config.Port);
        Assert.Equal("127.0.0.4", config.Host);
        Assert.Equal("/a/", config.AdminRoot);
        // An environment value that looks like a number stays text for a secret.
        Assert.Equal("1234", config.Settings.CredentialSecret);
    }

    [Fact]
    public void Port_environment_variable_applies_only_when_nothing_sets_uiPort()
    {
        Assert.Equal(1234, Load([], new() { ["PORT"] = "1234" }).Port);
        Write(".flowengine/settings.json", """{"uiPort":1500}""");
        Assert.Equal(1500, Load([], new() { ["PORT"] = "1234" }).Port);
    }

    [Fact]
    public void Environment_variables_with_double_underscores_set_nested_settings()
    {
        var config = Load([], new() { ["FLOWENGINE_LOGGING__CONSOLE__LEVEL"] = "trace", ["FLOWENGINE_API_MAX_LENGTH"] = "10kb" });
        Assert.Equal(LogLevel.Trace, config.LogLevel);
        Assert.Equal(10 * 1024, config.ApiMaxLength);
    }

    [Fact]
    public void Defines_read_json_values_set_paths_and_merge_files()
    {
        var extra = Write("extra.json", """{"functionTimeout":7,"contextStorage":{"default":{"module":"memory"}}}""");
        var config = Load(["-D", "logging.console.level=warn", "-D", "flowFilePretty=false", "-D", "runtimeState={\"enabled\":true}", "-D", "@" + extra]);
        Assert.Equal(LogLevel.Warning, config.LogLevel);
        Assert.False(config.Settings.FlowFilePretty);
        Assert.True(config.RuntimeStateEnabled);
        Assert.Equal(7, config.Settings.FunctionTimeoutSeconds);
        Assert.NotNull(config.Settings.ContextStorage);
    }

    [Fact]
    public void Flow_file_follows_node_reds_rules_for_relative_paths()
    {
        var userDir = Path.Combine(_dir, "u");
        Write("here.json", "[]");
        Assert.Equal(Path.Combine(_dir, "here.json"), Load(["-u", userDir, "here.json"]).FlowFilePath);
        Assert.Equal(Path.Combine(userDir, "there.json"), Load(["-u", userDir, "there.json"]).FlowFilePath);
        Assert.Equal(Path.Combine(_dir, "new.json"), Load(["-u", userDir, "./new.json"]).FlowFilePath);
        var absolute = Path.Combine(_dir, "abs", "f.json");
        Assert.Equal(absolute, Load(["-u", userDir, absolute]).FlowFilePath);
        Assert.Equal(Path.Combine(userDir, "there_cred.json"), Load(["-u", userDir, "there.json"]).Settings.CredentialsFilePath);
    }

    [Fact]
    public void Safe_mode_comes_from_the_option_or_the_environment()
    {
        Assert.True(Load(["--safe"]).SafeMode);
        Assert.True(Load([], new() { ["NODE_RED_ENABLE_SAFE_MODE"] = "true" }).SafeMode);
        Assert.True(Load([], new() { ["FLOWENGINE_SAFE_MODE"] = "1" }).SafeMode);
        Assert.False(Load([], new() { ["FLOWENGINE_SAFE_MODE"] = "false" }).SafeMode);
    }

    [Fact]
    public void Roots_are_formatted_and_false_disables_the_admin_api()
    {
        Assert.Equal("/admin/", Load(["-D", "httpAdminRoot=admin"]).AdminRoot);
        Assert.Null(Load(["-D", "httpAdminRoot=false"]).AdminRoot);
        var both = Load(["-D", "httpRoot=/red"]);
        Assert.Equal("/red/", both.AdminRoot);
        Assert.Equal("/red/", both.NodeRoot);
    }

    [Theory]
    [InlineData("""{"uiPort":"http"}""", "uiPort")]
    [InlineData("""{"uiPort":70000}""", "uiPort")]
    [InlineData("""{"logging":{"console":{"level":"loud"}}}""", "logging.console.level")]
    [InlineData("""{"apiMaxLength":"lots"}""", "apiMaxLength")]
    [InlineData("""{"credentialSecret":12}""", "credentialSecret")]
    [InlineData("""{"httpAdminRoot":3}""", "httpAdminRoot")]
    [InlineData("""[1,2]""", "JSON object")]
    [InlineData("""{"uiPort": 1880,,}""", "line 1, column 17")]
    public void Invalid_settings_are_refused_with_a_message_naming_the_problem(string settings, string expected)
    {
        var path = Write("bad.json", settings);
        var ex = Assert.Throws<SettingsException>(() => Load(["-s", path]));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_settings_file_named_on_the_command_line_is_refused()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(["-s", "nope.json"]));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_define_without_a_value_is_refused()
    {
        Assert.Throws<SettingsException>(() => Load(["-D", "uiPort"]));
    }

    [Theory]
    [InlineData("5mb", 5L * 1024 * 1024)]
    [InlineData("100kb", 100L * 1024)]
    [InlineData("1.5 KB", 1536L)]
    [InlineData("42", 42L)]
    public void Sizes_are_read_like_the_express_body_parser_reads_them(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }
}
