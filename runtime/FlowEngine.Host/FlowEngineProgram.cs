using FlowEngine.Host.CommandLine;
using FlowEngine.Host.Configuration;
using FlowEngine.Host.Hosting;

namespace FlowEngine.Host;

/// <summary>
/// The program: parse the command line, read the settings, run the server until SIGINT/SIGTERM. Every failure a
/// user can cause ends in one line of explanation and exit code 1, never in a stack trace.
/// </summary>
internal static class FlowEngineProgram
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HostEnvironment environment,
        FlowEngineServerOptions? options = null, TextReader? input = null)
    {
        if (await AdminCommands.TryRunAsync(args, input ?? Console.In, output, error, environment).ConfigureAwait(false) is { } commandExit)
        {
            return commandExit;
        }
        CommandLineOptions cli;
        try
        {
            cli = CommandLineOptions.Parse(args);
        }
        catch (CommandLineException ex)
        {
            await error.WriteLineAsync($"flowengine: {ex.Message}").ConfigureAwait(false);
            await error.WriteLineAsync("Run 'flowengine --help' for usage.").ConfigureAwait(false);
            return 1;
        }
        if (cli.Help)
        {
            await output.WriteLineAsync($"FlowEngine v{HostInfo.Version}").ConfigureAwait(false);
            await output.WriteLineAsync(CommandLineOptions.Usage).ConfigureAwait(false);
            await output.WriteLineAsync(AdminCommands.Usage).ConfigureAwait(false);
            return 0;
        }
        if (cli.Version)
        {
            await output.WriteLineAsync($"FlowEngine v{HostInfo.Version}").ConfigureAwait(false);
            await output.WriteLineAsync($".NET v{HostInfo.DotNetVersion}").ConfigureAwait(false);
            return 0;
        }

        FlowEngineServer server;
        try
        {
            server = FlowEngineServer.Create(HostConfiguration.Load(cli, environment), options);
        }
        catch (SettingsException ex)
        {
            await error.WriteLineAsync($"flowengine: error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (server.ConfigureAwait(false))
        {
            try
            {
                await server.StartAsync(server.ShutdownRequested).ConfigureAwait(false);
            }
            catch (SettingsException ex)
            {
                await error.WriteLineAsync($"flowengine: error: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (ServerStartException)
            {
                // Already logged as one line by the server.
                return 1;
            }
            catch (OperationCanceledException) when (server.ShutdownRequested.IsCancellationRequested)
            {
                // Ctrl+C while starting: stop what has started and leave quietly.
                await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
                return 0;
            }
            await server.WaitForShutdownRequestAsync().ConfigureAwait(false);
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return 0;
    }
}
