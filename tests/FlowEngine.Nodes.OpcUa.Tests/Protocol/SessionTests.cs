using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;
using FlowEngine.Nodes.OpcUa.Tests.Peers;

namespace FlowEngine.Nodes.OpcUa.Tests.Protocol;

/// <summary>The protocol client alone against the node-opcua peer, security None.</summary>
public sealed class SessionTests(OpcUaPeerFixture fixture) : IClassFixture<OpcUaPeerFixture>
{
    private OpcUaPeer Peer => fixture.Peer;

    private UaClientOptions Options(string? user = null, string? password = null) => new()
    {
        EndpointUrl = new Uri(Peer.EndpointUrl),
        UserName = user,
        Password = password,
    };

    [Fact]
    public async Task GetEndpoints_lists_none_sign_and_sign_and_encrypt()
    {
        var endpoints = await UaSession.GetEndpointsAsync(Options(), CancellationToken.None);
        var modes = endpoints.Select(e => e.SecurityMode.ToString()).Distinct().Order().ToArray();
        Assert.Equal(["None", "Sign", "SignAndEncrypt"], modes);
        Assert.All(endpoints, e => Assert.Equal("urn:testpeer:opcua", e.Server.ApplicationUri));
    }

    [Fact]
    public async Task Anonymous_session_reads_values_with_status_and_timestamps()
    {
        await using var session = await UaSession.ConnectAsync(Options(), CancellationToken.None);
        Assert.Equal("urn:testpeer:opcua", session.NamespaceUris[1]);
        var values = await session.ReadAsync(
        [
            new ReadValueId(NodeId.Parse("ns=1;s=Name")),
            new ReadValueId(NodeId.Parse("ns=1;s=Running")),
            new ReadValueId(NodeId.Parse("ns=1;s=Counter")),
            new ReadValueId(NodeId.Parse("ns=1;s=Nope")),
        ], CancellationToken.None);
        Assert.Equal(new Variant(BuiltInType.String, "Line-1 Press"), values[0].Value);
        Assert.Equal(new Variant(BuiltInType.Boolean, true), values[1].Value);
        Assert.Equal(BuiltInType.Int32, values[2].Value.Type);
        Assert.NotNull(values[2].ServerTimestamp);
        Assert.Equal("BadNodeIdUnknown", values[3].Status.Name);
    }

    [Fact]
    public async Task User_name_login_is_accepted_and_a_wrong_password_is_refused()
    {
        await using (var session = await UaSession.ConnectAsync(Options(OpcUaPeer.User, OpcUaPeer.Password), CancellationToken.None))
        {
            var values = await session.ReadAsync([new ReadValueId(NodeId.Parse("ns=1;s=Running"))], CancellationToken.None);
            Assert.True(values[0].Status.IsGood);
        }
        var refused = await Assert.ThrowsAsync<UaStatusException>(() => UaSession.ConnectAsync(Options(OpcUaPeer.User, "wrong"), CancellationToken.None));
        Assert.Equal("BadUserAccessDenied", refused.Status.Name);
    }

    public static TheoryData<string> TypeNames() => new()
    {
        "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double", "String", "DateTime",
        "Guid", "ByteString", "XmlElement", "NodeId", "StatusCode", "QualifiedName", "LocalizedText", "DoubleArray",
    };

    [Theory]
    [MemberData(nameof(TypeNames))]
    public async Task Each_built_in_type_reads_writes_back_and_reads_the_same(string type)
    {
        await using var session = await UaSession.ConnectAsync(Options(), CancellationToken.None);
        var node = NodeId.Parse("ns=1;s=Types." + type);
        var first = (await session.ReadAsync([new ReadValueId(node)], CancellationToken.None))[0];
        Assert.True(first.Status.IsGood, first.Status.Name);
        Assert.Equal(type == "DoubleArray" ? "Double" : type, first.Value.Type.ToString());
        var results = await session.WriteAsync([new WriteValue(node, DataValue.FromValue(first.Value))], CancellationToken.None);
        Assert.True(results[0].IsGood, results[0].Name);
        var second = (await session.ReadAsync([new ReadValueId(node)], CancellationToken.None))[0];
        Assert.Equal(first.Value, second.Value);
    }

    [Fact]
    public async Task A_message_larger_than_one_chunk_is_split_and_reassembled_both_ways()
    {
        await using var session = await UaSession.ConnectAsync(Options(), CancellationToken.None);
        var node = NodeId.Parse("ns=1;s=Types.ByteString");
        var big = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var results = await session.WriteAsync([new WriteValue(node, DataValue.FromValue(new Variant(BuiltInType.ByteString, big)))], CancellationToken.None);
        Assert.True(results[0].IsGood, results[0].Name);
        var read = (await session.ReadAsync([new ReadValueId(node)], CancellationToken.None))[0];
        Assert.Equal(big, (byte[])read.Value.Value!);
        await session.WriteAsync([new WriteValue(node, DataValue.FromValue(new Variant(BuiltInType.ByteString, new byte[] { 1, 2, 3 })))], CancellationToken.None);
    }

