using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common.Network;

namespace FlowEngine.Nodes.Common.Tests.Network.WebSocket;

public sealed class WebSocketMessagesTests
{
    [Fact]
    public void Payload_only_text_becomes_a_string_and_binary_a_buffer_with_the_session()
    {
        var text = WebSocketMessages.ToMessage(new WebSocketIncoming("héllo"u8.ToArray(), IsText: true), wholeMessage: false, "abc");
        Assert.Equal("héllo", text["payload"]);
        var session = Assert.IsType<JsObject>(text["_session"]);
        Assert.Equal("websocket", session["type"]);
        Assert.Equal("abc", session["id"]);

        var binary = WebSocketMessages.ToMessage(new WebSocketIncoming([1, 2], IsText: false), wholeMessage: false, "abc");
        Assert.Equal(new byte[] { 1, 2 }, binary["payload"]);
    }

    [Fact]
    public void Whole_message_json_object_is_the_message_and_anything_else_is_the_payload()
    {
        var whole = WebSocketMessages.ToMessage(new WebSocketIncoming("""{"topic":"t","payload":[1]}"""u8.ToArray(), true), wholeMessage: true, "s1");
        Assert.Equal("t", whole["topic"]);
        Assert.IsType<List<object?>>(whole["payload"]);
        Assert.IsType<JsObject>(whole["_session"]);

        Assert.Equal(42.0, WebSocketMessages.ToMessage(new WebSocketIncoming("42"u8.ToArray(), true), true, "s1")["payload"]);
        Assert.Equal("not json", WebSocketMessages.ToMessage(new WebSocketIncoming("not json"u8.ToArray(), true), true, "s1")["payload"]);
        var nullJson = WebSocketMessages.ToMessage(new WebSocketIncoming("null"u8.ToArray(), true), true, "s1");
        Assert.True(nullJson.ContainsKey("payload"));
        Assert.Null(nullJson["payload"]);
    }

    [Fact]
    public void Payload_only_frames_send_buffers_binary_strings_as_text_and_objects_as_json()
    {
        var buffer = WebSocketMessages.ToFrame(new JsObject { ["payload"] = new byte[] { 9 } }, false)!.Value;
        Assert.False(buffer.IsText);
        Assert.Equal(new byte[] { 9 }, buffer.Data);

        var text = WebSocketMessages.ToFrame(new JsObject { ["payload"] = "hi" }, false)!.Value;
        Assert.True(text.IsText);
        Assert.Equal("hi", Encoding.UTF8.GetString(text.Data));

        var json = WebSocketMessages.ToFrame(new JsObject { ["payload"] = new JsObject { ["a"] = 1.0 } }, false)!.Value;
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(json.Data));

        Assert.Equal("42", Encoding.UTF8.GetString(WebSocketMessages.ToFrame(new JsObject { ["payload"] = 42.0 }, false)!.Value.Data));
        Assert.Equal("true", Encoding.UTF8.GetString(WebSocketMessages.ToFrame(new JsObject { ["payload"] = true }, false)!.Value.Data));
    }

    [Fact]
    public void Nothing_is_sent_for_a_missing_payload_or_an_empty_string()
    {
        Assert.Null(WebSocketMessages.ToFrame(new JsObject { ["topic"] = "x" }, false));
        Assert.Null(WebSocketMessages.ToFrame(new JsObject { ["payload"] = "" }, false));
    }

    [Fact]
    public void Whole_message_frames_leave_out_the_session()
    {
        var msg = new JsObject { ["payload"] = "p", ["topic"] = "t", ["_session"] = new JsObject { ["type"] = "websocket", ["id"] = "x" } };
        var frame = WebSocketMessages.ToFrame(msg, true)!.Value;
        Assert.True(frame.IsText);
        Assert.Equal("""{"payload":"p","topic":"t"}""", Encoding.UTF8.GetString(frame.Data));
        Assert.True(msg.ContainsKey("_session"));
    }

    [Fact]
    public void Only_a_websocket_session_addresses_one_client()
    {
        Assert.Equal("x", WebSocketMessages.SessionId(new JsObject { ["_session"] = new JsObject { ["type"] = "websocket", ["id"] = "x" } }));
        Assert.Null(WebSocketMessages.SessionId(new JsObject { ["_session"] = new JsObject { ["type"] = "tcp", ["id"] = "x" } }));
        Assert.Null(WebSocketMessages.SessionId(new JsObject { ["payload"] = 1.0 }));
    }

    [Fact]
    public void The_route_table_refuses_a_second_listener_on_a_path_until_the_first_is_removed()
    {
        var table = new WebSocketNodeRouteTable();
        var endpoint = new WebSocketNodeEndpoint { Accept = (_, _, _) => Task.CompletedTask };
        var first = table.Add("ws/data/", endpoint);
        Assert.Same(endpoint, table.Match("/WS/data"));
        var error = Assert.Throws<InvalidOperationException>(() => table.Add("/ws/data", endpoint));
        Assert.Contains("/ws/data", error.Message);
        first.Dispose();
        Assert.Null(table.Match("/ws/data"));
        using var second = table.Add("/ws/data", endpoint);
        Assert.Same(endpoint, table.Match("/ws/data"));
    }
}
