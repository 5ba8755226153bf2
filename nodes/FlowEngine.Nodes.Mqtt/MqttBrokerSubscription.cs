using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Mqtt;

/// <summary>
/// A subscription made through an mqtt-broker config node by a node of another family (frigate-events...), on the
/// broker node's shared connection: the same reconnects, re-subscriptions and status as mqtt in. The owner's status
/// follows the connection; messages arrive on the connection's receive loop, in order.
/// </summary>
public sealed class MqttBrokerSubscription : IAsyncDisposable
{
    private readonly MqttBrokerNode _broker;
    private readonly BrokerUser _user;
    private readonly string _topic;

    private MqttBrokerSubscription(MqttBrokerNode broker, BrokerUser user, string topic)
    {
        _broker = broker;
        _user = user;
        _topic = topic;
    }

    internal static async Task<MqttBrokerSubscription> SubscribeAsync(MqttBrokerNode broker, FlowNode owner, string topic, int qos,
        Action<string, byte[]> onMessage, CancellationToken cancellationToken)
    {
        var user = new BrokerUser(owner);
        broker.Register(user);
        var refused = await broker.Connection.SubscribeAsync(topic, new Client.SubscriptionOptions(qos), owner.Id,
            m => onMessage(m.Topic, System.Buffers.BuffersExtensions.ToArray(m.Payload)), cancellationToken).ConfigureAwait(false);
        if (refused is not null) owner.ReportError(refused);
        return new MqttBrokerSubscription(broker, user, topic);
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.Connection.UnsubscribeAsync(_topic, _user.Id, removeFromBroker: false).ConfigureAwait(false);
        await _broker.DeregisterAsync(_user, removed: false).ConfigureAwait(false);
    }

    private sealed class BrokerUser(FlowNode owner) : IMqttBrokerUser
    {
        public string Id => owner.Id;

        public bool ShowsBuffer => false;

        public void OnBrokerStatus(NodeStatus status) => owner.Post(() =>
        {
            if (status != owner.Status) owner.SetStatus(status);
            return ValueTask.CompletedTask;
        });
    }
}

/// <summary>An mqtt-broker config node as other node families see it: something to subscribe through.</summary>
public sealed class MqttBrokerReference
{
    private readonly MqttBrokerNode _broker;

    private MqttBrokerReference(MqttBrokerNode broker) => _broker = broker;

    /// <summary>
    /// The mqtt-broker config node named by the node's <paramref name="property"/>; null when the property is empty.
    /// Throws <see cref="NodeConfigException"/> (a refused deploy) when it names a node that is not an mqtt-broker.
    /// </summary>
    public static MqttBrokerReference? From(NodeSetup setup, string property)
    {
        if (setup.Config.Get(property) is not string { Length: > 0 }) return null;
        var broker = setup.ConfigNode<MqttBrokerNode>(property) ?? throw setup.Config.Invalid(property, "not an mqtt-broker config node");
        return new MqttBrokerReference(broker);
    }

    /// <summary>
    /// Subscribes <paramref name="owner"/> to <paramref name="topic"/> at <paramref name="qos"/>; the handler gets
    /// the topic and the raw payload. A refusal by the broker is reported on the owner as an error. Dispose the
    /// result when the owner closes.
    /// </summary>
    public Task<MqttBrokerSubscription> SubscribeAsync(FlowNode owner, string topic, int qos, Action<string, byte[]> onMessage,
        CancellationToken cancellationToken) =>
        MqttBrokerSubscription.SubscribeAsync(_broker, owner, topic, qos, onMessage, cancellationToken);
}
