using FlowEngine.TestKit.Peers;

namespace FlowEngine.Nodes.Influx.Tests.Peers;

/// <summary>One influxd for a whole test class (each test uses its own database).</summary>
public sealed class InfluxPeerFixture : IAsyncLifetime
{
    private InfluxPeer? _peer;

    public InfluxPeer Peer => _peer ?? throw new InvalidOperationException("the peer is not started");

    public async Task InitializeAsync() => _peer = await InfluxPeer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_peer is not null) await _peer.DisposeAsync();
    }
}
