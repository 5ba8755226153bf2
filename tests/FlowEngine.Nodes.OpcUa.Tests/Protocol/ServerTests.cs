using System.Net.Sockets;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Server;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Tests.Protocol;

/// <summary>Our UaServer read, written, browsed and subscribed by our own protocol client, security None.</summary>
public sealed class ServerTests : IAsyncLifetime
{
    private ServerHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _harness = await ServerHarness.StartAsync();
        _harness.Set("Line1/Oven/Temperature", 180.5, writable: true);
        _harness.Set("Line1/Oven/Setpoint", 200);
        _harness.Server.AddressSpace.SetVariable("Line1/Name", BuiltInType.String, false, DataValue.FromValue(new Variant(BuiltInType.String, "Oven line")), writable: true);
        for (var i = 0; i < 5; i++) _harness.Set($"Many/Item{i}", i);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static NodeId Id(string path) => new(1, path);

    [Fact]
    public async Task GetEndpoints_offers_each_security_mode_with_the_server_certificate_and_both_logins()
    {
        var endpoints = await UaSession.GetEndpointsAsync(_harness.Client(), CancellationToken.None);
        Assert.Equal(["None", "Sign", "SignAndEncrypt"], endpoints.Select(e => e.SecurityMode.ToString()).ToArray());
        Assert.All(endpoints, e =>
        {
            Assert.Equal("urn:flowengine:test-server", e.Server.ApplicationUri);
            Assert.Equal(_harness.Server.Options.Certificate!.RawData, e.ServerCertificate);
            Assert.Contains(e.UserIdentityTokens, t => t.TokenType == UserTokenType.Anonymous);
            Assert.Contains(e.UserIdentityTokens, t => t.TokenType == UserTokenType.UserName && t.SecurityPolicyUri == SecurityPolicyUris.Basic256Sha256);
        });
    }

    [Fact]
    public async Task FindServers_describes_this_server_on_an_unauthenticated_channel()
    {
        await using var channel = await SecureChannel.OpenAsync(new SecureChannelOptions { Endpoint = new Uri(_harness.Url) }, CancellationToken.None);
        var request = ServiceMessages.Encode(ServiceIds.FindServersRequest, RequestHeader.Anonymous(1, TimeSpan.FromSeconds(5)), w =>
        {
            w.WriteString(_harness.Url);
            w.WriteArray<string>([], w.WriteString);
            w.WriteArray<string>([], w.WriteString);
        });
        var r = ServiceMessages.OpenResponse(await channel.RequestAsync(request, null, CancellationToken.None), ServiceIds.FindServersResponse);
        var server = Assert.Single(r.ReadArray(() => ApplicationDescription.Read(r))!);
        Assert.Equal("urn:flowengine:test-server", server.ApplicationUri);
        Assert.Equal(0, server.ApplicationType);
        Assert.Equal(_harness.Url, Assert.Single(server.DiscoveryUrls));
    }

