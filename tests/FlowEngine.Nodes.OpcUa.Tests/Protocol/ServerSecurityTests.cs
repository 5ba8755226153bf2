using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Server;
using FlowEngine.Nodes.OpcUa.Protocol.Services;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Tests.Protocol;

/// <summary>Basic256Sha256 Sign / SignAndEncrypt, user logins and the client certificate trust list of our UaServer.</summary>
public sealed class ServerSecurityTests
{
    private static readonly NodeId Secret = new(1, "Vault/Code");

    private static void Seed(ServerHarness harness) =>
        harness.Server.AddressSpace.SetVariable("Vault/Code", BuiltInType.Int32, false, DataValue.FromValue(new Variant(BuiltInType.Int32, 1234)), writable: true);

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task Secured_sessions_with_a_user_read_and_write_and_the_writer_is_known(MessageSecurityMode mode)
    {
        await using var harness = await ServerHarness.StartAsync();
        Seed(harness);
        await using var session = await harness.ConnectAsync(mode, ServerHarness.User, ServerHarness.Password);
        Assert.Equal(1234, (await session.ReadAsync([new ReadValueId(Secret)], CancellationToken.None))[0].Value.Value);
        var result = await session.WriteAsync([new WriteValue(Secret, DataValue.FromValue(new Variant(BuiltInType.Int32, 4321)))], CancellationToken.None);
        Assert.True(result[0].IsGood);
        Assert.Equal(ServerHarness.User, Assert.Single(harness.Writes).UserName);
        Assert.Equal(4321, (await session.ReadAsync([new ReadValueId(Secret)], CancellationToken.None))[0].Value.Value);
    }

    [Fact]
    public async Task Wrong_passwords_and_unknown_users_are_BadUserAccessDenied_and_logged()
    {
        await using var harness = await ServerHarness.StartAsync();
        var wrong = await Assert.ThrowsAsync<UaStatusException>(() => harness.ConnectAsync(MessageSecurityMode.SignAndEncrypt, ServerHarness.User, "nope"));
        Assert.Equal("BadUserAccessDenied", wrong.Status.Name);
        var unknown = await Assert.ThrowsAsync<UaStatusException>(() => harness.ConnectAsync(MessageSecurityMode.None, "mallory", ServerHarness.Password));
        Assert.Equal("BadUserAccessDenied", unknown.Status.Name);
        Assert.Contains(harness.Logs, l => l.Contains("\"mallory\"", StringComparison.Ordinal));
        await using var good = await harness.ConnectAsync(MessageSecurityMode.None, ServerHarness.User, ServerHarness.Password);
    }

    [Fact]
    public async Task An_unknown_client_certificate_is_refused_and_saved_in_rejected_until_the_user_trusts_it()
    {
        await using var harness = await ServerHarness.StartAsync(trustAll: false);
        Seed(harness);
        var refused = await Assert.ThrowsAsync<UaStatusException>(() => harness.ConnectAsync(MessageSecurityMode.SignAndEncrypt));
        Assert.Equal("BadCertificateUntrusted", refused.Status.Name);
        var rejected = Assert.Single(Directory.GetFiles(harness.ServerStore.RejectedDirectory));
        Assert.Contains(harness.Logs, l => l.Contains("not trusted", StringComparison.Ordinal));

        // The user moves the certificate to trusted/.
        Directory.CreateDirectory(harness.ServerStore.TrustedDirectory);
        File.Move(rejected, Path.Combine(harness.ServerStore.TrustedDirectory, Path.GetFileName(rejected)));
        await using var session = await harness.ConnectAsync(MessageSecurityMode.SignAndEncrypt);
        Assert.Equal(1234, (await session.ReadAsync([new ReadValueId(Secret)], CancellationToken.None))[0].Value.Value);

        // Security None needs no certificate trust.
        await using var plain = await harness.ConnectAsync();
    }

