using System.Text.Json;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Mqtt.Tests;

[Collection(MosquittoCollection.Name)]
public sealed class TlsTests(MosquittoFixture mosquitto)
{
    private static string Json(string s) => JsonSerializer.Serialize(s);

    private static string TlsNode(string ca, string extra = "") =>
        $$"""{"id":"tls1","type":"tls-config","name":"","cert":"","key":"","ca":{{Json(ca)}},"verifyservercert":true{{extra}}}""";

    private string TlsBroker(string host = "127.0.0.1", int? port = null) =>
        Mqtt.Broker(port ?? mosquitto.TlsPort, extra: ""","usetls":true,"tls":"tls1" """.TrimEnd()).Replace("\"broker\":\"127.0.0.1\"", $"\"broker\":\"{host}\"");

    [Fact]
    public async Task Tls_with_the_test_ca_connects_and_round_trips()
    {
        var topic = Mqtt.Topic("tls");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(TlsNode(mosquitto.CaFile), TlsBroker(), Mqtt.In("in", topic, "utf8"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        await flow.ConnectedAsync("out");
        flow.Send("out", """{"payload":"encrypted"}""");
        Assert.Equal("encrypted", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Tls_with_the_ca_given_as_uploaded_credential_text_connects()
    {
        var ca = await File.ReadAllTextAsync(mosquitto.CaFile);
        var tls = $$$"""{"id":"tls1","type":"tls-config","name":"","cert":"","key":"","ca":"","verifyservercert":true,"credentials":{"cadata":{{{Json(ca)}}}}}""";
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(tls, TlsBroker("localhost"), Mqtt.Out("out", "a/b")));
        await flow.ConnectedAsync("out");
    }

    [Fact]
    public async Task A_server_certificate_from_an_unknown_ca_gives_a_clear_status()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(TlsNode(mosquitto.OtherCaFile), TlsBroker(), Mqtt.Out("out", "a/b")));
        var status = await flow.StatusAsync("out", s => s.Fill == "red" && s.Text != "disconnected");
        Assert.Equal("ring", status.Shape);
        Assert.StartsWith("disconnected: TLS: server certificate not trusted", status.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_name_that_does_not_match_the_certificate_is_refused()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(TlsNode(mosquitto.CaFile, ""","servername":"other.example" """.TrimEnd()), TlsBroker(), Mqtt.Out("out", "a/b")));
        var status = await flow.StatusAsync("out", s => s.Fill == "red" && s.Text != "disconnected");
        Assert.Equal("disconnected: TLS: server certificate does not match the host name", status.Text);
    }

    [Fact]
    public async Task Verification_off_accepts_a_certificate_from_an_unknown_ca()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(TlsNode(mosquitto.OtherCaFile).Replace("\"verifyservercert\":true", "\"verifyservercert\":false"), TlsBroker(), Mqtt.Out("out", "a/b")));
        await flow.ConnectedAsync("out");
    }

    [Fact]
    public async Task A_client_certificate_is_sent_when_the_broker_requires_one()
    {
        var topic = Mqtt.Topic("mtls");
        var tls = TlsNode(mosquitto.CaFile, $$""","cert":{{Json(mosquitto.ClientCertFile)}},"key":{{Json(mosquitto.ClientKeyFile)}}""").Replace("\"cert\":\"\",\"key\":\"\",", "");
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(tls, TlsBroker(port: mosquitto.MutualTlsPort), Mqtt.In("in", topic, "utf8"), Mqtt.Out("out", topic, "1"), Mqtt.Helper("h")));
        await flow.ConnectedAsync("in");
        flow.Send("out", """{"payload":"mutual"}""");
        Assert.Equal("mutual", (await flow.NextAsync("h"))["payload"]);
    }

    [Fact]
    public async Task Without_a_client_certificate_the_mutual_tls_listener_refuses_and_the_status_says_so()
    {
        await using var flow = await Mqtt.StartAsync(Mqtt.Flow(TlsNode(mosquitto.CaFile), TlsBroker(port: mosquitto.MutualTlsPort), Mqtt.Out("out", "a/b")));
        var status = await flow.StatusAsync("out", s => s.Fill == "red" && s.Text != "disconnected");
        Assert.StartsWith("disconnected: ", status.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_without_its_key_refuses_the_deploy()
    {
        var tls = TlsNode(mosquitto.CaFile).Replace("\"cert\":\"\"", $"\"cert\":{Json(mosquitto.ClientCertFile)}");
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Mqtt.StartAsync(Mqtt.Flow(tls, TlsBroker(), Mqtt.Out("out", "a/b"))));
        Assert.Contains("No certificate/key file provided", ex.Message, StringComparison.Ordinal);
    }
}
