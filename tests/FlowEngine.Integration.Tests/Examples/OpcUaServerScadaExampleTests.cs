using FlowEngine.TestKit.Peers;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlowEngine.Core.Values;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>
/// examples/opcua-server-scada run by the real program, with the node-opcua client as the SCADA: it browses
/// Plant1/Line1, watches the simulated tank level move, writes the fill target (checked and confirmed by the flow,
/// audited with the user) and sees the simulation follow it; a target out of range is refused; SignAndEncrypt works
/// once the client certificate is moved from rejected/ to trusted/, as the README says.
/// </summary>
public sealed partial class OpcUaServerScadaExampleTests : IDisposable
{
    private const string Line = "ns=1;s=Plant1/Line1";
    private const string TankLevel = Line + "/TankLevel";
    private const string FillTarget = Line + "/FillTarget";
    private const string Simulation = "os000000000fun01";
    private const string Tab = "os00000000000t01";

    private readonly string _clientPki = Directory.CreateTempSubdirectory("flowengine-scada-pki-").FullName;

    [Fact]
    public async Task A_scada_browses_the_line_watches_the_level_and_its_fill_target_write_drives_the_simulation()
    {
        var port = ExampleHost.FreeTcpPort();
        await using var host = await ExampleHost.StartAsync("opcua-server-scada",
            new Dictionary<string, string> { ["OPCUA_SERVER_PORT"] = port.ToString(CultureInfo.InvariantCulture) });
        var url = string.Create(CultureInfo.InvariantCulture, $"opc.tcp://127.0.0.1:{port}/UA/FlowEngine");
        await host.WaitForAsync("the server's endpoint in the log", () =>
            Task.FromResult(host.Output.Contains("OPC UA server listening on " + url, StringComparison.Ordinal) ? "" : null));
        // The variables exist from the simulation's first tick on (its node context is set just before it publishes).
        await host.WaitForAsync("the simulation's first tick", async () =>
            await host.GetJsonAsync($"context/node/{Simulation}/batchId") is JsObject { Count: > 0 } found ? found : null, TimeSpan.FromSeconds(60));

        await using (var scada = await NodeOpcUaClient.StartAsync(new
        {
            url,
            mode = "None",
            pki = _clientPki,
            steps = new object[]
            {
                new { op = "browse", nodeId = "i=85" },
                new { op = "browse", nodeId = "ns=1;s=Plant1" },
                new { op = "browse", nodeId = Line },
                new { op = "read", nodeId = TankLevel, attributes = new[] { "Value", "AccessLevel" } },
                new { op = "read", nodeId = Line + "/FlowRate" },
                new { op = "read", nodeId = Line + "/PumpRunning" },
                new { op = "read", nodeId = Line + "/BatchId" },
                new { op = "read", nodeId = FillTarget, attributes = new[] { "Value", "AccessLevel" } },
                new { op = "subscribe", nodeId = TankLevel, count = 3, timeoutMs = 60000 },
                new { op = "write", nodeId = FillTarget, dataType = "Double", value = 90.0 },
                // The level rises 2.5 % per simulated second while the pump runs: from at least 50 % (the start, and
                // the old target's band is 52.5..62.6 %) it passes 75 % within 11 changes.
                new { op = "subscribe", nodeId = TankLevel, count = 16, timeoutMs = 90000 },
                new { op = "read", nodeId = FillTarget },
                new { op = "write", nodeId = FillTarget, dataType = "Double", value = 150.0 },
            },
        }))
        {
            await scada.NextAsync("CONNECTED");
            var objects = await scada.StepAsync();
            Assert.Contains(objects.EnumerateArray(), r => r.GetProperty("browseName").GetString() == "1:Plant1" && r.GetProperty("nodeId").GetString() == "ns=1;s=Plant1");
            Assert.Equal(["1:Line1"], BrowseNames(await scada.StepAsync()));
            Assert.Equal(["1:BatchId", "1:FillTarget", "1:FlowRate", "1:PumpRunning", "1:TankLevel"], BrowseNames(await scada.StepAsync()));

            var level = await scada.StepAsync();
            Assert.Equal("Double", level.GetProperty("Value").GetProperty("dataType").GetString());
            Assert.Equal("Good", level.GetProperty("Value").GetProperty("statusCode").GetString());
            Assert.InRange(level.GetProperty("Value").GetProperty("value").GetDouble(), 0, 100);
            Assert.Equal(1, level.GetProperty("AccessLevel").GetProperty("value").GetInt32()); // read only
            var flowRate = (await scada.StepAsync()).GetProperty("Value");
            Assert.Equal("Double", flowRate.GetProperty("dataType").GetString());
            Assert.True(flowRate.GetProperty("value").GetDouble() is 0 or (>= 590 and <= 610), "flow rate " + flowRate);
            var pump = (await scada.StepAsync()).GetProperty("Value");
            Assert.Equal("Boolean", pump.GetProperty("dataType").GetString());
            var batch = (await scada.StepAsync()).GetProperty("Value");
            Assert.Equal("String", batch.GetProperty("dataType").GetString());
            Assert.Matches(BatchIdPattern(), batch.GetProperty("value").GetString());
            var target = await scada.StepAsync();
            Assert.Equal(60, target.GetProperty("Value").GetProperty("value").GetDouble());
            Assert.Equal(3, target.GetProperty("AccessLevel").GetProperty("value").GetInt32()); // read and write

            // The level moves by itself: the current value and two changes, each different from the one before.
            var first = Values(await scada.StepAsync(TimeSpan.FromSeconds(90)));
            Assert.True(first.Length == 3, $"the level did not change twice in 60 s: {string.Join(", ", first)}");
            Assert.All(first.Zip(first.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));

            Assert.Equal("Good", (await scada.StepAsync()).GetString());
            // With the old target (60 %) the pump stops at 60 % and the level never passes about 63 %; with 90 % it fills on.
            var after = Values(await scada.StepAsync(TimeSpan.FromSeconds(120)));
            Assert.True(after.Length == 16, $"only {after.Length} level values in 90 s: {string.Join(", ", after)}");
            Assert.True(after.Max() > 75, $"the level did not follow the new fill target: {string.Join(", ", after)}");
            Assert.True(after.Max() < 93.5, $"the level passed the fill target: {string.Join(", ", after)}");
            Assert.Equal(90, (await scada.StepAsync()).GetProperty("Value").GetProperty("value").GetDouble());

            // The server answers Good (the flow decides); the flow refuses it and the variable keeps 90 (read below).
            Assert.Equal("Good", (await scada.StepAsync()).GetString());
            await scada.NextAsync("DONE");
        }
        // The simulation reads the accepted target from flow context.
        Assert.Equal("90", JsValue.ToJsString(((JsObject)(await host.GetJsonAsync($"context/flow/{Tab}/fillTarget"))!)["msg"]));
        // The debug node logs each write with its user; the check logs the refusal (through the catch node too).
        string[] logged =
        [
            "fill target write by anonymous: 90 (Plant1/Line1/FillTarget)",
            "fill target write by anonymous: 150 (Plant1/Line1/FillTarget)",
            "fill target 150 written by anonymous refused: it must be 10..95 %",
        ];
        await host.WaitForAsync("both writes and the refusal in the log", () =>
            Task.FromResult(logged.All(line => host.Output.Contains(line, StringComparison.Ordinal)) ? "" : null));

        // Both writes are in the audit trail with their user, value and variable.
        var audit = (List<object?>)((JsObject)(await host.GetJsonAsync("audit?pageSize=500"))!)["entries"]!;
        var writes = audit.Cast<JsObject>().Where(e => e["action"] as string == "opcua.server.write").ToList();
        Assert.Equal(new object?[] { 150.0, 90.0 }, writes.Select(e => e["value"]).ToArray());
        Assert.All(writes, e =>
        {
            Assert.Equal("anonymous", e["user"]);
            Assert.Equal("Plant1/Line1/FillTarget", e["path"]);
            Assert.Equal(FillTarget, e["nodeId"]);
        });

        // SignAndEncrypt, as the README describes it: the first connection is refused and leaves the client's
        // certificate in rejected/; moved to trusted/, it is accepted (no restart).
        var serverCertificate = Path.Combine(host.UserDir, "opcua", "pki", "own", "flowengine-server.der");
        object Secured() => new
        {
            url,
            mode = "SignAndEncrypt",
            pki = _clientPki,
            trustServerCertificate = serverCertificate,
            steps = new object[] { new { op = "read", nodeId = FillTarget }, new { op = "read", nodeId = TankLevel } },
        };
        await using (var refused = await NodeOpcUaClient.StartAsync(Secured()))
        {
            await refused.NextAsync("FAILED");
        }
        var rejected = Assert.Single(Directory.GetFiles(Path.Combine(host.UserDir, "opcua", "pki", "rejected")));
        await host.WaitForAsync("the refused client certificate in the log", () =>
            Task.FromResult(host.Output.Contains("BadCertificateUntrusted", StringComparison.Ordinal) ? "" : null));
        var trusted = Path.Combine(host.UserDir, "opcua", "pki", "trusted");
        Directory.CreateDirectory(trusted);
        File.Move(rejected, Path.Combine(trusted, Path.GetFileName(rejected)));
        await using (var secured = await NodeOpcUaClient.StartAsync(Secured()))
        {
            await secured.NextAsync("CONNECTED");
            Assert.Equal(90, (await secured.StepAsync()).GetProperty("Value").GetProperty("value").GetDouble());
            Assert.InRange((await secured.StepAsync()).GetProperty("Value").GetProperty("value").GetDouble(), 0, 100);
            await secured.NextAsync("DONE");
        }
    }

    private static string[] BrowseNames(JsonElement references) =>
        references.EnumerateArray().Select(r => r.GetProperty("browseName").GetString() ?? "").Order(StringComparer.Ordinal).ToArray();

    private static double[] Values(JsonElement changes) =>
        changes.EnumerateArray().Select(v => v.GetProperty("value").GetDouble()).ToArray();

    [GeneratedRegex(@"^L1-\d{8}-\d{4}$")]
    private static partial Regex BatchIdPattern();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_clientPki, recursive: true);
        }
        catch (IOException)
        {
            // node-opcua may still hold a file for a moment; the OS cleans the temp directory later.
        }
    }
}
