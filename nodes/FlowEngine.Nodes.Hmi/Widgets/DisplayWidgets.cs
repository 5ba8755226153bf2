using System.Globalization;
using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Hmi.Widgets;

/// <summary>hmi-text: a label and a value.</summary>
internal sealed class TextWidget(NodeSetup setup, HmiServices hmi) : HmiWidgetNode(setup, hmi)
{
    public static readonly NodeDeclaration Declaration = new("hmi-text")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-font",
        PaletteLabel = "text",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "text",
        Help = """
            Shows **label** and the text of `msg.payload` (numbers as they are, objects as JSON, at most 2000
            characters) on every open page. The last value is kept and shown to pages that open later.
            **unit** (optional) is drawn after the value.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(new PropertyDeclaration("unit", PropertyKind.String) { Default = "", Label = "Unit" }),
    };

    public const int MaxLength = 2000;

    protected override JsObject Options() => new() { ["unit"] = Config.GetString("unit", "") };

    protected override void Receive(JsObject message)
    {
        var payload = message.Get("payload");
        var text = payload is JsObject or List<object?> ? JsJson.Serialize(payload) : JsValue.ToJsString(payload);
        if (text.Length > MaxLength) text = text[..MaxLength] + "…";
        SetState(text);
        SetStatus(NodeStatus.Ok(Short(text)));
    }
}

/// <summary>hmi-gauge: a dial with alarm bands.</summary>
internal sealed class GaugeWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-gauge")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-tachometer",
        PaletteLabel = "gauge",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "gauge",
        Help = """
            A dial from **min** to **max** showing `msg.payload` (a number or a numeric string; anything else is an
            error for catch nodes and the dial keeps its value). Values outside the range are shown as they are with
            the needle stopped at the end of the scale.

            Alarm bands (each optional): **lolo** and **lo** below, **hi** and **hihi** above. The scale is coloured
            in those bands (amber for lo/hi, red for lolo/hihi) and the value turns the band's colour when it is in
            one, so an abnormal value stands out and a normal one stays grey (ISA-101).

            * **unit**: drawn under the value. **decimals**: digits after the point (default 1).
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("min", PropertyKind.Number) { Default = 0.0, Label = "Min" },
            new PropertyDeclaration("max", PropertyKind.Number) { Default = 100.0, Label = "Max" },
            new PropertyDeclaration("unit", PropertyKind.String) { Default = "", Label = "Unit" },
            new PropertyDeclaration("decimals", PropertyKind.Number) { Default = 1.0, Label = "Decimals" },
            new PropertyDeclaration("lolo", PropertyKind.Number) { Default = "", Label = "LoLo alarm below", Validate = WidgetDeclarations.OptionalNumber },
            new PropertyDeclaration("lo", PropertyKind.Number) { Default = "", Label = "Lo warning below", Validate = WidgetDeclarations.OptionalNumber },
            new PropertyDeclaration("hi", PropertyKind.Number) { Default = "", Label = "Hi warning above", Validate = WidgetDeclarations.OptionalNumber },
            new PropertyDeclaration("hihi", PropertyKind.Number) { Default = "", Label = "HiHi alarm above", Validate = WidgetDeclarations.OptionalNumber }),
    };

    private readonly double _min;
    private readonly double _max;
    private readonly double? _lolo;
    private readonly double? _lo;
    private readonly double? _hi;
    private readonly double? _hihi;

    public GaugeWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _min = Config.GetNumber("min", 0);
        _max = Config.GetNumber("max", 100);
        if (_max <= _min) throw Config.Invalid("max", $"max ({JsValue.FormatNumber(_max)}) must be greater than min ({JsValue.FormatNumber(_min)})");
        _lolo = WidgetDeclarations.OptionalNumber(Config, "lolo");
        _lo = WidgetDeclarations.OptionalNumber(Config, "lo");
        _hi = WidgetDeclarations.OptionalNumber(Config, "hi");
        _hihi = WidgetDeclarations.OptionalNumber(Config, "hihi");
        if (_lolo is { } lolo && _lo is { } lo && lolo > lo) throw Config.Invalid("lolo", "lolo must not be above lo");
        if (_hihi is { } hihi && _hi is { } hi && hihi < hi) throw Config.Invalid("hihi", "hihi must not be below hi");
        var decimals = Config.GetNumber("decimals", 1);
        if (decimals < 0 || decimals > 10 || decimals != Math.Floor(decimals)) throw Config.Invalid("decimals", "expected a whole number from 0 to 10");
    }

    protected override JsObject Options() => new()
    {
        ["min"] = _min,
        ["max"] = _max,
        ["unit"] = Config.GetString("unit", ""),
        ["decimals"] = Config.GetNumber("decimals", 1),
        ["lolo"] = _lolo,
        ["lo"] = _lo,
        ["hi"] = _hi,
        ["hihi"] = _hihi,
    };

    /// <summary>The band a value is in: lolo, lo, hi, hihi or normal.</summary>
    public string Band(double value) =>
        _lolo is { } lolo && value < lolo ? "lolo"
        : _hihi is { } hihi && value > hihi ? "hihi"
        : _lo is { } lo && value < lo ? "lo"
        : _hi is { } hi && value > hi ? "hi"
        : "normal";

    protected override void Receive(JsObject message)
    {
        var value = WidgetDeclarations.Number(message.Get("payload"), Type);
        var band = Band(value);
        SetState(new JsObject { ["value"] = value, ["band"] = band });
        SetStatus(band == "normal" ? NodeStatus.Ok(JsValue.FormatNumber(value)) : NodeStatus.Warning($"{JsValue.FormatNumber(value)} ({band})"));
    }
}

