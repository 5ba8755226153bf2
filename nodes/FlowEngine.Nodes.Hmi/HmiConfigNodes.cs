using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Hmi;

/// <summary>A layout config node (page, group, theme): registered with the HMI while it runs.</summary>
internal abstract class HmiConfigNode(NodeSetup setup, HmiServices hmi) : FlowNode(setup)
{
    protected HmiServices Hmi { get; } = hmi;

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        Hmi.Add(this);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        Hmi.Remove(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>hmi-page: one tab of the HMI at /ui.</summary>
internal sealed class HmiPageNode : HmiConfigNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-page")
    {
        Category = "config",
        IsConfig = true,
        Color = "#E2D96E",
        Inputs = 0,
        Outputs = 0,
        PaletteLabel = "hmi page",
        DefaultLabel = "page",
        Help = """
            A page of the operator HMI served at `/ui`. Pages are listed as tabs (in a menu on a phone), sorted by
            **order**, then title. Groups (`hmi-group`) place widgets on a page.

            * **title**: the tab's text (empty: the node's name, else "Page").
            * **order**: position among pages, smallest first.
            * **icon**: an optional short text or emoji drawn before the title.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("title", PropertyKind.String) { Default = "", Label = "Title" },
            new PropertyDeclaration("order", PropertyKind.Number) { Default = 0.0, Label = "Order" },
            new PropertyDeclaration("icon", PropertyKind.String) { Default = "", Label = "Icon (text or emoji)" },
        ],
    };

    public HmiPageNode(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        Title = TitleOf(Config, "Page");
        Order = Config.GetNumber("order", 0);
        Icon = Config.GetString("icon", "");
    }

    public string Title { get; }
    public double Order { get; }
    public string Icon { get; }

    internal static string TitleOf(NodeConfig config, string fallback)
    {
        var title = config.GetString("title", "");
        if (title.Length > 0) return title;
        return config.Name.Length > 0 ? config.Name : fallback;
    }
}

/// <summary>hmi-group: a titled card of widgets on a page.</summary>
internal sealed class HmiGroupNode : HmiConfigNode
{
    public const int Columns = 12;

    public static readonly NodeDeclaration Declaration = new("hmi-group")
    {
        Category = "config",
        IsConfig = true,
        Color = "#E2D96E",
        Inputs = 0,
        Outputs = 0,
        PaletteLabel = "hmi group",
        DefaultLabel = "group",
        Help = """
            A card of widgets on an HMI page. The page is a 12-column grid: **width** is how many columns the group
            takes on a wide screen (12 = full width); below 700 px wide (a phone, an 800x480 panel in portrait) every
            group takes the full width. Widgets inside a group flow in the same 12-column grid.

            * **page**: the `hmi-page` it is on (required: a group without a page is not drawn).
            * **title**: the card's heading (empty: the node's name; no heading when both are empty).
            * **order**: position on the page, smallest first.
            * **width**: 1 to 12 columns.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("page", PropertyKind.ConfigReference) { ConfigType = "hmi-page", Required = true, Label = "Page" },
            new PropertyDeclaration("title", PropertyKind.String) { Default = "", Label = "Title" },
            new PropertyDeclaration("order", PropertyKind.Number) { Default = 0.0, Label = "Order" },
            new PropertyDeclaration("width", PropertyKind.Number) { Default = 6.0, Label = "Width (1-12 columns)", Validate = ValidWidth },
        ],
    };

    internal static string? ValidWidth(object? value) => value switch
    {
        null or "" => null,
        double d when d >= 1 && d <= Columns && d == Math.Floor(d) => null,
        string s when double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) && d >= 1 && d <= Columns && d == Math.Floor(d) => null,
        _ => $"expected a whole number of columns from 1 to {Columns}",
    };

    public HmiGroupNode(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        PageId = Config.GetStringOrNull("page") is { Length: > 0 } page ? page : throw Config.Invalid("page", "a group needs the hmi-page it is on");
        Title = Config.GetString("title", "") is { Length: > 0 } title ? title : Config.Name;
        Order = Config.GetNumber("order", 0);
        Width = ColumnsOf(Config, "width", 6);
    }

    public string PageId { get; }
    public string Title { get; }
    public double Order { get; }
    public int Width { get; }

    internal static int ColumnsOf(NodeConfig config, string property, int fallback)
    {
        var width = config.GetNumber(property, fallback);
        if (width < 0 || width > Columns || width != Math.Floor(width)) throw config.Invalid(property, $"expected a whole number of columns from 0 to {Columns}, got {JsValue.FormatNumber(width)}");
        return (int)width;
    }
}

/// <summary>hmi-theme: colours and day/night mode of every page.</summary>
internal sealed partial class HmiThemeNode : HmiConfigNode
{
    public static readonly NodeDeclaration Declaration = new("hmi-theme")
    {
        Category = "config",
        IsConfig = true,
        Color = "#E2D96E",
        Inputs = 0,
        Outputs = 0,
        PaletteLabel = "hmi theme",
        DefaultLabel = "theme",
        Help = """
            The look of every HMI page (when several themes are deployed, the one with the smallest id wins).
            Two palettes are built in: **day** (dark text on light grey, high contrast for sunlight) and **night**
            (light text on near-black, dim enough not to dazzle in a dark control room). Alarm colours follow ISA-101
            practice: grey for normal, colour only for abnormal.

            * **mode**: `day`, `night`, or `auto` (follows the device's light/dark preference). Each page also has a
              day/night button that a person can use on their own screen (remembered by that browser).
            * **accent**: the colour of buttons and active controls (CSS colour such as `#0a6ebd`).
            * **title**: the text in the page header (default "FlowEngine HMI").
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "auto", Options = ["auto", "day", "night"], Label = "Mode" },
            new PropertyDeclaration("accent", PropertyKind.String) { Default = "#0a6ebd", Label = "Accent colour", Validate = ValidColour },
            new PropertyDeclaration("title", PropertyKind.String) { Default = "FlowEngine HMI", Label = "Header title" },
        ],
    };

    private static string? ValidColour(object? value) =>
        value is null or "" || (value is string s && Colour().IsMatch(s)) ? null : "expected a CSS colour: #rgb, #rrggbb or a colour name";

    [GeneratedRegex(@"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$", RegexOptions.CultureInvariant)]
    internal static partial Regex Colour();

    private readonly string _mode;
    private readonly string _accent;
    private readonly string _title;

    public HmiThemeNode(NodeSetup setup, HmiServices hmi) : base(setup, hmi)
    {
        _mode = Config.GetString("mode", "auto") switch
        {
            "" or "auto" => "auto",
            "day" => "day",
            "night" => "night",
            var other => throw Config.Invalid("mode", $"expected auto, day or night, got \"{other}\""),
        };
        _accent = Config.GetString("accent", "#0a6ebd") is { Length: > 0 } accent ? accent : "#0a6ebd";
        if (!Colour().IsMatch(_accent)) throw Config.Invalid("accent", $"expected a CSS colour, got \"{_accent}\"");
        _title = Config.GetString("title", "FlowEngine HMI") is { Length: > 0 } title ? title : "FlowEngine HMI";
    }

    public JsObject Describe() => new() { ["mode"] = _mode, ["accent"] = _accent, ["title"] = _title };

    public static JsObject DefaultTheme() => new() { ["mode"] = "auto", ["accent"] = "#0a6ebd", ["title"] = "FlowEngine HMI" };
}
