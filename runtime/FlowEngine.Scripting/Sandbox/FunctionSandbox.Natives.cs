using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.TypedInputs;
using FlowEngine.Core.Values;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Microsoft.Extensions.Logging;
using JsObjectCore = FlowEngine.Core.Values.JsObject;
using JsValue = Jint.Native.JsValue;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>The C# functions the bootstrap script calls (the "native" object); user scripts never see them.</summary>
public sealed partial class FunctionSandbox
{
    private static readonly LogLevel[] LogLevels = [LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error];

    private ObjectInstance CreateNatives(Engine engine)
    {
        var natives = new Jint.Native.JsObject(engine);
        void Add(string name, Func<JsValue, JsValue[], JsValue> function) =>
            natives.FastSetDataProperty(name, new ClrFunction(engine, name, function));

        Add("encode", (_, a) => _values.CreateArrayBuffer(BufferEncodings.Encode(TypeConverter.ToString(Arg(a, 0)), Arg(a, 1).ToString())));
        Add("decode", (_, a) => new JsString(BufferEncodings.Decode(Arg(a, 0).AsUint8Array(), Arg(a, 1).ToString())));
        Add("byteLength", (_, a) => JsNumber.Create(BufferEncodings.ByteLength(TypeConverter.ToString(Arg(a, 0)), Arg(a, 1).ToString())));
        Add("log", (_, a) => Log(a));
        Add("error", (_, a) => NodeError(a));
        Add("status", (_, a) => Status(Arg(a, 0)));
        Add("send", (_, a) => NodeSend(a));
        Add("done", (_, a) => NodeDone(a));
        Add("finish", (_, a) => Finish(a));
        Add("ticket", (_, _) => _current is null ? JsValue.Undefined : new HostValue(engine, _current));
        Add("initialized", (_, a) => Initialized(a));
        Add("callbackError", (_, a) => CallbackError(Arg(a, 0)));
        Add("startTimer", (_, a) => StartTimer(a));
        Add("stopTimer", (_, a) => StopTimer(Arg(a, 0)));
        Add("ctxGet", (_, a) => ContextGet(a));
        Add("ctxSet", (_, a) => ContextSet(a));
        Add("ctxKeys", (_, a) => ContextKeys(a));
        Add("env", (_, a) => Host(() => _values.ToScriptCopy(_host.GetEnv(TypeConverter.ToString(Arg(a, 0))))));
        Add("generateId", (_, _) => new JsString(MessageIds.NewId()));
        Add("clone", (_, a) => _values.ToScript(_values.FromScript(Arg(a, 0))));
        Add("evaluateProperty", (_, a) => EvaluateProperty(a));
        Add("jsonata", (_, a) => EvaluateJsonata(a));
        return natives;
    }

    private static JsValue Arg(JsValue[] args, int index) => index < args.Length ? args[index] : JsValue.Undefined;

    private static bool IsNullish(JsValue value) => value.IsUndefined() || value.IsNull();

    /// <summary>Runs a host call; host errors become script errors the code can catch.</summary>
    private JsValue Host(Func<JsValue> call)
    {
        try
        {
            return call();
        }
        catch (Exception ex) when (ex is FunctionHostException or PropertyPathException or TypedValueException or ArgumentException or JsJsonException)
        {
            throw new JavaScriptException(_engine!.Intrinsics.Error, ex.Message);
        }
    }

    private JsValue Log(JsValue[] args)
    {
        var level = (int)TypeConverter.ToNumber(Arg(args, 0));
        _host.Log(LogLevels[Math.Clamp(level, 0, LogLevels.Length - 1)], TypeConverter.ToString(Arg(args, 1)));
        return JsValue.Undefined;
    }

    /// <summary>node.error(err, msg): to catch nodes when a message is given (Node-RED §2.5), logged otherwise.</summary>
    private JsValue NodeError(JsValue[] args)
    {
        var text = TypeConverter.ToString(Arg(args, 0));
        var message = Arg(args, 1) is ObjectInstance obj && obj is not JsArray ? _values.MessageFromScript(obj) : null;
        _host.ReportError(text, message);
        return JsValue.Undefined;
    }

    private JsValue Status(JsValue value)
    {
        _statusUsed = true;
        NodeStatus status;
        if (value is ObjectInstance obj && obj is not JsArray)
        {
            string? Field(string name)
            {
                var field = obj.Get(name);
                return IsNullish(field) ? null : TypeConverter.ToString(field);
            }
            status = new NodeStatus(Field("fill"), Field("shape"), Field("text"));
        }
        else
        {
            status = IsNullish(value) ? NodeStatus.Clear : new NodeStatus(null, null, TypeConverter.ToString(value));
        }
        _host.SetStatus(status.IsClear ? NodeStatus.Clear : status);
        return JsValue.Undefined;
    }