/// <summary>hmi-numeric: a large number with its unit.</summary>
internal sealed class NumericWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-numeric")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-hashtag",
        PaletteLabel = "numeric",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "numeric",
        Help = """
            A large-digit indicator of `msg.payload` (a number or numeric string; anything else is an error for
            catch nodes) with **unit**, rounded to **decimals** (default 1).
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("unit", PropertyKind.String) { Default = "", Label = "Unit" },
            new PropertyDeclaration("decimals", PropertyKind.Number) { Default = 1.0, Label = "Decimals" }),
    };

    public NumericWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        var decimals = Config.GetNumber("decimals", 1);
        if (decimals < 0 || decimals > 10 || decimals != Math.Floor(decimals)) throw Config.Invalid("decimals", "expected a whole number from 0 to 10");
    }

    protected override JsObject Options() => new() { ["unit"] = Config.GetString("unit", ""), ["decimals"] = Config.GetNumber("decimals", 1) };

    protected override void Receive(JsObject message)
    {
        var value = WidgetDeclarations.Number(message.Get("payload"), Type);
        SetState(value);
        SetStatus(NodeStatus.Ok(JsValue.FormatNumber(value)));
    }
}

/// <summary>hmi-led: on/off lamp.</summary>
internal sealed class LedWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-led")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-circle",
        PaletteLabel = "led",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "led",
        Help = """
            A lamp: on for a truthy `msg.payload`, off for false, 0, "", null and the strings "false", "off" and "0"
            (as PLC tags often arrive as text). The lamp also shows ON / OFF in words so it does not rely on colour.

            * **colorOn** (default green `#2e9e44`), **colorOff** (default grey `#6b7280`): CSS colours.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("colorOn", PropertyKind.String) { Default = "#2e9e44", Label = "Colour when on" },
            new PropertyDeclaration("colorOff", PropertyKind.String) { Default = "#6b7280", Label = "Colour when off" }),
    };

    public LedWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        foreach (var property in new[] { "colorOn", "colorOff" })
        {
            if (Config.GetString(property, "") is { Length: > 0 } colour && !HmiThemeNode.Colour().IsMatch(colour))
            {
                throw Config.Invalid(property, $"expected a CSS colour, got \"{colour}\"");
            }
        }
    }

    protected override JsObject Options() => new()
    {
        ["colorOn"] = Config.GetString("colorOn", "") is { Length: > 0 } on ? on : "#2e9e44",
        ["colorOff"] = Config.GetString("colorOff", "") is { Length: > 0 } off ? off : "#6b7280",
    };

    public static bool IsOn(object? payload) => payload switch
    {
        string s => s.Trim().ToLowerInvariant() is not ("" or "false" or "off" or "0"),
        _ => JsValue.IsTruthy(payload),
    };

    protected override void Receive(JsObject message)
    {
        var on = IsOn(message.Get("payload"));
        SetState(on);
        SetStatus(on ? NodeStatus.Ok("on") : NodeStatus.Info("off"));
    }
}

