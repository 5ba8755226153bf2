using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>Node types the host tests deploy, so they do not depend on how the common set's nodes behave.</summary>
internal static class TestNodes
{
    public static void Register(NodeRegistry registry)
    {
        registry.Register(TestInjectNode.Declaration, s => new TestInjectNode(s));
        registry.Register(TestDebugNode.Declaration, s => new TestDebugNode(s));
        registry.Register(TestStrictNode.Declaration, s => new TestStrictNode(s));
        registry.Register(TestCredentialsNode.Declaration, s => new TestCredentialsNode(s));
    }
}

/// <summary>Like inject: can be triggered, and remembers what it was triggered with.</summary>
internal sealed class TestInjectNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("test inject")
    {
        Category = "test",
        Inputs = 0,
        HasButton = true,
        Module = "flowengine-test",
        Set = "flowengine-test/inject",
        Help = "Test inject </script> node.",
        Properties = [new PropertyDeclaration("topic", PropertyKind.String) { Default = "" }],
    };

    public List<JsObject?> Triggers { get; } = [];

    public override ValueTask<bool> TriggerAsync(JsObject? overrides, CancellationToken cancellationToken)
    {
        lock (Triggers) Triggers.Add(overrides);
        Send(new JsObject { ["payload"] = "triggered" });
        return ValueTask.FromResult(true);
    }
}

/// <summary>Like debug: can be switched on and off.</summary>
internal sealed class TestDebugNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("test debug")
    {
        Category = "test",
        Outputs = 0,
        Module = "flowengine-test",
        Set = "flowengine-test/debug",
    };

    public bool Active { get; private set; } = true;

    public override bool SetActive(bool active)
    {
        Active = active;
        return true;
    }
}

/// <summary>A node whose declaration requires a number, and whose constructor refuses mode "bad".</summary>
internal sealed class TestStrictNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("test strict")
    {
        Category = "test",
        Module = "flowengine-test",
        Set = "flowengine-test/strict",
        Color = "#C0DEED",
        Icon = "function.svg",
        PaletteLabel = "strict",
        OutputsProperty = "outputs",
        DefaultLabel = "strict node",
        Help = "Requires a count.",
        Properties =
        [
            new PropertyDeclaration("count", PropertyKind.Number) { Required = true, Default = 3, Label = "Count", Help = "How many." },
            new PropertyDeclaration("mode", PropertyKind.Select) { Default = "a", Options = ["a", "b", "bad"] },
            new PropertyDeclaration("payload", PropertyKind.TypedInput) { TypeProperty = "payloadType", Options = ["str", "num"] },
            new PropertyDeclaration("server", PropertyKind.ConfigReference) { ConfigType = "test server" },
        ],
    };

    public TestStrictNode(NodeSetup setup) : base(setup)
    {
        if (Config.GetString("mode") == "bad") throw Config.Invalid("mode", "mode bad is refused by the constructor");
    }
}

/// <summary>A node with a user name and a password credential.</summary>
internal sealed class TestCredentialsNode(NodeSetup setup) : FlowNode(setup)
{
    public static readonly NodeDeclaration Declaration = new("test creds")
    {
        Category = "test",
        IsConfig = true,
        Inputs = 0,
        Outputs = 0,
        Module = "flowengine-test",
        Credentials = [new CredentialDeclaration("user", false, "User"), new CredentialDeclaration("password", true, "Password")],
    };
}
