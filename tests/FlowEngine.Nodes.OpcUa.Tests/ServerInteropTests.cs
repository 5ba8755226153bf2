using FlowEngine.TestKit.Peers;
using System.Text.Json;
using FlowEngine.Nodes.OpcUa.Tests.Peers;
using static FlowEngine.Nodes.OpcUa.Tests.ServerFlows;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>
/// FlowEngine's OPC UA server (opcua-server, server out, server in) used by the node-opcua CLIENT as an external
/// process (tests/peers/opcua/client.js): browse, read, write, subscribe, security and trust in both directions.
/// </summary>
public sealed class ServerInteropTests : IDisposable
{
    private readonly string _userDir = Directory.CreateTempSubdirectory("flowengine-opcua-srv-").FullName;
    private readonly string _clientPki = Directory.CreateTempSubdirectory("flowengine-nodeopcua-pki-").FullName;

    private string ServerCertificate => Path.Combine(_userDir, "opcua", "pki", "own", "flowengine-server.der");

    [Fact]
    public async Task Node_opcua_browses_reads_writes_and_subscribes_over_security_None_anonymously()
    {
        var port = FreePort();
        var audit = new AuditRecorder();
        await using var flow = await StartAsync(Server(port) + "," + ServerNodes(), _userDir, audit);
        await PublishAsync(flow,
            ("Line1/Oven/Temperature", "180.5"),
            ("Line1/Oven/Setpoint", "200"),
            ("Line1/Recipe", """{"name":"bread","minutes":35}"""),
            ("Line1/Counts", "[1,2,3]"));

        await using var client = await NodeOpcUaClient.StartAsync(new
        {
            url = Url(port),
            mode = "None",
            pki = _clientPki,
            steps = new object[]
            {
                new { op = "browse", nodeId = "i=85" },
                new { op = "browse", nodeId = "ns=1;s=Line1/Oven" },
                new { op = "read", nodeId = "ns=1;s=Line1/Oven/Temperature", attributes = new[] { "Value", "DataType", "NodeClass", "BrowseName", "DisplayName", "ValueRank", "AccessLevel", "UserAccessLevel", "MinimumSamplingInterval", "Historizing" } },
                new { op = "read", nodeId = "ns=1;s=Line1/Recipe" },
                new { op = "read", nodeId = "ns=1;s=Line1/Counts" },
                new { op = "read", nodeId = "i=2255" },
                new { op = "translate", path = "/1:Line1/1:Oven/1:Temperature" },
                new { op = "write", nodeId = "ns=1;s=Line1/Oven/Setpoint", dataType = "Double", value = 210.5 },
                new { op = "write", nodeId = "ns=1;s=Line1/Oven/Setpoint", dataType = "String", value = "hot" },
                new { op = "read", nodeId = "ns=1;s=Line1/Oven/Setpoint" },
                new { op = "subscribe", nodeId = "ns=1;s=Line1/Oven/Temperature", count = 3, timeoutMs = 30000 },
            },
        });
        await client.NextAsync("CONNECTED");
        var objects = await client.StepAsync();
        Assert.Contains(objects.EnumerateArray(), r => r.GetProperty("browseName").GetString() == "1:Line1" && r.GetProperty("nodeId").GetString() == "ns=1;s=Line1" && r.GetProperty("typeDefinition").GetString() == "ns=0;i=61");
        Assert.Contains(objects.EnumerateArray(), r => r.GetProperty("browseName").GetString() == "Server");
        var oven = await client.StepAsync();
        Assert.Equal(["1:Setpoint", "1:Temperature"], oven.EnumerateArray().Select(r => r.GetProperty("browseName").GetString() ?? "").Order().ToArray());

        var attributes = await client.StepAsync();
        Assert.Equal(180.5, attributes.GetProperty("Value").GetProperty("value").GetDouble());
        Assert.Equal("Double", attributes.GetProperty("Value").GetProperty("dataType").GetString());
        Assert.Equal("Good", attributes.GetProperty("Value").GetProperty("statusCode").GetString());
        Assert.Equal("ns=0;i=11", attributes.GetProperty("DataType").GetProperty("value").GetString());
        Assert.Equal(2, attributes.GetProperty("NodeClass").GetProperty("value").GetInt32());
        Assert.Equal("1:Temperature", attributes.GetProperty("BrowseName").GetProperty("value").GetString());
        Assert.Equal("Temperature", attributes.GetProperty("DisplayName").GetProperty("value").GetString());
        Assert.Equal(-1, attributes.GetProperty("ValueRank").GetProperty("value").GetInt32());
        Assert.Equal(3, attributes.GetProperty("AccessLevel").GetProperty("value").GetInt32());
        Assert.Equal(3, attributes.GetProperty("UserAccessLevel").GetProperty("value").GetInt32());
        Assert.False(attributes.GetProperty("Historizing").GetProperty("value").GetBoolean());

        var recipe = await client.StepAsync();
        Assert.Equal("String", recipe.GetProperty("Value").GetProperty("dataType").GetString());
        Assert.Equal(35, JsonDocument.Parse(recipe.GetProperty("Value").GetProperty("value").GetString()!).RootElement.GetProperty("minutes").GetInt32());
        var counts = await client.StepAsync();
        Assert.Equal([1.0, 2, 3], counts.GetProperty("Value").GetProperty("value").EnumerateArray().Select(v => v.GetDouble()).ToArray());
        var namespaces = await client.StepAsync();
        Assert.Equal("urn:flowengine:test", namespaces.GetProperty("Value").GetProperty("value")[1].GetString());
        Assert.Equal("ns=1;s=Line1/Oven/Temperature", (await client.StepAsync()).GetString());

        Assert.Equal("Good", (await client.StepAsync()).GetString());
        Assert.Equal("BadTypeMismatch", (await client.StepAsync()).GetString());
        Assert.Equal(210.5, (await client.StepAsync()).GetProperty("Value").GetProperty("value").GetDouble());
        var written = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal("Line1/Oven/Setpoint", written["topic"]);
        Assert.Equal(210.5, written["payload"]);
        Assert.Equal("ns=1;s=Line1/Oven/Setpoint", written["nodeId"]);
        Assert.Equal("Double", written["dataType"]);
        Assert.Equal("anonymous", ((FlowEngine.Core.Values.JsObject)written["_client"]!)["user"]);
        var entry = Assert.Single(audit.Entries, e => e.Action == "opcua.server.write");
        Assert.Equal("anonymous", entry.User);

        // The subscription gets the current value, then what the flow publishes.
        await client.NextAsync("SUBSCRIBED");
        flow.Send("out", """{"topic":"Line1/Oven/Temperature","payload":181}""");
        await Task.Delay(300);
        flow.Send("out", """{"topic":"Line1/Oven/Temperature","payload":182.25}""");
        var changes = await client.StepAsync();
        Assert.Equal([180.5, 181, 182.25], changes.EnumerateArray().Select(v => v.GetProperty("value").GetDouble()).ToArray());
        await client.NextAsync("DONE");
    }

