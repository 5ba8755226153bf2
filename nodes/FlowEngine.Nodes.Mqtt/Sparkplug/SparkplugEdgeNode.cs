using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Mqtt.Sparkplug.Protocol;

namespace FlowEngine.Nodes.Mqtt.Sparkplug;

/// <summary>A sparkplug out node: shown the edge session's state, handed the commands for its device.</summary>
internal interface ISparkplugEdgeUser
{
    string Id { get; }
    void OnEdgeStatus(NodeStatus status);
    void OnCommand(SparkplugCommand command);
}

/// <summary>
/// The sparkplug-edge config node: one Sparkplug B edge node (group id, edge node id) with its own MQTT session.
/// </summary>
/// <remarks>
/// It opens its own connection with the mqtt-broker node's address, TLS and credentials rather than sharing that
/// node's connection, because Sparkplug owns the session: the will must be this edge node's NDEATH with a bdSeq that
/// changes on every connect, NBIRTH must be the first message of every session with seq 0, and messages must not be
/// replayed from an offline buffer into a later session (their seq numbers belong to the session that ended). The
/// shared connection's will, birth message and buffer are the mqtt-broker node's own and would conflict.
/// </remarks>
internal sealed class SparkplugEdgeNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("sparkplug-edge")
    {
        Category = "config",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "flowengine",
        Set = "flowengine/sparkplug",
        Help = """
            A Sparkplug B edge node (Eclipse Sparkplug 3.0) on an MQTT broker. sparkplug out nodes publish its devices' births and data through it.

            **Properties**
            - **broker**: the mqtt-broker config node whose address, port, TLS settings and credentials are used. The edge node opens its **own** MQTT connection (client id **clientid**, default `spBv1.0-<group>-<edge>`), because its will must be its NDEATH; the broker node's birth, will and offline buffer are not used.
            - **groupId**, **edgeNodeId**: the topic levels `spBv1.0/<groupId>/…/<edgeNodeId>`; no `/`, `+` or `#`.
            - **primaryHostId**: when set, the edge node publishes only while the host application's STATE (`spBv1.0/STATE/<primaryHostId>`, JSON `{"online": true, "timestamp": …}`) says online, and publishes its births again when the host comes (back) online. Older STATE messages (lower timestamp) are ignored.
            - **useAliases** (true): NDATA/DDATA carry only metric aliases; births carry names and aliases.
            - **metrics**: node-level metrics for the NBIRTH, a JSON list of `{"name", "type", "value", "properties"}` (type as in Sparkplug: Int8…UInt64, Float, Double, Boolean, String, DateTime, Text, UUID, DataSet, Bytes, File, Template, and the array types).

            **Session** (Sparkplug 3.0 §7): on every connect the will is NDEATH with metric `bdSeq` (Int64, 0-255, one more per session); then NBIRTH with seq 0, `bdSeq`, `Node Control/Rebirth` (Boolean) and every node metric with name, alias, datatype, value and properties, then a DBIRTH for every known device. Every later message (DBIRTH, NDATA, DDATA, DDEATH) takes the next seq, 255 wraps to 0. An NCMD `Node Control/Rebirth` = true repeats the births. Other NCMD and DCMD writes are sent out of the sparkplug out nodes of this edge node. A deliberate close (redeploy, stop) publishes the NDEATH itself.

            Values sent while there is no session (or the primary host is offline) are kept as the metrics' current values and go out with the next birth; they are not queued.

            Status of the sparkplug out nodes: *connecting*, *online* (births published), *waiting for primary host*, *disconnected* with the reason.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("broker", PropertyKind.ConfigReference) { Required = true, ConfigType = "mqtt-broker", Label = "Broker" },
            new PropertyDeclaration("groupId", PropertyKind.String) { Required = true, Label = "Group id", Validate = ValidateId },
            new PropertyDeclaration("edgeNodeId", PropertyKind.String) { Required = true, Label = "Edge node id", Validate = ValidateId },
            new PropertyDeclaration("primaryHostId", PropertyKind.String) { Default = "", Label = "Primary host id" },
            new PropertyDeclaration("clientid", PropertyKind.String) { Default = "", Label = "Client id" },
            new PropertyDeclaration("useAliases", PropertyKind.Bool) { Default = true, Label = "Use aliases in data messages" },
            new PropertyDeclaration("metrics", PropertyKind.Json) { Default = "[]", Label = "Node metrics" },
        ],
    };

    private static string? ValidateId(object? value) => value is string s && s.Length > 0 ? SparkplugTopic.InvalidId(s) : null;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ISparkplugEdgeUser> _users = new(StringComparer.Ordinal);
    private readonly MqttBrokerNode _broker;
    private readonly string _groupId;
    private readonly string _edgeNodeId;
    private readonly string? _primaryHostId;
    private readonly string _clientId;
    private readonly bool _useAliases;
    private readonly List<SparkplugMetricUpdate> _nodeMetrics;
    private SparkplugEdgeClient? _client;

    public SparkplugEdgeNode(NodeSetup setup) : base(setup)
    {
        _broker = setup.ConfigNode<MqttBrokerNode>("broker") ?? throw Config.Invalid("broker", "missing mqtt-broker configuration");
        _groupId = Config.GetString("groupId").Trim();
        _edgeNodeId = Config.GetString("edgeNodeId").Trim();
        if (SparkplugTopic.InvalidId(_groupId) is { } badGroup) throw Config.Invalid("groupId", "group id " + badGroup);
        if (SparkplugTopic.InvalidId(_edgeNodeId) is { } badEdge) throw Config.Invalid("edgeNodeId", "edge node id " + badEdge);
        var host = Config.GetString("primaryHostId").Trim();
        if (host.Length > 0 && SparkplugTopic.InvalidId(host) is { } badHost) throw Config.Invalid("primaryHostId", "primary host id " + badHost);
        _primaryHostId = host.Length > 0 ? host : null;
        var clientId = Config.GetString("clientid").Trim();
        _clientId = clientId.Length > 0 ? clientId : $"spBv1.0-{_groupId}-{_edgeNodeId}";
        _useAliases = Config.GetBool("useAliases", true);
        try
        {
            _nodeMetrics = SparkplugMessages.Definitions(Config.Get("metrics"));
            foreach (var m in _nodeMetrics)
            {
                if (m.Name is null) throw new SparkplugFormatException("every node metric needs a name");
                var type = m.DataType ?? SparkplugValues.Infer(m.Value);
                if (type == SparkplugDataType.Unknown) throw new SparkplugFormatException($"metric \"{m.Name}\" needs a type");
                SparkplugValues.Coerce(m.Value, type);
            }
        }
        catch (Exception ex) when (ex is SparkplugFormatException or FormatException or System.Text.Json.JsonException)
        {
            throw Config.Invalid("metrics", ex.Message);
        }
    }

    public SparkplugEdgeClient Client => _client ?? throw new InvalidOperationException($"sparkplug-edge {Id} is not started");

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        var transport = _broker.Connection.Settings with { ClientId = _clientId, CleanSession = true, Will = null, Birth = null, Close = null };
        var client = new SparkplugEdgeClient(new SparkplugEdgeOptions
        {
            Transport = transport,
            GroupId = _groupId,
            EdgeNodeId = _edgeNodeId,
            PrimaryHostId = _primaryHostId,
            UseAliases = _useAliases,
        }, Clock);
        foreach (var m in _nodeMetrics)
        {
            try
            {
                client.DefineNodeMetric(m.Name!, m.DataType ?? SparkplugValues.Infer(m.Value), m.Value, m.Properties);
            }
            catch (ArgumentException ex)
            {
                throw Config.Invalid("metrics", ex.Message);
            }
        }
        client.StateChanged += (_, _) => PublishStatus();
        client.CommandReceived += OnCommand;
        client.Log += (text, warn) =>
        {
            if (warn) Warn(text);
            else Log(text);
        };
        _client = client;
        client.Start();
        return ValueTask.CompletedTask;
    }

    public void Register(ISparkplugEdgeUser user)
    {
        lock (_gate) _users[user.Id] = user;
        user.OnEdgeStatus(CurrentStatus());
    }

    public void Deregister(ISparkplugEdgeUser user)
    {
        lock (_gate) _users.Remove(user.Id);
    }

    private ISparkplugEdgeUser[] Users()
    {
        lock (_gate) return _users.Values.ToArray();
    }

    private void OnCommand(SparkplugCommand command)
    {
        foreach (var user in Users()) user.OnCommand(command);
    }

    private void PublishStatus()
    {
        var status = CurrentStatus();
        foreach (var user in Users()) user.OnEdgeStatus(status);
    }

    private NodeStatus CurrentStatus()
    {
        if (_client is not { } client) return NodeStatus.Error("disconnected");
        return client.State switch
        {
            SparkplugEdgeState.Online => NodeStatus.Ok($"online (bdSeq {client.BdSeq})"),
            SparkplugEdgeState.Connecting => new NodeStatus("yellow", "ring", "connecting"),
            SparkplugEdgeState.WaitingForHost => NodeStatus.Warning($"waiting for primary host {_primaryHostId}"),
            _ => NodeStatus.Error(client.LastReason is { } reason ? "disconnected: " + reason : "disconnected"),
        };
    }

    protected override async ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
    }
}
