using FlowEngine.Host.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace FlowEngine.Host.Editor;

/// <summary>
/// Serves the browser editor (editor/dist, built by Vite) at httpAdminRoot. Unknown paths without a file extension
/// get index.html, so a reload on a deep link still opens the editor. API routes are literal and win over the
/// catch-all route used here.
/// </summary>
internal static class EditorStaticFiles
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static void MapEditorStaticFiles(this WebApplication app, HostConfiguration configuration)
    {
        if (configuration.AdminRoot is not { } root) return;
        var prefix = root.TrimEnd('/');
        var directory = FindEditorDirectory();
        app.MapGet(prefix + "/{**path}", (HttpContext context, string? path) => Serve(context, directory, path ?? ""));
        // The catch-all does not match the bare root of a non-"/" admin root ("/admin" without the slash).
        if (prefix.Length > 0) app.MapGet(prefix, (HttpContext context) => Results.Redirect(prefix + "/"));
    }

    private static IResult Serve(HttpContext context, string? directory, string path)
    {
        // Only a browser navigation gets the editor page for an unknown path; API clients get Node-RED's 404 shape.
        var wantsPage = context.Request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase));
        if (!wantsPage && (directory is null || path.Length == 0 || !File.Exists(Path.Combine(directory, path))))
        {
            return FlowEngine.Host.Admin.ErrorResponses.Error(StatusCodes.Status404NotFound, FlowEngine.Host.Admin.ErrorResponses.NotFound,
                $"Cannot {context.Request.Method} {context.Request.Path}");
        }
        if (directory is null)
        {
            return Results.Content(
                "<!doctype html><title>FlowEngine</title><p>The editor is not built. Run <code>npm run build:editor</code> " +
                "(or <code>dotnet build runtime/FlowEngine.Host</code>, which builds it) and reload.</p>",
                "text/html; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var full = Path.GetFullPath(Path.Combine(directory, path));
        // A path that climbs out of the editor folder ("../settings.json") is not ours to serve.
        if (!full.StartsWith(directory, StringComparison.Ordinal)) return Results.NotFound();
        if (path.Length > 0 && File.Exists(full))
        {
            var contentType = ContentTypes.TryGetContentType(full, out var type) ? type : "application/octet-stream";
            // Vite puts a content hash in every asset name: those never change, index.html always may.
            context.Response.Headers.CacheControl = path.StartsWith("editor-assets/", StringComparison.Ordinal) ? "public, max-age=31536000, immutable" : "no-cache";
            return Results.File(full, contentType);
        }
        if (Path.HasExtension(path)) return Results.NotFound();
        context.Response.Headers.CacheControl = "no-cache";
        return Results.File(Path.Combine(directory, "index.html"), "text/html; charset=utf-8");
    }

    /// <summary>
    /// The editor folder next to flowengine.dll (copied by the BuildEditor target), else editor/dist of the source tree
    /// (dotnet run from a checkout before any copy).
    /// </summary>
    private static string? FindEditorDirectory()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "editor");
        if (File.Exists(Path.Combine(beside, "index.html"))) return Path.GetFullPath(beside) + Path.DirectorySeparatorChar;
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var dist = Path.Combine(folder.FullName, "editor", "dist");
            if (File.Exists(Path.Combine(dist, "index.html"))) return Path.GetFullPath(dist) + Path.DirectorySeparatorChar;
        }
        return null;
    }
}
