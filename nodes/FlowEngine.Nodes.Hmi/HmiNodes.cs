using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Hmi.Web;
using FlowEngine.Nodes.Hmi.Widgets;
using FlowEngine.Nodes.Industrial;
using Microsoft.AspNetCore.Routing;

namespace FlowEngine.Nodes.Hmi;

/// <summary>Registers the HMI node family (layout config nodes and widgets) and maps its pages at /ui.</summary>
public static class HmiNodes
{
    /// <summary>Registers the node types with throw-away services (node reference, declaration checks).</summary>
    public static void Register(NodeRegistry registry) => Register(registry, new HmiServices());

    /// <summary>Registers the node types; every node of this registry shares <paramref name="hmi"/>.</summary>
    public static void Register(NodeRegistry registry, HmiServices hmi)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(hmi);
        registry.Register(HmiPageNode.Declaration, s => new HmiPageNode(s, hmi));
        registry.Register(HmiGroupNode.Declaration, s => new HmiGroupNode(s, hmi));
        registry.Register(HmiThemeNode.Declaration, s => new HmiThemeNode(s, hmi));
        registry.Register(TextWidget.Declaration, s => new TextWidget(s, hmi));
        registry.Register(GaugeWidget.Declaration, s => new GaugeWidget(s, hmi));
        registry.Register(NumericWidget.Declaration, s => new NumericWidget(s, hmi));
        registry.Register(LedWidget.Declaration, s => new LedWidget(s, hmi));
        registry.Register(ChartWidget.Declaration, s => new ChartWidget(s, hmi));
        registry.Register(TableWidget.Declaration, s => new TableWidget(s, hmi));
        registry.Register(ButtonWidget.Declaration, s => new ButtonWidget(s, hmi));
        registry.Register(SwitchWidget.Declaration, s => new SwitchWidget(s, hmi));
        registry.Register(NumberWidget.SliderDeclaration, s => new NumberWidget(s, hmi));
        registry.Register(NumberWidget.InputDeclaration, s => new NumberWidget(s, hmi));
        registry.Register(DropdownWidget.Declaration, s => new DropdownWidget(s, hmi));
        registry.Register(TextInputWidget.Declaration, s => new TextInputWidget(s, hmi));
        registry.Register(NotificationWidget.Declaration, s => new NotificationWidget(s, hmi));
        registry.Register(AlarmListWidget.Declaration, s => new AlarmListWidget(s, hmi));
        registry.Register(CameraWidget.Declaration, s => new CameraWidget(s, hmi));
        registry.Register(TemplateWidget.Declaration, s => new TemplateWidget(s, hmi));
    }

    /// <summary>
    /// The pages at /ui, their snapshot and action endpoints, and the live hub at /ui/hub (when the host has
    /// SignalR, i.e. the admin API is on). Each endpoint carries its EndpointPermission.
    /// </summary>
    public static void MapEndpoints(IEndpointRouteBuilder endpoints, HmiServices hmi) => HmiEndpoints.Map(endpoints, hmi);
}
