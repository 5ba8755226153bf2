using System.Collections.Concurrent;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial;

/// <summary>One tag's latest value in a <see cref="CurrentValueTable"/>. Immutable: a new entry replaces it on each update.</summary>
/// <param name="Tag">The tag (the message's tag property, msg.topic by default).</param>
/// <param name="Value">The latest value (a message value: number, string, boolean, object...). Do not change it; <see cref="ToJson"/> gives a copy.</param>
/// <param name="Time">When the value was produced (the message's timestamp property, or the time it arrived), UTC.</param>
/// <param name="Quality">"good", "uncertain" or "bad".</param>
/// <param name="Updates">How many times this tag has been written since it entered the table.</param>
/// <param name="Source">The id of the node that wrote it.</param>
public sealed record CvtEntry(string Tag, object? Value, DateTime Time, string Quality, long Updates, string? Source)
{
    /// <summary>The HTTP/HMI shape: <c>{tag, value, time (ISO 8601), quality, updates}</c>.</summary>
    public JsObject ToJson() => new()
    {
        ["tag"] = Tag,
        ["value"] = JsValue.DeepClone(Value),
        ["time"] = JsJson.FormatIsoDate(Time),
        ["quality"] = Quality,
        ["updates"] = (double)Updates,
    };
}

/// <summary>
/// A current value table: the latest value, time and quality of each tag, written by <c>cvt</c> nodes and read by
/// other nodes, the host's HTTP endpoints and HMI pages. Safe to read and write from any thread.
/// </summary>
/// <remarks>In memory only: after a restart the table fills again as values arrive.</remarks>
public sealed class CurrentValueTable
{
    private readonly ConcurrentDictionary<string, CvtEntry> _entries = new(StringComparer.Ordinal);
    private readonly Listeners<CvtEntry> _listeners = new();

    internal CurrentValueTable(string name) => Name = name;

    public string Name { get; }

    public int Count => _entries.Count;

    public CvtEntry? Get(string tag) => _entries.TryGetValue(tag, out var entry) ? entry : null;

    /// <summary>Every entry, ordered by tag (ordinal).</summary>
    public IReadOnlyList<CvtEntry> Snapshot() => _entries.Values.OrderBy(e => e.Tag, StringComparer.Ordinal).ToList();

    /// <summary>Entries whose tag starts with a prefix (a unified-namespace branch such as "acme/plant1/").</summary>
    public IReadOnlyList<CvtEntry> Snapshot(string prefix) =>
        _entries.Values.Where(e => e.Tag.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(e => e.Tag, StringComparer.Ordinal).ToList();

    /// <summary>Called with each new entry after it is stored (on the writer's thread: keep handlers short).</summary>
    public IDisposable Subscribe(Action<CvtEntry> listener) => _listeners.Add(listener);

    /// <summary>Stores a value. Containers are copied, so the caller may keep changing its own message.</summary>
    public CvtEntry Set(string tag, object? value, DateTime time, QualityLevel quality, string? source = null)
    {
        var stored = value is JsObject or List<object?> or byte[] ? JsValue.DeepClone(value) : value;
        var text = Common.Quality.ToText(quality);
        var entry = _entries.AddOrUpdate(tag,
            static (key, state) => new CvtEntry(key, state.stored, state.time, state.text, 1, state.source),
            static (key, old, state) => new CvtEntry(key, state.stored, state.time, state.text, old.Updates + 1, state.source),
            (stored, time, text, source));
        if (!_listeners.IsEmpty) _listeners.Publish(entry);
        return entry;
    }

    public bool Remove(string tag) => _entries.TryRemove(tag, out _);

    public void Clear() => _entries.Clear();
}
