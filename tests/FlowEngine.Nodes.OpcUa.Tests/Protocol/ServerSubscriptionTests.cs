using System.Collections.Concurrent;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Server;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Tests.Protocol;

/// <summary>Subscriptions, monitored items, Publish/Republish and session limits of our UaServer, driven by our client.</summary>
public sealed class ServerSubscriptionTests : IAsyncLifetime
{
    private ServerHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _harness = await ServerHarness.StartAsync(configure: o => o with { MinSessionTimeout = TimeSpan.FromSeconds(1), MaxSessions = 3 });
        _harness.Set("Plant/Level", 10);
        _harness.Set("Plant/Flow", 1);
        _harness.Server.AddressSpace.SetVariable("Plant/Mode", BuiltInType.String, false, DataValue.FromValue(new Variant(BuiltInType.String, "auto")));
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static NodeId Id(string path) => new(1, path);

    private sealed class Recorder : IUaSubscriptionHandler
    {
        public ConcurrentQueue<(string NodeId, DataValue Value)> Changes { get; } = new();
        public ConcurrentQueue<string> Errors { get; } = new();

        public void OnDataChange(MonitoredItemSpec item, NodeId nodeId, DataValue value) => Changes.Enqueue((item.NodeId, value));

        public void OnItemError(MonitoredItemSpec item, StatusCode status, string text) => Errors.Enqueue($"{item.NodeId} {status.Name}");

        public void OnStatus(string text, bool healthy, StatusCode? status)
        {
        }

