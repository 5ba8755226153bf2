using System.Net;
using System.Net.WebSockets;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Host.Tests;

/// <summary>
/// websocket-listener, websocket-client, websocket in and websocket out in a real server, talked to with
/// System.Net.WebSockets.ClientWebSocket on the port that serves http in.
/// </summary>
public sealed class WebSocketNodeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string Flow(string nodes) => $$"""[{"id":"t1","type":"tab","label":"T"},{{nodes}}]""";

    /// <summary>websocket in → websocket out on one listener: each message is answered to its own session.</summary>
    private static string Echo(string path = "/ws/echo", string wholemsg = "false") => $$"""
        {"id":"l1","type":"websocket-listener","path":"{{path}}","wholemsg":"{{wholemsg}}"},
        {"id":"in","type":"websocket in","z":"t1","x":1,"y":1,"server":"l1","client":"","wires":[["out"]]},
        {"id":"out","type":"websocket out","z":"t1","x":1,"y":1,"server":"l1","client":"","wires":[]}
        """;

    /// <summary>POST /broadcast sends its body to every client of l1 (an http in message has no _session).</summary>
    private const string Broadcast = """
        {"id":"hin","type":"http in","z":"t1","x":1,"y":1,"url":"/broadcast","method":"post","wires":[["out","hres"]]},
        {"id":"hres","type":"http response","z":"t1","x":1,"y":1,"statusCode":"","headers":{},"wires":[]}
        """;

    private static Uri SocketUri(TestHost host, string path)
    {
        var builder = new UriBuilder(host.Server.BaseAddress!) { Scheme = "ws" };
        builder.Path = path;
        return builder.Uri;
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestHost host, string path, string? basicAuth = null)
    {
        var socket = new ClientWebSocket();
        if (basicAuth is not null) socket.Options.SetRequestHeader("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(basicAuth)));
        using var timeout = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(SocketUri(host, path), timeout.Token);
        return socket;
    }

    private static async Task SendTextAsync(WebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
    }

    private static async Task<(string Text, WebSocketMessageType Type)> ReceiveAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) return ("", WebSocketMessageType.Close);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return (Encoding.UTF8.GetString(message.ToArray()), result.MessageType);
        }
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var (text, type) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type);
        return text;
    }

    private static HttpClient Http(TestHost host) => new() { BaseAddress = host.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task WaitForStatusAsync(TestHost host, string nodeId, string text)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (host.Runtime.FindNode(nodeId)?.Status.Text != text)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"node {nodeId} status is \"{host.Runtime.FindNode(nodeId)?.Status.Text}\", expected \"{text}\"");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_listener_echoes_text_to_the_client_that_sent_it()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Echo()));
        using var client = await ConnectAsync(host, "/ws/echo");
        await SendTextAsync(client, "hello");
        Assert.Equal("hello", await ReceiveTextAsync(client));

        // Binary in, binary out: a Buffer payload is sent as a binary frame.
        using var timeout = new CancellationTokenSource(Patience);
        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, timeout.Token);
        var buffer = new byte[16];
        var result = await client.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..result.Count]);
    }

    [Fact]
    public async Task A_message_without_session_is_broadcast_to_all_three_clients_and_the_status_counts_them()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Echo() + "," + Broadcast));
        var clients = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await ConnectAsync(host, "/ws/echo");
                clients.Add(client);
                // The echo proves the listener has the session before the broadcast goes out.
                await SendTextAsync(client, $"ready {i}");
                Assert.Equal($"ready {i}", await ReceiveTextAsync(client));
            }
            await WaitForStatusAsync(host, "in", "connected 3");

            using var http = Http(host);
            using var response = await http.PostAsync("broadcast", new StringContent("to everyone", Encoding.UTF8, "text/plain"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (var client in clients) Assert.Equal("to everyone", await ReceiveTextAsync(client));

            using (var timeout = new CancellationTokenSource(Patience)) await clients[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            await WaitForStatusAsync(host, "in", "connected 2");
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task A_reply_with_session_reaches_only_the_client_that_asked()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Echo() + "," + Broadcast));
        using var asker = await ConnectAsync(host, "/ws/echo");
        using var bystander = await ConnectAsync(host, "/ws/echo");
        await SendTextAsync(bystander, "ready");
        Assert.Equal("ready", await ReceiveTextAsync(bystander));

        await SendTextAsync(asker, "question");
        Assert.Equal("question", await ReceiveTextAsync(asker));

        // The bystander's next message is the broadcast sent after the reply: the reply never reached it.
        using var http = Http(host);
        using var response = await http.PostAsync("broadcast", new StringContent("after", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("after", await ReceiveTextAsync(bystander));
        Assert.Equal("after", await ReceiveTextAsync(asker));
    }

    [Fact]
    public async Task Wholemsg_true_turns_json_into_the_message_and_sends_the_whole_message_back_without_session()
    {
        await using var host = await TestHost.StartAsync(flowFile: Flow(Echo(wholemsg: "true")));
        using var client = await ConnectAsync(host, "/ws/echo");

        await SendTextAsync(client, """{"payload":{"a":1},"topic":"t1"}""");
        var echoed = Assert.IsType<JsObject>(JsJson.Parse(await ReceiveTextAsync(client)));
        Assert.Equal("t1", echoed["topic"]);
        Assert.Equal(1.0, Assert.IsType<JsObject>(echoed["payload"])["a"]);
        Assert.IsType<string>(echoed["_msgid"]);
        Assert.False(echoed.ContainsKey("_session"));

        // Text that is not a JSON object becomes the payload.
        await SendTextAsync(client, "plain words");
        var wrapped = Assert.IsType<JsObject>(JsJson.Parse(await ReceiveTextAsync(client)));
        Assert.Equal("plain words", wrapped["payload"]);
    }

    [Fact]
    public async Task Listener_paths_live_under_httpNodeRoot_and_httpNodeAuth_refuses_a_client_without_credentials()
    {
        var hash = BCrypt.Net.BCrypt.HashPassword("secret", 4);
        var settings = $$$"""{"httpNodeRoot":"/api","httpNodeAuth":{"user":"flow","pass":"{{{hash}}}"}}""";
        await using var host = await TestHost.StartAsync(flowFile: Flow(Echo()), settings: settings);

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(host, "/api/ws/echo"));
        Assert.Contains("401", refused.Message);
        await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(host, "/api/ws/echo", basicAuth: "flow:wrong"));

        using var allowed = await ConnectAsync(host, "/api/ws/echo", basicAuth: "flow:secret");
        await SendTextAsync(allowed, "let in");
        Assert.Equal("let in", await ReceiveTextAsync(allowed));

        // Outside httpNodeRoot the path is not a listener.
        await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(host, "/ws/echo", basicAuth: "flow:secret"));
    }

    [Fact]
    public async Task Redeploying_the_listener_closes_its_sessions_with_1001_and_other_deploys_keep_them()
    {
        var original = Flow(Echo() + "," + Broadcast);
        await using var host = await TestHost.StartAsync(flowFile: original);
        using var client = await ConnectAsync(host, "/ws/echo");
        await SendTextAsync(client, "one");
        Assert.Equal("one", await ReceiveTextAsync(client));

        // A "nodes" deploy that changes only the http in node leaves the listener and its session alone.
        await host.DeployAsync(original.Replace("\"url\":\"/broadcast\"", "\"url\":\"/broadcast2\"", StringComparison.Ordinal), "nodes");
        await SendTextAsync(client, "two");
        Assert.Equal("two", await ReceiveTextAsync(client));

        // Changing the listener closes the session cleanly: a close frame with 1001 (going away), and the deploy
        // completes once the client has answered it.
        var closed = Task.Run(async () =>
        {
            var (_, type) = await ReceiveAsync(client);
            if (type == WebSocketMessageType.Close) await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            return type;
        });
        await host.DeployAsync(original.Replace("\"wholemsg\":\"false\"", "\"wholemsg\":\"true\"", StringComparison.Ordinal), "nodes");
        Assert.Equal(WebSocketMessageType.Close, await closed.WaitAsync(Patience));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
        Assert.Equal(WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task A_websocket_client_node_connects_to_a_listener_and_reconnects_after_the_server_side_comes_back()
    {
        await using var host = await TestHost.StartAsync();
        var url = SocketUri(host, "/ws/server").ToString();
        // POST /push goes to every client of /ws/server, i.e. the websocket-client node; what that node receives is
        // forwarded to every client of /ws/observe, where the test listens.
        var serverSide = $$"""
            {"id":"srv","type":"websocket-listener","path":"/ws/server","wholemsg":"false"},
            {"id":"push","type":"http in","z":"t1","x":1,"y":1,"url":"/push","method":"post","wires":[["srvout","pushres"]]},
            {"id":"pushres","type":"http response","z":"t1","x":1,"y":1,"statusCode":"","headers":{},"wires":[]},
            {"id":"srvout","type":"websocket out","z":"t1","x":1,"y":1,"server":"srv","client":"","wires":[]}
            """;
        var clientSide = $$"""
            {"id":"cli","type":"websocket-client","path":"{{url}}","wholemsg":"false","hb":"5"},
            {"id":"obs","type":"websocket-listener","path":"/ws/observe","wholemsg":"false"},
            {"id":"cin","type":"websocket in","z":"t1","x":1,"y":1,"server":"","client":"cli","wires":[["tag"]]},
            {"id":"tag","type":"change","z":"t1","x":1,"y":1,"rules":[{"t":"set","p":"payload","pt":"msg","to":"\"client got \" & payload","tot":"jsonata"},{"t":"delete","p":"_session","pt":"msg"}],"wires":[["obsout"]]},
            {"id":"obsout","type":"websocket out","z":"t1","x":1,"y":1,"server":"obs","client":"","wires":[]}
            """;
        var full = Flow(serverSide + "," + clientSide);
        await host.DeployAsync(full);
        using var observer = await ConnectAsync(host, "/ws/observe");
        await WaitForStatusAsync(host, "cin", "connected");
        await WaitForStatusAsync(host, "srvout", "connected 1");
        await ExpectRelayedAsync(host, observer, "first");

        // The server side goes away: the client node sees the close and shows it is disconnected.
        await host.DeployAsync(Flow(clientSide), "nodes");
        await WaitForStatusAsync(host, "cin", "connecting", startsWith: true);
        // ...and comes back: the client node reconnects on its own.
        await host.DeployAsync(full, "nodes");
        await WaitForStatusAsync(host, "cin", "connected");
        await WaitForStatusAsync(host, "srvout", "connected 1");
        await ExpectRelayedAsync(host, observer, "second");
    }

    private static async Task WaitForStatusAsync(TestHost host, string nodeId, string text, bool startsWith)
    {
        if (!startsWith)
        {
            await WaitForStatusAsync(host, nodeId, text);
            return;
        }
        var deadline = DateTime.UtcNow + Patience;
        // "connecting" or "disconnected: ..." both show the drop was noticed.
        while (host.Runtime.FindNode(nodeId)?.Status.Text is not { } status || !(status.StartsWith(text, StringComparison.Ordinal) || status.StartsWith("disconnected", StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"node {nodeId} status is \"{host.Runtime.FindNode(nodeId)?.Status.Text}\"");
            await Task.Delay(20);
        }
    }

    /// <summary>Pushes through the server listener until the client node's relay reaches the observer.</summary>
    private static async Task ExpectRelayedAsync(TestHost host, WebSocket observer, string text)
    {
        using var http = Http(host);
        using var response = await http.PostAsync("push", new StringContent(text, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("client got " + text, await ReceiveTextAsync(observer));
    }
}