    [Fact]
    public async Task Standard_nodes_answer_namespace_array_server_state_and_current_time()
    {
        await using var session = await _harness.ConnectAsync();
        Assert.Equal(["http://opcfoundation.org/UA/", "urn:flowengine:test-data"], session.NamespaceUris);
        var values = await session.ReadAsync(
        [
            new ReadValueId(AddressSpace.ServerStatusState),
            new ReadValueId(AddressSpace.ServerStatusCurrentTime),
            new ReadValueId(AddressSpace.ServerArray),
            new ReadValueId(AddressSpace.ServerStatus),
            new ReadValueId(AddressSpace.ServerObject, AttributeIds.BrowseName),
            new ReadValueId(AddressSpace.ServerObject, AttributeIds.EventNotifier),
        ], CancellationToken.None);
        Assert.Equal(new Variant(BuiltInType.Int32, 0), values[0].Value);
        Assert.InRange((DateTime)values[1].Value.Value!, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(["urn:flowengine:test-server"], (object?[])values[2].Value.Value!);
        Assert.Equal(new NodeId(0, 864u), ((ExtensionObject)values[3].Value.Value!).TypeId);
        Assert.Equal(new QualifiedName(0, "Server"), values[4].Value.Value);
        Assert.True(values[5].Status.IsGood);
    }

    [Fact]
    public async Task Every_variable_attribute_is_read_and_others_are_BadAttributeIdInvalid()
    {
        await using var session = await _harness.ConnectAsync();
        var id = Id("Line1/Oven/Temperature");
        uint[] attributes = [1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16, 17, 18, 19, 20, 12, 21, 99];
        var values = await session.ReadAsync(attributes.Select(a => new ReadValueId(id, a)).ToList(), CancellationToken.None);
        Assert.Equal(id, values[0].Value.Value);
        Assert.Equal(2, values[1].Value.Value);
        Assert.Equal(new QualifiedName(1, "Temperature"), values[2].Value.Value);
        Assert.Equal("Temperature", ((LocalizedText)values[3].Value.Value!).Text);
        Assert.True(values[4].Status.IsGood);
        Assert.Equal(0u, values[5].Value.Value);
        Assert.Equal(0u, values[6].Value.Value);
        Assert.Equal(new Variant(BuiltInType.Double, 180.5), values[7].Value);
        Assert.NotNull(values[7].SourceTimestamp);
        Assert.Equal(new NodeId(0, 11u), values[8].Value.Value);
        Assert.Equal(-1, values[9].Value.Value);
        Assert.True(values[10].Status.IsGood);
        Assert.Equal((byte)3, values[11].Value.Value);
        Assert.Equal((byte)3, values[12].Value.Value);
        Assert.Equal(0.0, values[13].Value.Value);
        Assert.Equal(false, values[14].Value.Value);
        Assert.Equal("BadAttributeIdInvalid", values[15].Status.Name); // EventNotifier is for objects
        Assert.Equal("BadAttributeIdInvalid", values[16].Status.Name); // Executable is for methods
        Assert.Equal("BadAttributeIdInvalid", values[17].Status.Name);
        var unknown = await session.ReadAsync([new ReadValueId(Id("No/Such")), new ReadValueId(Id("Line1"), AttributeIds.Value)], CancellationToken.None);
        Assert.Equal("BadNodeIdUnknown", unknown[0].Status.Name);
        Assert.Equal("BadAttributeIdInvalid", unknown[1].Status.Name);
    }

    [Fact]
    public async Task Browse_finds_the_folder_tree_under_Objects_with_type_definitions()
    {
        await using var session = await _harness.ConnectAsync();
        var (status, root) = await session.BrowseAllAsync(new BrowseDescription(AddressSpace.RootFolder), 0, CancellationToken.None);
        Assert.True(status.IsGood);
        Assert.Equal(["Objects", "Types", "Views"], root.Select(r => r.BrowseName.Name ?? "").ToArray());
        Assert.All(root, r => Assert.Equal(AddressSpace.FolderType, r.TypeDefinition.NodeId));

        var (_, objects) = await session.BrowseAllAsync(new BrowseDescription(AddressSpace.ObjectsFolder), 0, CancellationToken.None);
        Assert.Contains(objects, r => r.BrowseName.Name == "Server" && r.NodeClass == NodeClass.Object);
        var line1 = Assert.Single(objects, r => r.BrowseName == new QualifiedName(1, "Line1"));
        Assert.Equal(Id("Line1"), line1.NodeId.NodeId);
        Assert.Equal(AddressSpace.Organizes, line1.ReferenceTypeId);

        var (_, oven) = await session.BrowseAllAsync(new BrowseDescription(Id("Line1/Oven")), 0, CancellationToken.None);
        var temperature = Assert.Single(oven, r => r.BrowseName.Name == "Temperature");
        Assert.Equal(NodeClass.Variable, temperature.NodeClass);
        Assert.Equal(AddressSpace.BaseDataVariableType, temperature.TypeDefinition.NodeId);

        // Inverse browse and a reference type filter with subtypes (HasChild covers HasComponent and HasProperty).
        var (_, parents) = await session.BrowseAllAsync(new BrowseDescription(Id("Line1/Oven"), Direction: 1), 0, CancellationToken.None);
        Assert.Equal(Id("Line1"), Assert.Single(parents).NodeId.NodeId);
        var (_, children) = await session.BrowseAllAsync(new BrowseDescription(AddressSpace.ServerObject, ReferenceTypeId: AddressSpace.HasChild), 0, CancellationToken.None);
        Assert.Contains(children, r => r.BrowseName.Name == "NamespaceArray" && r.ReferenceTypeId == AddressSpace.HasProperty);
        Assert.Contains(children, r => r.BrowseName.Name == "ServerStatus" && r.ReferenceTypeId == AddressSpace.HasComponent);

        var bad = await session.BrowseAsync([new BrowseDescription(Id("Nope")), new BrowseDescription(AddressSpace.ObjectsFolder, ReferenceTypeId: AddressSpace.ObjectsFolder)], 0, CancellationToken.None);
        Assert.Equal("BadNodeIdUnknown", bad[0].Status.Name);
        Assert.Equal("BadReferenceTypeIdInvalid", bad[1].Status.Name);
    }

    [Fact]
    public async Task BrowseNext_pages_with_continuation_points_and_refuses_unknown_ones()
    {
        await using var session = await _harness.ConnectAsync();
        var first = (await session.BrowseAsync([new BrowseDescription(Id("Many"))], 2, CancellationToken.None))[0];
        Assert.Equal(2, first.References.Length);
        Assert.NotNull(first.ContinuationPoint);
        var (status, all) = await session.BrowseAllAsync(new BrowseDescription(Id("Many")), 2, CancellationToken.None);
        Assert.True(status.IsGood);
        Assert.Equal(["Item0", "Item1", "Item2", "Item3", "Item4"], all.Select(r => r.BrowseName.Name ?? "").ToArray());
        var released = await session.BrowseNextAsync([first.ContinuationPoint!], true, CancellationToken.None);
        Assert.True(released[0].Status.IsGood);
        var again = await session.BrowseNextAsync([first.ContinuationPoint!], false, CancellationToken.None);
        Assert.Equal("BadContinuationPointInvalid", again[0].Status.Name);
    }

    [Fact]
    public async Task TranslateBrowsePaths_resolves_a_path_of_browse_names_and_reports_no_match()
    {
        await using var session = await _harness.ConnectAsync();
        var results = await session.TranslateBrowsePathsAsync(
        [
            new BrowsePath(AddressSpace.ObjectsFolder, [new(new QualifiedName(1, "Line1")), new(new QualifiedName(1, "Oven")), new(new QualifiedName(1, "Temperature"))]),
            new BrowsePath(AddressSpace.ObjectsFolder, [new(new QualifiedName(0, "Server")), new(new QualifiedName(0, "ServerStatus")), new(new QualifiedName(0, "State"))]),
            new BrowsePath(AddressSpace.ObjectsFolder, [new(new QualifiedName(1, "Line1")), new(new QualifiedName(1, "Press"))]),
        ], CancellationToken.None);
        Assert.Equal(Id("Line1/Oven/Temperature"), Assert.Single(results[0].Targets).TargetId.NodeId);
        Assert.Equal(AddressSpace.ServerStatusState, Assert.Single(results[1].Targets).TargetId.NodeId);
        Assert.Equal("BadNoMatch", results[2].Status.Name);
    }

    [Fact]
    public async Task Write_stores_a_value_of_the_right_type_and_refuses_wrong_types_read_only_and_unknown_nodes()
    {
        await using var session = await _harness.ConnectAsync(MessageSecurityMode.None, ServerHarness.User, ServerHarness.Password);
        var results = await session.WriteAsync(
        [
            new WriteValue(Id("Line1/Oven/Temperature"), DataValue.FromValue(new Variant(BuiltInType.Double, 190.25))),
            new WriteValue(Id("Line1/Oven/Temperature"), DataValue.FromValue(new Variant(BuiltInType.Int32, 190))),
            new WriteValue(Id("Line1/Oven/Temperature"), DataValue.FromValue(new Variant(BuiltInType.Double, new object?[] { 1.0 }, true))),
            new WriteValue(Id("Line1/Oven/Setpoint"), DataValue.FromValue(new Variant(BuiltInType.Double, 1.0))),
            new WriteValue(Id("No/Such"), DataValue.FromValue(new Variant(BuiltInType.Double, 1.0))),
            new WriteValue(Id("Line1/Oven/Temperature"), DataValue.FromValue(new Variant(BuiltInType.String, "x")), AttributeIds.DisplayName),
            new WriteValue(AddressSpace.ServerStatusState, DataValue.FromValue(new Variant(BuiltInType.Int32, 1))),
        ], CancellationToken.None);
        Assert.Equal(["Good", "BadTypeMismatch", "BadTypeMismatch", "BadNotWritable", "BadNodeIdUnknown", "BadNotWritable", "BadNotWritable"], results.Select(r => r.Name).ToArray());
        var write = Assert.Single(_harness.Writes);
        Assert.Equal(ServerHarness.User, write.UserName);
        Assert.Equal("Line1/Oven/Temperature", write.Variable.Path);
        var value = (await session.ReadAsync([new ReadValueId(Id("Line1/Oven/Temperature"))], CancellationToken.None))[0];
        Assert.Equal(new Variant(BuiltInType.Double, 190.25), value.Value);
    }

    [Fact]
    public async Task A_write_left_to_the_flow_to_confirm_is_reported_but_not_stored()
    {
        _harness.ApplyWrites = false;
        await using var session = await _harness.ConnectAsync();
        var result = await session.WriteAsync([new WriteValue(Id("Line1/Name"), DataValue.FromValue(new Variant(BuiltInType.String, "renamed")))], CancellationToken.None);
        Assert.True(result[0].IsGood);
        Assert.Null(Assert.Single(_harness.Writes).UserName);
        var value = (await session.ReadAsync([new ReadValueId(Id("Line1/Name"))], CancellationToken.None))[0];
        Assert.Equal("Oven line", value.Value.Value);
    }

    [Fact]
    public async Task Large_values_travel_in_many_chunks_both_ways()
    {
        await using var session = await _harness.ConnectAsync();
        var big = new string('x', 300_000);
        var result = await session.WriteAsync([new WriteValue(Id("Line1/Name"), DataValue.FromValue(new Variant(BuiltInType.String, big)))], CancellationToken.None);
        Assert.True(result[0].IsGood);
        var value = (await session.ReadAsync([new ReadValueId(Id("Line1/Name"))], CancellationToken.None))[0];
        Assert.Equal(big, value.Value.Value);
    }

    [Fact]
    public async Task A_request_over_the_message_size_limit_gets_BadRequestTooLarge_and_the_session_goes_on()
    {
        await using var small = await ServerHarness.StartAsync(configure: o => o with { MaxMessageSize = 100_000 });
        small.Server.AddressSpace.SetVariable("Text", BuiltInType.String, false, DataValue.FromValue(new Variant(BuiltInType.String, "short")), writable: true);
        await using var session = await small.ConnectAsync();
        var tooLarge = await Assert.ThrowsAsync<UaStatusException>(() => session.WriteAsync([new WriteValue(Id("Text"), DataValue.FromValue(new Variant(BuiltInType.String, new string('y', 300_000))))], CancellationToken.None));
        Assert.Equal("BadRequestTooLarge", tooLarge.Status.Name);
        Assert.Equal("short", (await session.ReadAsync([new ReadValueId(Id("Text"))], CancellationToken.None))[0].Value.Value);
    }

    [Fact]
    public async Task Unsupported_services_and_requests_without_a_session_get_a_fault_and_the_connection_stays()
    {
        await using var session = await _harness.ConnectAsync();
        var call = await Assert.ThrowsAsync<UaStatusException>(() => session.CallMethodsAsync([new CallMethodRequest(AddressSpace.ServerObject, new NodeId(0, 11492u), [])], CancellationToken.None));
        Assert.Equal("BadServiceUnsupported", call.Status.Name);
        var empty = await Assert.ThrowsAsync<UaStatusException>(() => session.ReadAsync([], CancellationToken.None));
        Assert.Equal("BadNothingToDo", empty.Status.Name);
        var values = await session.ReadAsync([new ReadValueId(AddressSpace.ServerStatusState)], CancellationToken.None);
        Assert.True(values[0].Status.IsGood);

        await using var channel = await SecureChannel.OpenAsync(new SecureChannelOptions { Endpoint = new Uri(_harness.Url) }, CancellationToken.None);
        var request = ServiceMessages.Encode(ServiceIds.ReadRequest, RequestHeader.Anonymous(7, TimeSpan.FromSeconds(5)), w =>
        {
            w.WriteDouble(0);
            w.WriteInt32(0);
            w.WriteArray([new ReadValueId(AddressSpace.ServerStatusState)], i => i.Write(w));
        });
        var response = await channel.RequestAsync(request, null, CancellationToken.None);
        var refused = Assert.Throws<UaStatusException>(() => ServiceMessages.OpenResponse(response, ServiceIds.ReadResponse));
        Assert.Equal("BadSessionIdInvalid", refused.Status.Name);
        var truncated = await Assert.ThrowsAsync<UaStatusException>(() => session.CallServiceAsync(ServiceIds.ReadRequest, ServiceIds.ReadResponse, w => w.WriteDouble(0), CancellationToken.None));
        Assert.Equal("BadDecodingError", truncated.Status.Name);
        var hostile = await Assert.ThrowsAsync<UaStatusException>(() => session.CallServiceAsync(ServiceIds.ReadRequest, ServiceIds.ReadResponse, w =>
        {
            w.WriteDouble(0);
            w.WriteInt32(0);
            w.WriteInt32(int.MaxValue); // an array length far beyond the message
        }, CancellationToken.None));
        Assert.Equal("BadDecodingError", hostile.Status.Name);
        Assert.True((await session.ReadAsync([new ReadValueId(AddressSpace.ServerStatusState)], CancellationToken.None))[0].Status.IsGood);
    }

    [Fact]
    public async Task Garbage_on_the_socket_gets_an_Error_message_for_that_client_only()
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", _harness.Server.LocalEndPoint!.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(read >= 16);
            Assert.Equal("ERRF", System.Text.Encoding.ASCII.GetString(buffer, 0, 4));
        }
        using (var tcp = new TcpClient())
        {
            // A Hello that claims a 4 GB chunk.
            await tcp.ConnectAsync("127.0.0.1", _harness.Server.LocalEndPoint!.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(new byte[] { (byte)'H', (byte)'E', (byte)'L', (byte)'F', 0xFF, 0xFF, 0xFF, 0xFF });
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("ERRF", System.Text.Encoding.ASCII.GetString(buffer, 0, 4));
            Assert.Equal(StatusCodes.BadTcpMessageTooLarge, BitConverter.ToUInt32(buffer, 8));
        }
        await using var session = await _harness.ConnectAsync();
        Assert.True((await session.ReadAsync([new ReadValueId(AddressSpace.ServerStatusState)], CancellationToken.None))[0].Status.IsGood);
    }

    [Fact]
    public async Task A_second_server_on_the_same_port_says_the_port_is_in_use()
    {
        await using var other = new UaServer(new UaServerOptions { Port = _harness.Server.LocalEndPoint!.Port });
        var error = Assert.Throws<UaStatusException>(other.Start);
        Assert.Contains("in use", error.Message);
    }
}
