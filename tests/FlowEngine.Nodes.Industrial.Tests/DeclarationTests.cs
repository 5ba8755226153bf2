using FlowEngine.Core.Nodes;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Industrial.Tests;

public sealed class DeclarationTests
{
    private static readonly string[] Types = ["deadband", "scale", "enrich", "alarm", "anomaly", "window", "cvt"];

    [Fact]
    public void Industrial_nodes_register_the_seven_contract_types_in_the_industrial_category()
    {
        var registry = TestFlow.CreateRegistry(IndustrialNodes.Register);
        var declarations = registry.Declarations.Where(d => d.Category == "industrial").Select(d => d.Type).Order().ToList();
        Assert.Equal(Types.Order(), declarations);
    }

    [Fact]
    public void Industrial_declarations_are_complete_enough_for_the_editor()
    {
        var registry = TestFlow.CreateRegistry(IndustrialNodes.Register);
        foreach (var type in Types)
        {
            var declaration = registry.Declaration(type)!;
            Assert.True(declaration.Help.Length > 200, $"{type}: help is too short");
            Assert.Contains(declaration.Properties, p => p.Name == "name");
            Assert.Equal(declaration.Outputs, declaration.OutputLabels?.Count ?? declaration.Outputs);
            foreach (var property in declaration.Properties.Where(p => p.Kind == PropertyKind.Select))
            {
                Assert.NotNull(property.Options);
                Assert.Contains((string)property.Default!, property.Options!);
            }
        }
    }
}