    [Fact]
    public async Task TranslateBrowsePaths_finds_a_variable_by_browse_names_and_reports_no_match()
    {
        await using var session = await UaSession.ConnectAsync(Options(), CancellationToken.None);
        var results = await session.TranslateBrowsePathsAsync(
        [
            new BrowsePath(WellKnownNodes.ObjectsFolder, [new RelativePathElement(QualifiedName.Parse("1:Device")), new RelativePathElement(QualifiedName.Parse("1:Temperature"))]),
            new BrowsePath(WellKnownNodes.ObjectsFolder, [new RelativePathElement(QualifiedName.Parse("1:Nothing"))]),
        ], CancellationToken.None);
        Assert.Equal("ns=1;s=Temperature", Assert.Single(results[0].Targets).TargetId.NodeId.ToString());
        Assert.Equal("BadNoMatch", results[1].Status.Name);
    }

    [Fact]
    public async Task Browse_pages_through_continuation_points_with_BrowseNext()
    {
        await using var session = await UaSession.ConnectAsync(Options(), CancellationToken.None);
        var first = (await session.BrowseAsync([new BrowseDescription(NodeId.Parse("ns=1;s=Many"))], 50, CancellationToken.None))[0];
        Assert.Equal(50, first.References.Length);
        Assert.NotNull(first.ContinuationPoint);
        var next = (await session.BrowseNextAsync([first.ContinuationPoint!], false, CancellationToken.None))[0];
        Assert.Equal(50, next.References.Length);
        var released = (await session.BrowseNextAsync([next.ContinuationPoint!], true, CancellationToken.None))[0];
        Assert.Empty(released.References);
    }

    [Fact]
    public async Task Call_returns_output_arguments()
    {
        await using var session = await UaSession.ConnectAsync(Options(), CancellationToken.None);
        var result = (await session.CallMethodsAsync([new CallMethodRequest(NodeId.Parse("ns=1;i=1000"), NodeId.Parse("ns=1;s=Multiply"),
            [new Variant(BuiltInType.Double, 1.5), new Variant(BuiltInType.Double, 4.0)])], CancellationToken.None))[0];
        Assert.True(result.Status.IsGood, result.Status.Name);
        Assert.Equal(new Variant(BuiltInType.Double, 6.0), Assert.Single(result.OutputArguments));
    }

    [Fact]
    public async Task A_server_that_is_not_there_gives_BadNotConnected()
    {
        var options = Options() with { EndpointUrl = new Uri($"opc.tcp://127.0.0.1:{OpcUaPeer.FreePort()}/x") };
        var error = await Assert.ThrowsAsync<UaStatusException>(() => UaSession.ConnectAsync(options, CancellationToken.None));
        Assert.Equal("BadNotConnected", error.Status.Name);
    }

    private sealed class Recorder : IUaSubscriptionHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string NodeId, DataValue Value)> Changes { get; } = new();
        public System.Collections.Concurrent.ConcurrentQueue<string> Statuses { get; } = new();

        public void OnDataChange(MonitoredItemSpec item, NodeId nodeId, DataValue value) => Changes.Enqueue((item.NodeId, value));

        public void OnItemError(MonitoredItemSpec item, StatusCode status, string text) => Statuses.Enqueue("item " + text);

        public void OnStatus(string text, bool healthy, StatusCode? status) => Statuses.Enqueue(text);
    }

    [Fact]
    public async Task A_broken_link_resumes_the_session_and_keeps_the_subscription_and_its_counter_sequence()
    {
        await using var connection = new UaConnection(Options(), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1));
        var recorder = new Recorder();
        await using var subscription = connection.Subscribe(new UaSubscriptionOptions(200, 5, 50), [new MonitoredItemSpec("ns=1;s=Counter", 100)], recorder);
        Assert.True(await OpcUaFlows.EventuallyAsync(() => recorder.Changes.Count >= 2), string.Join(" | ", recorder.Statuses));
        var id = subscription.SubscriptionId;
        var session = await connection.GetSessionAsync(CancellationToken.None);
        await session.DropChannelAsync();
        Assert.True(await OpcUaFlows.EventuallyAsync(() => recorder.Statuses.Contains("reconnected: subscription kept")), string.Join(" | ", recorder.Statuses));
        Assert.Equal(id, subscription.SubscriptionId);
        var before = recorder.Changes.Count;
        Assert.True(await OpcUaFlows.EventuallyAsync(() => recorder.Changes.Count >= before + 2), string.Join(" | ", recorder.Statuses));
        // No value was skipped across the break: the counter rises by one per change.
        var values = recorder.Changes.Select(c => (int)c.Value.Value.Value!).ToList();
        var trace = string.Join(", ", recorder.Changes.Select(c => $"{c.Value.Value.Value}@{c.Value.SourceTimestamp:HH:mm:ss.fff}")) + " / " + string.Join(" | ", recorder.Statuses);
        Assert.All(values.Zip(values.Skip(1)), p => Assert.True(p.First + 1 == p.Second, trace));
    }
}
