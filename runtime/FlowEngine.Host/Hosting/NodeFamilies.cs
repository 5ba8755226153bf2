using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Camera;
using FlowEngine.Nodes.Common;
using FlowEngine.Nodes.Hmi;
using FlowEngine.Nodes.Industrial;
using FlowEngine.Nodes.Influx;
using FlowEngine.Nodes.Modbus;
using FlowEngine.Nodes.Mqtt;
using FlowEngine.Nodes.OpcUa;
using FlowEngine.Nodes.S7;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Host.Hosting;

/// <summary>
/// Every node family the program ships, registered in one place (the node reference is generated from the same
/// list). One instance per server: it owns the services a family shares between its nodes and its HTTP endpoints
/// (alarm store, clip store, HMI hub...) and disposes them after the runtime has stopped.
/// </summary>
public sealed class NodeFamilies : IDisposable
{
    private readonly string _userDir;
    private readonly TimeProvider _clock;

    public NodeFamilies(string userDir, TimeProvider clock)
    {
        _userDir = userDir;
        _clock = clock;
        Industrial = new IndustrialServices(Path.Combine(userDir, IndustrialServices.DatabaseFileName), clock);
        Camera = new CameraServices(Path.Combine(userDir, "camera"));
        Hmi = new HmiServices(clock, Industrial.Alarms);
    }

    public IndustrialServices Industrial { get; }
    public CameraServices Camera { get; }
    public HmiServices Hmi { get; }

    /// <summary>Every node type with throw-away family services: for the node reference and declaration checks.</summary>
    public static void Register(NodeRegistry registry)
    {
        using var families = new NodeFamilies(Path.Combine(Path.GetTempPath(), "flowengine-reference-" + Guid.NewGuid().ToString("N")), TimeProvider.System);
        families.RegisterAll(registry);
    }

    public void RegisterAll(NodeRegistry registry)
    {
        CommonNodes.Register(registry);
        MqttNodes.Register(registry);
        ModbusNodes.Register(registry);
        S7Nodes.Register(registry);
        OpcUaNodes.Register(registry);
        InfluxNodes.Register(registry);
        IndustrialNodes.Register(registry, Industrial);
        CameraNodes.Register(registry, Camera);
        HmiNodes.Register(registry, Hmi);
    }

    /// <summary>
    /// The families' own HTTP endpoints outside the admin API (HMI pages, stored clips). Each endpoint declares the
    /// permission it needs with Core's EndpointPermission metadata. The industrial endpoints (alarms, cvt, assets) are
    /// part of the admin API: Admin/IndustrialEndpoints.cs.
    /// </summary>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        CameraNodes.MapEndpoints(endpoints, Camera);
        HmiNodes.MapEndpoints(endpoints, Hmi);
        OpcUaNodes.MapEndpoints(endpoints, endpoints.ServiceProvider.GetRequiredService<Core.Runtime.FlowRuntime>(), endpoints.ServiceProvider.GetRequiredService<Configuration.HostConfiguration>().AdminRoot);
    }

    public void Dispose()
    {
        Camera.Dispose();
        Hmi.Dispose();
        Industrial.Dispose();
    }
}
