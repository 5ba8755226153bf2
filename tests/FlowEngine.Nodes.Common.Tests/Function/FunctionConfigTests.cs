using FlowEngine.Core.Flows;
using FlowEngine.Core.Values;
using FlowEngine.TestKit;
using static FlowEngine.Nodes.Common.Tests.Function.FunctionFlows;

namespace FlowEngine.Nodes.Common.Tests.Function;

/// <summary>Deploy-time checks of a function node's configuration: code, outputs, timeout and libs.</summary>
public sealed class FunctionConfigTests
{
    private static async Task<FlowProblem> RefusedAsync(string flowJson, JsObject? settings = null)
    {
        await using var flow = await StartAsync("", settings);
        var ex = await Assert.ThrowsAsync<FlowValidationException>(() => flow.DeployAsync(flowJson));
        return Assert.Single(ex.Problems, p => p.NodeId == "f");
    }

    [Fact]
    public async Task Code_with_a_syntax_error_is_refused_at_deploy_with_the_line()
    {
        var problem = await RefusedAsync(OneFunction("msg.payload = 1;\nreturn msg +;"));
        Assert.Equal("func", problem.Property);
        Assert.StartsWith("SyntaxError: ", problem.Reason);
        Assert.Contains("(line 2, col 13)", problem.Reason);
    }

    [Fact]
    public async Task Bad_on_start_code_is_refused_naming_initialize()
    {
        var problem = await RefusedAsync(OneFunction("return msg;", extra: ""","initialize":"let x = ;" """));
        Assert.Equal("initialize", problem.Property);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"many\"")]
    public async Task Outputs_must_be_a_whole_number(string outputs)
    {
        var json = OneFunction("return msg;").Replace("\"outputs\":1", "\"outputs\":" + outputs, StringComparison.Ordinal);
        var problem = await RefusedAsync(json);
        Assert.Equal("outputs", problem.Property);
    }

    [Fact]
    public async Task Libs_are_refused_unless_external_modules_are_enabled()
    {
        var problem = await RefusedAsync(OneFunction("return msg;", extra: ""","libs":[{"var":"lib","module":"tiny-lib"}]"""));
        Assert.Equal("libs", problem.Property);
        Assert.Contains("functionExternalModules", problem.Reason);
    }

    [Fact]
    public async Task A_single_file_module_is_loaded_when_external_modules_are_enabled()
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-fn-libs-").FullName;
        try
        {
            var moduleDir = Path.Combine(userDir, "node_modules", "tiny-lib");
            Directory.CreateDirectory(moduleDir);
            File.WriteAllText(Path.Combine(moduleDir, "package.json"), """{"name":"tiny-lib","main":"lib/main.js"}""");
            Directory.CreateDirectory(Path.Combine(moduleDir, "lib"));
            File.WriteAllText(Path.Combine(moduleDir, "lib", "main.js"), "exports.double = function (x) { return x * 2; };\nmodule.exports.name = 'tiny';");
            var settings = new JsObject { ["functionExternalModules"] = true, ["userDir"] = userDir };
            await using var flow = await StartAsync(OneFunction("msg.payload = [tiny.double(msg.payload), tiny.name]; return msg;",
                extra: ""","libs":[{"var":"tiny","module":"tiny-lib@1.0.0"}]"""), settings);
            flow.Send("f", """{"payload":21}""");
            Assert.Equal("""[42,"tiny"]""", JsJson.Serialize((await flow.NextAsync("h"))["payload"]));
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_module_that_needs_node_built_ins_is_refused_with_the_reason()
    {
        var userDir = Directory.CreateTempSubdirectory("flowengine-fn-libs-").FullName;
        try
        {
            var moduleDir = Path.Combine(userDir, "node_modules", "uses-http");
            Directory.CreateDirectory(moduleDir);
            File.WriteAllText(Path.Combine(moduleDir, "index.js"), "const http = require('http');\nmodule.exports = http;");
            var settings = new JsObject { ["functionExternalModules"] = true, ["userDir"] = userDir };
            var problem = await RefusedAsync(OneFunction("return msg;", extra: ""","libs":[{"var":"h","module":"uses-http"}]"""), settings);
            Assert.Equal("libs", problem.Property);
            Assert.Contains("\"http\" with require()", problem.Reason);
        }
        finally
        {
            Directory.Delete(userDir, recursive: true);
        }
    }
}
