using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlowEngine.Core.Values;
using FlowEngine.Host.Audit;
using FlowEngine.Host.CommandLine;
using FlowEngine.Host.Configuration;

namespace FlowEngine.Host.Tests.Security;

/// <summary>Context API, /metrics, HTTPS with HSTS, and the hash-pw / user add commands.</summary>
public sealed class OperationsTests
{
    private const string OneTab = """[{"id":"t1","type":"tab","label":"Flow 1"},{"id":"i1","type":"inject","z":"t1","props":[{"p":"payload"}],"payload":"","payloadType":"date","repeat":"","once":false,"x":100,"y":40,"wires":[]}]""";

    [Fact]
    public async Task Context_is_read_encoded_per_store_and_deleted_with_an_audit_entry()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab);
        var contexts = host.Runtime.Contexts;
        var store = contexts.DefaultStoreName;
        contexts.Global().Set("count", 3.0);
        contexts.Node("i1", "t1").Set("name", "abc");

        var global = await host.GetObjectAsync("context/global");
        Assert.Equal("""{"count":{"msg":"3","format":"number"}}""", JsJson.Serialize(global[store]));
        var one = await host.GetObjectAsync("context/node/i1/name");
        Assert.Equal($$"""{"msg":"abc","format":"string[3]","store":"{{store}}"}""", JsJson.Serialize(one));
        Assert.Equal("{}", JsJson.Serialize(await host.GetObjectAsync("context/flow/t1/missing")));

        using var delete = await host.Client.DeleteAsync("context/node/i1/name");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Null(contexts.Node("i1", "t1").Get("name"));
        var audit = await host.GetObjectAsync("audit");
        var entry = ((List<object?>)audit["entries"]!).Cast<JsObject>().First();
        Assert.Equal("context.delete", entry["action"]);
        Assert.Equal("node/i1", entry["scope"]);
        Assert.Equal("name", entry["key"]);

        using var unknown = await host.Client.GetAsync("context/node/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Metrics_show_messages_per_node_in_prometheus_text_format()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab);
        using var inject = await host.PostJsonAsync("inject/i1", "{}");
        using var response = await host.Client.GetAsync("/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE flowengine_node_messages_out_total counter\n", text, StringComparison.Ordinal);
        // The trigger counts as the inject node's input; it has no wires, so nothing goes out.
        Assert.Contains("flowengine_node_messages_in_total{node_id=\"i1\",node_type=\"inject\",flow_id=\"t1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("flowengine_node_messages_out_total{node_id=\"i1\",node_type=\"inject\",flow_id=\"t1\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("flowengine_node_queue_depth{node_id=\"i1\"", text, StringComparison.Ordinal);
        Assert.Contains("\nprocess_resident_memory_bytes ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnostics_report_in_node_reds_shape_without_secrets()
    {
        await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: """{"credentialSecret":"hush"}""");
        var report = await host.GetObjectAsync("diagnostics");
        Assert.Equal("diagnostics", report["report"]);
        var runtime = (JsObject)report["runtime"]!;
        Assert.Equal(true, runtime["isStarted"]);
        Assert.Equal(host.Runtime.Revision, ((JsObject)runtime["flows"]!)["revision"]);
        Assert.Equal("UNSET", ((JsObject)runtime["settings"]!)["adminAuth"]);
        Assert.DoesNotContain("hush", JsJson.Serialize(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_with_a_pem_certificate_serves_tls_and_hsts()
    {
        var folder = Directory.CreateTempSubdirectory("flowengine-tls-").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
            var settings = JsJson.Serialize(new JsObject { ["https"] = new JsObject { ["key"] = Path.Combine(folder, "key.pem"), ["cert"] = Path.Combine(folder, "cert.pem") } });

            await using var host = await TestHost.StartAsync(flowFile: OneTab, settings: settings);
            Assert.Equal("https", host.Server.BaseAddress!.Scheme);
            var thumbprint = certificate.Thumbprint;
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint };
            using var client = new HttpClient(handler) { BaseAddress = host.Server.BaseAddress };
            using var response = await client.GetAsync("flows/state");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Hash_pw_prints_a_bcrypt_hash_of_the_password_read_from_stdin()
    {
        using var output = new StringWriter();
        var exit = await AdminCommands.TryRunAsync(["hash-pw"], new StringReader("pa55word\n"), output, TextWriter.Null, Environment());
        Assert.Equal(0, exit);
        Assert.True(BCrypt.Net.BCrypt.Verify("pa55word", output.ToString().Trim()));
    }

    [Fact]
    public async Task User_add_writes_the_admin_auth_block_and_an_audit_entry()
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-cli-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(userDir, "settings.json"), """{"uiPort":1881}""");
            using var output = new StringWriter();
            var exit = await AdminCommands.TryRunAsync(["user", "add", "olga", "--role", "operator", "-u", userDir], new StringReader("pw\n"), output, TextWriter.Null, Environment());
            Assert.Equal(0, exit);

            var settings = (JsObject)JsJson.Parse(await File.ReadAllTextAsync(Path.Combine(userDir, "settings.json")))!;
            Assert.Equal(1881.0, settings["uiPort"]);
            var user = (JsObject)((List<object?>)((JsObject)settings["adminAuth"]!)["users"]!).Single()!;
            Assert.Equal("olga", user["username"]);
            Assert.Equal("operator", user["role"]);
            Assert.True(BCrypt.Net.BCrypt.Verify("pw", (string)user["password"]!));
            using var audit = new LiteDbAuditLog(LiteDbAuditLog.PathIn(userDir), TimeProvider.System);
            Assert.Equal("user.add", audit.Read(1, 10).Entries.Single()["action"]);

            var refused = await AdminCommands.TryRunAsync(["user", "add", "x", "--role", "boss", "-u", userDir], new StringReader("pw\n"), output, TextWriter.Null, Environment());
            Assert.Equal(1, refused);
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }

    private static HostEnvironment Environment() => new(new Dictionary<string, string>(), Path.GetTempPath(), Path.GetTempPath());
}
