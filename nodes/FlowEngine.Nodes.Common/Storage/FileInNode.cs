using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Storage;

/// <summary>Node-RED's file in node ("read file"): reads a file as a string, lines, a Buffer or Buffer chunks.</summary>
internal sealed class FileInNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("file in")
    {
        Category = "storage",
        Color = "BurlyWood",
        Icon = "file-in.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/file",
        PaletteLabel = "read file",
        DefaultLabel = "read file",
        Help = """
            Reads a file and sends its content.

            **filename** with **filenameType** as in the write file node (`str`, `msg`, `env`; an empty fixed name
            means `msg.filename`), restricted to the directories of settings `fileNodeAllowedDirectories` (default:
            the user directory).

            **format**: `utf8` one message with the text; `lines` one message per line (split on `\n`) with
            `msg.parts` (`index`, `ch:"\n"`, `type:"string"`, `id`; the last one has `count`, and is the text after
            the last newline, so a file ending with a newline ends with an empty line); `""` one message with a
            Buffer; `stream` Buffer chunks of 64 kB with `msg.parts` (`type:"buffer"`, the last one with `count`).
            **encoding**: the character set of the text (`none` = UTF-8). **allProps**: each line or chunk message
            keeps all the properties of the input message (otherwise only `topic` and `filename`).
            **sendError** (flows from before Node-RED 0.17): also send a message with `msg.error` on failure.

            Sets `msg.filename`. A missing file is reported to catch nodes as
            "Error: ENOENT: no such file or directory, open '…'".
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("filename", PropertyKind.TypedInput) { Default = "", TypeProperty = "filenameType", Options = ["str", "msg", "env"] },
            new PropertyDeclaration("filenameType", PropertyKind.Select) { Default = "str", Options = ["", "str", "msg", "env"] },
            new PropertyDeclaration("format", PropertyKind.Select) { Default = "utf8", Options = ["utf8", "lines", "", "stream"] },
            new PropertyDeclaration("chunk", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("sendError", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("encoding", PropertyKind.String) { Default = "none" },
            new PropertyDeclaration("allProps", PropertyKind.Bool) { Default = false },
        ],
    };

    /// <summary>Node's fs.createReadStream default chunk (highWaterMark).</summary>
    private const int StreamChunkSize = 64 * 1024;

    private readonly string _fileName;
    private readonly string _fileNameType;
    private readonly string _format;
    private readonly bool _sendError;
    private readonly Encoding _encoding;
    private readonly bool _allProps;
    private readonly FileAccessPolicy _policy;

    public FileInNode(NodeSetup setup) : base(setup)
    {
        _fileName = Config.GetString("filename");
        _fileNameType = Config.GetString("filenameType");
        if (_fileNameType is not ("" or "str" or "msg" or "env")) throw Config.Invalid("filenameType", $"\"{_fileNameType}\" is not one of str, msg, env");
        _format = Config.GetString("format", "utf8");
        // Node-RED 0.x: chunk true meant lines.
        if (Config.GetBool("chunk", false) && _format == "utf8") _format = "lines";
        if (_format is not ("utf8" or "lines" or "" or "stream")) throw Config.Invalid("format", $"\"{_format}\" is not one of utf8, lines, \"\", stream");
        _sendError = Config.GetBool("sendError", false);
        try
        {
            _encoding = FileAccessPolicy.GetEncoding(Config.GetString("encoding", "none")) ?? new UTF8Encoding(false);
        }
        catch (ArgumentException ex)
        {
            throw Config.Invalid("encoding", ex.Message);
        }
        _allProps = Config.GetBool("allProps", false);
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
        string path = "";
        try
        {
            path = _policy.Resolve(name);
            msg["filename"] = path;
            switch (_format)
            {
                case "utf8":
                    msg["payload"] = _encoding.GetString(await File.ReadAllBytesAsync(path).ConfigureAwait(false));
                    Send(msg);
                    break;
                case "":
                    msg["payload"] = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
                    Send(msg);
                    break;
                case "lines":
                    await SendLinesAsync(msg, path).ConfigureAwait(false);
                    break;
                default:
                    await SendChunksAsync(msg, path).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FileAccessException)
        {
            var text = FileAccessPolicy.Describe(ex, "open", path.Length > 0 ? path : name);
            if (_sendError)
            {
                var errorMessage = (JsObject)JsValue.DeepClone(msg)!;
                errorMessage.Remove("payload");
                errorMessage["error"] = new JsObject { ["message"] = text, ["source"] = new JsObject { ["id"] = Id, ["type"] = Type, ["name"] = Name } };
                ReportError(text, msg);
                Send(errorMessage);
                return;
            }
            throw new IOException(text, ex);
        }
    }

    private JsObject Part(JsObject msg, object payload, JsObject parts)
    {
        JsObject part;
        if (_allProps)
        {
            part = (JsObject)JsValue.DeepClone(msg)!;
            part.Remove("_msgid");
        }
        else
        {
            part = new JsObject();
            if (msg.Get("topic") is { } topic) part["topic"] = topic;
            part["filename"] = msg.Get("filename");
        }
        part["payload"] = payload;
        part["parts"] = parts;
        return part;
    }

    private async Task SendLinesAsync(JsObject msg, string path)
    {
        var id = msg.Get("_msgid") as string ?? "";
        var text = _encoding.GetString(await File.ReadAllBytesAsync(path).ConfigureAwait(false));
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var parts = new JsObject { ["index"] = (double)i, ["ch"] = "\n", ["type"] = "string", ["id"] = id };
            if (i == lines.Length - 1) parts["count"] = (double)lines.Length;
            Send(Part(msg, lines[i], parts));
        }
    }

    private async Task SendChunksAsync(JsObject msg, string path)
    {
        var id = msg.Get("_msgid") as string ?? "";
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, StreamChunkSize, useAsync: true);
        var index = 0;
        var buffer = new byte[StreamChunkSize];
        byte[]? pending = null;
        while (true)
        {
            var read = await FillAsync(stream, buffer).ConfigureAwait(false);
            if (pending is not null)
            {
                var parts = new JsObject { ["index"] = (double)index, ["ch"] = "", ["type"] = "buffer", ["id"] = id };
                if (read == 0) parts["count"] = (double)(index + 1);
                Send(Part(msg, pending, parts));
                index++;
            }
            if (read == 0) break;
            pending = buffer[..read];
        }
        if (index == 0)
        {
            // An empty file is one empty chunk, so the sequence still has an end.
            Send(Part(msg, Array.Empty<byte>(), new JsObject { ["index"] = 0.0, ["count"] = 1.0, ["ch"] = "", ["type"] = "buffer", ["id"] = id }));
        }
    }

    private static async Task<int> FillAsync(Stream stream, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total)).ConfigureAwait(false);
            if (read == 0) break;
            total += read;
        }
        return total;
    }
}
