using FlowEngine.Core.Values;
using FlowEngine.Scripting.Sandbox;

namespace FlowEngine.Scripting.Tests.Sandbox;

/// <summary>Parsing a function node's code once per deploy: syntax errors, await and node.done() detection.</summary>
public sealed class FunctionScriptTests
{
    [Theory]
    [InlineData("return msg;", false)]
    [InlineData("const x = await Promise.resolve(1); return msg;", true)]
    [InlineData("for await (const x of []) {} return msg;", true)]
    [InlineData("const f = async () => { await null; }; return msg;", false)]
    [InlineData("async function g() { await null; } return msg;", false)]
    [InlineData("if (msg.x) { return await g(); }", true)]
    public void Await_is_found_only_at_the_bodys_own_level(string func, bool expected) =>
        Assert.Equal(expected, FunctionScript.Compile(func).BodyIsAsync);

    [Theory]
    [InlineData("node.done(); return msg;", true)]
    [InlineData("setTimeout(() => { node.send(msg); node.done(); }, 10);", true)]
    [InlineData("// node.done()\nreturn msg;", false)]
    [InlineData("const s = 'node.done()'; return msg;", false)]
    [InlineData("node.done(new Error('x'));", false)]
    [InlineData("other.done(); return msg;", false)]
    public void A_real_node_done_call_is_found_by_parsing(string func, bool expected) =>
        Assert.Equal(expected, FunctionScript.Compile(func).UsesDone);

    [Theory]
    [InlineData("node.warn(node.id); node.status({}); return msg;", false)]
    [InlineData("node.send(msg);", true)]
    [InlineData("setTimeout(() => node.send(msg), 10);", true)]
    [InlineData("const n = node; n.send(msg);", true)]
    [InlineData("helper(node); return msg;", true)]
    [InlineData("node['send'](msg);", true)]
    [InlineData("node.done();", true)]
    public void The_per_message_node_object_is_made_only_when_the_code_needs_it(string func, bool expected) =>
        Assert.Equal(expected, FunctionScript.Compile(func).NeedsNode);

    [Fact]
    public void A_shared_node_object_still_reports_per_message_results()
    {
        using var harness = new SandboxHarness("node.warn('w ' + node.name); return msg.payload > 1 ? msg : null;");
        harness.Invoke("""{"payload":1}""");
        harness.Invoke("""{"payload":2,"_msgid":"abcdefabcdefabcd"}""");
        var sent = Assert.Single(harness.Sent).Message;
        Assert.Equal("abcdefabcdefabcd", sent["_msgid"]);
        Assert.Equal(2, harness.Completed);
        Assert.Equal(2, harness.Logs.Count);
    }

    [Fact]
    public void A_syntax_error_names_the_property_and_the_line_in_the_users_code()
    {
        var ex = Assert.Throws<FunctionScriptException>(() => FunctionScript.Compile("let a = 1;\nlet b c = 2;\nreturn msg;"));
        Assert.Equal("func", ex.Property);
        Assert.StartsWith("SyntaxError: ", ex.Message);
        Assert.Equal("SyntaxError: Unexpected identifier 'c' (line 2, col 7)", ex.Message);
    }

    [Fact]
    public void Syntax_errors_in_on_start_and_on_stop_name_their_property()
    {
        Assert.Equal("initialize", Assert.Throws<FunctionScriptException>(() => FunctionScript.Compile("return msg;", "let = ;")).Property);
        Assert.Equal("finalize", Assert.Throws<FunctionScriptException>(() => FunctionScript.Compile("return msg;", null, "}{")).Property);
    }

    [Fact]
    public void A_body_that_ends_in_a_line_comment_still_closes()
    {
        Assert.Equal(3.0, SandboxHarness.Payload("msg.payload = 3; return msg; // done"));
    }

    [Fact]
    public void External_module_names_drop_the_version()
    {
        Assert.Equal("lodash", ExternalModule.ModuleName("lodash@4.17.21"));
        Assert.Equal("@scope/pkg", ExternalModule.ModuleName("@scope/pkg@^2.0.0"));
        Assert.Equal("@scope/pkg", ExternalModule.ModuleName("@scope/pkg"));
        Assert.Throws<FunctionScriptException>(() => ExternalModule.ModuleName("../../etc"));
    }

    [Fact]
    public void Libs_are_refused_unless_the_settings_allow_them()
    {
        var libs = new List<object?> { new JsObject { ["var"] = "m", ["module"] = "mod" } };
        var ex = Assert.Throws<FunctionScriptException>(() => ExternalModule.Load(libs, allowed: false, Path.GetTempPath()));
        Assert.Equal("libs", ex.Property);
        Assert.Contains("functionExternalModules", ex.Message);
        Assert.Empty(ExternalModule.Load([], allowed: false, Path.GetTempPath()));
    }

    [Fact]
    public void Libs_with_reserved_names_missing_modules_or_require_calls_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("flowengine-libs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "node_modules", "needsfs"));
            File.WriteAllText(Path.Combine(dir, "node_modules", "needsfs", "index.js"), "const fs = require('fs'); module.exports = fs;");
            static List<object?> Lib(string variable, string module) => [new JsObject { ["var"] = variable, ["module"] = module }];
            Assert.Contains("hide a sandbox name", Assert.Throws<FunctionScriptException>(() => ExternalModule.Load(Lib("Buffer", "needsfs"), true, dir)).Message);
            Assert.Contains("not installed", Assert.Throws<FunctionScriptException>(() => ExternalModule.Load(Lib("x", "absent"), true, dir)).Message);
            Assert.Contains("\"fs\" with require()", Assert.Throws<FunctionScriptException>(() => ExternalModule.Load(Lib("x", "needsfs"), true, dir)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