        public double[] Values(string nodeId) => Changes.Where(c => c.NodeId == nodeId).Select(c => Convert.ToDouble(c.Value.Value.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public async Task A_client_subscription_gets_the_current_value_then_each_change_and_the_deadband_holds_back_small_ones()
    {
        await using var connection = new UaConnection(_harness.Client(), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));
        var recorder = new Recorder();
        await using var subscription = connection.Subscribe(new UaSubscriptionOptions(PublishingInterval: 50),
        [
            new MonitoredItemSpec("ns=1;s=Plant/Level", SamplingInterval: 0, QueueSize: 10),
            new MonitoredItemSpec("ns=1;s=Plant/Flow", SamplingInterval: 0, QueueSize: 10, Filter: new DataChangeFilter(DataChangeTrigger.StatusValue, DeadbandType.Absolute, 0.5)),
            new MonitoredItemSpec("i=2258", SamplingInterval: 100),
        ], recorder);
        await connection.GetSessionAsync(CancellationToken.None);
        Assert.True(await ServerHarness.EventuallyAsync(() => recorder.Values("ns=1;s=Plant/Level").Length == 1 && recorder.Values("ns=1;s=Plant/Flow").Length == 1));
        _harness.Set("Plant/Level", 11);
        _harness.Set("Plant/Level", 12);
        _harness.Set("Plant/Flow", 1.2); // within the deadband
        _harness.Set("Plant/Flow", 1.4); // still within 0.5 of the last reported 1
        _harness.Set("Plant/Flow", 2);
        Assert.True(await ServerHarness.EventuallyAsync(() => recorder.Values("ns=1;s=Plant/Level").Length == 3 && recorder.Values("ns=1;s=Plant/Flow").Length == 2),
            string.Join(", ", recorder.Changes.Select(c => $"{c.NodeId}={c.Value.Value}")));
        Assert.Equal([10.0, 11, 12], recorder.Values("ns=1;s=Plant/Level"));
        Assert.Equal([1.0, 2], recorder.Values("ns=1;s=Plant/Flow"));
        // CurrentTime is sampled, so it keeps changing.
        Assert.True(await ServerHarness.EventuallyAsync(() => recorder.Changes.Count(c => c.NodeId == "i=2258") >= 3));
        Assert.Empty(recorder.Errors);
    }

    [Fact]
    public async Task After_a_broken_channel_the_client_resumes_its_session_and_the_subscription_goes_on()
    {
        await using var connection = new UaConnection(_harness.Client(), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        var recorder = new Recorder();
        await using var subscription = connection.Subscribe(new UaSubscriptionOptions(PublishingInterval: 50), [new MonitoredItemSpec("ns=1;s=Plant/Level", SamplingInterval: 0, QueueSize: 10)], recorder);
        var session = await connection.GetSessionAsync(CancellationToken.None);
        Assert.True(await ServerHarness.EventuallyAsync(() => recorder.Values("ns=1;s=Plant/Level").Length == 1));
        var sessions = _harness.Server.SessionCount;
        await session.DropChannelAsync();
        // The client reconnects on a new channel and activates the same session there (Part 4 §5.6.3).
        Assert.True(await ServerHarness.EventuallyAsync(() => connection.State == UaConnectionState.Connected));
        _harness.Set("Plant/Level", 33);
        Assert.True(await ServerHarness.EventuallyAsync(() => recorder.Values("ns=1;s=Plant/Level").Contains(33.0)), string.Join(", ", recorder.Changes.Select(c => c.Value.Value)));
        Assert.Equal(sessions, _harness.Server.SessionCount);
    }

    private static async Task<uint> CreateSubscriptionAsync(UaSession session, double interval = 50, uint keepAlive = 3)
    {
        var created = await session.CreateSubscriptionAsync(new SubscriptionParameters(interval, keepAlive * 10, keepAlive), CancellationToken.None);
        return created.SubscriptionId;
    }

    private static async Task<PublishResult> PublishUntilDataAsync(UaSession session, List<(uint, uint)> acknowledgements)
    {
        for (var i = 0; i < 50; i++)
        {
            var result = await session.PublishAsync(acknowledgements, TimeSpan.FromSeconds(10), CancellationToken.None);
            acknowledgements.Clear();
            if (!result.Message.IsKeepAlive) return result;
        }
        throw new TimeoutException("no data change in 50 Publish responses");
    }

    [Fact]
    public async Task Publish_delivers_data_then_keep_alives_and_Republish_serves_unacknowledged_messages()
    {
        await using var session = await _harness.ConnectAsync();
        var subscriptionId = await CreateSubscriptionAsync(session);
        var items = await session.CreateMonitoredItemsAsync(subscriptionId,
        [
            new MonitoredItemRequest(new ReadValueId(Id("Plant/Level")), 7, 0, 5),
            new MonitoredItemRequest(new ReadValueId(Id("Nope")), 8, 0, 1),
            new MonitoredItemRequest(new ReadValueId(Id("Plant/Level")), 9, 0, 1, Filter: new DataChangeFilter(DataChangeTrigger.StatusValue, DeadbandType.Percent, 5)),
            new MonitoredItemRequest(new ReadValueId(Id("Plant/Mode")), 10, 0, 1, Filter: new DataChangeFilter(DataChangeTrigger.StatusValue, DeadbandType.Absolute, 1)),
            new MonitoredItemRequest(new ReadValueId(Id("Plant"), AttributeIds.Value), 11, 0, 1),
        ], TimestampsToReturn.Both, CancellationToken.None);
        Assert.Equal(["Good", "BadNodeIdUnknown", "BadMonitoredItemFilterUnsupported", "BadFilterNotAllowed", "BadAttributeIdInvalid"], items.Select(i => i.Status.Name).ToArray());
        Assert.Equal(5u, items[0].RevisedQueueSize);

        var acknowledgements = new List<(uint, uint)>();
        var first = await PublishUntilDataAsync(session, acknowledgements);
        Assert.Equal(subscriptionId, first.SubscriptionId);
        var initial = Assert.Single(first.Message.DataChanges);
        Assert.Equal(7u, initial.ClientHandle);
        Assert.Equal(new Variant(BuiltInType.Double, 10.0), initial.Value.Value);
        Assert.Contains(first.Message.SequenceNumber, first.AvailableSequenceNumbers);

        var again = await session.RepublishAsync(subscriptionId, first.Message.SequenceNumber, CancellationToken.None);
        Assert.Equal(first.Message.SequenceNumber, again.SequenceNumber);
        Assert.Equal(initial.Value.Value, Assert.Single(again.DataChanges).Value.Value);

        // Nothing changes: keep-alives come, carrying the next sequence number without using it.
        var keepAlive = await session.PublishAsync([(subscriptionId, first.Message.SequenceNumber)], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.True(keepAlive.Message.IsKeepAlive);
        Assert.Equal(first.Message.SequenceNumber + 1, keepAlive.Message.SequenceNumber);
        Assert.Equal(["Good"], keepAlive.AcknowledgeResults.Select(r => r.Name).ToArray());
        var gone = await Assert.ThrowsAsync<UaStatusException>(() => session.RepublishAsync(subscriptionId, first.Message.SequenceNumber, CancellationToken.None));
        Assert.Equal("BadMessageNotAvailable", gone.Status.Name);

        _harness.Set("Plant/Level", 20);
        _harness.Set("Plant/Level", 21);
        var next = await PublishUntilDataAsync(session, acknowledgements);
        Assert.Equal([20.0, 21.0], next.Message.DataChanges.Select(c => (double)c.Value.Value.Value!).ToArray());
        var unknownAck = await session.PublishAsync([(subscriptionId, 9999), (4242, 1)], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(["BadSequenceNumberUnknown", "BadSubscriptionIdInvalid"], unknownAck.AcknowledgeResults.Select(r => r.Name).ToArray());
    }

    [Fact]
    public async Task Modify_publishing_mode_monitoring_mode_and_deletes_change_what_is_published()
    {
        await using var session = await _harness.ConnectAsync();
        var subscriptionId = await CreateSubscriptionAsync(session);
        var item = (await session.CreateMonitoredItemsAsync(subscriptionId, [new MonitoredItemRequest(new ReadValueId(Id("Plant/Flow")), 1, 0, 1)], TimestampsToReturn.Both, CancellationToken.None))[0];
        var acknowledgements = new List<(uint, uint)>();
        await PublishUntilDataAsync(session, acknowledgements);

        var modified = await session.CallServiceAsync(ServiceIds.ModifySubscriptionRequest, ServiceIds.ModifySubscriptionResponse, w =>
        {
            w.WriteUInt32(subscriptionId);
            w.WriteDouble(1); // below the server's minimum
            w.WriteUInt32(1);
            w.WriteUInt32(2);
            w.WriteUInt32(0);
            w.WriteByte(0);
        }, CancellationToken.None);
        Assert.Equal(50.0, modified.ReadDouble());
        Assert.Equal(6u, modified.ReadUInt32()); // lifetime at least three keep-alive periods
        Assert.Equal(2u, modified.ReadUInt32());

        // Monitoring mode Sampling: values are sampled but not reported.
        await SetMonitoringModeAsync(session, subscriptionId, 1, item.MonitoredItemId);
        _harness.Set("Plant/Flow", 5);
        var quiet = await session.PublishAsync([], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.True(quiet.Message.IsKeepAlive);
        await SetMonitoringModeAsync(session, subscriptionId, 2, item.MonitoredItemId);
        Assert.Equal(5.0, (await PublishUntilDataAsync(session, acknowledgements)).Message.DataChanges[^1].Value.Value.Value);

        var modes = await session.CallServiceAsync(ServiceIds.SetPublishingModeRequest, ServiceIds.SetPublishingModeResponse, w =>
        {
            w.WriteBoolean(false);
            w.WriteArray([subscriptionId, 999u], w.WriteUInt32);
        }, CancellationToken.None);
        Assert.Equal([StatusCodes.Good, StatusCodes.BadSubscriptionIdInvalid], modes.ReadArray(modes.ReadUInt32)!);
        _harness.Set("Plant/Flow", 6);
        Assert.True((await session.PublishAsync([], TimeSpan.FromSeconds(10), CancellationToken.None)).Message.IsKeepAlive);

        var deletedItems = await session.CallServiceAsync(ServiceIds.DeleteMonitoredItemsRequest, ServiceIds.DeleteMonitoredItemsResponse, w =>
        {
            w.WriteUInt32(subscriptionId);
            w.WriteArray([item.MonitoredItemId, 12345u], w.WriteUInt32);
        }, CancellationToken.None);
        Assert.Equal([StatusCodes.Good, StatusCodes.BadMonitoredItemIdInvalid], deletedItems.ReadArray(deletedItems.ReadUInt32)!);

        var deleted = await session.DeleteSubscriptionsAsync([subscriptionId, subscriptionId], CancellationToken.None);
        Assert.Equal(["Good", "BadSubscriptionIdInvalid"], deleted.Select(d => d.Name).ToArray());
        var none = await Assert.ThrowsAsync<UaStatusException>(() => session.PublishAsync([], TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal("BadNoSubscription", none.Status.Name);
        var unknown = await Assert.ThrowsAsync<UaStatusException>(() => session.CreateMonitoredItemsAsync(999, [new MonitoredItemRequest(new ReadValueId(Id("Plant/Flow")), 1, 0, 1)], TimestampsToReturn.Both, CancellationToken.None));
        Assert.Equal("BadSubscriptionIdInvalid", unknown.Status.Name);
    }

    [Fact]
    public async Task ModifyMonitoredItems_revises_queue_and_sampling_and_TransferSubscriptions_moves_a_subscription_to_another_session()
    {
        await using var first = await _harness.ConnectAsync();
        var subscriptionId = await CreateSubscriptionAsync(first);
        var item = (await first.CreateMonitoredItemsAsync(subscriptionId, [new MonitoredItemRequest(new ReadValueId(Id("Plant/Level")), 1, 0, 1)], TimestampsToReturn.Both, CancellationToken.None))[0];
        var modified = await first.CallServiceAsync(ServiceIds.ModifyMonitoredItemsRequest, ServiceIds.ModifyMonitoredItemsResponse, w =>
        {
            w.WriteUInt32(subscriptionId);
            w.WriteInt32((int)TimestampsToReturn.Source);
            w.WriteArray([item.MonitoredItemId, 777u], id =>
            {
                w.WriteUInt32(id);
                w.WriteUInt32(5); // client handle
                w.WriteDouble(250);
                w.WriteExtensionObject(new DataChangeFilter(DataChangeTrigger.StatusValue, DeadbandType.Absolute, 100).ToExtensionObject());
                w.WriteUInt32(1_000_000);
                w.WriteBoolean(true);
            });
        }, CancellationToken.None);
        var results = modified.ReadArray(() =>
        {
            var result = (Status: modified.ReadStatusCode(), Sampling: modified.ReadDouble(), Queue: modified.ReadUInt32());
            modified.ReadExtensionObject();
            return result;
        })!;
        Assert.Equal("Good", results[0].Status.Name);
        Assert.Equal(250, results[0].Sampling);
        Assert.Equal(1000u, results[0].Queue); // the server's queue limit
        Assert.Equal("BadMonitoredItemIdInvalid", results[1].Status.Name);

        await using var second = await _harness.ConnectAsync();
        var transferred = await second.TransferSubscriptionsAsync([subscriptionId, 4711], true, CancellationToken.None);
        Assert.Equal(["Good", "BadSubscriptionIdInvalid"], transferred.Select(t => t.Name).ToArray());
        // The current value comes again to the new owner, with the new client handle and only the source timestamp.
        var data = await PublishUntilDataAsync(second, []);
        var change = Assert.Single(data.Message.DataChanges);
        Assert.Equal(5u, change.ClientHandle);
        Assert.Null(change.Value.ServerTimestamp);
        Assert.NotNull(change.Value.SourceTimestamp);
        var gone = await Assert.ThrowsAsync<UaStatusException>(() => first.PublishAsync([], TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal("BadNoSubscription", gone.Status.Name);
    }

    [Fact]
    public async Task MaxNotificationsPerPublish_splits_a_burst_over_several_Publish_responses_with_more_notifications()
    {
        for (var i = 0; i < 5; i++) _harness.Set($"Burst/Item{i}", i);
        await using var session = await _harness.ConnectAsync();
        var created = await session.CreateSubscriptionAsync(new SubscriptionParameters(50, 100, 10, MaxNotificationsPerPublish: 2), CancellationToken.None);
        var items = Enumerable.Range(0, 5).Select(i => new MonitoredItemRequest(new ReadValueId(Id($"Burst/Item{i}")), (uint)i, 0, 1)).ToList();
        Assert.All(await session.CreateMonitoredItemsAsync(created.SubscriptionId, items, TimestampsToReturn.Both, CancellationToken.None), r => Assert.True(r.Status.IsGood));
        var first = await PublishUntilDataAsync(session, []);
        Assert.Equal(2, first.Message.DataChanges.Count);
        Assert.True(first.MoreNotifications);
        var second = await session.PublishAsync([], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(2, second.Message.DataChanges.Count);
        Assert.True(second.MoreNotifications);
        var third = await session.PublishAsync([], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Single(third.Message.DataChanges);
        Assert.False(third.MoreNotifications);
        var handles = first.Message.DataChanges.Concat(second.Message.DataChanges).Concat(third.Message.DataChanges).Select(c => c.ClientHandle).Order().ToArray();
        Assert.Equal([0u, 1, 2, 3, 4], handles);
        Assert.Equal([first.Message.SequenceNumber + 1, first.Message.SequenceNumber + 2], new[] { second.Message.SequenceNumber, third.Message.SequenceNumber });
    }

    private static async Task SetMonitoringModeAsync(UaSession session, uint subscriptionId, int mode, uint itemId)
    {
        var r = await session.CallServiceAsync(ServiceIds.SetMonitoringModeRequest, ServiceIds.SetMonitoringModeResponse, w =>
        {
            w.WriteUInt32(subscriptionId);
            w.WriteInt32(mode);
            w.WriteArray([itemId], w.WriteUInt32);
        }, CancellationToken.None);
        Assert.Equal([StatusCodes.Good], r.ReadArray(r.ReadUInt32)!);
    }

    [Fact]
    public async Task A_dead_clients_session_times_out_and_the_session_limit_is_enforced()
    {
        var dead = await UaSession.ConnectAsync(_harness.Client(sessionTimeout: TimeSpan.FromSeconds(1)), CancellationToken.None);
        await using var second = await _harness.ConnectAsync();
        await using var third = await _harness.ConnectAsync();
        var refused = await Assert.ThrowsAsync<UaStatusException>(() => _harness.ConnectAsync());
        Assert.Equal("BadTooManySessions", refused.Status.Name);
        await dead.DropChannelAsync();
        Assert.True(await ServerHarness.EventuallyAsync(() => _harness.Server.SessionCount == 2, 15000));
        Assert.Contains(_harness.Logs, l => l.Contains("timed out", StringComparison.Ordinal));
        await using var fourth = await _harness.ConnectAsync();
    }

    [Fact]
    public async Task A_signed_and_encrypted_channel_renews_its_token_and_keeps_working()
    {
        var options = new SecureChannelOptions
        {
            Endpoint = new Uri(_harness.Url),
            Mode = MessageSecurityMode.SignAndEncrypt,
            PolicyUri = SecurityPolicyUris.Basic256Sha256,
            ClientCertificate = _harness.ClientCertificate,
            ServerCertificate = _harness.Server.Options.Certificate,
            RequestedLifetime = TimeSpan.FromMilliseconds(1200),
        };
        await using var channel = await SecureChannel.OpenAsync(options, CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(1000);
            var request = ServiceMessages.Encode(ServiceIds.GetEndpointsRequest, RequestHeader.Anonymous(1, TimeSpan.FromSeconds(5)), w =>
            {
                w.WriteString(_harness.Url);
                w.WriteArray<string>([], w.WriteString);
                w.WriteArray<string>([], w.WriteString);
            });
            var response = await channel.RequestAsync(request, null, CancellationToken.None);
            var r = ServiceMessages.OpenResponse(response, ServiceIds.GetEndpointsResponse);
            Assert.Equal(3, r.ReadArray(() => EndpointDescription.Read(r))!.Length);
        }
        Assert.False(channel.Closed.IsCompleted);
    }
}
