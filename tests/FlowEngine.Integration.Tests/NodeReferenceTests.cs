using FlowEngine.Core.Nodes;
using FlowEngine.Host.Hosting;

namespace FlowEngine.Integration.Tests;

/// <summary>Every node type the program ships is documented, and docs/nodes.md is what the declarations say.</summary>
public sealed class NodeReferenceTests
{
    private static NodeRegistry Registry()
    {
        var registry = new NodeRegistry();
        NodeFamilies.Register(registry);
        return registry;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlowEngine.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("FlowEngine.sln not found above the test directory");
    }

    [Fact]
    public void Every_node_type_has_help_text()
    {
        var undocumented = Registry().Declarations.Where(d => d.Category != "hidden" && string.IsNullOrWhiteSpace(d.Help)).Select(d => d.Type).ToList();
        Assert.Empty(undocumented);
    }

    [Fact]
    public void The_node_reference_matches_the_declarations()
    {
        var expected = NodeReference.ToMarkdown(Registry().Declarations);
        var path = Path.Combine(RepositoryRoot(), "docs", "nodes.md");
        if (Environment.GetEnvironmentVariable("UPDATE_NODE_REFERENCE") == "1")
        {
            File.WriteAllText(path, expected);
        }
        Assert.True(File.Exists(path), "docs/nodes.md is missing: run with UPDATE_NODE_REFERENCE=1");
        var actual = File.ReadAllText(path);
        Assert.True(expected == actual, "docs/nodes.md is out of date: run `UPDATE_NODE_REFERENCE=1 dotnet test tests/FlowEngine.Integration.Tests --filter NodeReference`");
    }
}
