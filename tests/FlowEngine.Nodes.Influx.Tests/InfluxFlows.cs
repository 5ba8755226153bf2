using System.Globalization;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>Flow JSON for the tests: one server config node, the node under test, and helper/catch nodes.</summary>
internal static class InfluxFlows
{
    public static TestFlowOptions Options(string? userDir = null) => new()
    {
        Register = InfluxNodes.Register,
        Settings = userDir is null ? null : new FlowEngine.Core.Values.JsObject { ["userDir"] = userDir },
    };

    public static string Server(string url, string database = "", string version = "1.x", string extra = "") => $$"""
        {"id":"srv","type":"influx server","url":"{{url}}","version":"{{version}}","database":"{{database}}","timeout":5{{extra}}}
        """;

    /// <summary>An `influx out` (or other writer type) fed by nothing (tests send to "out" directly), plus catch → "errors".</summary>
    public static string Writer(string serverJson, string type = "influx out", string properties = "", string serverProperty = "server") => $$"""
        [{"id":"tab","type":"tab"},
         {{serverJson}},
         {"id":"out","type":"{{type}}","z":"tab","x":200,"y":100,"{{serverProperty}}":"srv"{{properties}}},
         {"id":"catch","type":"catch","z":"tab","x":100,"y":200,"scope":null,"wires":[["errors"]]},
         {"id":"errors","type":"helper","z":"tab","x":300,"y":200}]
        """;

    public static string Reader(string serverJson, string type = "influx query", string properties = "", string serverProperty = "server") => $$"""
        [{"id":"tab","type":"tab"},
         {{serverJson}},
         {"id":"q","type":"{{type}}","z":"tab","x":200,"y":100,"{{serverProperty}}":"srv"{{properties}},"wires":[["rows"]]},
         {"id":"rows","type":"helper","z":"tab","x":400,"y":100},
         {"id":"catch","type":"catch","z":"tab","x":100,"y":200,"scope":null,"wires":[["errors"]]},
         {"id":"errors","type":"helper","z":"tab","x":300,"y":200}]
        """;

    public static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    public static string Num(double value) => value.ToString(CultureInfo.InvariantCulture);
}
