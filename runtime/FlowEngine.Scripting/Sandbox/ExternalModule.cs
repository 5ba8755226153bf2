using System.Text.RegularExpressions;
using Acornima;
using Acornima.Ast;
using FlowEngine.Core.Values;
using Jint;

namespace FlowEngine.Scripting.Sandbox;

/// <summary>
/// One entry of a function node's <c>libs</c>: a module bound to a variable. Only single-file CommonJS modules
/// without dependencies can run in the sandbox (no Node.js built-ins, no <c>require</c>, no ES module syntax); the
/// module must already be installed in <c>&lt;userDir&gt;/node_modules</c>. Anything else is refused at deploy with a
/// reason.
/// </summary>
public sealed partial class ExternalModule
{
    /// <summary>Names a libs variable may not take: the sandbox's own globals.</summary>
    public static readonly IReadOnlySet<string> ReservedNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "msg", "node", "context", "flow", "global", "env", "RED", "console", "util", "promisify", "Buffer", "Date",
        "setTimeout", "clearTimeout", "setInterval", "clearInterval", "module", "exports", "require", "process",
        "globalThis", "undefined", "NaN", "Infinity", "eval", "arguments",
    };

    private ExternalModule(string variable, string module, Prepared<Script> code)
    {
        Variable = variable;
        Module = module;
        Code = code;
    }

    public string Variable { get; }
    public string Module { get; }
    internal Prepared<Script> Code { get; }

    /// <summary>
    /// Reads and checks the <c>libs</c> list. Throws <see cref="FunctionScriptException"/> (property "libs") when
    /// modules are not allowed, a variable name is not usable, or a module cannot run in the sandbox.
    /// </summary>
    public static IReadOnlyList<ExternalModule> Load(IReadOnlyList<object?> libs, bool allowed, string userDir)
    {
        if (libs.Count == 0) return [];
        if (!allowed)
        {
            throw new FunctionScriptException("libs",
                "external modules are disabled: set functionExternalModules to true in the settings to use libs");
        }
        var result = new List<ExternalModule>(libs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in libs)
        {
            if (entry is not JsObject lib || lib.Get("var") is not string variable || lib.Get("module") is not string spec)
            {
                throw new FunctionScriptException("libs", "each entry needs a var and a module name");
            }
            if (!Identifier().IsMatch(variable)) throw new FunctionScriptException("libs", $"\"{variable}\" is not a valid variable name");
            if (ReservedNames.Contains(variable)) throw new FunctionScriptException("libs", $"variable \"{variable}\" would hide a sandbox name; choose another");
            if (!seen.Add(variable)) throw new FunctionScriptException("libs", $"variable \"{variable}\" is used twice");
            var name = ModuleName(spec);
            result.Add(new ExternalModule(variable, name, Read(name, userDir)));
        }
        return result;
    }

    /// <summary>"pkg", "pkg@1.2.3", "@scope/pkg@^2" → the package name without the version.</summary>
    internal static string ModuleName(string spec)
    {
        spec = spec.Trim();
        var at = spec.IndexOf('@', spec.StartsWith('@') ? 1 : 0);
        var name = at > 0 ? spec[..at] : spec;
        if (!PackageName().IsMatch(name)) throw new FunctionScriptException("libs", $"\"{spec}\" is not a valid module name");
        return name;
    }

    private static Prepared<Script> Read(string name, string userDir)
    {
        var directory = Path.Combine(userDir, "node_modules", name);
        if (!Directory.Exists(directory))
        {
            throw new FunctionScriptException("libs", $"module {name} is not installed in {Path.Combine(userDir, "node_modules")} (install it with npm there first)");
        }
        var main = "index.js";
        var packageFile = Path.Combine(directory, "package.json");
        if (File.Exists(packageFile) && JsJson.TryParse(File.ReadAllText(packageFile), out var package, out _) &&
            package is JsObject manifest)
        {
            if (manifest.Get("type") as string == "module")
            {
                throw new FunctionScriptException("libs", $"module {name} is an ES module; only CommonJS modules can run in the sandbox");
            }
            if (manifest.Get("main") is string m && m.Length > 0) main = m;
        }
        var file = Path.GetFullPath(Path.Combine(directory, main));
        if (!File.Exists(file) && File.Exists(file + ".js")) file += ".js";
        if (!file.StartsWith(Path.GetFullPath(directory), StringComparison.Ordinal) || !File.Exists(file))
        {
            throw new FunctionScriptException("libs", $"module {name}: main file {main} not found");
        }
        var source = File.ReadAllText(file);
        Prepared<Script> prepared;
        try
        {
            prepared = Engine.PrepareScript("(function (module, exports) {\n" + source + "\n})", "lib:" + name);
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            throw new FunctionScriptException("libs", $"module {name} cannot run in the sandbox: {parse.Description} (ES module syntax is not supported)");
        }
        if (prepared.Program is { } program && FindRequire(program) is { } required)
        {
            throw new FunctionScriptException("libs", $"module {name} cannot run in the sandbox: it loads \"{required}\" with require(); only single-file modules without dependencies are supported");
        }
        return prepared;
    }

    private static string? FindRequire(Node node)
    {
        switch (node)
        {
            case CallExpression { Callee: Identifier { Name: "require" } } call:
                return call.Arguments.Count > 0 && call.Arguments[0] is StringLiteral literal ? literal.Value : "a module";
            case ImportExpression:
                return "a module";
        }
        foreach (var child in node.ChildNodes)
        {
            if (child is not null && FindRequire(child) is { } found) return found;
        }
        return null;
    }

    [GeneratedRegex(@"^[A-Za-z_$][\w$]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^(@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*$", RegexOptions.IgnoreCase)]
    private static partial Regex PackageName();
}
