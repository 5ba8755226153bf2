using System.Collections.Frozen;

namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// The JSONata standard function library. Signatures are JSONata's own, so argument checking, context
/// substitution ("-") and single-value-to-array coercion behave as in JSONata.
/// </summary>
internal static partial class Library
{
    private static readonly FrozenDictionary<string, BuiltinFunction> Functions = CreateFunctions();

    public static bool TryGet(string name, out BuiltinFunction function) => Functions.TryGetValue(name, out function!);

    private static FrozenDictionary<string, BuiltinFunction> CreateFunctions()
    {
        var functions = new Dictionary<string, BuiltinFunction>(StringComparer.Ordinal);
        void Add(string name, string signature, BuiltinBody body) => functions.Add(name, new BuiltinFunction(name, signature, body));

        // Strings
        Add("string", "<x-b?:s>", String);
        Add("length", "<s-:n>", Length);
        Add("substring", "<s-nn?:s>", Substring);
        Add("substringBefore", "<s-s:s>", SubstringBefore);
        Add("substringAfter", "<s-s:s>", SubstringAfter);
        Add("uppercase", "<s-:s>", (a, _, _) => a[0] is string s ? s.ToUpperInvariant() : Undefined.Value);
        Add("lowercase", "<s-:s>", (a, _, _) => a[0] is string s ? s.ToLowerInvariant() : Undefined.Value);
        Add("trim", "<s-:s>", Trim);
        Add("pad", "<s-ns?:s>", Pad);
        Add("contains", "<s-(sf):b>", Contains);
        Add("split", "<s-(sf)n?:a<s>>", Split);
        Add("join", "<a<s>s?:s>", Join);
        Add("match", "<s-f<s:o>n?:a<o>>", Match);
        Add("replace", "<s-(sf)(sf)n?:s>", Replace);
        Add("eval", "<sx?:x>", Eval);
        Add("base64encode", "<s-:s>", Base64Encode);
        Add("base64decode", "<s-:s>", Base64Decode);
        Add("encodeUrlComponent", "<s-:s>", (a, _, _) => UrlCoding.Encode(a[0], true, "$encodeUrlComponent"));
        Add("encodeUrl", "<s-:s>", (a, _, _) => UrlCoding.Encode(a[0], false, "$encodeUrl"));
        Add("decodeUrlComponent", "<s-:s>", (a, _, _) => UrlCoding.Decode(a[0], true, "$decodeUrlComponent"));
        Add("decodeUrl", "<s-:s>", (a, _, _) => UrlCoding.Decode(a[0], false, "$decodeUrl"));
        Add("formatNumber", "<n-so?:s>", FormatNumber);
        Add("formatBase", "<n-n?:s>", FormatBase);
        Add("formatInteger", "<n-s:s>", FormatInteger);
        Add("parseInteger", "<s-s:n>", ParseInteger);

        // Numbers
        Add("number", "<(nsb)-:n>", Number);
        Add("abs", "<n-:n>", (a, _, _) => a[0] is double d ? Math.Abs(d) : Undefined.Value);
        Add("floor", "<n-:n>", (a, _, _) => a[0] is double d ? Math.Floor(d) : Undefined.Value);
        Add("ceil", "<n-:n>", (a, _, _) => a[0] is double d ? Math.Ceiling(d) : Undefined.Value);
        Add("round", "<n-n?:n>", Round);
        Add("power", "<n-n:n>", Power);
        Add("sqrt", "<n-:n>", Sqrt);
        Add("random", "<:n>", (_, _, _) => Random.Shared.NextDouble());
        Add("sum", "<a<n>:n>", Sum);
        Add("max", "<a<n>:n>", (a, _, _) => Extreme(a[0], true));
        Add("min", "<a<n>:n>", (a, _, _) => Extreme(a[0], false));
        Add("average", "<a<n>:n>", Average);

        // Booleans
        Add("boolean", "<x-:b>", (a, _, _) => Values.ToBoolean(a[0]));
        Add("not", "<x-:b>", (a, _, _) => a[0] is Undefined ? Undefined.Value : Values.Box(!Values.Truthy(a[0])));
        Add("exists", "<x:b>", (a, _, _) => Values.Box(a[0] is not Undefined));

        // Arrays
        Add("count", "<a:n>", (a, _, _) => a[0] is List<object?> list ? (double)list.Count : 0d);
        Add("append", "<xx:a>", (a, _, _) => Values.Append(a[0], a[1]));
        Add("sort", "<af?:a>", Sort);
        Add("reverse", "<a:a>", Reverse);
        Add("shuffle", "<a:a>", Shuffle);
        Add("distinct", "<x:x>", Distinct);
        Add("zip", "<a+>", Zip);
        Add("map", "<af>", Map);
        Add("filter", "<af>", Filter);
        Add("single", "<af?>", Single);
        Add("reduce", "<afj?:j>", Reduce);

        // Objects
        Add("keys", "<x-:a<s>>", Keys);
        Add("lookup", "<x-s:x>", (a, _, _) => NameNode.Lookup(a[0], (string)a[1]!));
        Add("spread", "<x-:a<o>>", Spread);
        Add("merge", "<a<o>:o>", Merge);
        Add("each", "<o-f:a>", Each);
        Add("sift", "<o-f?:o>", Sift);
        Add("type", "<x:s>", (a, _, _) => Values.TypeName(a[0]));
        Add("error", "<s?:x>", (a, _, _) => throw Errors.Create("D3137", value: a[0] as string ?? "$error() function evaluated"));
        Add("assert", "<bs?:x>", Assert);
        Add("clone", "<(oa)-:o>", (a, _, _) => a[0] is Undefined ? Undefined.Value : FlowEngine.Core.Values.JsValue.DeepClone(a[0]));

        // Dates and times
        Add("now", "<s?s?:s>", Now);
        Add("millis", "<:n>", (_, _, environment) => (double)environment.Evaluation.Now.ToUnixTimeMilliseconds());
        Add("fromMillis", "<n-s?s?:s>", FromMillis);
        Add("toMillis", "<s-s?:n>", ToMillis);

        return functions.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static object? Arg(object?[] args, int index) => index < args.Length ? args[index] : Undefined.Value;

    /// <summary>JSONata's $string conversion: strings as they are, functions as "", everything else as JSON.</summary>
    public static string ToJsonataString(object? value, bool pretty)
    {
        switch (value)
        {
            case string s:
                return s;
            case FunctionValue:
                return "";
            case double d when !double.IsFinite(d):
                throw Errors.Create("D3001", value: d);
            case JsonataList { IsOuterWrapper: true, Count: > 0 } wrapper:
                return JsonataJson.Stringify(wrapper[0], pretty);
            default:
                return JsonataJson.Stringify(value, pretty);
        }
    }
}
