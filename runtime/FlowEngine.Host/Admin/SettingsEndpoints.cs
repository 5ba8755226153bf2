using FlowEngine.Core.Values;
using FlowEngine.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /settings: the runtime settings the editor reads, in Node-RED's shape (§4.3) as far as it applies. Parts
/// FlowEngine does not offer say so (palette install off, no external function modules; diagnostics is the API only, no editor menu).
/// </summary>
internal static class SettingsEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/settings", (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            var result = Describe(services);
            // With adminAuth, Node-RED tells the editor who is logged in and what they may do.
            if (context.Items[FlowEngine.Host.Security.AuthUser.ItemKey] is FlowEngine.Host.Security.AuthUser user)
            {
                var settings = new JsObject { ["username"] = user.Username };
                settings["permissions"] = user.Permissions.Count == 1 ? user.Permissions[0] : user.Permissions.Cast<object?>().ToList();
                if (user.Anonymous) settings["anonymous"] = true;
                var ordered = new JsObject();
                foreach (var (key, value) in result)
                {
                    ordered[key] = value;
                    if (key == "version") ordered["user"] = settings;
                }
                result = ordered;
            }
            return AdminResults.Json(result);
        });
    }

    internal static JsObject Describe(AdminServices services)
    {
        var configuration = services.Configuration;
        var settings = configuration.Settings;
        var contexts = services.Runtime.Contexts;
        var stores = new List<object?> { contexts.DefaultStoreName };
        stores.AddRange(contexts.StoreNames.Where(s => s != contexts.DefaultStoreName).Select(s => (object?)s));
        var result = new JsObject
        {
            ["httpNodeRoot"] = configuration.NodeRoot is { } nodeRoot ? nodeRoot : false,
            ["version"] = HostInfo.Version,
            ["context"] = new JsObject { ["default"] = contexts.DefaultStoreName, ["stores"] = stores },
            ["codeEditor"] = new JsObject { ["lib"] = "monaco", ["options"] = new JsObject() },
            ["flowFilePretty"] = settings.FlowFilePretty,
            ["externalModules"] = new JsObject
            {
                ["palette"] = new JsObject { ["allowInstall"] = false, ["allowUpload"] = false },
            },
            ["flowEncryptionType"] = settings.CredentialSecret switch
            {
                string => "user",
                false => "disabled",
                _ => "system",
            },
            ["diagnostics"] = new JsObject { ["enabled"] = true, ["ui"] = false },
            ["telemetryEnabled"] = false,
            ["runtimeState"] = new JsObject { ["enabled"] = configuration.RuntimeStateEnabled, ["ui"] = configuration.RuntimeStateUi },
            // Node settings that Node-RED's function, debug and tls nodes export to the editor.
            ["functionExternalModules"] = false,
            ["functionTimeout"] = settings.FunctionTimeoutSeconds,
            ["debugMaxLength"] = (double)settings.DebugMaxLength,
            ["debugUseColors"] = settings.Get<bool>("debugUseColors"),
            ["tlsConfigDisableLocalFiles"] = settings.Get<bool>("tlsConfigDisableLocalFiles"),
            ["editorTheme"] = EditorTheme(settings.Raw.Get("editorTheme") as JsObject),
        };
        foreach (var key in (string[])["paletteCategories", "nodeDefaults"])
        {
            if (settings.Raw.Get(key) is { } value) result[key] = JsValue.DeepClone(value);
        }
        return result;
    }

    private static JsObject EditorTheme(JsObject? configured)
    {
        var theme = configured is null ? new JsObject() : (JsObject)JsValue.DeepClone(configured)!;
        if (!theme.ContainsKey("languages")) theme["languages"] = new List<object?> { "en-US" };
        // Projects (git) are not offered; saying so keeps the editor from asking for them.
        theme["projects"] = new JsObject { ["enabled"] = false };
        return theme;
    }
}
