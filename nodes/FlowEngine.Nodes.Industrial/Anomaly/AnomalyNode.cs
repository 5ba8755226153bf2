using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Anomaly;

/// <summary>Per-tag anomaly detection (z-score, IQR, moving-average deviation, EWMA) with warm-up and sensitivity.</summary>
internal sealed class AnomalyNode : IndustrialNode
{
    public static readonly string[] Methods = ["zscore", "iqr", "mad", "ewma"];

    public static readonly NodeDeclaration Declaration = new("anomaly")
    {
        Category = "industrial",
        Color = "#E2D96E",
        Icon = "alert.svg",
        PaletteLabel = "anomaly",
        Inputs = 1,
        Outputs = 2,
        OutputLabels = ["every message, scored", "anomalies only"],
        DefaultLabel = "anomaly",
        Help = """
            Scores each value of **property** (`payload`) against the recent history of its tag (**tagProperty**,
            `topic`) and flags anomalies. Each value is scored against the history *before* it, then added to it.

            * **method**:
              * `zscore`: score = |x − mean| / s over the last **window** values (s = sample standard deviation);
                anomaly when score &gt; **sensitivity** (default 3).
              * `iqr`: Q1 and Q3 of the last **window** values (linear interpolation, as Excel's QUARTILE.INC);
                score = distance outside [Q1, Q3] in units of IQR = Q3 − Q1 (0 inside); anomaly when score &gt;
                **sensitivity** (default 1.5, Tukey's fences).
              * `mad` (moving-average deviation): score = |x − mean| / |mean| × 100, the percent deviation from the
                moving average of the last **window** values; anomaly when score &gt; **sensitivity** (default 20).
              * `ewma`: exponentially weighted mean and variance with weight **alpha** (default 0.3); score =
                |x − mean| / standard deviation; anomaly when score &gt; **sensitivity** (default 3).
            * A spread of zero gives score 0 for a value equal to the centre and Infinity (an anomaly) otherwise
              (Infinity is written as null in JSON).
            * **warmup** (default 10): no score and no flag until a tag has this many values in its history; it
              cannot exceed **window** for the window methods.
            * **excludeAnomalies**: anomalous values are not added to the history, so a run of outliers does not
              teach the detector that they are normal.

            ### Outputs
            1: every message, with **output** (`msg.anomaly`) set to `{method, score, anomaly, samples, ...}` where
            the rest is `mean`, `stdev` (zscore, ewma), `q1`, `q3`, `lower`, `upper` (iqr) or `mean` (mad); during
            warm-up `{method, score: null, anomaly: false, samples, warmingUp: true}`.
            2: the same message again when it is an anomaly.

            A value that is not a number is an error for catch nodes and changes nothing. `msg.reset` forgets the
            tag's history (all tags when it has none) and is not passed on.

            ### State
            In memory per tag. A deploy that does not change the node keeps it; changing it starts afresh.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("property", PropertyKind.String) { Default = "payload", Label = "Value" },
            new PropertyDeclaration("tagProperty", PropertyKind.String) { Default = "topic", Label = "Tag" },
            new PropertyDeclaration("method", PropertyKind.Select) { Default = "zscore", Options = Methods, Label = "Method" },
            new PropertyDeclaration("window", PropertyKind.Number) { Default = 30.0, Label = "Window (values)" },
            new PropertyDeclaration("warmup", PropertyKind.Number) { Default = 10.0, Label = "Warm-up (values)" },
            new PropertyDeclaration("sensitivity", PropertyKind.Number) { Default = "", Label = "Sensitivity (empty: method default)" },
            new PropertyDeclaration("alpha", PropertyKind.Number) { Default = 0.3, Label = "EWMA weight" },
            new PropertyDeclaration("excludeAnomalies", PropertyKind.Bool) { Default = false, Label = "Keep anomalies out of the history" },
            new PropertyDeclaration("output", PropertyKind.String) { Default = "anomaly", Label = "Result to" },
        ],
    };

    private sealed class TagHistory(int capacity)
    {
        public readonly double[] Ring = new double[capacity];
        public int Count;
        public int Next;
        public long Seen;
        public double EwmaMean;
        public double EwmaVariance;

        public void Add(double value)
        {
            if (Ring.Length == 0) return;
            Ring[Next] = value;
            Next = (Next + 1) % Ring.Length;
            if (Count < Ring.Length) Count++;
        }
    }

    private readonly PropertyPath _valuePath;
    private readonly PropertyPath _tagPath;
    private readonly PropertyPath _outputPath;
    private readonly string _method;
    private readonly int _window;
    private readonly int _warmup;
    private readonly double _sensitivity;
    private readonly double _alpha;
    private readonly bool _excludeAnomalies;
    private readonly Dictionary<string, TagHistory> _tags = new(StringComparer.Ordinal);
    private readonly double[] _scratch;
    private long _scored;
    private long _anomalies;

    public AnomalyNode(NodeSetup setup) : base(setup)
    {
        _valuePath = MessageValues.Path(Config, "property", "payload");
        _tagPath = MessageValues.Path(Config, "tagProperty", "topic");
        _outputPath = MessageValues.Path(Config, "output", "anomaly");
        _method = Config.GetString("method", "zscore") is { Length: > 0 } m ? m : "zscore";
        if (!Methods.Contains(_method)) throw Config.Invalid("method", $"expected one of {string.Join(", ", Methods)}, got \"{_method}\"");
        var window = Config.GetNumber("window", 30);
        if (window < 2 || window > 100_000 || window != Math.Floor(window)) throw Config.Invalid("window", "expected a whole number of values from 2 to 100,000");
        _window = _method == "ewma" ? 0 : (int)window;
        var warmup = Config.GetNumber("warmup", 10);
        if (warmup < 1 || warmup != Math.Floor(warmup)) throw Config.Invalid("warmup", "expected a whole number of values of 1 or more");
        if (_method == "zscore" && warmup < 2) throw Config.Invalid("warmup", "a z-score needs at least 2 values for a standard deviation");
        if (_method != "ewma" && warmup > window) throw Config.Invalid("warmup", $"the warm-up ({JsValue.FormatNumber(warmup)}) cannot be longer than the window ({JsValue.FormatNumber(window)})");
        _warmup = (int)warmup;
        _sensitivity = Config.GetNumberOrNull("sensitivity") ?? _method switch
        {
            "iqr" => 1.5,
            "mad" => 20,
            _ => 3,
        };
        if (_sensitivity <= 0 || !double.IsFinite(_sensitivity)) throw Config.Invalid("sensitivity", "must be more than zero");
        _alpha = Config.GetNumber("alpha", 0.3);
        if (_alpha <= 0 || _alpha > 1) throw Config.Invalid("alpha", "must be more than 0 and at most 1");
        _excludeAnomalies = Config.GetBool("excludeAnomalies", false);
        _scratch = new double[_window];
    }

    protected override ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reset"))
        {
            var resetTag = MessageValues.TagOf(_tagPath, msg);
            if (resetTag.Length > 0) _tags.Remove(resetTag);
            else _tags.Clear();
            return ValueTask.CompletedTask;
        }
        var tag = MessageValues.TagOf(_tagPath, msg);
        var raw = _valuePath.GetValue(msg);
        if (!MessageValues.TryNumber(raw, out var value)) throw MessageValues.NotANumber(_valuePath, tag, raw);
        if (!_tags.TryGetValue(tag, out var history))
        {
            history = new TagHistory(_window);
            _tags[tag] = history;
        }

        var known = _method == "ewma" ? (int)Math.Min(history.Seen, int.MaxValue) : history.Count;
        JsObject result;
        var anomaly = false;
        if (known < _warmup)
        {
            result = new JsObject { ["method"] = _method, ["score"] = null, ["anomaly"] = false, ["samples"] = (double)known, ["warmingUp"] = true };
        }
        else
        {
            result = Score(history, value, out var score);
            anomaly = score > _sensitivity;
            result["anomaly"] = anomaly;
        }
        if (!(anomaly && _excludeAnomalies)) Learn(history, value);
        _scored++;
        if (anomaly) _anomalies++;
        _outputPath.SetValue(msg, result);
        SendToPorts([msg, anomaly ? msg : null]);
        StatusChanged();
        return ValueTask.CompletedTask;
    }

    private JsObject Score(TagHistory history, double value, out double score)
    {
        var result = new JsObject { ["method"] = _method };
        if (_method == "ewma")
        {
            var stdev = Math.Sqrt(history.EwmaVariance);
            score = Ratio(Math.Abs(value - history.EwmaMean), stdev);
            result["score"] = score;
            result["samples"] = (double)history.Seen;
            result["mean"] = history.EwmaMean;
            result["stdev"] = stdev;
            return result;
        }
        var samples = _scratch.AsSpan(0, history.Count);
        // Ring order does not matter: every method here depends on the set of values, not their order.
        Array.Copy(history.Ring, 0, _scratch, 0, history.Count);
        switch (_method)
        {
            case "zscore":
            {
                var mean = Statistics.Mean(samples);
                var stdev = Statistics.SampleStandardDeviation(samples);
                score = Ratio(Math.Abs(value - mean), stdev);
                result["score"] = score;
                result["mean"] = mean;
                result["stdev"] = stdev;
                break;
            }
            case "iqr":
            {
                samples.Sort();
                var q1 = Statistics.Quantile(samples, 0.25);
                var q3 = Statistics.Quantile(samples, 0.75);
                var iqr = q3 - q1;
                var outside = value < q1 ? q1 - value : value > q3 ? value - q3 : 0;
                score = Ratio(outside, iqr);
                result["score"] = score;
                result["q1"] = q1;
                result["q3"] = q3;
                result["lower"] = q1 - _sensitivity * iqr;
                result["upper"] = q3 + _sensitivity * iqr;
                break;
            }
            default:
            {
                var mean = Statistics.Mean(samples);
                score = Ratio(Math.Abs(value - mean) * 100, Math.Abs(mean));
                result["score"] = score;
                result["mean"] = mean;
                break;
            }
        }
        result["samples"] = (double)history.Count;
        return result;
    }

    /// <summary>A deviation over a spread; with no spread, nothing (0) or infinitely far (Infinity).</summary>
    private static double Ratio(double deviation, double spread) =>
        spread > 0 ? deviation / spread : deviation == 0 ? 0 : double.PositiveInfinity;

    private void Learn(TagHistory history, double value)
    {
        if (_method == "ewma")
        {
            if (history.Seen == 0)
            {
                history.EwmaMean = value;
                history.EwmaVariance = 0;
            }
            else
            {
                // Exponentially weighted mean and variance updated together (Finch, "Incremental calculation of
                // weighted mean and variance", 2009, §9).
                var difference = value - history.EwmaMean;
                var increment = _alpha * difference;
                history.EwmaMean += increment;
                history.EwmaVariance = (1 - _alpha) * (history.EwmaVariance + difference * increment);
            }
            history.Seen++;
            return;
        }
        history.Add(value);
        history.Seen++;
    }

    protected override NodeStatus BuildStatus() =>
        new(_anomalies > 0 ? "yellow" : "grey", "dot", $"{MessageValues.FormatCount(_anomalies)} anomalies in {MessageValues.FormatCount(_scored)}");
}