    [Fact]
    public async Task The_server_itself_refuses_an_anonymous_ActivateSession_when_anonymous_access_is_off()
    {
        await using var harness = await ServerHarness.StartAsync(configure: o => o with { AllowAnonymous = false });
        await using var channel = await FlowEngine.Nodes.OpcUa.Protocol.Client.SecureChannel.OpenAsync(
            new FlowEngine.Nodes.OpcUa.Protocol.Client.SecureChannelOptions { Endpoint = new Uri(harness.Url) }, CancellationToken.None);
        var create = ServiceMessages.Encode(ServiceIds.CreateSessionRequest, RequestHeader.Anonymous(1, TimeSpan.FromSeconds(5)), w =>
        {
            new ApplicationDescription("urn:raw", null, new LocalizedText(null, "raw"), 1, []).Write(w);
            w.WriteString(null);
            w.WriteString(harness.Url);
            w.WriteString("raw");
            w.WriteByteString(new byte[32]);
            w.WriteByteString(null);
            w.WriteDouble(60000);
            w.WriteUInt32(0);
        });
        var r = ServiceMessages.OpenResponse(await channel.RequestAsync(create, null, CancellationToken.None), ServiceIds.CreateSessionResponse);
        r.ReadNodeId();
        var token = r.ReadNodeId();
        var anonymous = new UaBinaryWriter();
        anonymous.WriteString("anonymous");
        var activate = ServiceMessages.Encode(ServiceIds.ActivateSessionRequest, new RequestHeader(token, 2, TimeSpan.FromSeconds(5)), w =>
        {
            w.WriteString(null);
            w.WriteByteString(null);
            w.WriteInt32(0);
            w.WriteInt32(0);
            w.WriteExtensionObject(new ExtensionObject(new NodeId(0, ServiceIds.AnonymousIdentityToken), ExtensionObject.BinaryBody, anonymous.ToArray()));
            w.WriteString(null);
            w.WriteByteString(null);
        });
        var response = await channel.RequestAsync(activate, null, CancellationToken.None);
        var refused = Assert.Throws<UaStatusException>(() => ServiceMessages.OpenResponse(response, ServiceIds.ActivateSessionResponse));
        Assert.Equal("BadIdentityTokenRejected", refused.Status.Name);
    }

    [Fact]
    public async Task Without_anonymous_access_only_users_get_in_and_unoffered_modes_are_refused()
    {
        await using var harness = await ServerHarness.StartAsync(configure: o => o with { AllowAnonymous = false, Security = [ServerSecurity.SignAndEncrypt] });
        var endpoints = await FlowEngine.Nodes.OpcUa.Protocol.Client.UaSession.GetEndpointsAsync(harness.Client(), CancellationToken.None);
        var endpoint = Assert.Single(endpoints);
        Assert.Equal(UserTokenType.UserName, Assert.Single(endpoint.UserIdentityTokens).TokenType);
        var anonymous = await Assert.ThrowsAsync<UaStatusException>(() => harness.ConnectAsync(MessageSecurityMode.SignAndEncrypt));
        Assert.Contains("anonymous", anonymous.Message);
        // An unsecured channel serves discovery only when no None endpoint is offered.
        await using (var channel = await FlowEngine.Nodes.OpcUa.Protocol.Client.SecureChannel.OpenAsync(
            new FlowEngine.Nodes.OpcUa.Protocol.Client.SecureChannelOptions { Endpoint = new Uri(harness.Url) }, CancellationToken.None))
        {
            var request = ServiceMessages.Encode(ServiceIds.CreateSessionRequest, RequestHeader.Anonymous(1, TimeSpan.FromSeconds(5)), w =>
            {
                new ApplicationDescription("urn:x", null, new LocalizedText(null, "x"), 1, []).Write(w);
                w.WriteString(null);
                w.WriteString(harness.Url);
                w.WriteString("sneaky");
                w.WriteByteString(new byte[32]);
                w.WriteByteString(null);
                w.WriteDouble(60000);
                w.WriteUInt32(0);
            });
            var response = await channel.RequestAsync(request, null, CancellationToken.None);
            var none = Assert.Throws<UaStatusException>(() => ServiceMessages.OpenResponse(response, ServiceIds.CreateSessionResponse));
            Assert.Equal("BadSecurityPolicyRejected", none.Status.Name);
        }
        await using var session = await harness.ConnectAsync(MessageSecurityMode.SignAndEncrypt, ServerHarness.User, ServerHarness.Password);
        Assert.True((await session.ReadAsync([new ReadValueId(AddressSpace.ServerStatusState)], CancellationToken.None))[0].Status.IsGood);
    }
}
