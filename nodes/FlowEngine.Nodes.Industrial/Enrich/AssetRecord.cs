using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial;

/// <summary>
/// Context of one tag: where it is (enterprise, site, area, line, cell, asset), what it is (unit, description),
/// its limits and its camera, plus any other fields. Immutable.
/// </summary>
public sealed class AssetRecord
{
    /// <summary>Fields the editor and HMI know; any other field is kept too.</summary>
    public static readonly IReadOnlyList<string> KnownFields = ["enterprise", "site", "area", "line", "cell", "asset", "unit", "description", "camera", "limits"];

    /// <summary>Limit names read as numbers (CSV columns of these names go into <c>limits</c>).</summary>
    public static readonly IReadOnlyList<string> LimitNames = ["lolo", "lo", "hi", "hihi", "min", "max"];

    private readonly JsObject _data;

    private AssetRecord(string tag, JsObject data)
    {
        Tag = tag;
        _data = data;
    }

    public string Tag { get; }

    /// <summary>A field by name (a copy for objects); null when absent.</summary>
    public object? Get(string field) => JsValue.DeepClone(_data.Get(field));

    /// <summary>A field by dotted path ("limits.hi"), without copying; for pattern formatting.</summary>
    internal object? Lookup(PropertyPath path) => path.GetValue(_data);

    /// <summary><c>{tag, enterprise?, site?, area?, line?, cell?, asset?, unit?, description?, camera?, limits?: {lolo, lo, hi, hihi, min, max}, ...}</c> (a copy).</summary>
    public JsObject ToJson()
    {
        var json = new JsObject(_data.Count + 1) { ["tag"] = Tag };
        foreach (var (key, value) in _data) json[key] = JsValue.DeepClone(value);
        return json;
    }

    /// <summary>Reads a record; <paramref name="error"/> says what is wrong (no tag, a limit that is not a number...).</summary>
    public static AssetRecord? FromJson(JsObject json, out string? error)
    {
        error = null;
        var tag = json.Get("tag") switch
        {
            string s => s.Trim(),
            double d => JsValue.FormatNumber(d),
            _ => "",
        };
        if (tag.Length == 0)
        {
            error = "an asset record needs a \"tag\"";
            return null;
        }
        var data = new JsObject(json.Count);
        foreach (var (key, value) in json)
        {
            if (key == "tag") continue;
            if (key == "limits" && value is not null)
            {
                if (value is not JsObject limits)
                {
                    error = $"asset \"{tag}\": limits must be an object";
                    return null;
                }
                foreach (var (name, limit) in limits)
                {
                    if (limit is not (null or double) && !(limit is string s && double.IsFinite(JsValue.StringToNumber(s)) && s.Trim().Length > 0))
                    {
                        error = $"asset \"{tag}\": limit {name} must be a number";
                        return null;
                    }
                }
                var numbers = new JsObject(limits.Count);
                foreach (var (name, limit) in limits) numbers[name] = limit is string s ? JsValue.StringToNumber(s) : limit;
                data[key] = numbers;
                continue;
            }
            data[key] = JsValue.DeepClone(value);
        }
        return new AssetRecord(tag, data);
    }

    public static AssetRecord FromJson(JsObject json) =>
        FromJson(json, out var error) ?? throw new ArgumentException(error, nameof(json));
}

/// <summary>
/// The runtime-wide asset table kept in LiteDB (collection "assets"), read by enrich nodes with source "store" and
/// managed by the host's HTTP endpoints. Safe from any thread; reads come from memory.
/// </summary>
public interface IAssetTable
{
    /// <summary>Every record, ordered by tag.</summary>
    IReadOnlyList<AssetRecord> List();

    AssetRecord? Get(string tag);

    /// <summary>Adds or replaces the record of its tag.</summary>
    void Upsert(AssetRecord record);

    /// <summary>False when the tag had no record.</summary>
    bool Delete(string tag);

    /// <summary>Replaces the whole table (an import).</summary>
    void ReplaceAll(IEnumerable<AssetRecord> records);

    /// <summary>Goes up by one on every change.</summary>
    long Version { get; }
}
