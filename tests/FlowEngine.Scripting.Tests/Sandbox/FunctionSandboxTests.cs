using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Scripting.Sandbox;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Scripting.Tests.Sandbox;

/// <summary>The sandbox stops runaway scripts, keeps engines apart, and provides the function node's API.</summary>
public sealed class FunctionSandboxTests
{
    private static readonly SandboxLimits Short = new() { Timeout = TimeSpan.FromMilliseconds(300) };

    private static void AssertStillWorks(SandboxHarness harness)
    {
        harness.Sent.Clear();
        harness.Errors.Clear();
        harness.Invoke("""{"payload":"next","ok":true}""");
        Assert.Empty(harness.Errors);
        Assert.Equal("next", Assert.Single(harness.Sent).Message["payload"]);
    }

    [Fact]
    public void An_endless_loop_is_stopped_reported_with_its_message_and_the_next_message_runs()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; while (true) {}", Short);
        Assert.False(harness.Invoke("""{"payload":"looping"}"""));
        var error = Assert.Single(harness.Errors);
        Assert.Equal("Script timed out after 0.3 s", error.Text);
        Assert.Equal("looping", error.Message!["payload"]);
        Assert.Equal(NodeStatus.Error("Script timed out after 0.3 s"), harness.Statuses.Last());
        Assert.Equal(0, harness.Completed);
        AssertStillWorks(harness);
    }

    [Fact]
    public void A_script_cannot_catch_its_own_timeout()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; try { while (true) {} } catch (e) { msg.caught = true; } finally { msg.fin = true; } return msg;", Short);
        harness.Invoke("""{"payload":1}""");
        Assert.Empty(harness.Sent);
        Assert.Equal("Script timed out after 0.3 s", Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Fact]
    public void Endless_recursion_is_stopped_and_the_engine_stays_usable()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; function f(n) { return f(n + 1) + 1; } return f(0);");
        harness.Invoke("""{"payload":1}""");
        var error = Assert.Single(harness.Errors).Text;
        Assert.True(error.StartsWith("Script exceeded the recursion limit", StringComparison.Ordinal) || error.StartsWith("RangeError", StringComparison.Ordinal), error);
        AssertStillWorks(harness);
    }

    [Fact]
    public void Recursion_within_the_limit_runs_on_a_thread_pool_sized_stack()
    {
        Assert.Equal(300.0, SandboxHarness.Payload("function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1); } msg.payload = depth(300); return msg;"));
    }

    [Fact]
    public void Allocating_without_end_is_stopped_by_the_memory_limit()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; const a = []; while (true) a.push('x'.repeat(10000) + a.length);",
            new SandboxLimits { Timeout = TimeSpan.FromSeconds(20), MemoryBytes = 16 * 1024 * 1024 });
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("Script used more memory than allowed (16 MB)", Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Theory]
    [InlineData("let o = {}; for (let i = 0; i < 200000; i++) o = { o }; JSON.stringify(o);", "RangeError")]
    [InlineData("let a = []; for (let i = 0; i < 200000; i++) a = [a]; String(a);", "RangeError")]
    [InlineData("let p = new Proxy({}, {}); for (let i = 0; i < 100000; i++) p = new Proxy(p, {}); p.x;", "RangeError")]
    [InlineData("let o = {}; for (let i = 0; i < 10000; i++) o = { o }; msg.payload = o;", "nested deeper than 256 levels")]
    public void Deep_nesting_inside_the_engine_is_an_error_not_a_crashed_process(string code, string expected)
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; " + code + " return msg;");
        harness.Invoke("""{"payload":1}""");
        Assert.Contains(expected, Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Fact]
    public void A_huge_array_in_one_statement_is_refused()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; const a = new Array(1e9).fill(0); return msg;");
        harness.Invoke("""{"payload":1}""");
        Assert.Single(harness.Errors);
        AssertStillWorks(harness);
    }

    [Fact]
    public void The_statement_limit_stops_long_loops()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; let s = 0; for (let i = 0; i < 1e7; i++) { s += i; } return msg;",
            new SandboxLimits { Timeout = TimeSpan.FromSeconds(20), MaxStatements = 1000 });
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("Script ran more statements than allowed (1000)", Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Fact]
    public void A_catastrophic_regular_expression_is_stopped()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; msg.payload = /^(a+)+$/.test('a'.repeat(40) + '!'); return msg;", Short);
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("Script timed out after 0.3 s", Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Fact]
    public void An_endless_chain_of_promise_jobs_is_stopped()
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; function f() { Promise.resolve().then(f); } f(); return null;", Short);
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("Script timed out after 0.3 s", Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Theory]
    [InlineData("({}).constructor.constructor('return this')()", "String compilation has been disabled")]
    [InlineData("eval('1 + 1')", "String compilation has been disabled")]
    [InlineData("new Function('return process')()", "String compilation has been disabled")]
    [InlineData("(async function () {}).constructor('return 1')", "String compilation has been disabled")]
    [InlineData("importNamespace('System.IO')", "ReferenceError: importNamespace is not defined")]
    [InlineData("System.IO.File.ReadAllText('/etc/passwd')", "ReferenceError: System is not defined")]
    [InlineData("require('fs')", "ReferenceError: require is not defined")]
    [InlineData("process.exit(1)", "ReferenceError: process is not defined")]
    [InlineData("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)", "Atomics.wait cannot be used")]
    public void Escape_attempts_end_as_reported_errors(string code, string expected)
    {
        using var harness = new SandboxHarness("if (msg.ok) return msg; " + code + "; return msg;");
        harness.Invoke("""{"payload":1}""");
        Assert.Empty(harness.Sent);
        Assert.Contains(expected, Assert.Single(harness.Errors).Text);
        AssertStillWorks(harness);
    }

    [Fact]
    public void Natives_show_no_dotnet_members()
    {
        Assert.Equal("function,undefined,undefined", SandboxHarness.Payload("msg.payload = [typeof setTimeout, typeof setTimeout.GetType, String(Object.getOwnPropertyNames(globalThis).find(n => /clr|System|importNamespace/i.test(n)))].join(); return msg;"));
    }

    [Fact]
    public void Prototype_and_global_changes_stay_in_their_own_engine()
    {
        using var polluter = new SandboxHarness("Array.prototype.evil = () => 'bad'; Object.prototype.polluted = 'yes'; leaked = 1; JSON.stringify = () => 'hacked'; return msg;");
        polluter.Invoke("""{"payload":1}""");
        Assert.Empty(polluter.Errors);
        var payload = SandboxHarness.Payload("msg.payload = [typeof [].evil, typeof ({}).polluted, typeof leaked, JSON.stringify({a: 1})].join(); return msg;");
        Assert.Equal("undefined,undefined,undefined,{\"a\":1}", payload);
    }

    [Fact]
    public void Messages_wait_for_an_async_on_start_and_then_run_in_order()
    {
        using var harness = new SandboxHarness("msg.payload = context.get('ready') + ':' + msg.payload; return msg;",
            initialize: "await new Promise(resolve => setTimeout(resolve, 1000)); context.set('ready', 'yes');");
        Assert.False(harness.Invoke("""{"payload":"a"}"""));
        Assert.False(harness.Invoke("""{"payload":"b"}"""));
        Assert.Empty(harness.Sent);
        harness.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["yes:a", "yes:b"], harness.Sent.Select(s => s.Message["payload"]));
        Assert.Equal(2, harness.Completed);
    }

    [Fact]
    public void A_failed_on_start_leaves_the_node_stopped_and_drops_messages()
    {
        using var harness = new SandboxHarness("return msg;", initialize: "throw new Error('no config');");
        Assert.Equal("Error: no config", Assert.Single(harness.Errors).Text);
        Assert.Equal(NodeStatus.Error("On Start failed"), harness.Statuses.Last());
        Assert.False(harness.Sandbox.IsReady);
        harness.Invoke("""{"payload":1}""");
        Assert.Empty(harness.Sent);
        Assert.Equal(0, harness.Completed);
    }

    [Fact]
    public void On_start_may_send_with_a_fresh_message_id()
    {
        using var harness = new SandboxHarness("return msg;", initialize: "node.send({ payload: 'started' });");
        var sent = Assert.Single(harness.Sent).Message;
        Assert.Equal("started", sent["payload"]);
        Assert.Matches("^[0-9a-f]{16}$", (string)sent["_msgid"]!);
    }

    [Fact]
    public void Close_runs_on_stop_and_close_handlers_clears_timers_and_status()
    {
        using var harness = new SandboxHarness(
            "node.status('busy'); node.on('close', (removed, done) => { context.set('removed', removed); done(); }); setInterval(() => node.send({ payload: 'tick' }), 100); return null;",
            finalize: "context.set('stopped', true); node.send({ payload: 'late' });");
        harness.Invoke("""{"payload":1}""");
        harness.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(2, harness.Sent.Count);
        harness.Sandbox.Close(removed: true);
        Assert.True((bool)harness.ContextGet(ScriptContextScope.Node, "stopped", null)!);
        Assert.True((bool)harness.ContextGet(ScriptContextScope.Node, "removed", null)!);
        Assert.Contains(harness.Logs, l => l.Level == LogLevel.Error && l.Text.Contains("node.send() is not allowed", StringComparison.Ordinal));
        Assert.Equal(NodeStatus.Clear, harness.Statuses.Last());
        harness.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, harness.Sent.Count);
    }

    [Fact]
    public void Code_that_calls_node_done_completes_the_message_only_then()
    {
        using var harness = new SandboxHarness("setTimeout(() => { node.send(msg); node.done(); }, 500);");
        Assert.False(harness.Invoke("""{"payload":1}"""));
        Assert.Equal(0, harness.Completed);
        harness.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Single(harness.Sent);
        Assert.Equal(1, harness.Completed);
    }

    [Fact]
    public void An_error_in_a_timer_callback_is_reported_with_an_empty_message()
    {
        using var harness = new SandboxHarness("setTimeout(() => { null.x; }, 10); return null;");
        harness.Invoke("""{"payload":1}""");
        harness.Advance(TimeSpan.FromMilliseconds(10));
        var error = Assert.Single(harness.Errors);
        Assert.StartsWith("TypeError: ", error.Text);
        Assert.NotNull(error.Message);
        Assert.Empty(error.Message!);
    }

    [Fact]
    public void Date_reads_the_runtime_clock()
    {
        using var harness = new SandboxHarness("msg.payload = new Date().toISOString() + '|' + Date.now(); return msg;");
        harness.Advance(TimeSpan.FromSeconds(90));
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("2026-01-01T00:01:30.000Z|1767225690000", harness.Sent[0].Message["payload"]);
    }

    [Fact]
    public void Context_get_set_keys_with_stores_arrays_and_callbacks()
    {
        using var harness = new SandboxHarness("""
            context.set('a', 1);
            context.set(['b', 'c'], [2, { d: 3 }]);
            flow.set('f', 'x', 'file');
            global.set('g', [1, 2], function (err) { msg.setErr = err; });
            msg.payload = [
              context.get('a'), context.get(['b', 'c']), context.keys().sort(), flow.get('f', 'file'), flow.get('f'),
            ];
            flow.get('f', 'file', function (err, v) { msg.cb = v; });
            context.get(['a', 'b'], function (err, a, b) { msg.many = [a, b]; });
            global.keys(function (err, keys) { msg.gkeys = keys; });
            context.set('a', undefined);
            msg.deleted = context.get('a') === undefined;
            msg.sameFlow = context.flow === flow && context.global === global;
            return msg;
            """);
        harness.Invoke("""{"payload":1}""");
        Assert.Empty(harness.Errors);
        var sent = harness.Sent[0].Message;
        Assert.Equal("""[1,[2,{"d":3}],["a","b","c"],"x",null]""", JsJson.Serialize(sent["payload"]));
        Assert.Null(sent["setErr"]);
        Assert.Equal("x", sent["cb"]);
        Assert.Equal("[1,2]", JsJson.Serialize(sent["many"]));
        Assert.Equal("""["g"]""", JsJson.Serialize(sent["gkeys"]));
        Assert.Equal(true, sent["deleted"]);
        Assert.Equal(true, sent["sameFlow"]);
    }

    [Fact]
    public void An_invalid_context_key_is_an_error_the_script_can_catch()
    {
        Assert.Equal("Invalid context key", SandboxHarness.Payload("try { context.get(42); } catch (e) { msg.payload = e.message; } return msg;"));
    }

    [Fact]
    public void Env_get_and_node_properties()
    {
        Assert.Equal("bar,,fn1,my function,tab1/fn1,1", SandboxHarness.Payload("msg.payload = [env.get('FOO'), env.get('NOPE'), node.id, node.name, node.path, node.outputCount].join(); return msg;"));
    }

    [Fact]
    public void Red_util_message_properties_and_expressions()
    {
        var payload = SandboxHarness.Payload("""
            RED.util.setMessageProperty(msg, 'msg.a.b[1].c', 5);
            const parts = RED.util.normalisePropertyExpression('a["x.y"][0].b');
            msg.payload = [
              RED.util.getMessageProperty(msg, 'a.b[1].c'), Array.isArray(msg.a.b), JSON.stringify(parts),
              RED.util.getMessageProperty(msg, 'missing.deep'), JSON.stringify(RED.util.parseContextStore('#:(file)::count')),
              RED.util.ensureString({ k: 1 }), RED.util.ensureBuffer('hi').toString('hex'), RED.util.compareObjects({ a: [1] }, { a: [1] }),
              RED.util.evaluateNodeProperty('a.b[1].c', 'msg', node, msg), RED.util.generateId().length,
            ].join('|');
            return msg;
            """);
        Assert.Equal("5|true|[\"a\",\"x.y\",0,\"b\"]||{\"store\":\"file\",\"key\":\"count\"}|{\"k\":1}|6869|true|5|16", payload);
    }

    [Fact]
    public void Red_util_clone_message_gives_an_independent_copy()
    {
        Assert.Equal("1,2", SandboxHarness.Payload("const c = RED.util.cloneMessage(msg); c.payload.v = 2; msg.payload = [msg.payload.v, c.payload.v].join(); return msg;", """{"payload":{"v":1}}"""));
    }

    [Fact]
    public void Red_util_callbacks_receive_errors()
    {
        Assert.Equal("unsupported type weird|JSONata is not available in this runtime", SandboxHarness.Payload("""
            const out = [];
            RED.util.evaluateNodeProperty('x', 'weird', node, msg, (err, v) => out.push(err.message));
            try { RED.util.evaluateJSONataExpression(RED.util.prepareJSONataExpression('$x', node), msg); } catch (e) { out.push(e.message); }
            msg.payload = out.join('|');
            return msg;
            """));
    }

    [Fact]
    public void Console_and_util_format_like_node()
    {
        using var harness = new SandboxHarness("console.log('a', { b: 1, 'c-d': [1, 'x'] }); console.warn('%s=%d', 'n', 42); node.warn({ w: true }); console.error(util.format('%j', { j: 1 })); return null;");
        harness.Invoke("""{"payload":1}""");
        Assert.Equal([(LogLevel.Information, "a { b: 1, 'c-d': [ 1, 'x' ] }"), (LogLevel.Warning, "n=42"), (LogLevel.Warning, "{ w: true }"), (LogLevel.Error, """{"j":1}""")], harness.Logs);
    }

    [Fact]
    public void Util_promisify_turns_a_callback_function_into_a_promise()
    {
        using var harness = new SandboxHarness("""
            const later = util.promisify((v, cb) => setTimeout(() => cb(null, v * 2), 100));
            msg.payload = await later(21);
            return msg;
            """);
        harness.Invoke("""{"payload":1}""");
        harness.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(42.0, Assert.Single(harness.Sent).Message["payload"]);
    }

    [Fact]
    public void Url_and_url_search_params_parse_and_build_like_node()
    {
        var payload = SandboxHarness.Payload("""
            const u = new URL('https://user:pw@Example.com:443/a/../b/c?x=1&y=a+b#frag');
            const parts = [u.href, u.host, u.port, u.pathname, u.searchParams.get('y'), u.origin, u.hash];
            u.searchParams.append('q', 'a b&c');
            parts.push(u.search);
            parts.push(new URL('../d?z=1', 'http://h.com/a/b/c').href);
            parts.push(new URLSearchParams({ a: 1, b: 'x y' }).toString());
            parts.push([...new URLSearchParams('?k=1&k=2&m=%41')].map(p => p.join(':')).join(','));
            try { new URL('no scheme'); } catch (e) { parts.push(e.code); }
            msg.payload = parts;
            return msg;
            """);
        Assert.Equal("""["https://user:pw@example.com/b/c?x=1&y=a+b#frag","example.com","","/b/c","a b","https://example.com","#frag","?x=1&y=a+b&q=a+b%26c","http://h.com/a/d?z=1","a=1&b=x+y","k:1,k:2,m:A","ERR_INVALID_URL"]""",
            JsJson.Serialize(payload));
    }

    [Fact]
    public void Link_call_is_refused_with_a_clear_error()
    {
        using var harness = new SandboxHarness("await node.linkcall('target', msg); return msg;");
        harness.Invoke("""{"payload":1}""");
        Assert.Equal("Error: node.linkcall() is not supported in FlowEngine function nodes yet", Assert.Single(harness.Errors).Text);
    }

    [Fact]
    public void Status_accepts_objects_text_and_clear()
    {
        using var harness = new SandboxHarness("node.status({ fill: 'green', shape: 'dot', text: 42 }); node.status('plain'); node.status({}); return null;");
        harness.Invoke("""{"payload":1}""");
        Assert.Equal([new NodeStatus("green", "dot", "42"), new NodeStatus(null, null, "plain"), NodeStatus.Clear], harness.Statuses);
    }
}