    [Fact]
    public async Task Sign_and_encrypt_with_a_user_needs_the_client_certificate_in_trusted_and_refuses_a_wrong_password()
    {
        var port = FreePort();
        await using var flow = await StartAsync(Server(port, ""","securityNone":false,"allowAnonymous":false""") + "," + ServerNodes(), _userDir);
        await PublishAsync(flow, ("Tank/Level", "42.5"));
        object Plan(string password) => new
        {
            url = Url(port),
            mode = "SignAndEncrypt",
            user = User,
            password,
            pki = _clientPki,
            trustServerCertificate = ServerCertificate,
            steps = new object[]
            {
                new { op = "read", nodeId = "ns=1;s=Tank/Level" },
                new { op = "write", nodeId = "ns=1;s=Tank/Level", dataType = "Double", value = 50.0 },
            },
        };

        // First contact: our server does not know node-opcua's certificate yet.
        await using (var refused = await NodeOpcUaClient.StartAsync(Plan(Password)))
        {
            await refused.NextAsync("FAILED");
        }
        var rejected = Path.Combine(_userDir, "opcua", "pki", "rejected");
        var file = Assert.Single(Directory.GetFiles(rejected));
        Assert.Contains(flow.Logs, l => l.Message.Contains("BadCertificateUntrusted", StringComparison.Ordinal));
        var trusted = Path.Combine(_userDir, "opcua", "pki", "trusted");
        Directory.CreateDirectory(trusted);
        File.Move(file, Path.Combine(trusted, Path.GetFileName(file)));

        await using (var client = await NodeOpcUaClient.StartAsync(Plan(Password)))
        {
            await client.NextAsync("CONNECTED");
            Assert.Equal(42.5, (await client.StepAsync()).GetProperty("Value").GetProperty("value").GetDouble());
            Assert.Equal("Good", (await client.StepAsync()).GetString());
            await client.NextAsync("DONE");
        }
        var written = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal(50.0, written["payload"]);
        Assert.Equal(User, ((FlowEngine.Core.Values.JsObject)written["_client"]!)["user"]);

        await using (var wrong = await NodeOpcUaClient.StartAsync(Plan("not-the-password")))
        {
            var failed = await wrong.NextAsync("FAILED");
            Assert.Contains("BadUserAccessDenied", failed.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Trust_all_client_certificates_lets_an_unknown_client_in_over_sign_and_encrypt()
    {
        var port = FreePort();
        await using var flow = await StartAsync(Server(port, ""","trustAllClients":true""") + "," + ServerNodes(), _userDir);
        await PublishAsync(flow, ("Pump/Running", "true"));
        await using var client = await NodeOpcUaClient.StartAsync(new
        {
            url = Url(port),
            mode = "SignAndEncrypt",
            pki = _clientPki,
            trustServerCertificate = ServerCertificate,
            steps = new object[] { new { op = "read", nodeId = "ns=1;s=Pump/Running", attributes = new[] { "Value", "DataType" } } },
        });
        await client.NextAsync("CONNECTED");
        var value = await client.StepAsync();
        Assert.True(value.GetProperty("Value").GetProperty("value").GetBoolean());
        Assert.Equal("ns=0;i=1", value.GetProperty("DataType").GetProperty("value").GetString());
        await client.NextAsync("DONE");
        Assert.Empty(Directory.Exists(Path.Combine(_userDir, "opcua", "pki", "rejected")) ? Directory.GetFiles(Path.Combine(_userDir, "opcua", "pki", "rejected")) : []);
    }

    public void Dispose()
    {
        foreach (var dir in new[] { _userDir, _clientPki })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
