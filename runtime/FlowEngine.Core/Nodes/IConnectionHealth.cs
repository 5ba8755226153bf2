namespace FlowEngine.Core.Nodes;

/// <summary>
/// Implemented by config nodes that hold a connection to a device or a server (mqtt-broker, modbus-device, s7
/// endpoint, opcua-endpoint...). The host's readiness probe (/readyz) reports the runtime not ready
/// while any of them is down, naming it.
/// </summary>
public interface IConnectionHealth
{
    /// <summary>
    /// True: connected. False: the connection is wanted and down (refused, lost, backing off). Null: no connection is
    /// wanted now (no node uses it yet, or it opens on first use and has not been needed) — not counted either way.
    /// </summary>
    bool? IsConnected { get; }

    /// <summary>What it connects to, for people: "broker.local:1883", "10.0.0.5:502 unit 1".</summary>
    string ConnectionTarget { get; }
}
