using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Tests.Peers;
using static FlowEngine.Nodes.OpcUa.Tests.OpcUaFlows;

namespace FlowEngine.Nodes.OpcUa.Tests;

/// <summary>Basic256Sha256 Sign and SignAndEncrypt, the application certificate and the server trust list.</summary>
public sealed class SecurityTests(OpcUaPeerFixture fixture) : IClassFixture<OpcUaPeerFixture>, IDisposable
{
    private readonly string _userDir = Directory.CreateTempSubdirectory("flowengine-opcua-sec-").FullName;

    private OpcUaPeer Peer => fixture.Peer;

    private const string Reader = """
        {"id":"r","type":"opcua read","z":"t1","endpoint":"ep","nodeId":"ns=1;s=Name","wires":[["h"]]},
        {"id":"h","type":"helper","z":"t1","wires":[]}
        """;

    [Fact]
    public async Task Unknown_server_certificate_is_refused_until_moved_to_trusted_then_sign_and_encrypt_works_with_user_login()
    {
        var endpoint = Endpoint(Peer.EndpointUrl, ""","securityPolicy":"Basic256Sha256","securityMode":"SignAndEncrypt" """ + UserLogin(OpcUaPeer.User, OpcUaPeer.Password));
        await using (var flow = await StartAsync(endpoint + "," + Reader, _userDir))
        {
            flow.Send("r", """{}""");
            var caught = await flow.NextAsync("errors", TimeSpan.FromSeconds(30));
            Assert.Contains("BadCertificateUntrusted", ErrorText(caught));
            Assert.Contains("BadCertificateUntrusted", StatusText(flow, "r"));
        }
        var pki = Path.Combine(_userDir, "opcua", "pki");
        Assert.True(File.Exists(Path.Combine(pki, "own", "flowengine.pfx")));
        var rejected = Directory.GetFiles(Path.Combine(pki, "rejected"));
        var file = Assert.Single(rejected);
        Directory.CreateDirectory(Path.Combine(pki, "trusted"));
        File.Move(file, Path.Combine(pki, "trusted", Path.GetFileName(file)));

        await using (var flow = await StartAsync(endpoint + "," + Reader, _userDir))
        {
            flow.Send("r", """{}""");
            var msg = await flow.NextAsync("h", TimeSpan.FromSeconds(30));
            Assert.Equal("Line-1 Press", msg["payload"]);
        }
    }

    [Fact]
    public async Task Sign_mode_works_with_a_pinned_thumbprint_and_a_wrong_password_is_refused()
    {
        var thumbprint = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Peer.ServerCertificatePath)).Thumbprint;
        var secured = $$""","securityPolicy":"Basic256Sha256","securityMode":"Sign","serverThumbprint":"{{thumbprint}}" """;
        await using (var flow = await StartAsync(Endpoint(Peer.EndpointUrl, secured) + "," + Reader, _userDir))
        {
            flow.Send("r", """{}""");
            Assert.Equal("Line-1 Press", (await flow.NextAsync("h", TimeSpan.FromSeconds(30)))["payload"]);
        }
        await using (var flow = await StartAsync(Endpoint(Peer.EndpointUrl, secured + UserLogin(OpcUaPeer.User, "nope")) + "," + Reader, _userDir))
        {
            flow.Send("r", """{}""");
            Assert.Contains("BadUserAccessDenied", ErrorText(await flow.NextAsync("errors", TimeSpan.FromSeconds(30))));
        }
    }

    [Fact]
    public async Task Sign_and_encrypt_subscription_delivers_changes()
    {
        var thumbprint = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Peer.ServerCertificatePath)).Thumbprint;
        var secured = $$""","securityPolicy":"Basic256Sha256","securityMode":"SignAndEncrypt","serverThumbprint":"{{thumbprint}}" """;
        await using var flow = await StartAsync(Endpoint(Peer.EndpointUrl, secured) + "," + """
            {"id":"s","type":"opcua subscribe","z":"t1","endpoint":"ep","items":["ns=1;s=Temperature","ns=1;s=Types.LocalizedText"],"samplingInterval":100,"publishingInterval":200,"wires":[["h"]]},
            {"id":"h","type":"helper","z":"t1","wires":[]}
            """, _userDir);
        var messages = await flow.NextAsync("h", 3, TimeSpan.FromSeconds(30));
        Assert.Contains(messages, m => (string?)m["topic"] == "ns=1;s=Temperature" && m["payload"] is double);
        Assert.Contains(messages, m => (string?)m["topic"] == "ns=1;s=Types.LocalizedText");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_userDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
