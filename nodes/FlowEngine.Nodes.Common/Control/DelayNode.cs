using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Transform;

namespace FlowEngine.Nodes.Common.Control;

/// <summary>
/// Node-RED's delay node: delays each message (fixed, from msg.delay, or random), or limits the rate of all messages
/// (queue, drop, drop to output 2, burst), or of each topic (fair queue, timed release) (reference §5.2 delay).
/// </summary>
/// <remarks>
/// Every message the node holds is deferred and completes when it leaves the node: when sent, and also when it is
/// dropped by msg.reset, replaced in a topic queue, or discarded at close. All state lives on the node's mailbox
/// (inputs and timer callbacks never run at once), so there are no locks; a timer callback that was already queued when
/// its timer was stopped checks that it is still current before acting.
/// </remarks>
internal sealed class DelayNode : FlowNode
{
    private static readonly TimeSpan DepthReportDelay = TimeSpan.FromMilliseconds(500);
    private const string TooManyPending = "too many pending messages in delay node";

    public static readonly NodeDeclaration Declaration = new("delay")
    {
        Category = "function",
        Color = "#E6E0F8",
        Icon = "timer.svg",
        Inputs = 1,
        Outputs = 1,
        OutputsProperty = "outputs",
        Module = "node-red",
        Set = "node-red/delay",
        DefaultLabel = "delay",
        Help = """
            Delays each message passing through the node, or limits the rate at which they pass.

            **pauseType** selects the action:

            - `delay`: every message waits **timeout** × **timeoutUnits** (`milliseconds`, `seconds`, `minutes`,
              `hours`, `days`).
            - `delayv`: every message waits `msg.delay` milliseconds (the configured timeout when missing).
            - `random`: every message waits a random time between **randomFirst** and **randomLast** **randomUnits**.
            - `rate`: all messages are limited to **rate** per **nbRateUnits** **rateUnits** (`second`, `minute`,
              `hour`, `day`), evenly spaced. The first message passes at once. Extra messages are queued
              (**drop** false), dropped (**drop** true) or sent to the second output (**drop** true, **outputs** 2).
            - `burst`: up to **rate** messages pass at once in each period; extras are dropped or sent to output 2.
            - `queue`: per topic: one message per interval is released, taking topics in turn; a newer message of a
              topic already queued replaces the queued one (which goes to output 2 when there are two outputs).
            - `timed`: per topic: at each interval the latest message of every topic is released.

            Messages without `msg.topic` get `msg.topic = "_none_"` in the topic modes.

            Control properties of the incoming message:

            - `msg.reset`: drop every pending message (not sent).
            - `msg.flush`: send pending messages now: all of them, or the first N when `msg.flush` is a number.
            - `msg.toFront` (rate queue): `true` queues the message at the head instead of the tail.
            - `msg.rate` (when **allowrate**): milliseconds between messages, replacing the configured rate until the
              next `msg.reset`.
            - `msg.delay` (`delayv`): the delay in milliseconds.

            The rate queue holds at most `nodeMessageBufferMaxLength` messages when that setting is above 0; beyond it
            the queue is emptied and an error "too many pending messages in delay node" is reported. The status
            shows the number of waiting messages.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("pauseType", PropertyKind.Select)
            {
                Default = "delay",
                Label = "Action",
                Options = ["delay", "delayv", "random", "rate", "burst", "queue", "timed"],
            },
            new PropertyDeclaration("timeout", PropertyKind.Number) { Default = "5", Label = "For", Validate = NonNegative("Invalid delay value") },
            new PropertyDeclaration("timeoutUnits", PropertyKind.Select) { Default = "seconds", Options = ["milliseconds", "seconds", "minutes", "hours", "days"] },
            new PropertyDeclaration("rate", PropertyKind.Number) { Default = "1", Label = "Rate (messages)", Validate = NonNegative("Invalid rate value") },
            new PropertyDeclaration("nbRateUnits", PropertyKind.Number) { Default = "1", Label = "per", Validate = NonNegative("Invalid rate unit value") },
            new PropertyDeclaration("rateUnits", PropertyKind.Select) { Default = "second", Options = ["second", "minute", "hour", "day"] },
            new PropertyDeclaration("randomFirst", PropertyKind.Number) { Default = "1", Validate = NonNegative("Invalid first random value") },
            new PropertyDeclaration("randomLast", PropertyKind.Number) { Default = "5", Validate = NonNegative("Invalid last random value") },
            new PropertyDeclaration("randomUnits", PropertyKind.Select) { Default = "seconds", Options = ["milliseconds", "seconds", "minutes", "hours", "days"] },
            new PropertyDeclaration("drop", PropertyKind.Bool) { Default = false, Help = "rate modes: drop (or send to output 2) instead of queueing" },
            new PropertyDeclaration("allowrate", PropertyKind.Bool) { Default = false, Label = "allow msg.rate (in ms) to override rate" },
            new PropertyDeclaration("outputs", PropertyKind.Number) { Default = 1, Help = "2 sends dropped or replaced messages to the second output" },
        ],
    };

    private enum Mode { Delay, DelayVariable, Random, Rate, Burst, Queue, Timed }

    /// <summary>A message the node holds, with its completion and (delay modes) its own timer.</summary>
    private sealed class Held(JsObject message, InputCompletion completion)
    {
        public JsObject Message { get; } = message;
        public InputCompletion Completion { get; } = completion;
        public ITimer? Timer { get; set; }
    }

    private readonly Mode _mode;
    private readonly double _timeoutMs;
    private readonly double _randomFirstMs;
    private readonly double _randomSpreadMs;
    private readonly double _fixedRateMs;
    private readonly double _burstCount;
    private readonly double _burstPeriodMs;
    private readonly bool _drop;
    private readonly bool _allowRate;
    private readonly bool _secondOutput;

    /// <summary>Delay modes: messages waiting for their timers. Rate and topic modes: the queue.</summary>
    private readonly List<Held> _held = [];
    private double _rateMs;
    private ITimer? _interval;
    private ITimer? _depthTimer;
    private DateTimeOffset? _lastSent;
    private int _inflight;
    private int _burstEpoch;

    public DelayNode(NodeSetup setup) : base(setup)
    {
        var pauseType = Config.GetString("pauseType");
        _mode = pauseType switch
        {
            "" or "delay" => Mode.Delay,
            "delayv" => Mode.DelayVariable,
            "random" => Mode.Random,
            "rate" => Mode.Rate,
            "burst" => Mode.Burst,
            "queue" => Mode.Queue,
            "timed" => Mode.Timed,
            _ => throw Config.Invalid("pauseType", $"unknown action \"{pauseType}\""),
        };

        var timeout = Config.GetNumber("timeout", 5);
        if (timeout < 0) throw Config.Invalid("timeout", "Invalid delay value: must be 0 or more");
        _timeoutMs = timeout * UnitMilliseconds(Config.GetString("timeoutUnits"));

        var rate = Config.GetNumber("rate", 1);
        var perUnits = Config.GetNumber("nbRateUnits", 1);
        var rateUnitMs = Config.GetString("rateUnits") switch
        {
            "minute" => 60_000.0,
            "hour" => 3_600_000.0,
            "day" => 86_400_000.0,
            _ => 1000.0,
        };
        if (_mode is Mode.Rate or Mode.Burst or Mode.Queue or Mode.Timed && !(rate > 0))
        {
            throw Config.Invalid("rate", "Invalid rate value: must be more than 0");
        }
        // Node-RED: the gap between messages is unit / rate, times the number of units when that is above 0.
        _fixedRateMs = rateUnitMs / rate * (perUnits > 0 ? perUnits : 1);
        _rateMs = _fixedRateMs;
        _burstCount = rate;
        _burstPeriodMs = (perUnits > 0 ? perUnits : 1) * rateUnitMs;

        var randomUnitMs = UnitMilliseconds(Config.GetString("randomUnits"));
        _randomFirstMs = Config.GetNumber("randomFirst", 1) * randomUnitMs;
        _randomSpreadMs = Config.GetNumber("randomLast", 5) * randomUnitMs - _randomFirstMs;

        _drop = Config.GetBool("drop", false);
        _allowRate = Config.GetBool("allowrate", false);
        _secondOutput = Config.GetNumber("outputs", 1) == 2;
    }

    /// <summary>The random source of the <c>random</c> action, in [0, 1). Tests replace it to make delays predictable.</summary>
    internal Func<double> RandomSource { get; set; } = Random.Shared.NextDouble;

    /// <summary>How many messages the node holds now.</summary>
    internal int HeldCount => _held.Count;

    private static double UnitMilliseconds(string unit) => unit switch
    {
        "milliseconds" => 1,
        "minutes" => 60_000,
        "hours" => 3_600_000,
        "days" => 86_400_000,
        _ => 1000, // Node-RED's default is seconds, also for a missing unit
    };

    private static Func<object?, string?> NonNegative(string error) =>
        value => JsValue.ToNumber(value) is var n && (double.IsNaN(n) || n < 0) ? error : null;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_mode == Mode.Burst) SetStatus(new NodeStatus("green", "ring", ""));
        if (_mode is Mode.Queue or Mode.Timed) StartInterval();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        // Timers are already stopped by the runtime; what the node still holds is finished, not sent (as Node-RED).
        foreach (var held in _held) held.Completion.Done();
        _held.Clear();
        SetStatus(NodeStatus.Clear);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        switch (_mode)
        {
            case Mode.Delay or Mode.DelayVariable or Mode.Random:
                HandleDelay(input);
                break;
            case Mode.Rate when _drop:
                HandleRateDrop(input);
                break;
            case Mode.Rate:
                HandleRateQueue(input);
                break;
            case Mode.Burst:
                HandleBurst(input);
                break;
            default:
                HandleTopicQueue(input);
                break;
        }
        return ValueTask.CompletedTask;
    }

    // ---- delay, delayv, random ----

    private void HandleDelay(NodeInput input)
    {
        var msg = input.Message;
        var wait = _mode switch
        {
            Mode.DelayVariable => DelayFromMessage(msg),
            Mode.Random => _randomFirstMs + _randomSpreadMs * RandomSource(),
            _ => _timeoutMs,
        };
        var hasReset = msg.ContainsKey("reset");
        var hasFlush = msg.ContainsKey("flush");

        Held? self = null;
        // A bare {flush} message only releases; anything else also waits its turn (Node-RED: 2 keys = _msgid + flush).
        if (!(msg.Count == 2 && hasFlush))
        {
            var held = new Held(msg, input.Defer());
            self = held;
            held.Timer = StartTimer(ControlValues.Wait(wait), Timeout.InfiniteTimeSpan, () =>
            {
                ReleaseDelayed(held);
                return ValueTask.CompletedTask;
            });
            _held.Add(held);
        }

        if (hasReset)
        {
            DropAllDelayed();
            SetStatus(new NodeStatus("blue", "ring", "0"));
        }
        // The fixed-delay action ignores msg.flush on a reset message; the others honour both (as Node-RED).
        if (hasFlush && !(hasReset && _mode == Mode.Delay))
        {
            FlushDelayed(msg.Get("flush"));
            self?.Completion.Done();
        }

        var showCount = _mode switch
        {
            Mode.Delay => !hasReset && !hasFlush && _timeoutMs > 1000,
            Mode.DelayVariable => true,
            _ => _timeoutMs >= 1000,
        };
        if (showCount) ShowCount();
    }

    private double DelayFromMessage(JsObject msg)
    {
        var delay = _timeoutMs;
        if (msg.TryGetValue("delay", out var value) && JsSemantics.ParseFloat(value) is var parsed && !double.IsNaN(parsed)) delay = parsed;
        return Math.Max(delay, 0);
    }

    private void ReleaseDelayed(Held held)
    {
        if (!_held.Remove(held)) return; // already flushed or reset
        StopTimer(held.Timer);
        if (_mode == Mode.DelayVariable || (_mode == Mode.Delay && _timeoutMs > 1000) || (_mode == Mode.Random && _timeoutMs >= 1000)) ShowCount();
        Send(held.Message);
        held.Completion.Done();
    }

    private void FlushDelayed(object? flush)
    {
        var count = FlushCount(flush, _held.Count);
        for (var i = 0; i < count && _held.Count > 0; i++) ReleaseDelayed(_held[0]);
        ShowCount();
    }

    private void DropAllDelayed()
    {
        foreach (var held in _held)
        {
            StopTimer(held.Timer);
            held.Completion.Done();
        }
        _held.Clear();
    }

    /// <summary>msg.flush: a number releases that many (rounded down), anything else releases all.</summary>
    private static int FlushCount(object? flush, int available) =>
        flush is double d ? (int)Math.Clamp(Math.Floor(d), 0, available) : available;

    // ---- rate: queue ----

    private void HandleRateQueue(NodeInput input)
    {
        var msg = input.Message;
        var hasReset = msg.ContainsKey("reset");
        var hasFlush = msg.ContainsKey("flush");
        var flush = msg.Get("flush");
        InputCompletion? completion = null;
        InputCompletion Complete() => completion ??= input.Defer();

        // The queued copy never carries flush (Node-RED queues a clone without it); the original stays as received.
        var queued = msg;
        if (hasFlush)
        {
            queued = NodeRunner.CloneMessage(msg);
            queued.Remove("flush");
        }

        if (queued.Count > 1)
        {
            if (_interval is not null)
            {
                if (TryMessageRate(queued, out var newRate) && newRate != _rateMs)
                {
                    _rateMs = newRate;
                    StartInterval();
                }
                var max = Services.Settings.NodeMessageBufferMaxLength;
                if (max > 0 && _held.Count >= max)
                {
                    DropAll();
                    Complete().Fail(TooManyPending);
                    return;
                }
                if (msg.Get("toFront") is true) _held.Insert(0, new Held(queued, Complete()));
                else _held.Add(new Held(queued, Complete()));
                ReportDepth();
            }
            else
            {
                if (TryMessageRate(queued, out var newRate)) _rateMs = newRate;
                if (!hasReset) Send(queued);
                else if (hasFlush) _held.Add(new Held(queued, Complete()));
                ReportDepth();
                StartInterval();
            }
        }

        if (hasFlush)
        {
            var count = FlushCount(flush, _held.Count);
            if (count == 0)
            {
                StopInterval();
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    var held = _held[0];
                    _held.RemoveAt(0);
                    held.Message.Remove("flush");
                    held.Message.Remove("reset");
                    if (held.Message.Count > 1) Send(held.Message);
                    held.Completion.Done();
                }
                StartInterval();
            }
            SetStatus(new NodeStatus("blue", "dot", Count(_held.Count)));
        }

        if (hasReset) ResetRate(stopInterval: !hasFlush);
    }

    private void RateTick()
    {
        if (_held.Count == 0)
        {
            // One quiet interval after the queue empties, so the next message still keeps its distance.
            StopInterval();
        }
        else
        {
            var held = _held[0];
            _held.RemoveAt(0);
            if (held.Message.Count > 1) Send(held.Message);
            held.Completion.Done();
        }
        ReportDepth();
    }

    private void ResetRate(bool stopInterval)
    {
        if (stopInterval)
        {
            StopInterval();
            _lastSent = null;
        }
        DropAll();
        _rateMs = _fixedRateMs;
        SetStatus(new NodeStatus("blue", "ring", "0"));
    }

    // ---- rate: drop ----

    private void HandleRateDrop(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset"))
        {
            ResetRate(stopInterval: !msg.ContainsKey("flush"));
            return;
        }
        if (TryMessageRate(msg, out var newRate)) _rateMs = newRate;
        var now = Clock.GetUtcNow();
        // The first message always passes; then one per rate interval (a message exactly one interval later passes).
        if (_lastSent is not { } last || (now - last).TotalMilliseconds >= _rateMs)
        {
            _lastSent = now;
            Send(msg);
        }
        else if (_secondOutput)
        {
            Send(1, msg);
        }
    }

    // ---- burst ----

    private void HandleBurst(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset"))
        {
            _burstEpoch++;
            _inflight = 0;
            SetStatus(new NodeStatus("green", "ring", ""));
            return;
        }
        if (_inflight < _burstCount)
        {
            _inflight++;
            Send(msg);
            var epoch = _burstEpoch;
            StartTimer(ControlValues.Wait(_burstPeriodMs), Timeout.InfiniteTimeSpan, () =>
            {
                if (epoch != _burstEpoch) return ValueTask.CompletedTask; // a reset freed every slot already
                if (_inflight == _burstCount) SetStatus(new NodeStatus("green", "ring", ""));
                _inflight--;
                return ValueTask.CompletedTask;
            });
        }
        else
        {
            if (_secondOutput) Send(1, msg);
            SetStatus(new NodeStatus("red", "dot", ""));
        }
    }

    // ---- queue, timed (per topic) ----

    private void HandleTopicQueue(NodeInput input)
    {
        var msg = input.Message;
        if (TryMessageRate(msg, out var newRate) && newRate != _rateMs)
        {
            _rateMs = newRate;
            StartInterval();
        }
        if (!msg.ContainsKey("topic")) msg["topic"] = "_none_";
        var topic = msg.Get("topic");
        var entry = new Held(msg, input.Defer());
        var index = _held.FindIndex(h => ControlValues.StrictEquals(h.Message.Get("topic"), topic));
        if (index >= 0)
        {
            var replaced = _held[index];
            if (_secondOutput) Send(1, replaced.Message);
            replaced.Completion.Done();
            _held[index] = entry;
        }
        else
        {
            _held.Add(entry);
            ReportDepth();
        }

        if (msg.ContainsKey("flush"))
        {
            var count = FlushCount(msg.Get("flush"), _held.Count);
            for (var i = 0; i < count; i++)
            {
                var held = _held[0];
                _held.RemoveAt(0);
                held.Message.Remove("flush");
                held.Message.Remove("reset");
                // _msgid and topic alone make a pure control message, which is not sent.
                if (held.Message.Count > 2) Send(held.Message);
                held.Completion.Done();
            }
            SetStatus(NodeStatus.Clear);
        }
        if (msg.ContainsKey("reset"))
        {
            DropAll();
            _rateMs = _fixedRateMs;
            SetStatus(new NodeStatus(Text: "reset"));
        }
    }

    private void TopicTick()
    {
        if (_mode == Mode.Queue)
        {
            if (_held.Count > 0)
            {
                var held = _held[0];
                _held.RemoveAt(0);
                Send(held.Message);
                held.Completion.Done();
            }
        }
        else
        {
            while (_held.Count > 0)
            {
                var held = _held[0];
                _held.RemoveAt(0);
                Send(held.Message);
                held.Completion.Done();
            }
        }
        ReportDepth();
    }

    // ---- shared ----

    /// <summary>msg.rate (milliseconds between messages) when allowrate is on and it reads as a number.</summary>
    private bool TryMessageRate(JsObject msg, out double rate)
    {
        rate = double.NaN;
        if (!_allowRate || !msg.TryGetValue("rate", out var value)) return false;
        rate = JsSemantics.ParseFloat(value);
        return !double.IsNaN(rate);
    }

    /// <summary>(Re)starts the release interval at the current rate.</summary>
    private void StartInterval()
    {
        StopTimer(_interval);
        var period = ControlValues.Wait(_rateMs);
        if (period == TimeSpan.Zero) period = TimeSpan.FromMilliseconds(1); // setInterval(0) runs every millisecond
        ITimer? timer = null;
        timer = StartTimer(period, period, () =>
        {
            if (_interval != timer) return ValueTask.CompletedTask; // stopped or replaced after this tick was queued
            if (_mode == Mode.Rate) RateTick();
            else TopicTick();
            return ValueTask.CompletedTask;
        });
        _interval = timer;
    }

    private void StopInterval()
    {
        StopTimer(_interval);
        _interval = null;
    }

    private void DropAll()
    {
        foreach (var held in _held) held.Completion.Done();
        _held.Clear();
    }

    /// <summary>Shows the queue depth at most every half second, as Node-RED does, so a busy queue does not flood status.</summary>
    private void ReportDepth()
    {
        if (_depthTimer is not null) return;
        _depthTimer = StartTimer(DepthReportDelay, Timeout.InfiniteTimeSpan, () =>
        {
            _depthTimer = null;
            SetStatus(new NodeStatus("blue", "dot", Count(_held.Count)));
            return ValueTask.CompletedTask;
        });
    }

    private void ShowCount() => SetStatus(new NodeStatus("blue", "dot", Count(_held.Count)));

    private static string Count(int count) => count.ToString(CultureInfo.InvariantCulture);
}
