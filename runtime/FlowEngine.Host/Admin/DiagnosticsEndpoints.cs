using System.Globalization;
using System.Runtime.InteropServices;
using FlowEngine.Core.Values;
using FlowEngine.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /diagnostics (§4.1, diagnostics.read): Node-RED's report shape
/// <c>{report:"diagnostics", scope:"basic", time:{utc, local}, intl:{locale, timeZone}, dotnet:{version, arch,
/// platform, memoryUsage}, os:{...}, runtime:{version, isStarted, flows:{state, revision, count}, modules, settings}}</c>,
/// with <c>dotnet</c> in place of Node-RED's <c>nodejs</c>. Settings are summarised, never their secrets.
/// </summary>
internal static class DiagnosticsEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/diagnostics", () => AdminResults.Json(Report(services)));
    }

    internal static JsObject Report(AdminServices services)
    {
        var now = DateTime.UtcNow;
        var runtime = services.Runtime;
        var configuration = services.Configuration;
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var modules = new JsObject();
        foreach (var module in runtime.Registry.Declarations.Select(d => d.Module).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            modules[module] = HostInfo.Version;
        }
        using (process)
        {
            return new JsObject
            {
                ["report"] = "diagnostics",
                ["scope"] = "basic",
                ["time"] = new JsObject { ["utc"] = now.ToString("R", CultureInfo.InvariantCulture), ["local"] = now.ToLocalTime().ToString(CultureInfo.InvariantCulture) },
                ["intl"] = new JsObject { ["locale"] = CultureInfo.CurrentCulture.Name, ["timeZone"] = TimeZoneInfo.Local.Id },
                ["dotnet"] = new JsObject
                {
                    ["version"] = HostInfo.DotNetVersion,
                    ["arch"] = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
                    ["platform"] = RuntimeInformation.OSDescription,
                    ["memoryUsage"] = new JsObject { ["rss"] = (double)process.WorkingSet64, ["heapUsed"] = (double)GC.GetTotalMemory(false) },
                },
                ["os"] = new JsObject
                {
                    ["platform"] = HostInfo.Platform,
                    ["cpus"] = (double)Environment.ProcessorCount,
                    ["uptime"] = Environment.TickCount64 / 1000.0,
                },
                ["runtime"] = new JsObject
                {
                    ["version"] = HostInfo.Version,
                    ["isStarted"] = runtime.IsStarted,
                    ["flows"] = new JsObject { ["state"] = services.Flows.State, ["revision"] = runtime.Revision, ["count"] = (double)runtime.Configuration.Items.Count },
                    ["modules"] = modules,
                    ["settings"] = new JsObject
                    {
                        ["available"] = true,
                        ["apiMaxLength"] = configuration.ApiMaxLengthText,
                        ["contextStorage"] = string.Join(",", runtime.Contexts.StoreNames.Order(StringComparer.Ordinal)),
                        ["debugMaxLength"] = (double)runtime.Settings.DebugMaxLength,
                        ["flowFile"] = Path.GetFileName(configuration.FlowFilePath),
                        ["httpAdminRoot"] = configuration.AdminRoot,
                        ["httpNodeRoot"] = configuration.NodeRoot,
                        ["uiHost"] = configuration.Host,
                        ["uiPort"] = (double)configuration.Port,
                        ["adminAuth"] = services.Auth is not null ? "SET" : "UNSET",
                        ["https"] = configuration.Settings.Raw.Get("https") is JsObject ? "SET" : "UNSET",
                    },
                },
            };
        }
    }
}
