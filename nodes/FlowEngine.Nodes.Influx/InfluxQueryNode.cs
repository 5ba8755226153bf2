using System.Text.RegularExpressions;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx;

/// <summary>
/// Queries InfluxDB: <c>influx query</c> and node-red-contrib-influxdb's <c>influxdb in</c>. InfluxQL for 1.x and 3.x,
/// Flux for 2.x; the result goes out in msg.payload as an array of objects.
/// </summary>
internal sealed partial class InfluxQueryNode : FlowNode
{
    private const string QueryHelp = """
        **query**: the query, unless **msg.query** is a non-empty string. InfluxQL for 1.x and 3.x servers, Flux for 2.x.

        **msg.params**: query parameters, an object of strings, numbers and booleans. They are sent beside the query,
        never pasted into it: InfluxQL refers to them as `$name` (`SELECT * FROM m WHERE host = $host`), Flux as
        `params.name` (InfluxDB Cloud; OSS 2.x servers may refuse them). Use them for anything that comes from a user.

        **Output**: msg.payload is an array of row objects. InfluxQL rows have `time` (a Date, or a number in
        **precision** when one is set), the columns and the series tags; a query of several statements gives an
        array per statement. Flux rows have `result`, `table`, `_start`, `_stop`, `_time`, `_value`, `_field`,
        `_measurement` and the tags (numbers and booleans typed by the response's #datatype, times as RFC3339 strings).
        With **rawOutput** msg.payload is the server's answer as is: the JSON object (InfluxQL) or the annotated CSV text (Flux).

        Errors (syntax, unknown database, server unreachable) go to catch nodes with the message and show in the status.
        """;

    private static NodeDeclaration Make(string type, bool nodeRed) => new(type)
    {
        Category = "storage",
        Color = "#C0DEED",
        Icon = "db.svg",
        Inputs = 1,
        Outputs = 1,
        Module = nodeRed ? "node-red-contrib-influxdb" : "flowengine",
        Set = nodeRed ? "node-red-contrib-influxdb/influxdb" : "flowengine/influx",
        PaletteLabel = type,
        DefaultLabel = type,
        Help = (nodeRed ? "node-red-contrib-influxdb's query node.\n\n" : "Queries InfluxDB.\n\n")
            + (nodeRed
                ? "**precision**, **retentionPolicy** (1.x; msg.precision and msg.retentionPolicy override them), **org** (2.0).\n\n"
                : "**server**: an `influx server`. **database**, **retentionPolicy** (InfluxQL) and **org** (Flux) override the server's. **precision**: return times as numbers in this unit.\n\n")
            + QueryHelp,
        Properties = nodeRed
            ?
            [
                new PropertyDeclaration("name", PropertyKind.String),
                new PropertyDeclaration("influxdb", PropertyKind.ConfigReference) { ConfigType = InfluxServerNode.NodeRedType, Required = true, Label = "Server" },
                new PropertyDeclaration("query", PropertyKind.Code) { Default = "", Label = "Query" },
                new PropertyDeclaration("rawOutput", PropertyKind.Bool) { Default = false, Label = "Raw output" },
                new PropertyDeclaration("precision", PropertyKind.Select) { Default = "", Options = ["", "n", "u", "ms", "s", "m", "h"], Label = "Time Precision" },
                new PropertyDeclaration("retentionPolicy", PropertyKind.String) { Default = "", Label = "Retention Policy" },
                new PropertyDeclaration("org", PropertyKind.String) { Default = "organisation", Label = "Organization" },
            ]
            :
            [
                new PropertyDeclaration("name", PropertyKind.String),
                new PropertyDeclaration("server", PropertyKind.ConfigReference) { ConfigType = InfluxServerNode.OwnType, Required = true, Label = "Server" },
                new PropertyDeclaration("query", PropertyKind.Code) { Default = "", Label = "Query" },
                new PropertyDeclaration("rawOutput", PropertyKind.Bool) { Default = false, Label = "Raw output" },
                new PropertyDeclaration("precision", PropertyKind.Select) { Default = "", Options = ["", "ns", "us", "ms", "s", "m", "h"], Label = "Time precision", Help = "empty: times as Dates" },
                new PropertyDeclaration("database", PropertyKind.String) { Default = "", Label = "Database", Help = "empty: the server's" },
                new PropertyDeclaration("retentionPolicy", PropertyKind.String) { Default = "", Label = "Retention policy" },
                new PropertyDeclaration("org", PropertyKind.String) { Default = "", Label = "Organization", Help = "2.x; empty: the server's" },
            ],
    };

