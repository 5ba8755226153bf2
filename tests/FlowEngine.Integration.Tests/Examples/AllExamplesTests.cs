using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Host.Hosting;

namespace FlowEngine.Integration.Tests.Examples;

/// <summary>Every folder under examples/: documented, and its flows deploy with the program's full set of node types.</summary>
public sealed class AllExamplesTests
{
    private static List<string> Names() =>
        Directory.GetDirectories(Path.Combine(ExampleHost.RepositoryRoot, "examples")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    public static TheoryData<string> ExampleNames() => new(Names());

    [Fact]
    public void The_examples_folder_has_examples_and_an_index_naming_each()
    {
        var names = Names();
        Assert.True(names.Count >= 5, $"expected at least five examples, found: {string.Join(", ", names)}");
        var index = File.ReadAllText(Path.Combine(ExampleHost.RepositoryRoot, "examples", "README.md"));
        Assert.All(names, name => Assert.Contains($"({name}/)", index, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ExampleNames))]
    public void Each_example_has_a_readme_and_a_flows_file(string example)
    {
        var dir = ExampleHost.ExampleDirectory(example);
        var readme = Path.Combine(dir, "README.md");
        Assert.True(File.Exists(readme), $"{example} has no README.md");
        Assert.False(string.IsNullOrWhiteSpace(File.ReadAllText(readme)), $"{example}/README.md is empty");
        Assert.True(File.Exists(Path.Combine(dir, "flows.json")), $"{example} has no flows.json");
    }

    [Theory]
    [MemberData(nameof(ExampleNames))]
    public void Each_example_passes_the_deploy_checks_with_every_node_family_and_no_environment_variables(string example)
    {
        var path = Path.Combine(ExampleHost.ExampleDirectory(example), "flows.json");
        if (!File.Exists(path)) return; // reported by Each_example_has_a_readme_and_a_flows_file
        var flows = JsJson.Parse(File.ReadAllText(path));
        var placeholders = PlaceholderNames(flows).Where(name => Environment.GetEnvironmentVariable(name) is not null).ToList();
        Assert.True(placeholders.Count == 0,
            $"this check proves the defaults; unset {string.Join(", ", placeholders)} in the test environment first");

        var userDir = Directory.CreateTempSubdirectory("flowengine-example-check-").FullName;
        try
        {
            var registry = new NodeRegistry();
            NodeFamilies.Register(registry);
            var runtime = new FlowRuntime(new FlowRuntimeOptions
            {
                Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
                Registry = registry,
                Expressions = new FlowEngine.Scripting.JsonataExpressionEngine(),
            });
            var problems = runtime.Check(flows);
            Assert.True(problems.Count == 0, $"{example}/flows.json: " + string.Join("; ",
                problems.Select(p => $"{p.NodeType} {p.NodeId}{(p.NodeName is { Length: > 0 } n ? $" \"{n}\"" : "")}{(p.Property is { } prop ? $" {prop}" : "")}: {p.Reason}")));
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }

    /// <summary>Names used as whole-property ${NAME} placeholders anywhere in the flows.</summary>
    private static IEnumerable<string> PlaceholderNames(object? value) => value switch
    {
        string s when s.StartsWith("${", StringComparison.Ordinal) && s.EndsWith('}') => [s[2..^1]],
        JsObject obj => obj.SelectMany(pair => PlaceholderNames(pair.Value)),
        List<object?> list => list.SelectMany(PlaceholderNames),
        _ => [],
    };
}
