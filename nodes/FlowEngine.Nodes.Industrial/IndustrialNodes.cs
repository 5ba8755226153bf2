using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Industrial.Alarm;
using FlowEngine.Nodes.Industrial.Anomaly;
using FlowEngine.Nodes.Industrial.Cvt;
using FlowEngine.Nodes.Industrial.Deadband;
using FlowEngine.Nodes.Industrial.Enrich;
using FlowEngine.Nodes.Industrial.Scale;
using FlowEngine.Nodes.Industrial.Window;

namespace FlowEngine.Nodes.Industrial;

/// <summary>Registers the industrial node family: deadband, scale, enrich, alarm, anomaly, window, cvt.</summary>
public static class IndustrialNodes
{
    /// <summary>
    /// Registers the node types with services of their own (the database goes to the runtime's userDir). Use the
    /// other overload when the host needs the alarm store, asset table or current value tables.
    /// </summary>
    public static void Register(NodeRegistry registry) => Register(registry, new IndustrialServices());

    /// <summary>Registers the node types; every node of this registry shares <paramref name="services"/>.</summary>
    public static void Register(NodeRegistry registry, IndustrialServices services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        registry.Register(DeadbandNode.Declaration, s => new DeadbandNode(s));
        registry.Register(ScaleNode.Declaration, s => new ScaleNode(s));
        registry.Register(EnrichNode.Declaration, s => new EnrichNode(s, services));
        registry.Register(AlarmNode.Declaration, s => new AlarmNode(s, services));
        registry.Register(AnomalyNode.Declaration, s => new AnomalyNode(s));
        registry.Register(WindowNode.Declaration, s => new WindowNode(s));
        registry.Register(CvtNode.Declaration, s => new CvtNode(s, services));
    }
}