    public static readonly NodeDeclaration Declaration = Make("influx query", nodeRed: false);
    public static readonly NodeDeclaration NodeRedDeclaration = Make("influxdb in", nodeRed: true);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ParameterName();

    private readonly InfluxServerNode _server;
    private readonly string _query;
    private readonly bool _rawOutput;
    private readonly string _precision;
    private readonly string _database;
    private readonly string _retentionPolicy;
    private readonly string _org;
    private readonly bool _nodeRed;

    public InfluxQueryNode(NodeSetup setup) : base(setup)
    {
        _nodeRed = Type == "influxdb in";
        var serverProperty = _nodeRed ? "influxdb" : "server";
        _server = Setup.ConfigNode<InfluxServerNode>(serverProperty) ?? throw Config.Invalid(serverProperty, "an InfluxDB server is required");
        _query = Config.GetString("query", "");
        _rawOutput = Config.GetBool("rawOutput", false);
        _precision = Config.GetString("precision", "");
        if (!TimePrecisions.TryParse(_precision, out _)) throw Config.Invalid("precision", $"\"{_precision}\" is not one of n, u, ms, s, m, h");
        _database = _nodeRed ? _server.Database : NonEmpty(Config.GetString("database", ""), _server.Database);
        _retentionPolicy = _nodeRed ? Config.GetString("retentionPolicy", "") : NonEmpty(Config.GetString("retentionPolicy", ""), _server.RetentionPolicy);
        _org = _nodeRed ? Config.GetString("org", "") : NonEmpty(Config.GetString("org", ""), _server.Org);
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        var query = msg.Get("query") is string { Length: > 0 } q ? q : _query;
        try
        {
            if (string.IsNullOrWhiteSpace(query)) throw new InfluxQueryException("no query: set one on the node or in msg.query");
            var parameters = Parameters(msg.Get("params"));
            SetStatus(NodeStatus.Info("querying"));
            if (_server.Version == InfluxApiVersion.V2)
            {
                var csv = await _server.Client.QueryFluxRawAsync(query, _org, parameters, CancellationToken.None).ConfigureAwait(false);
                msg["payload"] = _rawOutput ? csv : JsValue.Normalize(FluxCsv.Rows(csv));
            }
            else
            {
                var precisionText = _nodeRed && msg.Get("precision") is string p ? p : _precision;
                var retentionPolicy = _nodeRed && msg.Get("retentionPolicy") is string r ? r : _retentionPolicy;
                TimePrecision? epoch = precisionText.Length == 0 ? null
                    : TimePrecisions.TryParse(precisionText, out var parsed) ? parsed
                    : throw new InfluxQueryException($"precision \"{precisionText}\" is not one of n, u, ms, s, m, h");
                var json = await _server.Client.QueryInfluxQlRawAsync(query, _database, retentionPolicy, epoch, parameters, CancellationToken.None).ConfigureAwait(false);
                if (_rawOutput) msg["payload"] = JsJson.Parse(json);
                else
                {
                    var statements = InfluxQlResults.Rows(json);
                    msg["payload"] = statements.Count == 1 ? JsValue.Normalize(statements[0]) : JsValue.Normalize(statements);
                }
            }
            SetStatus(NodeStatus.Clear);
        }
        catch (InfluxQueryException ex)
        {
            SetStatus(NodeStatus.Error(ex.Message.Length > 60 ? ex.Message[..60] + "…" : ex.Message));
            throw;
        }
        Send(msg);
    }

    private static Dictionary<string, object?>? Parameters(object? value)
    {
        if (value is null) return null;
        if (value is not JsObject obj) throw new InfluxQueryException($"msg.params is {JsValue.TypeName(value)}; expected an object of name: value");
        var result = new Dictionary<string, object?>(obj.Count, StringComparer.Ordinal);
        foreach (var (name, item) in obj)
        {
            if (!ParameterName().IsMatch(name)) throw new InfluxQueryException($"msg.params: \"{name}\" is not a parameter name (letters, digits, _)");
            result[name] = item switch
            {
                null or string or bool => item,
                double d when double.IsFinite(d) => d,
                DateTime dt => dt.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new InfluxQueryException($"msg.params.{name} is {JsValue.TypeName(item)}; parameters are strings, numbers or booleans"),
            };
        }
        return result;
    }

    private static string NonEmpty(string value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;
}