    /// <summary>node.send(msgs, clone): every message sent gets the input's _msgid (a fresh id from On Start).</summary>
    private JsValue NodeSend(JsValue[] args)
    {
        var msgId = Arg(args, 0) is JsString id ? id.ToString() : MessageIds.NewId();
        SendResults(msgId, Arg(args, 1));
        return JsValue.Undefined;
    }

    private JsValue NodeDone(JsValue[] args)
    {
        if (Arg(args, 0) is not HostValue { Target: Invocation invocation }) return JsValue.Undefined;
        var error = Arg(args, 1);
        if (!IsNullish(error))
        {
            Fail(invocation, ErrorText(error), Arg(args, 2));
            return JsValue.Undefined;
        }
        if (invocation.DoneCalled || invocation.Failed) return JsValue.Undefined;
        invocation.DoneCalled = true;
        invocation.TrySignal();
        return JsValue.Undefined;
    }

    /// <summary>The body returned (or its promise settled): send the result, then complete unless the code calls node.done().</summary>
    private JsValue Finish(JsValue[] args)
    {
        var invocation = Arg(args, 0) is HostValue { Target: Invocation ticket } ? ticket : _current;
        if (invocation is null || invocation.Finished || invocation.Failed) return JsValue.Undefined;
        if (!TypeConverter.ToBoolean(Arg(args, 1)))
        {
            Fail(invocation, BodyErrorText(Arg(args, 2)), Arg(args, 3));
            return JsValue.Undefined;
        }
        try
        {
            SendResults(invocation.MsgId, Arg(args, 2));
        }
        catch (JavaScriptException ex)
        {
            Fail(invocation, ErrorText(ex.Error), Arg(args, 3));
            return JsValue.Undefined;
        }
        invocation.Finished = true;
        invocation.TrySignal();
        return JsValue.Undefined;
    }

    /// <summary>Reports a failed message to catch nodes with the message as the script left it (Node-RED passes the same object).</summary>
    private void Fail(Invocation invocation, string text, JsValue scriptMessage)
    {
        if (invocation.Failed) return;
        invocation.Failed = true;
        var message = invocation.Message;
        if (scriptMessage is ObjectInstance obj && obj is not JsArray)
        {
            try
            {
                message = _values.MessageFromScript(obj);
            }
            catch (JavaScriptException)
            {
                // The script left msg unusable (a circular structure): report with the message as it arrived.
            }
        }
        _host.ReportError(text, message);
    }

    private JsValue Initialized(JsValue[] args)
    {
        if (_state != State.Starting) return JsValue.Undefined;
        if (TypeConverter.ToBoolean(Arg(args, 0)))
        {
            _state = State.Ready;
            _drainPending = true;
        }
        else
        {
            _host.ReportError(ErrorText(Arg(args, 1)), null);
            Break("On Start failed");
        }
        return JsValue.Undefined;
    }

    private JsValue CallbackError(JsValue error)
    {
        _host.ReportError(ErrorText(error), new JsObjectCore());
        return JsValue.Undefined;
    }

    private JsValue StartTimer(JsValue[] args)
    {
        var id = (int)TypeConverter.ToNumber(Arg(args, 0));
        var due = TimeSpan.FromMilliseconds(TypeConverter.ToNumber(Arg(args, 1)));
        var repeat = TypeConverter.ToBoolean(Arg(args, 2));
        if (_state == State.Closed) return JsValue.Undefined;
        var timer = _host.StartTimer(due, repeat ? due : Timeout.InfiniteTimeSpan, () =>
        {
            FireTimer(id, repeat);
            return ValueTask.CompletedTask;
        });
        _timers[id] = timer;
        return JsValue.Undefined;
    }

    private JsValue StopTimer(JsValue idValue)
    {
        var id = (int)TypeConverter.ToNumber(idValue);
        if (_timers.Remove(id, out var timer)) _host.StopTimer(timer);
        return JsValue.Undefined;
    }

    /// <summary>
    /// Node-RED's sendResults: null sends nothing; a message goes to output 1; an array sends element i to output i,
    /// a nested array several messages on one output. Anything that is not a message object is an error and skipped.
    /// </summary>
    private void SendResults(string msgId, JsValue value)
    {
        if (IsNullish(value)) return;
        if (value is not JsArray array)
        {
            if (ToMessage(value, msgId) is { } single) _host.Send(0, single);
            return;
        }
        var length = array.Length;
        var perPort = new List<object?>((int)Math.Min(length, 1024));
        var any = false;
        for (uint i = 0; i < length; i++)
        {
            var item = array.Get(i);
            if (IsNullish(item))
            {
                perPort.Add(null);
                continue;
            }
            if (item is JsArray inner)
            {
                var messages = new List<object?>((int)Math.Min(inner.Length, 1024));
                for (uint j = 0; j < inner.Length; j++)
                {
                    var element = inner.Get(j);
                    if (IsNullish(element)) continue;
                    if (ToMessage(element, msgId) is { } message) messages.Add(message);
                }
                any |= messages.Count > 0;
                perPort.Add(messages);
                continue;
            }
            var one = ToMessage(item, msgId);
            any |= one is not null;
            perPort.Add(one);
        }
        if (any) _host.Send(perPort);
    }

