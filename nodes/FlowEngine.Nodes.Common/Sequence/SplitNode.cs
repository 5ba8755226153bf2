using System.Text;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Sequence;

/// <summary>Node-RED's split node: turns a string, buffer, array or object into a sequence of messages with msg.parts.</summary>
internal sealed class SplitNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("split")
    {
        Category = "sequence",
        Color = "#E2D96E",
        Icon = "split.svg",
        Inputs = 1,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/split",
        Help = """
            Splits a message property (default `payload`) into a sequence of messages.

            * **string**: split on `splt` when `spltType` is `str` (escapes `\n`, `\r`, `\t` understood), on the bytes of
              `splt` (a JSON array) when `bin`, or into chunks of `splt` characters when `len`.
            * **buffer**: the same, on bytes.
            * **array**: into chunks of `arraySplt` elements (1 = one message per element).
            * **object**: one message per key; `addname` names a message property that receives the key.
            * anything else passes unchanged.

            Each message is a copy of the original (without `_msgid`) with `msg.parts` = `{id, index, count, type, ch, len,
            key, property}`; an existing `msg.parts` is kept as `msg.parts.parts` so join can restore it.
            With `stream` the text left after the last separator (or partial chunk) is kept and prefixed to the next
            message, `count` is omitted and `index` keeps counting.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("splt", PropertyKind.TypedInput) { Default = "\\n", TypeProperty = "spltType", Options = ["str", "bin", "len"] },
            new PropertyDeclaration("spltType", PropertyKind.Select) { Default = "str", Options = ["str", "bin", "len"] },
            new PropertyDeclaration("arraySplt", PropertyKind.Number) { Default = 1 },
            new PropertyDeclaration("arraySpltType", PropertyKind.Select) { Default = "len", Options = ["len"] },
            new PropertyDeclaration("stream", PropertyKind.Bool) { Default = false },
            new PropertyDeclaration("addname", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload" },
        ],
    };

    private readonly PropertyPath _property;
    private readonly string _spltType;
    private readonly string _separator = "\n";
    private readonly byte[] _separatorBytes;
    private readonly int _length;
    private readonly int _arrayLength;
    private readonly bool _stream;
    private readonly PropertyPath? _addname;

    // Stream mode state: the text or bytes left after the last separator, and the running index.
    private string _remainder = "";
    private byte[] _remainderBytes = [];
    private int _streamIndex;
    private string? _streamId;

    public SplitNode(NodeSetup setup) : base(setup)
    {
        _property = SequenceSupport.ParsePath(Config, "property");
        _spltType = Config.GetString("spltType", "str");
        if (_spltType.Length == 0) _spltType = "str";
        var splt = Config.GetString("splt", "\\n");
        switch (_spltType)
        {
            case "str":
                _separator = SequenceSupport.Unescape(splt.Length == 0 ? "\\n" : splt);
                _separatorBytes = Encoding.UTF8.GetBytes(_separator);
                break;
            case "bin":
                try
                {
                    _separatorBytes = SequenceSupport.ParseBinary(splt);
                }
                catch (JsJsonException ex)
                {
                    throw Config.Invalid("splt", $"not a buffer: {ex.Message}");
                }
                _separator = Encoding.UTF8.GetString(_separatorBytes);
                break;
            case "len":
                _length = Math.Max(1, (int)Config.GetNumber("splt", 1));
                _separatorBytes = [];
                break;
            default:
                throw Config.Invalid("spltType", $"\"{_spltType}\" is not one of str, bin, len");
        }
        _arrayLength = Math.Max(1, (int)Config.GetNumber("arraySplt", 1));
        _stream = Config.GetBool("stream", false);
        var addname = Config.GetString("addname");
        if (addname.Length > 0)
        {
            try
            {
                _addname = PropertyPath.Parse(addname);
            }
            catch (PropertyPathException ex)
            {
                throw Config.Invalid("addname", ex.Message);
            }
        }
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (!_property.TryGetValue(msg, out var value) || value is not (string or byte[] or List<object?> or JsObject))
        {
            Send(msg);
            return ValueTask.CompletedTask;
        }
        var parts = new JsObject();
        if (msg.Get("parts") is JsObject previous) parts["parts"] = previous;
        parts["id"] = _stream && value is string or byte[] ? _streamId ??= MessageIds.NewId() : MessageIds.NewId();
        if (_property.Text != "payload") parts["property"] = _property.Text;
        msg.Remove("_msgid");
        msg.Remove("parts");
        switch (value)
        {
            case string text:
                SplitString(msg, parts, _remainder + text);
                break;
            case byte[] bytes:
                SplitBuffer(msg, parts, _remainderBytes.Length == 0 ? bytes : [.. _remainderBytes, .. bytes]);
                break;
            case List<object?> list:
                SplitArray(msg, parts, list);
                break;
            case JsObject obj:
                SplitObject(msg, parts, obj);
                break;
        }
        return ValueTask.CompletedTask;
    }

    private void SplitString(JsObject msg, JsObject parts, string text)
    {
        parts["type"] = "string";
        var pieces = new List<string>();
        if (_spltType == "len")
        {
            parts["ch"] = "";
            parts["len"] = (double)_length;
            for (var pos = 0; pos < text.Length; pos += _length) pieces.Add(text.Substring(pos, Math.Min(_length, text.Length - pos)));
            if (pieces.Count == 0) pieces.Add("");
            if (_stream)
            {
                // Only whole chunks go out; a short last chunk waits for the next message.
                _remainder = pieces[^1].Length < _length ? pieces[^1] : "";
                if (_remainder.Length > 0 || pieces[^1].Length == 0) pieces.RemoveAt(pieces.Count - 1);
            }
        }
        else
        {
            parts["ch"] = _separator;
            pieces.AddRange(text.Split(_separator));
            if (_stream)
            {
                _remainder = pieces[^1];
                pieces.RemoveAt(pieces.Count - 1);
            }
        }
        SendPieces(msg, parts, pieces.Select(p => (object?)p).ToList());
    }

    private void SplitBuffer(JsObject msg, JsObject parts, byte[] bytes)
    {
        parts["type"] = "buffer";
        var pieces = new List<byte[]>();
        if (_spltType == "len")
        {
            parts["ch"] = "";
            parts["len"] = (double)_length;
            for (var pos = 0; pos < bytes.Length; pos += _length) pieces.Add(bytes[pos..Math.Min(bytes.Length, pos + _length)]);
            if (pieces.Count == 0) pieces.Add([]);
            if (_stream)
            {
                _remainderBytes = pieces[^1].Length < _length ? pieces[^1] : [];
                if (_remainderBytes.Length > 0 || pieces[^1].Length == 0) pieces.RemoveAt(pieces.Count - 1);
            }
        }
        else
        {
            parts["ch"] = _spltType == "bin" ? _separatorBytes.Select(b => (object?)(double)b).ToList() : _separator;
            var pos = 0;
            while (true)
            {
                var next = SequenceSupport.IndexOf(bytes, _separatorBytes, pos);
                if (next < 0) break;
                pieces.Add(bytes[pos..next]);
                pos = next + _separatorBytes.Length;
            }
            pieces.Add(bytes[pos..]);
            if (_stream)
            {
                _remainderBytes = pieces[^1];
                pieces.RemoveAt(pieces.Count - 1);
            }
        }
        SendPieces(msg, parts, pieces.Select(p => (object?)p).ToList());
    }

    private void SplitArray(JsObject msg, JsObject parts, List<object?> list)
    {
        parts["type"] = "array";
        parts["len"] = (double)_arrayLength;
        var pieces = new List<object?>();
        if (_arrayLength == 1)
        {
            pieces.AddRange(list);
        }
        else
        {
            for (var pos = 0; pos < list.Count; pos += _arrayLength) pieces.Add(list.GetRange(pos, Math.Min(_arrayLength, list.Count - pos)));
        }
        SendPieces(msg, parts, pieces, streamable: false);
    }

    private void SplitObject(JsObject msg, JsObject parts, JsObject obj)
    {
        parts["type"] = "object";
        parts["count"] = (double)obj.Count;
        var index = 0;
        foreach (var (key, item) in obj.ToList())
        {
            var copy = CopyWithout(msg);
            var p = (JsObject)JsValue.DeepClone(parts)!;
            p["index"] = (double)index++;
            p["key"] = key;
            copy["parts"] = p;
            _property.SetValue(copy, JsValue.DeepClone(item));
            _addname?.SetValue(copy, key);
            Send(copy);
        }
    }

    private void SendPieces(JsObject msg, JsObject parts, List<object?> pieces, bool streamable = true)
    {
        var stream = _stream && streamable;
        if (!stream) parts["count"] = (double)pieces.Count;
        for (var i = 0; i < pieces.Count; i++)
        {
            var copy = CopyWithout(msg);
            var p = (JsObject)JsValue.DeepClone(parts)!;
            p["index"] = (double)(stream ? _streamIndex++ : i);
            copy["parts"] = p;
            _property.SetValue(copy, JsValue.DeepClone(pieces[i]));
            Send(copy);
        }
    }

    /// <summary>A copy of the message for one piece, without the (large) property being split.</summary>
    private JsObject CopyWithout(JsObject msg)
    {
        var copy = new JsObject(msg.Count + 1);
        var first = _property.FirstKey;
        foreach (var (key, item) in msg)
        {
            copy[key] = _property.Length == 1 && key == first ? null : JsValue.DeepClone(item);
        }
        return copy;
    }
}
