using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Server;

namespace FlowEngine.Nodes.OpcUa.Tests.Protocol;

/// <summary>
/// Our UaServer on a free loopback port with its own PKI folder (server certificate, trust list) and our client's
/// certificate in another folder, so both directions of trust are real. Writes are recorded.
/// </summary>
public sealed class ServerHarness : IAsyncDisposable
{
    public const string User = "operator";
    public const string Password = "s3cret!";

    private ServerHarness(string root, UaServer server, CertificateStore serverStore, CertificateStore clientStore, X509Certificate2 clientCertificate)
    {
        Root = root;
        Server = server;
        ServerStore = serverStore;
        ClientStore = clientStore;
        ClientCertificate = clientCertificate;
    }

    public string Root { get; }
    public UaServer Server { get; }
    public CertificateStore ServerStore { get; }
    public CertificateStore ClientStore { get; }
    public X509Certificate2 ClientCertificate { get; }
    public ConcurrentQueue<ServerWrite> Writes { get; } = new();
    public ConcurrentQueue<string> Logs { get; } = new();
    public bool ApplyWrites { get; set; } = true;
    public string Url => Server.EndpointUrl;
    public const string ClientApplicationUri = "urn:flowengine:test-client";

    public static async Task<ServerHarness> StartAsync(bool trustAll = true, Func<UaServerOptions, UaServerOptions>? configure = null)
    {
        var root = Directory.CreateTempSubdirectory("flowengine-uaserver-").FullName;
        var serverStore = new CertificateStore(Path.Combine(root, "server-pki"));
        var clientStore = new CertificateStore(Path.Combine(root, "client-pki"));
        var serverCertificate = serverStore.GetOrCreateApplicationCertificate("urn:flowengine:test-server", "FlowEngine test server", CertificateStore.ServerCertificateName, ["127.0.0.1"]);
        var clientCertificate = clientStore.GetOrCreateApplicationCertificate(ClientApplicationUri, "FlowEngine test client");
        ServerHarness? harness = null;
        var options = new UaServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            EndpointPath = "/test",
            ApplicationUri = "urn:flowengine:test-server",
            NamespaceUri = "urn:flowengine:test-data",
            Security = [ServerSecurity.None, ServerSecurity.Sign, ServerSecurity.SignAndEncrypt],
            Users = new Dictionary<string, string> { [User] = Password },
            Certificate = serverCertificate,
            ValidateClientCertificate = c => serverStore.ValidateClientCertificate(c, trustAll),
            OnWrite = w =>
            {
                harness!.Writes.Enqueue(w);
                return harness.ApplyWrites;
            },
            Log = line => harness?.Logs.Enqueue(line),
        };
        if (configure is not null) options = configure(options);
        var server = new UaServer(options);
        harness = new ServerHarness(root, server, serverStore, clientStore, clientCertificate);
        server.Start();
        await Task.CompletedTask;
        return harness;
    }

    /// <summary>Client options that trust this server's certificate (as a user would after moving it to trusted/).</summary>
    public UaClientOptions Client(MessageSecurityMode mode = MessageSecurityMode.None, string? user = null, string? password = null, TimeSpan? sessionTimeout = null) => new()
    {
        EndpointUrl = new Uri(Url),
        Mode = mode,
        PolicyUri = mode == MessageSecurityMode.None ? SecurityPolicyUris.None : SecurityPolicyUris.Basic256Sha256,
        UserName = user,
        Password = password,
        ApplicationCertificate = ClientCertificate,
        ApplicationUri = ClientApplicationUri,
        ValidateServerCertificate = c => ClientStore.ValidateServerCertificate(c, [Server.Options.Certificate!.Thumbprint]),
        SessionTimeout = sessionTimeout ?? TimeSpan.FromMinutes(1),
        RequestTimeout = TimeSpan.FromSeconds(15),
    };

    public Task<UaSession> ConnectAsync(MessageSecurityMode mode = MessageSecurityMode.None, string? user = null, string? password = null) =>
        UaSession.ConnectAsync(Client(mode, user, password), CancellationToken.None);

    public void Set(string path, double value, bool writable = false) =>
        Server.AddressSpace.SetVariable(path, BuiltInType.Double, false, DataValue.FromValue(new Variant(BuiltInType.Double, value)), writable);

    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 20000)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.ElapsedMilliseconds > timeoutMs) return false;
            await Task.Delay(20);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
