using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Storage;

/// <summary>Node-RED's file node ("write file"): appends msg.payload to a file, overwrites it, or deletes it.</summary>
internal sealed class FileNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("file")
    {
        Category = "storage",
        Color = "BurlyWood",
        Icon = "file-out.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/file",
        PaletteLabel = "write file",
        DefaultLabel = "write file",
        Help = """
            Writes `msg.payload` to a file, appending (default) or overwriting, or deletes the file, then passes the
            message on.

            **filename** with **filenameType**: `str` a fixed path, `msg` a message property holding the path
            (empty = `msg.filename`), `env` an environment variable; an empty fixed name means `msg.filename` (flows
            from before Node-RED 3). A relative path is resolved against settings `fileWorkingDirectory`, else the user
            directory. Only files under the directories in settings `fileNodeAllowedDirectories` (default: the user
            directory) can be written; any other path is refused with an error naming that setting.

            **overwriteFile**: `"false"` append, `"true"` overwrite, `"delete"` delete the file. **appendNewline**:
            add a newline (`\n`, or `\r\n` on Windows) after each payload that is not a Buffer. **createDir**:
            create missing directories. **encoding**: `none` (UTF-8) or a character set (`latin1`, `utf16le`,
            `windows-1252`, `Shift_JIS`...); `setbymsg` takes `msg.encoding`; `base64`/`hex` decode the text first.

            Objects are written as JSON, numbers and booleans as text, a Buffer as its bytes. A message without a
            payload writes nothing. Failures go to catch nodes ("Failed to append to file: …").
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("filename", PropertyKind.TypedInput) { Default = "", TypeProperty = "filenameType", Options = ["str", "msg", "env"] },
            new PropertyDeclaration("filenameType", PropertyKind.Select) { Default = "str", Options = ["", "str", "msg", "env"] },
            new PropertyDeclaration("appendNewline", PropertyKind.Bool) { Default = true },
            new PropertyDeclaration("createDir", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("overwriteFile", PropertyKind.Select) { Default = "false", Options = ["false", "true", "delete"] },
            new PropertyDeclaration("encoding", PropertyKind.String) { Default = "none" },
        ],
    };

    private readonly string _fileName;
    private readonly string _fileNameType;
    private readonly bool _appendNewline;
    private readonly bool _createDir;
    private readonly string _mode;
    private readonly string _encodingName;
    private readonly FileAccessPolicy _policy;

    public FileNode(NodeSetup setup) : base(setup)
    {
        _fileName = Config.GetString("filename");
        _fileNameType = Config.GetString("filenameType");
        if (_fileNameType is not ("" or "str" or "msg" or "env")) throw Config.Invalid("filenameType", $"\"{_fileNameType}\" is not one of str, msg, env");
        _appendNewline = Config.GetBool("appendNewline", true);
        _createDir = Config.GetBool("createDir", false);
        _mode = Config.Get("overwriteFile") switch
        {
            true => "true",
            false or null => "false",
            var other => JsValue.ToJsString(other),
        };
        if (_mode is not ("true" or "false" or "delete")) throw Config.Invalid("overwriteFile", $"\"{_mode}\" is not one of false, true, delete");
        _encodingName = Config.GetString("encoding", "none");
        if (_encodingName is not ("setbymsg"))
        {
            try
            {
                FileAccessPolicy.GetEncoding(_encodingName);
            }
            catch (ArgumentException ex)
            {
                throw Config.Invalid("encoding", ex.Message);
            }
        }
        _policy = FileAccessPolicy.From(Services.Settings);
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var name = FileAccessPolicy.FileNameFor(this, _fileName, _fileNameType, msg);
        if (string.IsNullOrEmpty(name))
        {
            Warn("No filename specified");
            return;
        }
        var path = _policy.Resolve(name);

        if (_mode == "delete")
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"Failed to delete file : {FileAccessPolicy.Describe(ex, "unlink", path)}", ex);
            }
            if (!File.Exists(path)) LogDebug($"deleted file: {path}");
            Send(msg);
            return;
        }

        if (msg.TryGetValue("payload", out var payload))
        {
            var data = Encode(payload, msg);
            var directory = Path.GetDirectoryName(path);
            try
            {
                if (_createDir && directory is not null) Directory.CreateDirectory(directory);
                if (_mode == "true")
                {
                    await File.WriteAllBytesAsync(path, data).ConfigureAwait(false);
                }
                else
                {
                    await using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 4096, useAsync: true);
                    await stream.WriteAsync(data).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var verb = _mode == "true" ? "write to" : "append to";
                throw new IOException($"Failed to {verb} file: {FileAccessPolicy.Describe(ex, "open", path)}", ex);
            }
        }
        Send(msg);
    }

    private byte[] Encode(object? payload, JsObject msg)
    {
        if (payload is byte[] bytes) return bytes;
        var text = payload switch
        {
            null => "null",
            string s => s,
            JsObject or List<object?> or DateTime => JsJson.Serialize(payload),
            _ => JsValue.ToJsString(payload),
        };
        if (_appendNewline) text += Environment.NewLine;
        var encodingName = _encodingName == "setbymsg" ? msg.Get("encoding") as string ?? "none" : _encodingName;
        switch (encodingName.ToLowerInvariant())
        {
            case "base64":
                return DecodeOr(() => Convert.FromBase64String(text.Trim()), text);
            case "hex":
                return DecodeOr(() => Convert.FromHexString(text.Trim()), text);
        }
        Encoding encoding;
        try
        {
            encoding = FileAccessPolicy.GetEncoding(encodingName) ?? Encoding.UTF8;
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        return encoding.GetBytes(text);
    }

    private static byte[] DecodeOr(Func<byte[]> decode, string text)
    {
        try
        {
            return decode();
        }
        catch (FormatException)
        {
            return Encoding.UTF8.GetBytes(text);
        }
    }
}
