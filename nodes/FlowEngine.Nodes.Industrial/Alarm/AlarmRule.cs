using System.Globalization;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Alarm;

internal enum AlarmCondition
{
    HighHigh,
    High,
    Low,
    LowLow,
    RateOfChange,
    Stuck,
    BadQuality,
    Discrete,
}

/// <summary>One alarm rule of an alarm node, parsed and checked at deploy.</summary>
internal sealed class AlarmRule
{
    public static readonly string[] Types = ["HIHI", "HI", "LO", "LOLO", "ROC", "STUCK", "BAD", "DISCRETE"];
    public static readonly string[] Priorities = ["critical", "high", "medium", "low"];

    public required int Index { get; init; }
    /// <summary>"" or "*" for every tag, an exact tag, or a pattern with '*' (any run of characters) and '?' (one character).</summary>
    public required string TagPattern { get; init; }
    public required AlarmCondition Condition { get; init; }
    public required string ConditionName { get; init; }
    public double? Limit { get; init; }
    public PropertyPath? LimitProperty { get; init; }
    public double Hysteresis { get; init; }
    public long OnDelayTicks { get; init; }
    public long OffDelayTicks { get; init; }
    /// <summary>STUCK: how long the value may stay unchanged.</summary>
    public long DurationTicks { get; init; }
    /// <summary>ROC: the limit is the largest change allowed in this many seconds.</summary>
    public double RocPeriodSeconds { get; init; }
    /// <summary>DISCRETE: the value that means "alarm".</summary>
    public bool AlarmOn { get; init; } = true;
    public int Severity { get; init; }
    public required string Priority { get; init; }
    public string? MessageTemplate { get; init; }

    public bool IsAnalog => Condition is AlarmCondition.HighHigh or AlarmCondition.High or AlarmCondition.Low or AlarmCondition.LowLow
        or AlarmCondition.RateOfChange or AlarmCondition.Stuck;

    /// <summary>Specificity of the tag pattern: an exact tag beats a pattern, a longer pattern beats a shorter one.</summary>
    public int Specificity => TagPattern is "" or "*" ? 0 : TagPattern.Contains('*') || TagPattern.Contains('?') ? 1 + TagPattern.Length : int.MaxValue;

    public bool Matches(string tag) => TagPattern switch
    {
        "" or "*" => true,
        _ when Specificity == int.MaxValue => TagPattern == tag,
        _ => GlobMatch(TagPattern, tag),
    };

    /// <summary>The "what" of the default message text.</summary>
    public string Description => Condition switch
    {
        AlarmCondition.HighHigh => "high-high",
        AlarmCondition.High => "high",
        AlarmCondition.Low => "low",
        AlarmCondition.LowLow => "low-low",
        AlarmCondition.RateOfChange => "rate of change",
        AlarmCondition.Stuck => "value frozen",
        AlarmCondition.BadQuality => "bad quality",
        _ => "alarm",
    };

    /// <summary>The event's limit: the configured limit, the frozen time in seconds for STUCK, null for BAD and DISCRETE.</summary>
    public double? ReportedLimit(double? effectiveLimit) => Condition switch
    {
        AlarmCondition.Stuck => DurationTicks / (double)TimeSpan.TicksPerSecond,
        AlarmCondition.BadQuality or AlarmCondition.Discrete => null,
        _ => effectiveLimit,
    };

    public string FormatMessage(string tag, double? value, double? limit)
    {
        var template = MessageTemplate ?? "{tag} {description}";
        return template
            .Replace("{tag}", tag, StringComparison.Ordinal)
            .Replace("{condition}", ConditionName, StringComparison.Ordinal)
            .Replace("{description}", Description, StringComparison.Ordinal)
            .Replace("{value}", value is { } v ? JsValue.FormatNumber(v) : "", StringComparison.Ordinal)
            .Replace("{limit}", limit is { } l ? JsValue.FormatNumber(l) : "", StringComparison.Ordinal);
    }