/// <summary>hmi-chart: line chart of one or more series over a sliding time window.</summary>
internal sealed class ChartWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-chart")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-line-chart",
        PaletteLabel = "chart",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "chart",
        Help = """
            A line chart over time. Each message adds one point: `msg.payload` is the value (a number or numeric
            string), `msg.topic` names the series (one line per topic, up to 8; empty topic = the label), and
            `msg.timestamp` (milliseconds since 1970) is its time, else the time it arrived. An empty array in
            `msg.payload` clears the chart.

            * **window**: seconds of history kept and drawn (default 600). Points older than that are dropped.
            * **maxPoints**: per series (default 1000): the oldest go first when a series has more.
            * **ymin** / **ymax**: fixed axis ends (empty: follow the data). **unit**: shown on the axis.

            The history is kept on the server, so a page that opens later draws it whole.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("window", PropertyKind.Number) { Default = 600.0, Label = "Window (seconds)" },
            new PropertyDeclaration("maxPoints", PropertyKind.Number) { Default = 1000.0, Label = "Points per series" },
            new PropertyDeclaration("ymin", PropertyKind.Number) { Default = "", Label = "Y min", Validate = WidgetDeclarations.OptionalNumber },
            new PropertyDeclaration("ymax", PropertyKind.Number) { Default = "", Label = "Y max", Validate = WidgetDeclarations.OptionalNumber },
            new PropertyDeclaration("unit", PropertyKind.String) { Default = "", Label = "Unit" }),
    };

    public const int MaxSeries = 8;

    private readonly double _windowMs;
    private readonly int _maxPoints;

    public ChartWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        var window = Config.GetNumber("window", 600);
        if (window <= 0 || window > 31 * 24 * 3600) throw Config.Invalid("window", "expected seconds from 1 to 2678400 (31 days)");
        _windowMs = window * 1000;
        var maxPoints = Config.GetNumber("maxPoints", 1000);
        if (maxPoints < 2 || maxPoints > 100_000 || maxPoints != Math.Floor(maxPoints)) throw Config.Invalid("maxPoints", "expected a whole number from 2 to 100000");
        _maxPoints = (int)maxPoints;
    }

    protected override JsObject Options() => new()
    {
        ["window"] = _windowMs / 1000,
        ["ymin"] = WidgetDeclarations.OptionalNumber(Config, "ymin"),
        ["ymax"] = WidgetDeclarations.OptionalNumber(Config, "ymax"),
        ["unit"] = Config.GetString("unit", ""),
    };

    protected override void Receive(JsObject message)
    {
        var payload = message.Get("payload");
        if (payload is List<object?> { Count: 0 })
        {
            SetState(new JsObject());
            SetStatus(NodeStatus.Info("cleared"));
            return;
        }
        var value = WidgetDeclarations.Number(payload, Type);
        var time = message.Get("timestamp") is double stamp && double.IsFinite(stamp) ? stamp : (double)Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var series = message.Get("topic") is string { Length: > 0 } topic ? topic : (Label.Length > 0 ? Label : "value");
        var oldest = time - _windowMs;
        ChangeState(current =>
        {
            // The state is never handed out (Describe and State copy it), so it can grow in place.
            var all = current as JsObject ?? new JsObject();
            if (all.Get(series) is not List<object?> points)
            {
                if (all.Count >= MaxSeries) throw new HmiValueException($"{Type} {Id} already draws {MaxSeries} series; topic \"{series}\" is one too many");
                points = [];
                all[series] = points;
            }
            points.Add(new List<object?> { time, value });
            var drop = 0;
            while (drop < points.Count && points[drop] is List<object?> { Count: 2 } p && (double)p[0]! < oldest) drop++;
            drop = Math.Max(drop, points.Count - _maxPoints);
            if (drop > 0) points.RemoveRange(0, drop);
            return all;
        }, new JsObject { ["kind"] = "point", ["series"] = series, ["t"] = time, ["v"] = value });
        SetStatus(NodeStatus.Ok($"{series}: {JsValue.FormatNumber(value)}"));
    }
}

/// <summary>hmi-table: rows of objects.</summary>
internal sealed class TableWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-table")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-table",
        PaletteLabel = "table",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "table",
        Help = """
            A table of `msg.payload`: an array of objects (one row each) or of arrays. **columns** (comma separated
            property names; empty = the keys of the first row) picks and orders the columns. At most **maxRows**
            rows (default 200) are kept; the rest are cut and the table says so. Anything else in the payload is an
            error for catch nodes.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("columns", PropertyKind.String) { Default = "", Label = "Columns (comma separated)" },
            new PropertyDeclaration("maxRows", PropertyKind.Number) { Default = 200.0, Label = "Max rows" }),
    };

    private readonly List<string> _columns;
    private readonly int _maxRows;

    public TableWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _columns = Config.GetString("columns", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var maxRows = Config.GetNumber("maxRows", 200);
        if (maxRows < 1 || maxRows > 10_000 || maxRows != Math.Floor(maxRows)) throw Config.Invalid("maxRows", "expected a whole number from 1 to 10000");
        _maxRows = (int)maxRows;
    }

    protected override void Receive(JsObject message)
    {
        if (message.Get("payload") is not List<object?> rows) throw new HmiValueException($"{Type} expects msg.payload to be an array of rows, got {JsValue.TypeName(message.Get("payload"))}");
        var columns = _columns.Count > 0 ? _columns
            : rows.FirstOrDefault() is JsObject first ? first.Keys.ToList()
            : rows.FirstOrDefault() is List<object?> firstList ? Enumerable.Range(0, firstList.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList()
            : [];
        var cells = new List<object?>();
        foreach (var row in rows.Take(_maxRows))
        {
            cells.Add(columns.Select(column => (object?)Cell(row, column)).ToList());
        }
        SetState(new JsObject
        {
            ["columns"] = columns.Select(c => (object?)c).ToList(),
            ["rows"] = cells,
            ["truncated"] = (double)Math.Max(0, rows.Count - _maxRows),
        });
        SetStatus(NodeStatus.Ok($"{rows.Count} rows"));
    }

    private string Cell(object? row, string column)
    {
        var value = row switch
        {
            JsObject obj => obj.Get(column),
            List<object?> list when int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => list[index],
            null => null,
            _ => throw new HmiValueException($"{Type} expects each row to be an object or an array, got {JsValue.TypeName(row)}"),
        };
        return value switch
        {
            null => "",
            JsObject or List<object?> => JsJson.Serialize(value),
            _ => JsValue.ToJsString(value),
        };
    }
}

