using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Common;

/// <summary>Registers Node-RED's core node set. Each group of nodes registers itself in its own partial file.</summary>
public static partial class CommonNodes
{
    public static void Register(NodeRegistry registry)
    {
        RegisterFlowNodes(registry);
        RegisterTransformNodes(registry);
        RegisterControlNodes(registry);
        RegisterFunctionNodes(registry);
        RegisterSequenceNodes(registry);
        RegisterParserNodes(registry);
        RegisterNetworkNodes(registry);
        RegisterStorageNodes(registry);
    }

    /// <summary>comment, junction, catch, status, complete (this file's folder: Flow/).</summary>
    static partial void RegisterFlowNodes(NodeRegistry registry);

    /// <summary>change, switch, range, template, json, rbe (Transform/).</summary>
    static partial void RegisterTransformNodes(NodeRegistry registry);

    /// <summary>inject, debug, delay, trigger, link in/out/call (Control/).</summary>
    static partial void RegisterControlNodes(NodeRegistry registry);

    /// <summary>function (Function/).</summary>
    static partial void RegisterFunctionNodes(NodeRegistry registry);

    static partial void RegisterNetworkNodes(NodeRegistry registry);

    static partial void RegisterStorageNodes(NodeRegistry registry);

    /// <summary>split, join, sort, batch (Sequence/).</summary>
    static partial void RegisterSequenceNodes(NodeRegistry registry);

    /// <summary>csv, xml, yaml, html (Parser/).</summary>
    static partial void RegisterParserNodes(NodeRegistry registry);
}