    private JsObjectCore? ToMessage(JsValue value, string msgId)
    {
        if (value is ObjectInstance obj && obj is not (JsArray or JsTypedArray or JsDate or HostValue) && !obj.IsCallable())
        {
            // The id is set on the script's object too, as Node-RED does (usually it is already the same).
            if (obj.Get("_msgid") is not JsString current || !current.Equals(msgId)) obj.Set("_msgid", msgId, false);
            var message = _values.MessageFromScript(obj);
            message["_msgid"] = msgId;
            return message;
        }
        _host.ReportError($"Function tried to send a message of type {TypeOf(value)}", null);
        return null;
    }

    private static string TypeOf(JsValue value) => value switch
    {
        JsTypedArray => "Buffer",
        JsArray => "Array",
        JsDate => "Date",
        ObjectInstance obj => obj.IsCallable() ? "function" : "object",
        _ => value.Type switch
        {
            Types.String => "string",
            Types.Number => "number",
            Types.Boolean => "boolean",
            Types.BigInt => "bigint",
            Types.Symbol => "symbol",
            _ => "undefined",
        },
    };

    private static ScriptContextScope ScopeOf(JsValue value) => (ScriptContextScope)(int)TypeConverter.ToNumber(value);

    private static string? StoreOf(JsValue value) => IsNullish(value) ? null : TypeConverter.ToString(value);

    private string KeyOf(JsValue value)
    {
        if (value is JsString key && key.Length > 0) return key.ToString();
        throw new JavaScriptException(_engine!.Intrinsics.Error, "Invalid context key");
    }

    private JsValue ContextGet(JsValue[] args)
    {
        var scope = ScopeOf(Arg(args, 0));
        var keys = Arg(args, 1);
        var store = StoreOf(Arg(args, 2));
        return Host(() =>
        {
            if (keys is JsArray list)
            {
                var values = new JsValue[list.Length];
                for (uint i = 0; i < list.Length; i++) values[i] = GetOne(scope, KeyOf(list.Get(i)), store);
                return new JsArray(_engine!, values);
            }
            return GetOne(scope, KeyOf(keys), store);
        });
    }

    private JsValue GetOne(ScriptContextScope scope, string key, string? store)
    {
        var value = _host.ContextGet(scope, key, store);
        return value is null ? JsValue.Undefined : _values.ToScriptCopy(value);
    }

    private JsValue ContextSet(JsValue[] args)
    {
        var scope = ScopeOf(Arg(args, 0));
        var keys = Arg(args, 1);
        var values = Arg(args, 2);
        var store = StoreOf(Arg(args, 3));
        return Host(() =>
        {
            if (keys is JsArray list)
            {
                var valueList = values as JsArray;
                for (uint i = 0; i < list.Length; i++) SetOne(scope, KeyOf(list.Get(i)), valueList is null ? JsValue.Undefined : valueList.Get(i), store);
            }
            else
            {
                SetOne(scope, KeyOf(keys), values, store);
            }
            return JsValue.Undefined;
        });
    }

    /// <summary>Setting undefined deletes the key (Node-RED §2.9); values are stored as copies, never as script objects.</summary>
    private void SetOne(ScriptContextScope scope, string key, JsValue value, string? store)
    {
        if (!_values.TryFromScript(value, out var converted)) _host.ContextDelete(scope, key, store);
        else _host.ContextSet(scope, key, converted, store);
    }

    private JsValue ContextKeys(JsValue[] args)
    {
        var scope = ScopeOf(Arg(args, 0));
        var store = StoreOf(Arg(args, 1));
        return Host(() =>
        {
            var keys = _host.ContextKeys(scope, store);
            var values = new JsValue[keys.Count];
            for (var i = 0; i < values.Length; i++) values[i] = new JsString(keys[i]);
            return new JsArray(_engine!, values);
        });
    }

    private JsValue EvaluateProperty(JsValue[] args)
    {
        var value = TypeConverter.ToString(Arg(args, 0));
        var type = IsNullish(Arg(args, 1)) ? "str" : TypeConverter.ToString(Arg(args, 1));
        var message = Arg(args, 2) is ObjectInstance obj && obj is not JsArray ? _values.MessageFromScript(obj) : new JsObjectCore();
        return Host(() => _values.ToScriptCopy(_host.EvaluateProperty(value, type, message)));
    }

    private JsValue EvaluateJsonata(JsValue[] args)
    {
        var expression = TypeConverter.ToString(Arg(args, 0));
        var message = Arg(args, 1) is ObjectInstance obj && obj is not JsArray ? _values.MessageFromScript(obj) : new JsObjectCore();
        return Host(() => _values.ToScriptCopy(_host.EvaluateJsonata(expression, message)));
    }
}
