using FlowEngine.Core.Nodes;
using FlowEngine.Nodes.Common.Storage;

namespace FlowEngine.Nodes.Common;

public static partial class CommonNodes
{
    /// <summary>file, file in, watch, and exec (Storage/: the nodes that reach the local machine).</summary>
    static partial void RegisterStorageNodes(NodeRegistry registry)
    {
        registry.Register(FileNode.Declaration, s => new FileNode(s));
        registry.Register(FileInNode.Declaration, s => new FileInNode(s));
        registry.Register(ExecNode.Declaration, s => new ExecNode(s));
        registry.Register(WatchNode.Declaration, s => new WatchNode(s));
    }
}
