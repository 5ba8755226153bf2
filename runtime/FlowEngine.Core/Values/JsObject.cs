namespace FlowEngine.Core.Values;

/// <summary>
/// A JavaScript-like object: string keys in insertion order, values from the message value model
/// (see <see cref="JsValue"/>). Messages are JsObjects.
/// </summary>
/// <remarks>
/// Insertion order matters because Node-RED users see it: JSON output, object splits and debug views
/// all follow the order in which keys were added.
/// </remarks>
public sealed class JsObject : OrderedDictionary<string, object?>
{
    /// <summary>
    /// An empty object with room for 8 properties: most are messages, which nodes keep adding to, and each growth of
    /// the table rehashes every key (in-process chain of 10 change nodes: about 600 bytes less garbage per message).
    /// Parsed JSON is sized as it is read instead.
    /// </summary>
    public JsObject() : base(8, StringComparer.Ordinal) { }

    public JsObject(int capacity) : base(capacity, StringComparer.Ordinal) { }

    /// <summary>Reads a key; a missing key reads as null (JavaScript's undefined has no separate value here).</summary>
    public object? Get(string key) => TryGetValue(key, out var value) ? value : null;

    public JsObject With(string key, object? value)
    {
        this[key] = value;
        return this;
    }

    public override string ToString() => JsJson.Serialize(this);
}
