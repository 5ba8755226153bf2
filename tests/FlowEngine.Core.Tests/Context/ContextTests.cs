using FlowEngine.Core.Values;
using FlowEngine.TestKit;

namespace FlowEngine.Core.Tests.Context;

public sealed class ContextTests
{
    private const string CounterFlow = """
        [{"id":"t","type":"tab"},
         {"id":"c","type":"test-counter","z":"t","x":0,"y":0,"wires":[["h"]]},
         {"id":"h","type":"helper","z":"t","x":0,"y":0,"wires":[]}]
        """;

    [Fact]
    public async Task Persistent_context_survives_a_restart_of_the_runtime()
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-ctx-").FullName;
        var settings = new JsObject
        {
            ["userDir"] = userDir,
            ["contextStorage"] = JsJson.Parse("""{"default":{"module":"localfilesystem"}}"""),
        };
        await using (var first = await TestFlow.StartAsync(CounterFlow, new TestFlowOptions { Register = TestNodes.Register, Settings = settings }))
        {
            first.Send("c", "{}");
            first.Send("c", "{}");
            await first.NextAsync("h", 2);
            first.Runtime.Contexts.Global().Set("plant", "north");
        }
        await using (var second = await TestFlow.StartAsync(CounterFlow, new TestFlowOptions { Register = TestNodes.Register, Settings = settings }))
        {
            second.Send("c", "{}");
            var msg = await second.NextAsync("h");
            Assert.Equal(3.0, msg["ctx"]);
            Assert.Equal(3.0, msg["flowCtx"]);
            Assert.Equal("north", second.Runtime.Contexts.Global().Get("plant"));
        }
        Directory.Delete(userDir, true);
    }

    [Fact]
    public async Task The_store_is_chosen_per_call_and_unknown_stores_fall_back_to_the_default()
    {
        await using var flow = await TestFlow.StartAsync("");
        var global = flow.Runtime.Contexts.Global();
        global.Set("k", "in memory");
        global.Set("k", "on disk", "file");
        Assert.Equal("in memory", global.Get("k"));
        Assert.Equal("on disk", global.Get("k", "file"));
        Assert.Equal("on disk", global.Get("#:(file)::k"));
        Assert.Equal("in memory", global.Get("k", "nonexistent"));
    }

    [Fact]
    public async Task Keys_are_property_paths_into_stored_objects()
    {
        await using var flow = await TestFlow.StartAsync("");
        var global = flow.Runtime.Contexts.Global();
        global.Set("line.speed", 12.0);
        global.Set("line.state", "run");
        Assert.Equal("""{"speed":12,"state":"run"}""", JsJson.Serialize(global.Get("line")));
        Assert.Equal(12.0, global.Get("line.speed"));
        global.Set("line.speed", null);
        Assert.Equal("""{"state":"run"}""", JsJson.Serialize(global.Get("line")));
        Assert.Equal(["line"], global.Keys());
    }

    [Fact]
    public async Task Function_global_context_seeds_global_reads()
    {
        await using var flow = await TestFlow.StartAsync("", new TestFlowOptions { Settings = new JsObject { ["functionGlobalContext"] = new JsObject { ["site"] = "A" } } });
        Assert.Equal("A", flow.Runtime.Contexts.Global().Get("site"));
    }
}
