using FlowEngine.Core.Flows;
using FlowEngine.Core.Storage;
using FlowEngine.Core.Tests.Fixtures;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Core.Tests.Flows;

public sealed class RoundTripTests
{
    [Fact]
    public async Task A_node_red_export_is_saved_back_byte_for_byte()
    {
        var original = Fixture.Read("nodered-export.json").TrimEnd();
        await using var flow = await TestFlow.StartAsync("", new TestFlowOptions { PersistFlows = true });
        await flow.Runtime.DeployAsync(JsJson.Parse(original), DeploymentType.Full);

        var saved = await File.ReadAllTextAsync(Path.Combine(flow.UserDir, "flows.json"));
        Assert.Equal(original, saved);
        Assert.True(JsValue.DeepEquals(JsJson.Parse(original), flow.Runtime.Configuration.ToJson()));
    }

    [Fact]
    public async Task Export_after_import_keeps_unknown_types_and_every_property()
    {
        var original = Fixture.Read("nodered-export.json");
        await using var flow = await TestFlow.StartAsync(original);

        var exported = flow.Runtime.Configuration.ToJson();
        Assert.True(JsValue.DeepEquals(JsJson.Parse(original), exported));
        // mqtt types are not part of the common set: they run as placeholders and are named as missing.
        Assert.Contains("mqtt in", flow.Runtime.MissingTypes);
        Assert.Contains("mqtt-broker", flow.Runtime.MissingTypes);
    }

    [Fact]
    public async Task Posted_credentials_are_kept_out_of_the_flow_file_and_encrypted_beside_it()
    {
        await using var flow = await TestFlow.StartAsync("", new TestFlowOptions
        {
            PersistFlows = true,
            Settings = new JsObject { ["credentialSecret"] = "s3cret" },
        });
        var flows = JsJson.Parse("""
            [{"id":"t","type":"tab","label":"T"},
             {"id":"g","type":"global-config","env":[],"credentials":{"API_KEY":"abc"}}]
            """);
        await flow.Runtime.DeployAsync(flows, DeploymentType.Full);

        var flowFile = await File.ReadAllTextAsync(Path.Combine(flow.UserDir, "flows.json"));
        Assert.DoesNotContain("abc", flowFile, StringComparison.Ordinal);
        var credFile = (JsObject)JsJson.Parse(await File.ReadAllTextAsync(Path.Combine(flow.UserDir, "flows_cred.json")))!;
        Assert.True(credFile.ContainsKey("$"));
        var decrypted = CredentialCipher.Decrypt(credFile, "s3cret");
        Assert.Equal("abc", ((JsObject)decrypted["g"]!)["API_KEY"]);
    }

    [Fact]
    public void Revision_of_an_empty_configuration_matches_node_red()
    {
        Assert.Equal("4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", FlowConfiguration.Empty.Revision);
    }

    [Fact]
    public void Objects_are_classified_by_type_and_by_the_presence_of_x_and_y()
    {
        var config = FlowConfiguration.Parse(Fixture.Read("nodered-export.json"));
        Assert.Equal(FlowItemKind.Tab, config.KindOf(config.ById["f1a2b3c4d5e6f701"]));
        Assert.Equal(FlowItemKind.Subflow, config.KindOf(config.ById["5a5a5a5a5a5a5a01"]));
        Assert.Equal(FlowItemKind.Group, config.KindOf(config.ById["9b9b9b9b9b9b9b01"]));
        Assert.Equal(FlowItemKind.ConfigNode, config.KindOf(config.ById["c0c0c0c0c0c0c001"]));
        Assert.Equal(FlowItemKind.Node, config.KindOf(config.ById["aa00000000000009"]));
    }

    [Fact]
    public void A_configuration_with_duplicate_ids_is_refused_with_the_id()
    {
        var ex = Assert.Throws<FlowValidationException>(() => FlowConfiguration.Parse("""[{"id":"a","type":"tab"},{"id":"a","type":"inject","x":1,"y":1}]"""));
        Assert.Contains(ex.Problems, p => p.NodeId == "a" && p.Reason.Contains("duplicate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_configuration_that_is_not_an_array_is_refused()
    {
        Assert.Throws<FlowValidationException>(() => FlowConfiguration.Parse("""{"id":"a"}"""));
    }
}
