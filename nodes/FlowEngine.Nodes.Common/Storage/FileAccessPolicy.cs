using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Storage;

/// <summary>A file node asked for a path outside the allowed directories, or for no path at all.</summary>
internal sealed class FileAccessException(string message) : Exception(message);

/// <summary>
/// Which files the file, file in and watch nodes may touch: those under the directories of settings
/// <c>fileNodeAllowedDirectories</c> (a string or an array; default the user directory). Node-RED lets these nodes
/// reach the whole disk; a flow imported from elsewhere should not be able to read ~/.ssh or overwrite settings, so
/// FlowEngine asks for the directories to be listed. Relative names resolve against settings
/// <c>fileWorkingDirectory</c>, else the user directory.
/// </summary>
internal sealed class FileAccessPolicy
{
    public const string SettingName = "fileNodeAllowedDirectories";

    private readonly List<string> _allowed;
    private readonly string _workingDirectory;

    private FileAccessPolicy(List<string> allowed, string workingDirectory)
    {
        _allowed = allowed;
        _workingDirectory = workingDirectory;
    }

    public static FileAccessPolicy From(RuntimeSettings settings)
    {
        var working = settings.Raw.Get("fileWorkingDirectory") is string { Length: > 0 } wd ? Path.GetFullPath(wd, settings.UserDir) : Path.GetFullPath(settings.UserDir);
        var allowed = settings.Raw.Get(SettingName) switch
        {
            string one => [one],
            List<object?> many => many.OfType<string>().ToList(),
            _ => new List<string> { settings.UserDir },
        };
        return new FileAccessPolicy(allowed.Where(d => d.Length > 0).Select(d => WithSeparator(Path.GetFullPath(d, settings.UserDir))).ToList(), working);
    }

    private static string WithSeparator(string directory) =>
        directory.EndsWith(Path.DirectorySeparatorChar) ? directory : directory + Path.DirectorySeparatorChar;

    private static StringComparison PathComparison => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The full path of a file name, or an exception whose message names the setting that would allow it.</summary>
    public string Resolve(string fileName)
    {
        var full = Path.GetFullPath(fileName, _workingDirectory);
        if (IsAllowed(full)) return full;
        throw new FileAccessException(
            $"Access to {full} refused: it is outside the directories allowed by settings {SettingName} ({string.Join(", ", _allowed.Select(d => d.TrimEnd(Path.DirectorySeparatorChar)))})");
    }

    public bool IsAllowed(string fullPath)
    {
        var withSeparator = WithSeparator(fullPath);
        return _allowed.Any(dir => withSeparator.StartsWith(dir, PathComparison));
    }

    /// <summary>
    /// Node-RED's encodings: "none" or "" is UTF-8 as a Buffer would write; Node's own names (utf8, ascii, latin1,
    /// binary, utf16le/ucs2) and the iconv-lite names the editor offers (windows-1252, iso-8859-x, Shift_JIS...).
    /// Null for base64 and hex, which are text transforms rather than character sets.
    /// </summary>
    public static Encoding? GetEncoding(string name)
    {
        var lower = name.Trim().ToLowerInvariant();
        switch (lower)
        {
            case "" or "none" or "utf8" or "utf-8" or "setbymsg":
                return new UTF8Encoding(false);
            case "ascii":
                return Encoding.ASCII;
            case "latin1" or "binary" or "iso-8859-1":
                return Encoding.Latin1;
            case "utf16le" or "ucs2" or "ucs-2" or "utf-16le":
                return new UnicodeEncoding(false, false);
            case "utf16be" or "utf-16be":
                return new UnicodeEncoding(true, false);
            case "base64" or "hex":
                return null;
        }
        try
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"unknown encoding \"{name}\"");
        }
    }

    /// <summary>Reads the file name a node uses for a message: its own (str, env) or one from the message.</summary>
    public static string? FileNameFor(FlowNode node, string fileName, string fileNameType, JsObject msg)
    {
        switch (fileNameType)
        {
            case "msg":
                try
                {
                    return PropertyPath.Parse(fileName.Length == 0 ? "filename" : fileName).TryGetValue(msg, out var value) && value is not null
                        ? JsValue.ToJsString(value)
                        : null;
                }
                catch (PropertyPathException)
                {
                    return null;
                }
            case "env":
                return node.GetEnv(fileName) is { } env ? JsValue.ToJsString(env) : null;
            case "jsonata":
                return null;
            default:
                // Node-RED before 3.0 had no filenameType: an empty name meant msg.filename.
                if (fileName.Length > 0) return fileName;
                return msg.Get("filename") is { } legacy ? JsValue.ToJsString(legacy) : null;
        }
    }

    /// <summary>A Node.js-like text for an IO failure (ENOENT, EACCES...) so flows matching on it keep working.</summary>
    public static string Describe(Exception ex, string syscall, string path) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => $"Error: ENOENT: no such file or directory, {syscall} '{path}'",
        UnauthorizedAccessException => $"Error: EACCES: permission denied, {syscall} '{path}'",
        FileAccessException => ex.Message,
        _ => $"Error: {ex.Message}",
    };
}
