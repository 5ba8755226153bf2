using System.Numerics;
using FlowEngine.Core.Values;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using JsObjectCore = FlowEngine.Core.Values.JsObject;
using JsObjectScript = Jint.Native.JsObject;
using JsValueCore = FlowEngine.Core.Values.JsValue;
using JsValueScript = Jint.Native.JsValue;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// Converts between the message value model (<see cref="JsObjectCore"/>, lists, doubles, strings, bools,
/// <c>byte[]</c>, <see cref="DateTime"/>, host objects) and script values of one engine.
/// </summary>
/// <remarks>
/// Into the script every message becomes fresh script objects (a <c>byte[]</c> becomes a <c>Buffer</c> over the same
/// memory, so no bytes are copied); out of the script every value is copied, which is also the snapshot Node-RED's
/// <c>node.send</c> clone gives. Out-conversion follows JSON where the models differ: <c>undefined</c> and functions
/// are left out of objects and become null in arrays. A circular structure is refused with a TypeError instead of
/// becoming a cyclic message that would hang every later clone. Host objects (an HTTP request) cross as opaque
/// handles and come back as the same object; scripts cannot see their members.
/// </remarks>
internal sealed class ScriptValues(Engine engine)
{
    /// <summary>Deeper than any real message; a C#-side cycle would otherwise recurse until the stack is gone.</summary>
    public const int MaxDepth = 256;

    private readonly List<ObjectInstance> _ancestors = [];
    private string[]? _layoutKeys;
    private JsObjectLayout? _layout;
    private ObjectInstance? _bufferPrototype;
    private Func<ObjectInstance>? _bufferPrototypeSource;

    public Engine Engine { get; } = engine;

    /// <summary>Where Buffer.prototype comes from; asked only when the first byte array enters the script.</summary>
    public void SetBufferPrototype(Func<ObjectInstance> source) => _bufferPrototypeSource = source;

    /// <summary>A message or any value into the script. Buffers share memory with the given byte arrays.</summary>
    public JsValueScript ToScript(object? value) => ToScript(value, 0, copyBuffers: false);

    /// <summary>
    /// A value into the script whose byte arrays stay untouched (context values: a script must change them through
    /// <c>set</c>, and another node may be reading them at the same time).
    /// </summary>
    public JsValueScript ToScriptCopy(object? value) => ToScript(value, 0, copyBuffers: true);

    private JsValueScript ToScript(object? value, int depth, bool copyBuffers)
    {
        switch (value)
        {
            case null:
                return JsValueScript.Null;
            case string s:
                return new JsString(s);
            case double d:
                return JsNumber.Create(d);
            case bool b:
                return b ? JsBoolean.True : JsBoolean.False;
            case JsObjectCore obj:
            {
                if (depth == 0 && MessageLayout(obj) is { } layout)
                {
                    var values = new JsValueScript[obj.Count];
                    var i = 0;
                    foreach (var (_, item) in obj) values[i++] = ToScript(item, 1, copyBuffers);
                    return JsObjectScript.Create(Engine, layout, values);
                }
                if (depth > MaxDepth) throw TooDeep();
                var target = new JsObjectScript(Engine);
                foreach (var (key, item) in obj)
                {
                    // A data property of the object itself, also for "__proto__": message keys never reach a prototype.
                    target.FastSetDataProperty(key, ToScript(item, depth + 1, copyBuffers));
                }
                return target;
            }
            case List<object?> list:
            {
                if (depth > MaxDepth) throw TooDeep();
                var items = new JsValueScript[list.Count];
                for (var i = 0; i < items.Length; i++) items[i] = ToScript(list[i], depth + 1, copyBuffers);
                return new JsArray(Engine, items);
            }
            case byte[] bytes:
                return CreateBuffer(copyBuffers ? (byte[])bytes.Clone() : bytes);
            case DateTime dt:
                return new JsDate(Engine, dt.Kind == DateTimeKind.Utc ? dt : dt.ToUniversalTime());
            case int or long or float or decimal or short or ushort or uint or ulong or byte or sbyte or DateTimeOffset:
                return ToScript(JsValueCore.Normalize(value), depth, copyBuffers);
            default:
                return new HostValue(Engine, value);
        }
    }