/// <summary>hmi-template: custom HTML with values of the message put in.</summary>
internal sealed partial class TemplateWidget : HmiWidgetNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-template")
    {
        Category = WidgetDeclarations.Category,
        Color = WidgetDeclarations.Color,
        Icon = "font-awesome/fa-code",
        PaletteLabel = "template",
        Inputs = 1,
        Outputs = 0,
        DefaultLabel = "template",
        Help = """
            Custom HTML (**format**) drawn in the group. `{{payload}}`, `{{topic}}` and paths such as
            `{{payload.temperature}}` are replaced by values of the last message, HTML-escaped (so a value can never
            inject markup); a missing value is empty. The HTML itself is trusted (whoever deploys flows writes it):
            the page inserts it as markup, so `<script>` elements do not run, but inline event attributes would.
            """ + WidgetDeclarations.LayoutHelp,
        Properties = WidgetDeclarations.Layout(
            new PropertyDeclaration("format", PropertyKind.Code) { Default = "<div>{{payload}}</div>", Label = "HTML" }),
    };

    private readonly string _format;

    public TemplateWidget(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _format = Config.GetString("format", "<div>{{payload}}</div>");
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        SetState(Render(new JsObject()));
        return base.OnStartAsync(cancellationToken);
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    public string Render(JsObject message) => Placeholder().Replace(_format, match =>
    {
        object? value = message;
        foreach (var part in match.Groups[1].Value.Split('.'))
        {
            value = value switch
            {
                JsObject obj => obj.Get(part),
                List<object?> list when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < list.Count => list[i],
                _ => null,
            };
        }
        var text = value switch
        {
            null => "",
            JsObject or List<object?> => JsJson.Serialize(value),
            _ => JsValue.ToJsString(value),
        };
        return System.Net.WebUtility.HtmlEncode(text);
    });

    protected override void Receive(JsObject message)
    {
        SetState(Render(message));
        SetStatus(NodeStatus.Ok(Short(message.Get("payload"))));
    }
}
