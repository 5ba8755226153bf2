using FlowEngine.Host;
using FlowEngine.Host.Configuration;

return await FlowEngineProgram.RunAsync(args, Console.Out, Console.Error, HostEnvironment.FromProcess()).ConfigureAwait(false);
