using System.Text;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using Microsoft.Extensions.Logging;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Storage;

/// <summary>write file and read file against a temporary user directory (the default allowed directory).</summary>
public sealed class FileNodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flowengine-file-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Settings => JsJson.Serialize(new JsObject { ["userDir"] = _dir });

    private string InDir(string name) => Path.Combine(_dir, name);

    private static string Json(string text) => JsJson.Serialize(text);

    private Task<TestFlow> Write(string properties) =>
        StartAsync($$""" "type":"file",{{properties}} """, settings: Settings);

    private Task<TestFlow> Read(string properties) =>
        StartAsync($$""" "type":"file in",{{properties}} """, settings: Settings);

    [Fact]
    public async Task Write_appends_with_a_newline_by_default_and_passes_the_message_on()
    {
        await using var flow = await Write($$""" "filename":{{Json(InDir("a.txt"))}},"filenameType":"str","appendNewline":true,"overwriteFile":"false" """);
        flow.Send("n", """{"payload":"one"}""");
        await flow.NextAsync("h0");
        flow.Send("n", """{"payload":2}""");
        Assert.Equal(2.0, (await flow.NextAsync("h0"))["payload"]);
        Assert.Equal($"one{Environment.NewLine}2{Environment.NewLine}", await File.ReadAllTextAsync(InDir("a.txt")));
    }

    [Fact]
    public async Task Write_overwrite_replaces_the_file_and_objects_become_json()
    {
        await File.WriteAllTextAsync(InDir("o.txt"), "old content");
        await using var flow = await Write($$""" "filename":{{Json(InDir("o.txt"))}},"filenameType":"str","appendNewline":false,"overwriteFile":"true" """);
        flow.Send("n", """{"payload":{"a":[1,true]}}""");
        await flow.NextAsync("h0");
        Assert.Equal("""{"a":[1,true]}""", await File.ReadAllTextAsync(InDir("o.txt")));
    }

    [Fact]
    public async Task Write_buffer_payload_writes_the_bytes_without_a_newline()
    {
        await using var flow = await Write($$""" "filename":{{Json(InDir("b.bin"))}},"filenameType":"str","appendNewline":true,"overwriteFile":"true" """);
        flow.Send("n", new JsObject { ["payload"] = new byte[] { 1, 2, 255 } });
        await flow.NextAsync("h0");
        Assert.Equal(new byte[] { 1, 2, 255 }, await File.ReadAllBytesAsync(InDir("b.bin")));
    }

    [Fact]
    public async Task Write_delete_removes_the_file()
    {
        await File.WriteAllTextAsync(InDir("d.txt"), "x");
        await using var flow = await Write($$""" "filename":{{Json(InDir("d.txt"))}},"filenameType":"str","overwriteFile":"delete" """);
        flow.Send("n", """{"payload":"ignored"}""");
        await flow.NextAsync("h0");
        Assert.False(File.Exists(InDir("d.txt")));
    }

    [Fact]
    public async Task Write_into_a_missing_directory_fails_unless_createDir()
    {
        var nested = InDir(Path.Combine("x", "y", "f.txt"));
        await using (var flow = await Write($$""" "filename":{{Json(nested)}},"filenameType":"str","createDir":false """))
        {
            flow.Send("n", """{"payload":"a"}""");
            var error = await flow.NextAsync("err");
            Assert.StartsWith("Failed to append to file: Error: ENOENT: no such file or directory", (string)((JsObject)error["error"]!)["message"]!);
        }
        await using (var flow = await Write($$""" "filename":{{Json(nested)}},"filenameType":"str","createDir":true,"appendNewline":false """))
        {
            flow.Send("n", """{"payload":"a"}""");
            await flow.NextAsync("h0");
            Assert.Equal("a", await File.ReadAllTextAsync(nested));
        }
    }

    [Fact]
    public async Task Write_takes_the_file_name_from_msg_filename_when_the_node_has_none()
    {
        await using var flow = await Write(""" "filename":"","filenameType":"","appendNewline":false """);
        flow.Send("n", new JsObject { ["payload"] = "m", ["filename"] = InDir("m.txt") });
        await flow.NextAsync("h0");
        Assert.Equal("m", await File.ReadAllTextAsync(InDir("m.txt")));
    }

    [Fact]
    public async Task Write_relative_names_resolve_in_the_user_directory()
    {
        await using var flow = await Write(""" "filename":"rel.txt","filenameType":"str","appendNewline":false """);
        flow.Send("n", """{"payload":"r"}""");
        await flow.NextAsync("h0");
        Assert.Equal("r", await File.ReadAllTextAsync(InDir("rel.txt")));
    }

    [Fact]
    public async Task Write_outside_the_allowed_directories_is_refused_naming_the_setting()
    {
        var outside = Path.Combine(Path.GetTempPath(), "flowengine-outside-" + Guid.NewGuid().ToString("N") + ".txt");
        await using var flow = await Write($$""" "filename":{{Json(outside)}},"filenameType":"str" """);
        flow.Send("n", """{"payload":"x"}""");
        var error = (string)((JsObject)(await flow.NextAsync("err"))["error"]!)["message"]!;
        Assert.Contains("fileNodeAllowedDirectories", error);
        Assert.Contains(outside, error);
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public async Task Write_dot_dot_cannot_escape_the_allowed_directory()
    {
        await using var flow = await Write(""" "filename":"../escape.txt","filenameType":"str" """);
        flow.Send("n", """{"payload":"x"}""");
        Assert.Contains("fileNodeAllowedDirectories", (string)((JsObject)(await flow.NextAsync("err"))["error"]!)["message"]!);
    }

    [Fact]
    public async Task Write_honours_the_encoding()
    {
        await using var flow = await Write($$""" "filename":{{Json(InDir("l.txt"))}},"filenameType":"str","appendNewline":false,"encoding":"latin1" """);
        flow.Send("n", """{"payload":"é"}""");
        await flow.NextAsync("h0");
        Assert.Equal(new byte[] { 0xE9 }, await File.ReadAllBytesAsync(InDir("l.txt")));
    }

    [Fact]
    public async Task Write_without_a_filename_warns()
    {
        await using var flow = await Write(""" "filename":"","filenameType":"str" """);
        flow.Send("n", """{"payload":"x"}""");
        Assert.Equal("No filename specified", (await flow.LogAsync(LogLevel.Warning)).Message);
    }

    [Fact]
    public async Task Read_utf8_gives_the_text_and_sets_msg_filename()
    {
        await File.WriteAllTextAsync(InDir("r.txt"), "héllo");
        await using var flow = await Read($$""" "filename":{{Json(InDir("r.txt"))}},"filenameType":"str","format":"utf8" """);
        flow.Send("n", """{"topic":"t"}""");
        var msg = await flow.NextAsync("h0");
        Assert.Equal("héllo", msg["payload"]);
        Assert.Equal(InDir("r.txt"), msg["filename"]);
        Assert.Equal("t", msg["topic"]);
    }

    [Fact]
    public async Task Read_buffer_gives_the_bytes()
    {
        await File.WriteAllBytesAsync(InDir("r.bin"), [0, 1, 2]);
        await using var flow = await Read($$""" "filename":{{Json(InDir("r.bin"))}},"filenameType":"str","format":"" """);
        flow.Send("n", "{}");
        Assert.Equal(new byte[] { 0, 1, 2 }, (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Read_lines_sends_one_message_per_line_with_parts()
    {
        await File.WriteAllTextAsync(InDir("lines.txt"), "a\nb\nc");
        await using var flow = await Read($$""" "filename":{{Json(InDir("lines.txt"))}},"filenameType":"str","format":"lines" """);
        flow.Send("n", """{"topic":"T","other":1}""");
        var messages = await flow.NextAsync("h0", 3);
        Assert.Equal(["a", "b", "c"], messages.Select(m => m["payload"]));
        Assert.Equal("T", messages[0]["topic"]);
        Assert.False(messages[0].ContainsKey("other"));
        var last = (JsObject)messages[2]["parts"]!;
        Assert.Equal(2.0, last["index"]);
        Assert.Equal(3.0, last["count"]);
        Assert.Equal("\n", last["ch"]);
        Assert.False(((JsObject)messages[0]["parts"]!).ContainsKey("count"));
    }

    [Fact]
    public async Task Read_lines_with_all_props_keeps_every_input_property()
    {
        await File.WriteAllTextAsync(InDir("lines.txt"), "a\n");
        await using var flow = await Read($$""" "filename":{{Json(InDir("lines.txt"))}},"filenameType":"str","format":"lines","allProps":true """);
        flow.Send("n", """{"other":1}""");
        var messages = await flow.NextAsync("h0", 2);
        Assert.Equal(1.0, messages[0]["other"]);
        // A file ending with a newline ends with an empty line, as in Node-RED.
        Assert.Equal("", messages[1]["payload"]);
        Assert.Equal(2.0, ((JsObject)messages[1]["parts"]!)["count"]);
    }

    [Fact]
    public async Task Read_stream_sends_64k_chunks_with_parts()
    {
        var data = new byte[(64 * 1024) + 10];
        new Random(1).NextBytes(data);
        await File.WriteAllBytesAsync(InDir("big.bin"), data);
        await using var flow = await Read($$""" "filename":{{Json(InDir("big.bin"))}},"filenameType":"str","format":"stream" """);
        flow.Send("n", "{}");
        var chunks = await flow.NextAsync("h0", 2);
        Assert.Equal(64 * 1024, ((byte[])chunks[0]["payload"]!).Length);
        Assert.Equal(10, ((byte[])chunks[1]["payload"]!).Length);
        Assert.Equal(2.0, ((JsObject)chunks[1]["parts"]!)["count"]);
        Assert.Equal("buffer", ((JsObject)chunks[1]["parts"]!)["type"]);
        Assert.Equal(data, chunks.SelectMany(c => (byte[])c["payload"]!).ToArray());
    }

    [Fact]
    public async Task Read_a_missing_file_reports_enoent_to_catch()
    {
        await using var flow = await Read($$""" "filename":{{Json(InDir("none.txt"))}},"filenameType":"str","format":"utf8" """);
        flow.Send("n", "{}");
        var error = await flow.NextAsync("err");
        Assert.Equal($"Error: ENOENT: no such file or directory, open '{InDir("none.txt")}'", ((JsObject)error["error"]!)["message"]);
        Assert.True(await flow.NothingArrivesAsync("h0", TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Read_file_name_from_a_msg_property()
    {
        await File.WriteAllTextAsync(InDir("p.txt"), "prop");
        await using var flow = await Read(""" "filename":"payload.file","filenameType":"msg","format":"utf8" """);
        flow.Send("n", new JsObject { ["payload"] = new JsObject { ["file"] = InDir("p.txt") } });
        Assert.Equal("prop", (await flow.NextAsync("h0"))["payload"]);
    }

    [Fact]
    public async Task Read_from_an_extra_allowed_directory_listed_in_settings()
    {
        var other = Directory.CreateTempSubdirectory("flowengine-file-allowed-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(other, "x.txt"), "allowed");
            var settings = JsJson.Serialize(new JsObject { ["userDir"] = _dir, ["fileNodeAllowedDirectories"] = new List<object?> { other } });
            await using var flow = await StartAsync($$""" "type":"file in","filename":{{Json(Path.Combine(other, "x.txt"))}},"filenameType":"str","format":"utf8" """, settings: settings);
            flow.Send("n", "{}");
            Assert.Equal("allowed", (await flow.NextAsync("h0"))["payload"]);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task Write_then_read_round_trips_through_utf16()
    {
        await using var flow = await TestFlow.StartAsync($$"""
            [{"id":"t1","type":"tab","label":"T"},
             {"id":"w","type":"file","z":"t1","x":1,"y":1,"filename":{{Json(InDir("u.txt"))}},"filenameType":"str","appendNewline":false,"overwriteFile":"true","encoding":"utf16le","wires":[["r"]]},
             {"id":"r","type":"file in","z":"t1","x":1,"y":1,"filename":{{Json(InDir("u.txt"))}},"filenameType":"str","format":"utf8","encoding":"utf16le","wires":[["h0"]]},
             {"id":"h0","type":"helper","z":"t1","x":1,"y":1,"wires":[]}]
            """, new TestFlowOptions { Settings = (JsObject)JsJson.Parse(Settings)! });
        flow.Send("w", """{"payload":"ünï"}""");
        Assert.Equal("ünï", (await flow.NextAsync("h0"))["payload"]);
        Assert.Equal(6, (await File.ReadAllBytesAsync(InDir("u.txt"))).Length);
        _ = Encoding.Unicode;
    }
}
