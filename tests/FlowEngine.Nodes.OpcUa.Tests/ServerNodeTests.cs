using System.Net;
using System.Net.Sockets;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.OpcUa.Tests.ServerFlows;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>The opcua-server, server out and server in nodes in flows, checked with our own protocol client.</summary>
public sealed class ServerNodeTests : IDisposable
{
    private readonly string _userDir = Directory.CreateTempSubdirectory("flowengine-opcua-node-").FullName;

    private static Task<UaSession> ConnectAsync(int port, string? user = null, string? password = null) =>
        UaSession.ConnectAsync(new UaClientOptions { EndpointUrl = new Uri(Url(port)), UserName = user, Password = password }, CancellationToken.None);

    private static async Task<DataValue> ReadAsync(UaSession session, string path) =>
        (await session.ReadAsync([new ReadValueId(new NodeId(1, path))], CancellationToken.None))[0];

    private static string ErrorOf(JsObject caught) => OpcUaFlows.ErrorText(caught);

    [Theory]
    [InlineData(""","host":"plant-server" """, "host")]
    [InlineData(""","port":70000""", "port")]
    [InlineData(""","securityNone":false,"securitySignAndEncrypt":false""", "security mode")]
    [InlineData(""","allowAnonymous":false,"user":"" """, "nobody can log in")]
    [InlineData(""","applicationUri":"not a uri" """, "applicationUri")]
    public async Task Config_errors_of_the_server_name_the_property(string extra, string expected)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(Server(FreePort(), extra) + "," + ServerNodes(), _userDir));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Config_errors_of_the_out_and_in_nodes_name_the_property()
    {
        var missing = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync("""{"id":"out","type":"opcua server out","z":"t1","wires":[]}""", _userDir));
        Assert.Contains("server", missing.Message);
        var type = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(Server(FreePort()) + "," + ServerNodes(outExtra: ""","dataType":"Decimal" """), _userDir));
        Assert.Contains("Decimal", type.Message);
        var apply = await Assert.ThrowsAsync<FlowValidationException>(() => StartAsync(Server(FreePort()) + "," + ServerNodes(inExtra: ""","apply":"later" """), _userDir));
        Assert.Contains("later", apply.Message);
    }

    [Fact]
    public async Task Values_get_types_status_and_source_timestamps_from_the_message()
    {
        var port = FreePort();
        await using var flow = await StartAsync(Server(port) + "," + ServerNodes(), _userDir);
        Assert.Contains("listening on opc.tcp://127.0.0.1:" + port, OpcUaFlows.StatusText(flow, "out"));
        flow.Send("out", """{"topic":"Dev/Count","payload":7}""");
        flow.Send("out", """{"topic":"Dev/On","payload":true}""");
        flow.Send("out", """{"topic":"Dev/Name","payload":"press","sourceTimestamp":"2026-03-01T10:00:00Z"}""");
        flow.Send("out", """{"topic":"Dev/Flags","payload":[true,false]}""");
        await PublishAsync(flow, ("Dev/Last", "\"x\""));
        await using var session = await ConnectAsync(port);
        var count = await ReadAsync(session, "Dev/Count");
        Assert.Equal(new Variant(BuiltInType.Double, 7.0), count.Value);
        Assert.Equal(new Variant(BuiltInType.Boolean, true), (await ReadAsync(session, "Dev/On")).Value);
        var name = await ReadAsync(session, "Dev/Name");
        Assert.Equal(new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc), name.SourceTimestamp);
        Assert.Equal(new Variant(BuiltInType.Boolean, new object?[] { true, false }, true), (await ReadAsync(session, "Dev/Flags")).Value);

        // A device that dropped: the value stays, the status says so.
        flow.Send("out", """{"topic":"Dev/Count","statusCode":"BadCommunicationError"}""");
        Assert.True(await OpcUaFlows.EventuallyAsync(() => OpcUaFlows.StatusText(flow, "out").Contains("BadCommunicationError", StringComparison.Ordinal)));
        var dropped = await ReadAsync(session, "Dev/Count");
        Assert.Equal("BadCommunicationError", dropped.Status.Name);
        Assert.Equal(7.0, dropped.Value.Value);
        flow.Send("out", """{"topic":"Dev/Count","payload":8}""");
        Assert.True(await OpcUaFlows.EventuallyAsync(() => OpcUaFlows.StatusText(flow, "out").EndsWith("Dev/Count = 8", StringComparison.Ordinal)));
        Assert.True((await ReadAsync(session, "Dev/Count")).Status.IsGood);
    }

    [Fact]
    public async Task A_chosen_Int64_type_and_Json_objects_are_stored_as_asked()
    {
        var port = FreePort();
        await using var flow = await StartAsync(Server(port) + "," + """
            {"id":"big","type":"opcua server out","z":"t1","server":"srv","path":"Plant/Energy","dataType":"Int64","wires":[]},
            {"id":"doc","type":"opcua server out","z":"t1","server":"srv","path":"Plant/Doc","dataType":"Json","wires":[]}
            """, _userDir);
        flow.Send("big", """{"payload":"9007199254740993"}""");
        flow.Send("doc", """{"payload":[{"a":1}]}""");
        Assert.True(await OpcUaFlows.EventuallyAsync(() => OpcUaFlows.StatusText(flow, "big").Contains("Plant/Energy", StringComparison.Ordinal) && OpcUaFlows.StatusText(flow, "doc").Contains("Plant/Doc", StringComparison.Ordinal)));
        await using var session = await ConnectAsync(port);
        Assert.Equal(new Variant(BuiltInType.Int64, 9007199254740993L), (await ReadAsync(session, "Plant/Energy")).Value);
        Assert.Equal(new Variant(BuiltInType.String, """[{"a":1}]"""), (await ReadAsync(session, "Plant/Doc")).Value);
    }

    [Fact]
    public async Task Bad_payloads_are_errors_for_catch_nodes_and_leave_the_value()
    {
        var port = FreePort();
        await using var flow = await StartAsync(Server(port) + "," + ServerNodes(), _userDir);
        await PublishAsync(flow, ("Dev/Speed", "12.5"));
        (string Message, string Expected)[] cases =
        [
            ("""{"topic":"Dev/Speed","payload":"fast"}""", "Double"),
            ("""{"topic":"Dev/Speed","payload":[1,2]}""", "not an array"),
            ("""{"topic":"Dev/Speed","payload":1,"statusCode":"VeryBad"}""", "statusCode"),
            ("""{"topic":"Dev/New"}""", "payload is missing"),
            ("""{"payload":1}""", "msg.topic"),
            ("""{"topic":"Dev/Speed/Sub","payload":1}""", "is a variable"),
            ("""{"topic":"Dev/Empty","payload":[]}""", "empty array"),
        ];
        foreach (var (message, expected) in cases)
        {
            flow.Send("out", message);
            var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(10));
            Assert.Contains(expected, ErrorOf(caught));
        }
        Assert.Contains("Dev/Empty", OpcUaFlows.StatusText(flow, "out"));
        await using var session = await ConnectAsync(port);
        Assert.Equal(12.5, (await ReadAsync(session, "Dev/Speed")).Value.Value);
    }

    [Fact]
    public async Task Confirm_mode_reports_the_write_and_the_flow_applies_it_through_server_out()
    {
        var port = FreePort();
        await using var flow = await StartAsync(Server(port) + "," + ServerNodes(inExtra: ""","path":"Dev","apply":"confirm" """) + """
            ,{"id":"other","type":"opcua server in","z":"t1","server":"srv","path":"Elsewhere","wires":[["h2"]]},
            {"id":"h2","type":"helper","z":"t1","wires":[]}
            """, _userDir);
        await PublishAsync(flow, ("Dev/Setpoint", "20"));
        await using var session = await ConnectAsync(port, User, Password);
        var result = await session.WriteAsync([new WriteValue(new NodeId(1, "Dev/Setpoint"), DataValue.FromValue(new Variant(BuiltInType.Double, 25.0)))], CancellationToken.None);
        Assert.True(result[0].IsGood);
        var write = await flow.NextAsync("h", TimeSpan.FromSeconds(10));
        Assert.Equal(25.0, write["payload"]);
        Assert.Equal(User, ((JsObject)write["_client"]!)["user"]);
        Assert.Equal(20.0, (await ReadAsync(session, "Dev/Setpoint")).Value.Value);
        Assert.True(await flow.NothingArrivesAsync("h2", TimeSpan.FromMilliseconds(200)));

        flow.Send("out", """{"topic":"Dev/Setpoint","payload":25}""");
        Assert.True(await OpcUaFlows.EventuallyAsync(() => OpcUaFlows.StatusText(flow, "out").EndsWith("Dev/Setpoint = 25", StringComparison.Ordinal)));
        Assert.Equal(25.0, (await ReadAsync(session, "Dev/Setpoint")).Value.Value);
    }

    [Fact]
    public async Task A_port_in_use_gives_an_error_status_and_the_out_node_says_the_server_is_not_running()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        await using var flow = await StartAsync(Server(port) + "," + ServerNodes(), _userDir);
        Assert.Contains("in use", OpcUaFlows.StatusText(flow, "srv"));
        Assert.Contains("in use", OpcUaFlows.StatusText(flow, "out"));
        Assert.Contains(flow.Logs, l => l.Message.Contains("in use", StringComparison.Ordinal));
        var server = (OpcUaServerNode)flow.Runtime.Services.Nodes.Find("srv")!;
        Assert.False(server.IsConnected);
        flow.Send("out", """{"topic":"A/B","payload":1}""");
        Assert.Contains("not running", ErrorOf(await flow.NextAsync("errors", TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task Redeploy_stops_the_server_and_starts_it_again_and_removing_it_frees_the_port()
    {
        var port = FreePort();
        var flows = Server(port) + "," + ServerNodes();
        await using var flow = await StartAsync(flows, _userDir);
        await PublishAsync(flow, ("Dev/A", "1"));
        var session = await ConnectAsync(port);
        Assert.Equal(1.0, (await ReadAsync(session, "Dev/A")).Value.Value);

        await flow.DeployAsync($$"""[{"id":"t1","type":"tab","label":"x"},{{flows}}]""");
        // The old server said goodbye to its clients; the new one listens on the same port, empty until values come.
        Assert.True(await OpcUaFlows.EventuallyAsync(() => session.Closed.IsCompleted));
        await session.DisposeAsync();
        await using (var again = await ConnectAsync(port))
        {
            Assert.Equal("BadNodeIdUnknown", (await ReadAsync(again, "Dev/A")).Status.Name);
            await PublishAsync(flow, ("Dev/A", "2"));
            Assert.Equal(2.0, (await ReadAsync(again, "Dev/A")).Value.Value);
        }

        await flow.DeployAsync("""[{"id":"t1","type":"tab","label":"x"}]""");
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_userDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