    internal static bool GlobMatch(string pattern, string text)
    {
        // Iterative wildcard match with backtracking to the last '*': linear in practice, no regex per message.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Parses and checks the rule list; every problem names the rule (1-based) so the user can find it.</summary>
    public static IReadOnlyList<AlarmRule> ParseAll(NodeConfig config)
    {
        var raw = config.Get("rules");
        if (raw is string text && !string.IsNullOrWhiteSpace(text))
        {
            if (!JsJson.TryParse(text, out raw, out var error)) throw config.Invalid("rules", $"not valid JSON: {error!.Message}");
        }
        if (raw is null || raw is string { Length: 0 }) return [];
        if (raw is not List<object?> list) throw config.Invalid("rules", $"expected a list of rules, got {JsValue.TypeName(raw)}");
        var rules = new List<AlarmRule>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsObject item) throw config.Invalid("rules", $"rule {i + 1} is not an object");
            rules.Add(Parse(config, i, item));
        }
        CheckTogether(config, rules);
        return rules;
    }

    private static AlarmRule Parse(NodeConfig config, int index, JsObject item)
    {
        var typeText = (item.Get("type") as string ?? "").Trim().ToUpperInvariant();
        var tag = item.Get("tag") is { } t ? JsValue.ToJsString(t).Trim() : "";
        var label = $"rule {index + 1} ({(tag.Length == 0 ? "*" : tag)} {typeText})";
        NodeConfigException Bad(string reason) => config.Invalid("rules", $"{label}: {reason}");

        var condition = typeText switch
        {
            "HIHI" => AlarmCondition.HighHigh,
            "HI" => AlarmCondition.High,
            "LO" => AlarmCondition.Low,
            "LOLO" => AlarmCondition.LowLow,
            "ROC" => AlarmCondition.RateOfChange,
            "STUCK" => AlarmCondition.Stuck,
            "BAD" => AlarmCondition.BadQuality,
            "DISCRETE" => AlarmCondition.Discrete,
            _ => throw config.Invalid("rules", $"rule {index + 1}: unknown type \"{item.Get("type")}\" (expected one of {string.Join(", ", Types)})"),
        };

        double? Number(string key, double? defaultValue = null)
        {
            var value = item.Get(key);
            if (value is null || value is string { Length: 0 }) return defaultValue;
            if (value is double d && double.IsFinite(d)) return d;
            if (value is string s && double.IsFinite(JsValue.StringToNumber(s))) return JsValue.StringToNumber(s);
            throw Bad($"{key} must be a number, got {MessageValues.Describe(value)}");
        }
        double NonNegative(string key, double defaultValue)
        {
            var value = Number(key, defaultValue)!.Value;
            if (value < 0) throw Bad($"{key} must be zero or more, got {JsValue.FormatNumber(value)}");
            return value;
        }

        var limit = Number("limit");
        PropertyPath? limitProperty = null;
        if (item.Get("limitProperty") is string lp && !string.IsNullOrWhiteSpace(lp))
        {
            var path = lp.StartsWith("msg.", StringComparison.Ordinal) ? lp[4..] : lp;
            if (!PropertyPath.TryParse(path, out limitProperty)) throw Bad($"limitProperty \"{lp}\" is not a valid message property");
        }
        var needsLimit = condition is AlarmCondition.HighHigh or AlarmCondition.High or AlarmCondition.Low or AlarmCondition.LowLow or AlarmCondition.RateOfChange;
        if (needsLimit && limit is null && limitProperty is null) throw Bad("a limit (or a limitProperty) is required");
        if (condition == AlarmCondition.RateOfChange && limit is < 0) throw Bad("the rate-of-change limit must be zero or more");

        var hysteresis = item.ContainsKey("hysteresis") ? NonNegative("hysteresis", 0) : NonNegative("deadband", 0);
        var duration = NonNegative("duration", 0);
        if (condition == AlarmCondition.Stuck && duration <= 0) throw Bad("duration (seconds without change) must be more than zero");
        var rocPeriod = NonNegative("rocPeriod", 60);
        if (condition == AlarmCondition.RateOfChange && rocPeriod <= 0) throw Bad("rocPeriod must be more than zero");

        var severity = Number("severity", DefaultSeverity(condition))!.Value;
        if (severity < 1 || severity > 1000 || severity != Math.Floor(severity)) throw Bad($"severity must be a whole number from 1 to 1000, got {JsValue.FormatNumber(severity)}");
        var priority = (item.Get("priority") as string)?.Trim().ToLowerInvariant() is { Length: > 0 } p ? p : DefaultPriority(condition);
        if (!Priorities.Contains(priority)) throw Bad($"priority must be one of {string.Join(", ", Priorities)}, got \"{priority}\"");

        var alarmOn = true;
        if (item.Get("alarmOn") is { } on && !(on is string { Length: 0 }))
        {
            if (!MessageValues.TryBoolean(on, out alarmOn)) throw Bad($"alarmOn must be true or false, got {MessageValues.Describe(on)}");
        }

        return new AlarmRule
        {
            Index = index,
            TagPattern = tag,
            Condition = condition,
            ConditionName = typeText,
            Limit = limit,
            LimitProperty = limitProperty,
            Hysteresis = hysteresis,
            OnDelayTicks = MessageValues.SecondsToTicks(NonNegative("onDelay", 0)),
            OffDelayTicks = MessageValues.SecondsToTicks(NonNegative("offDelay", 0)),
            DurationTicks = MessageValues.SecondsToTicks(duration),
            RocPeriodSeconds = rocPeriod,
            AlarmOn = alarmOn,
            Severity = (int)severity,
            Priority = priority,
            MessageTemplate = item.Get("message") is string m && m.Length > 0 ? m : null,
        };
    }

    /// <summary>Checks between rules of the same tag pattern: no duplicates, limits in order (LOLO &lt; LO &lt; HI &lt; HIHI).</summary>
    private static void CheckTogether(NodeConfig config, List<AlarmRule> rules)
    {
        foreach (var group in rules.GroupBy(r => r.TagPattern is "" ? "*" : r.TagPattern, StringComparer.Ordinal))
        {
            var byCondition = new Dictionary<AlarmCondition, AlarmRule>();
            foreach (var rule in group)
            {
                if (!byCondition.TryAdd(rule.Condition, rule))
                {
                    throw config.Invalid("rules", $"rules {byCondition[rule.Condition].Index + 1} and {rule.Index + 1} are both {rule.ConditionName} for tag \"{group.Key}\"");
                }
            }
            double? LimitOf(AlarmCondition c) => byCondition.TryGetValue(c, out var r) ? r.Limit : null;
            void Order(AlarmCondition lower, AlarmCondition upper, string lowerName, string upperName)
            {
                if (LimitOf(lower) is { } a && LimitOf(upper) is { } b && a >= b)
                {
                    throw config.Invalid("rules", string.Create(CultureInfo.InvariantCulture,
                        $"for tag \"{group.Key}\" the {upperName} limit ({JsValue.FormatNumber(b)}) must be above the {lowerName} limit ({JsValue.FormatNumber(a)})"));
                }
            }
            Order(AlarmCondition.High, AlarmCondition.HighHigh, "HI", "HIHI");
            Order(AlarmCondition.LowLow, AlarmCondition.Low, "LOLO", "LO");
            Order(AlarmCondition.Low, AlarmCondition.High, "LO", "HI");
        }
    }

    private static double DefaultSeverity(AlarmCondition condition) => condition switch
    {
        AlarmCondition.HighHigh or AlarmCondition.LowLow => 700,
        AlarmCondition.High or AlarmCondition.Low or AlarmCondition.Discrete => 500,
        AlarmCondition.BadQuality => 400,
        _ => 300,
    };

    private static string DefaultPriority(AlarmCondition condition) => condition switch
    {
        AlarmCondition.HighHigh or AlarmCondition.LowLow => "high",
        AlarmCondition.High or AlarmCondition.Low or AlarmCondition.Discrete or AlarmCondition.BadQuality => "medium",
        _ => "low",
    };
}
