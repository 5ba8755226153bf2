using FlowEngine.Core.Values;
using FlowEngine.Nodes.OpcUa.Tests.Peers;
using static FlowEngine.Nodes.OpcUa.Tests.OpcUaFlows;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>read, write, browse and method nodes against the node-opcua peer over security None.</summary>
public sealed class ClientNodeTests(OpcUaPeerFixture fixture) : IClassFixture<OpcUaPeerFixture>
{
    private OpcUaPeer Peer => fixture.Peer;

    [Fact]
    public async Task Read_sends_value_status_timestamps_and_data_type_with_the_node_id_as_topic()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Name","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("r", """{"payload":1}""");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal("ns=1;s=Name", msg["topic"]);
        Assert.Equal("Line-1 Press", msg["payload"]);
        Assert.Equal("Good", msg["statusCode"]);
        Assert.Equal("String", msg["dataType"]);
        Assert.IsType<DateTime>(msg["serverTimestamp"]);
    }

    [Fact]
    public async Task Read_takes_an_array_of_node_ids_from_the_topic_and_resolves_namespace_uris()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("r", """{"topic":["nsu=urn:testpeer:opcua;s=Running","ns=1;s=Types.Int32","ns=1;s=Types.DoubleArray"]}""");
        var messages = await flow.NextAsync("h", 3, TimeSpan.FromSeconds(20));
        Assert.Equal(true, messages[0]["payload"]);
        Assert.Equal(-123456.0, messages[1]["payload"]);
        Assert.Equal("Int32", messages[1]["dataType"]);
        Assert.Equal("[1.5,2.5,3.5]", JsJson.Serialize(messages[2]["payload"]));
        Assert.Equal("Double[]", messages[2]["dataType"]);
    }

    [Fact]
    public async Task Read_of_an_unknown_node_is_an_error_with_its_status_name()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=1;s=DoesNotExist","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("r", """{"payload":1}""");
        var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(20));
        Assert.Contains("BadNodeIdUnknown", ErrorText(caught));
        Assert.Equal("BadNodeIdUnknown", caught["statusCode"]);
        Assert.Empty(flow.Received("h"));
    }

    [Fact]
    public async Task Write_converts_to_the_variable_type_and_reads_back()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"w","type":"opcua write","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Setpoint","wires":[["hw"]]},
            {"id":"hw","type":"helper","z":"t1","wires":[]},
            {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Setpoint","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("w", """{"payload":77}""");
        var written = await flow.NextAsync("hw", TimeSpan.FromSeconds(20));
        Assert.Equal("Good", written["statusCode"]);
        Assert.Equal("Double", written["dataType"]);
        flow.Send("r", """{}""");
        Assert.Equal(77.0, (await flow.NextAsync("h", TimeSpan.FromSeconds(20)))["payload"]);
        Assert.Contains(flow.Logs, l => l.Message.Contains("audit: opcua write", StringComparison.Ordinal) && l.Message.Contains("ns=1;s=Setpoint = 77", StringComparison.Ordinal));
        flow.Send("w", """{"payload":42.5}""");
        await flow.NextAsync("hw", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Write_to_a_read_only_variable_is_refused_with_BadNotWritable()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"w","type":"opcua write","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Name","wires":[["hw"]]},
            {"id":"hw","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("w", """{"payload":"renamed"}""");
        var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(20));
        Assert.Contains("BadNotWritable", ErrorText(caught));
        Assert.Contains(flow.Logs, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_of_a_value_that_does_not_fit_the_type_is_an_error_before_anything_is_sent()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"w","type":"opcua write","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Types.Byte","wires":[["hw"]]},
            {"id":"hw","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("w", """{"payload":300}""");
        var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(20));
        Assert.Contains("Byte", ErrorText(caught));
    }

    [Fact]
    public async Task Browse_returns_the_tree_under_objects_and_pages_with_BrowseNext()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"b","type":"opcua browse","z":"t1","endpoint":"ep","nodeId":"i=85","depth":2,"maxReferences":50,"wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("b", """{}""");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(30));
        var top = ((List<object?>)msg["payload"]!).Cast<JsObject>().ToList();
        var device = top.Single(n => (string?)n["browseName"] == "1:Device");
        Assert.Equal("ns=1;i=1000", device["nodeId"]);
        var children = ((List<object?>)device["children"]!).Cast<JsObject>().Select(c => (string?)c["browseName"]).ToList();
        Assert.Contains("1:Temperature", children);
        Assert.Contains("1:Multiply", children);
        var many = top.Single(n => (string?)n["browseName"] == "1:Many");
        Assert.Equal(120, ((List<object?>)many["children"]!).Count(c => ((string?)((JsObject)c!)["browseName"])!.StartsWith("1:Item", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Method_call_converts_arguments_to_the_declared_types_and_returns_outputs()
    {
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
            {"id":"m","type":"opcua method","z":"t1","endpoint":"ep","objectId":"ns=1;i=1000","methodId":"ns=1;s=Multiply","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """);
        flow.Send("m", """{"payload":[6,7]}""");
        var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(20));
        Assert.Equal("[42]", JsJson.Serialize(msg["payload"]));
        Assert.Equal("Good", msg["statusCode"]);
        flow.Send("m", """{"payload":[6]}""");
        Assert.Contains("takes 2 argument", ErrorText(await flow.NextAsync("errors", TimeSpan.FromSeconds(20))));
    }

    [Fact]
    public async Task User_name_login_is_accepted_and_a_wrong_password_shows_BadUserAccessDenied()
    {
        await using (var flow = await StartAsync(Endpoint(Peer.EndpointUrl, UserLogin(OpcUaPeer.User, OpcUaPeer.Password)) + "," + """
            {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Running","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """))
        {
            flow.Send("r", """{}""");
            Assert.Equal(true, (await flow.NextAsync("h", TimeSpan.FromSeconds(20)))["payload"]);
        }
        await using (var flow = await StartAsync(Endpoint(Peer.EndpointUrl, UserLogin(OpcUaPeer.User, "wrong")) + "," + """
            {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Running","wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """))
        {
            flow.Send("r", """{}""");
            var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(30));
            Assert.Contains("BadUserAccessDenied", ErrorText(caught));
            Assert.Contains("BadUserAccessDenied", StatusText(flow, "r"));
        }
    }

    [Fact]
    public async Task A_bad_node_id_in_the_config_is_rejected_at_deploy_with_the_property_name()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl) + "," + """
                {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=x;s=A","wires":[]}
                """);
        });
        Assert.Contains("nodeId", error.Message);
    }
}
