using FlowEngine.Core.Nodes;

namespace FlowEngine.Nodes.Camera;

/// <summary>Registers the Camera node family.</summary>
public static class CameraNodes
{
    public static void Register(NodeRegistry registry)
    {
    }
}
