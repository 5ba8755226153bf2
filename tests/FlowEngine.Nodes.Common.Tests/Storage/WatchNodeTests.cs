using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Storage;

public sealed class WatchNodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flowengine-watch-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Settings => JsJson.Serialize(new JsObject { ["userDir"] = _dir });

    [Fact]
    public async Task Watch_reports_a_file_created_in_a_watched_directory()
    {
        await using var flow = await StartAsync($$""" "type":"watch","files":{{JsJson.Serialize(_dir)}},"recursive":false """, settings: Settings, fakeClock: false);
        var path = Path.Combine(_dir, "new.txt");
        await File.WriteAllTextAsync(path, "abc");
        var msg = await flow.NextAsync("h0");
        Assert.Equal(path, msg["payload"]);
        Assert.Equal(path, msg["filename"]);
        Assert.Equal("new.txt", msg["file"]);
        Assert.Equal(_dir, msg["topic"]);
        Assert.Equal("update", msg["event"]);
        Assert.Equal("file", msg["type"]);
    }

    [Fact]
    public async Task Watch_reports_a_deleted_file_as_remove()
    {
        var path = Path.Combine(_dir, "gone.txt");
        await File.WriteAllTextAsync(path, "x");
        await using var flow = await StartAsync($$""" "type":"watch","files":{{JsJson.Serialize(path)}} """, settings: Settings, fakeClock: false);
        File.Delete(path);
        JsObject msg;
        do
        {
            msg = await flow.NextAsync("h0");
        }
        while ((string)msg["event"]! != "remove");
        Assert.Equal("none", msg["type"]);
        Assert.Equal("gone.txt", msg["file"]);
    }

    [Fact]
    public async Task Watch_outside_the_allowed_directories_is_refused()
    {
        await using var flow = await StartAsync(""" "type":"watch","files":"/etc" """, settings: Settings, fakeClock: false);
        await flow.StatusAsync("n", "refused");
        Assert.Contains(flow.Logs, l => l.Message.Contains("fileNodeAllowedDirectories", StringComparison.Ordinal));
    }
}