    /// <summary>
    /// The shape of the last message converted, reused while messages keep the same keys (they usually do: one
    /// source, one shape). Objects built from a shape skip one property record per key and share their hidden class,
    /// so the script's property reads hit the same inline caches message after message.
    /// </summary>
    private JsObjectLayout? MessageLayout(JsObjectCore message)
    {
        var count = message.Count;
        if (count == 0 || count > 32) return null;
        if (_layoutKeys is { } keys && keys.Length == count)
        {
            var same = true;
            var i = 0;
            foreach (var key in message.Keys)
            {
                if (!string.Equals(keys[i++], key, StringComparison.Ordinal))
                {
                    same = false;
                    break;
                }
            }
            if (same) return _layout;
        }
        var newKeys = new string[count];
        var j = 0;
        foreach (var key in message.Keys)
        {
            // Array-index keys belong to element storage, not to a shape.
            if (key.Length == 0 || char.IsAsciiDigit(key[0])) return null;
            newKeys[j++] = key;
        }
        _layoutKeys = newKeys;
        _layout = new JsObjectLayout(newKeys);
        return _layout;
    }

    /// <summary>A Buffer over the given bytes (no copy).</summary>
    public JsValueScript CreateBuffer(byte[] bytes)
    {
        var arrayBuffer = Engine.Intrinsics.ArrayBuffer.Construct(bytes);
        var view = Engine.Intrinsics.Uint8Array.Construct(arrayBuffer, 0, bytes.Length);
        _bufferPrototype ??= _bufferPrototypeSource?.Invoke();
        if (_bufferPrototype is not null) view.Prototype = _bufferPrototype;
        return view;
    }

    /// <summary>An ArrayBuffer over the given bytes (no copy).</summary>
    public JsValueScript CreateArrayBuffer(byte[] bytes) => Engine.Intrinsics.ArrayBuffer.Construct(bytes);

    /// <summary>
    /// A script value out to the value model. False for values JSON leaves out (undefined, functions, symbols).
    /// Throws a script TypeError for circular structures, so call it inside an engine entry.
    /// </summary>
    public bool TryFromScript(JsValueScript value, out object? result) => TryFromScript(value, 0, out result);

    /// <summary>A script value out to the value model, null when JSON would leave it out.</summary>
    public object? FromScript(JsValueScript value) => TryFromScript(value, 0, out var result) ? result : null;

    /// <summary>A message object out of the script (own enumerable properties).</summary>
    public JsObjectCore MessageFromScript(ObjectInstance message) => ObjectFromScript(message, 0);

    private bool TryFromScript(JsValueScript value, int depth, out object? result)
    {
        switch (value.Type)
        {
            case Types.Null:
                result = null;
                return true;
            case Types.Boolean:
                result = value.AsBoolean();
                return true;
            case Types.Number:
                result = value.AsNumber();
                return true;
            case Types.String:
                result = value.ToString();
                return true;
            case Types.BigInt:
                result = BigToDouble(value);
                return true;
            case Types.Object:
                return TryObjectFromScript((ObjectInstance)value, depth, out result);
            default:
                // undefined, symbols
                result = null;
                return false;
        }
    }

