using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Industrial.Common;

/// <summary>Data quality in three levels, as OPC UA status codes group it (Part 4 §7.39: Good, Uncertain, Bad).</summary>
public enum QualityLevel
{
    Good,
    Uncertain,
    Bad,
}

/// <summary>Reads a quality from a message property, whatever shape the source gave it.</summary>
public static class Quality
{
    /// <summary>
    /// Missing quality is good. Strings "good"/"uncertain"/"bad" (any case, also OPC UA names such as "BadCommFailure"
    /// and "GoodClamped"), booleans (true = good), and OPC UA status codes as numbers (top two bits: 00 good,
    /// 01 uncertain, 10/11 bad), and objects with a <c>code</c> or <c>name</c> field.
    /// </summary>
    public static QualityLevel Parse(object? value) => value switch
    {
        null => QualityLevel.Good,
        bool b => b ? QualityLevel.Good : QualityLevel.Bad,
        double d => FromStatusCode(d),
        string s => FromName(s),
        JsObject o when o.Get("code") is double code => FromStatusCode(code),
        JsObject o when o.Get("name") is string name => FromName(name),
        _ => QualityLevel.Good,
    };

    public static string ToText(QualityLevel level) => level switch
    {
        QualityLevel.Good => "good",
        QualityLevel.Uncertain => "uncertain",
        _ => "bad",
    };

    private static QualityLevel FromStatusCode(double code)
    {
        if (!double.IsFinite(code) || code < 0) return QualityLevel.Bad;
        var severity = ((uint)code) >> 30;
        return severity switch
        {
            0 => QualityLevel.Good,
            1 => QualityLevel.Uncertain,
            _ => QualityLevel.Bad,
        };
    }

    private static QualityLevel FromName(string name)
    {
        var text = name.Trim();
        if (text.StartsWith("good", StringComparison.OrdinalIgnoreCase) || text.Length == 0 || text == "ok" || text == "OK") return QualityLevel.Good;
        if (text.StartsWith("uncertain", StringComparison.OrdinalIgnoreCase)) return QualityLevel.Uncertain;
        return QualityLevel.Bad;
    }
}
