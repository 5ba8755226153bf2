using FlowEngine.Core.Context;
using FlowEngine.Core.Values;
using FlowEngine.Host.Comms;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET/DELETE /context/global, /context/flow/:id, /context/node/:id (§4.1), values encoded as the debug sidebar
/// encodes them (§4.4, cut at debugMaxLength):
/// GET without key → <c>{"&lt;store&gt;":{"&lt;key&gt;":{"msg","format"}}}</c> (every store, or only <c>?store=</c>);
/// GET with key → <c>{"msg","format","store"}</c> from the first store holding it (<c>{}</c> when none does), or
/// <c>{"msg","format"}</c> with <c>?store=</c>; DELETE with key → 204 (<c>?store=</c>, default store otherwise),
/// recorded in the audit trail. An unknown flow or node id, or an unknown store, answers 404.
/// </summary>
internal static class ContextEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminServices services)
    {
        group.MapGet("/context/global", (HttpContext c) => Get(c, services, Scope(services, "global", null), null));
        group.MapGet("/context/global/{*key}", (HttpContext c, string key) => Get(c, services, Scope(services, "global", null), key));
        // Two literal routes rather than a regex constraint: the server registers routing without regex support.
        foreach (var kind in new[] { "flow", "node" })
        {
            group.MapGet($"/context/{kind}/{{id}}", (HttpContext c, string id) => Get(c, services, Scope(services, kind, id), null));
            group.MapGet($"/context/{kind}/{{id}}/{{*key}}", (HttpContext c, string id, string key) => Get(c, services, Scope(services, kind, id), key));
            group.MapDelete($"/context/{kind}/{{id}}/{{*key}}", (HttpContext c, string id, string key) =>
                Delete(c, services, Scope(services, kind, id), $"{kind}/{id}", key));
        }
    }

    private static ContextScope Scope(AdminServices services, string kind, string? id)
    {
        var contexts = services.Runtime.Contexts;
        if (kind == "global") return contexts.Global();
        var configuration = services.Runtime.Configuration;
        if (!configuration.ById.TryGetValue(id!, out var item)) throw ErrorResponses.NotFoundError($"no {kind} with id {id}");
        var type = item.Get("type") as string;
        if (kind == "flow")
        {
            if (type is not ("tab" or "subflow")) throw ErrorResponses.NotFoundError($"no flow with id {id}");
            return contexts.Flow(id!, null);
        }
        return contexts.Node(id!, item.Get("z") as string);
    }

    private static string? StoreParameter(HttpContext context, AdminServices services)
    {
        var store = context.Request.Query["store"].ToString();
        if (store.Length == 0) return null;
        if (!services.Runtime.Contexts.StoreNames.Contains(store)) throw ErrorResponses.NotFoundError($"no context store named {store}");
        return store;
    }

    private static IResult Get(HttpContext context, AdminServices services, ContextScope scope, string? key)
    {
        var store = StoreParameter(context, services);
        var maxLength = services.Runtime.Settings.DebugMaxLength;
        var stores = store is null ? StoresInOrder(services) : [store];
        if (key is null)
        {
            var result = new JsObject();
            foreach (var name in stores)
            {
                var values = new JsObject();
                foreach (var k in scope.Keys(name).Order(StringComparer.Ordinal))
                {
                    if (scope.TryGet(k, out var value, name)) values[k] = Encoded(value, maxLength);
                }
                result[name] = values;
            }
            return AdminResults.Json(result);
        }
        foreach (var name in stores)
        {
            if (!scope.TryGet(key, out var value, name)) continue;
            var encoded = Encoded(value, maxLength);
            if (store is null) encoded["store"] = name;
            return AdminResults.Json(encoded);
        }
        return AdminResults.Json(new JsObject());
    }

    private static IResult Delete(HttpContext context, AdminServices services, ContextScope scope, string where, string key)
    {
        var store = StoreParameter(context, services);
        scope.Delete(key, store);
        services.Audit?.Record("context.delete", AdminAuthMiddleware.UserName(context),
            new JsObject { ["scope"] = where, ["key"] = key, ["store"] = store ?? services.Runtime.Contexts.DefaultStoreName });
        return Results.NoContent();
    }

    private static List<string> StoresInOrder(AdminServices services)
    {
        var contexts = services.Runtime.Contexts;
        return [contexts.DefaultStoreName, .. contexts.StoreNames.Where(s => s != contexts.DefaultStoreName)];
    }

    private static JsObject Encoded(object? value, int maxLength)
    {
        var encoded = CommsValueEncoder.Encode(value, maxLength);
        return new JsObject { ["msg"] = encoded.Msg, ["format"] = encoded.Format };
    }
}