    private bool TryObjectFromScript(ObjectInstance obj, int depth, out object? result)
    {
        switch (obj)
        {
            case HostValue host:
                result = host.Target;
                return true;
            case JsDate date:
                result = double.IsNaN(date.DateValue) ? null : DateTime.SpecifyKind(date.ToDateTime(), DateTimeKind.Utc);
                return true;
            case JsArray array:
                result = ListFromScript(array, depth);
                return true;
            case JsTypedArray typed:
                result = typed.IsUint8Array() || typed.IsUint8ClampedArray() ? typed.AsUint8Array() : TypedArrayToList(typed);
                return true;
            case JsError:
                result = ErrorFromScript(obj, depth);
                return true;
        }
        if (obj.IsCallable())
        {
            result = null;
            return false;
        }
        if (obj.IsArrayBuffer())
        {
            result = obj.AsArrayBuffer();
            return true;
        }
        if (obj.IsDataView())
        {
            result = obj.AsDataView();
            return true;
        }
        result = ObjectFromScript(obj, depth);
        return true;
    }

    private List<object?> ListFromScript(JsArray array, int depth)
    {
        Enter(array, depth);
        try
        {
            var length = array.Length;
            var list = new List<object?>((int)Math.Min(length, 1024));
            for (uint i = 0; i < length; i++)
            {
                list.Add(TryFromScript(array.Get(i), depth + 1, out var item) ? item : null);
            }
            return list;
        }
        finally
        {
            Leave();
        }
    }

    private static List<object?> TypedArrayToList(JsTypedArray typed)
    {
        var list = new List<object?>((int)typed.Length);
        for (uint i = 0; i < typed.Length; i++)
        {
            var item = typed[i];
            list.Add(item.IsBigInt() ? BigToDouble(item) : item.AsNumber());
        }
        return list;
    }

    private JsObjectCore ObjectFromScript(ObjectInstance obj, int depth)
    {
        Enter(obj, depth);
        try
        {
            var keys = obj.GetOwnPropertyKeys(Types.String);
            var result = new JsObjectCore(keys.Count);
            foreach (var key in keys)
            {
                var descriptor = obj.GetOwnProperty(key);
                if (descriptor == Jint.Runtime.Descriptors.PropertyDescriptor.Undefined || !descriptor.Enumerable) continue;
                var item = descriptor.IsDataDescriptor() ? descriptor.Value : obj.Get(key);
                if (TryFromScript(item, depth + 1, out var converted)) result[key.ToString()] = converted;
            }
            return result;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Errors keep their name and message (JSON would give {}), plus own enumerable properties such as code.</summary>
    private JsObjectCore ErrorFromScript(ObjectInstance error, int depth)
    {
        var result = new JsObjectCore
        {
            ["name"] = error.Get("name").ToString(),
            ["message"] = error.Get("message").ToString(),
        };
        foreach (var (key, value) in ObjectFromScript(error, depth)) result[key] = value;
        return result;
    }

    private void Enter(ObjectInstance obj, int depth)
    {
        if (depth > MaxDepth) throw new JavaScriptException(Engine.Intrinsics.TypeError, $"Value nested deeper than {MaxDepth} levels cannot leave the script");
        foreach (var ancestor in _ancestors)
        {
            if (ReferenceEquals(ancestor, obj)) throw new JavaScriptException(Engine.Intrinsics.TypeError, "Converting circular structure: a value refers to itself");
        }
        _ancestors.Add(obj);
    }

    private void Leave() => _ancestors.RemoveAt(_ancestors.Count - 1);

    private static double BigToDouble(JsValueScript value) => value.ToObject() is BigInteger big ? (double)big : double.NaN;

    private static ScriptConversionException TooDeep() => new($"Value nested deeper than {MaxDepth} levels cannot enter the script");
}

/// <summary>A value of the message model that cannot be handed to a script.</summary>
internal sealed class ScriptConversionException(string message) : Exception(message);

/// <summary>
/// An opaque handle for a host object (an HTTP request, a socket): it has no properties and no prototype, so a
/// script can only pass it along, and it converts back to the very same object.
/// </summary>
internal sealed class HostValue : ObjectInstance
{
    public HostValue(Engine engine, object target) : base(engine)
    {
        Target = target;
        PreventExtensions();
    }

    public object Target { get; }
}
