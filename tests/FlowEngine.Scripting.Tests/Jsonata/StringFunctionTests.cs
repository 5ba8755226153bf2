namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>String functions, with the examples of docs.jsonata.org "String Functions".</summary>
public class StringFunctionTests
{
    [Fact]
    public void String_converts_values()
    {
        Expect.Value("5", "$string(5)");
        Expect.Value("true", "$string(true)");
        Expect.Value("null", "$string(null)");
        Expect.Value("""{"a":1,"b":[1,2]}""", "$string({'a': 1, 'b': [1, 2]})");
        Expect.Value("{\n  \"a\": 1\n}", "$string({'a': 1}, true)");
        Expect.Value("0.3", "$string(0.1 + 0.2)");
        Expect.Value("1e+21", "$string(1e21)");
        Expect.Undefined("$string(nothing)", Samples.Address);
        Expect.Error("D3001", "$string(1/0)");
    }

    [Fact]
    public void Length_counts_characters()
    {
        Expect.Value(11d, "$length('Hello World')");
        Expect.Value(2d, "$length('😀a')");
    }

    [Fact]
    public void Substring_with_positive_and_negative_positions()
    {
        Expect.Value("lo World", "$substring('Hello World', 3)");
        Expect.Value("lo Wo", "$substring('Hello World', 3, 5)");
        Expect.Value("orld", "$substring('Hello World', -4)");
        Expect.Value("or", "$substring('Hello World', -4, 2)");
        Expect.Value("", "$substring('Hello World', 3, -1)");
    }

    [Fact]
    public void Substring_before_and_after()
    {
        Expect.Value("Hello", "$substringBefore('Hello World', ' ')");
        Expect.Value("World", "$substringAfter('Hello World', ' ')");
        Expect.Value("Hello World", "$substringBefore('Hello World', 'x')");
    }

    [Fact]
    public void Case_trim_and_pad()
    {
        Expect.Value("HELLO WORLD", "$uppercase('Hello World')");
        Expect.Value("hello world", "$lowercase('Hello World')");
        Expect.Value("Hello World", "$trim(' Hello \n World ')");
        Expect.Value("foo  ", "$pad('foo', 5)");
        Expect.Value("  foo", "$pad('foo', -5)");
        Expect.Value("##foo", "$pad('foo', -5, '#')");
        Expect.Value("foo", "$pad('foo', 2)");
    }

    [Fact]
    public void Contains_with_string_or_regex()
    {
        Expect.Value(true, "$contains('abracadabra', 'bra')");
        Expect.Value(true, "$contains('abracadabra', /a.*a/)");
        Expect.Value(false, "$contains('abracadabra', /ar.*a/)");
        Expect.Value(false, "$contains('Hello World', /wo/)");
        Expect.Value(true, "$contains('Hello World', /wo/i)");
        Expect.Json("""{ "type": "mobile", "number": "077 7700 1234" }""", "Phone[$contains(number, /^077/)]", Samples.Address);
    }

    [Fact]
    public void Split_by_string_or_regex_with_limit()
    {
        Expect.Json("""["so", "many", "words"]""", "$split('so many words', ' ')");
        Expect.Json("""["so", "many"]""", "$split('so many words', ' ', 2)");
        Expect.Json("""["too", "much", "punctuation", "hard", "to", "read"]""", "$split('too much, punctuation. hard; to read', /[ ,.;]+/)");
        Expect.Json("""["a", "b", "c"]""", "$split('abc', '')");
        Expect.Error("D3020", "$split('a b', ' ', -1)");
    }

    [Fact]
    public void Join_concatenates_strings()
    {
        Expect.Value("abc", "$join(['a', 'b', 'c'])");
        Expect.Value("too, much, punctuation", "$split('too much, punctuation. hard; to read', /[ ,.;]+/, 3) ~> $join(', ')");
        Expect.Error("T0412", "$join([1, 2])");
    }

    [Fact]
    public void Match_returns_matches_with_groups()
    {
        Expect.Json("""
            [
              { "match": "ab", "index": 0, "groups": ["b"] },
              { "match": "abb", "index": 2, "groups": ["bb"] },
              { "match": "abb", "index": 5, "groups": ["bb"] }
            ]
            """, "$match('ababbabbcc', /a(b+)/)");
        Expect.Json("""{ "match": "ab", "index": 0, "groups": ["b"] }""", "$match('ababbabbcc', /a(b+)/, 1)");
        Expect.Undefined("$match('xyz', /a/)");
    }

    [Fact]
    public void Replace_with_strings_regex_references_and_functions()
    {
        Expect.Value("Mr Smith and Mr Jones", "$replace('John Smith and John Jones', 'John', 'Mr')");
        Expect.Value("Mr Smith and John Jones", "$replace('John Smith and John Jones', 'John', 'Mr', 1)");
        Expect.Value("*c*bra", "$replace('abracadabra', /a.*?a/, '*')");
        Expect.Value("Smith, John", "$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')");
        Expect.Value("$265", "$replace('265USD', /([0-9]+)USD/, '$$$1')");
        Expect.Value("temperature = 20C today",
            "($convert := function($m){ ($number($m.groups[0]) - 32) * 5/9 & 'C' }; $replace('temperature = 68F today', /(\\d+)F/, $convert))");
        Expect.Error("D3010", "$replace('abc', '', 'x')");
    }

    [Fact]
    public void Matcher_functions_can_stand_in_for_regular_expressions()
    {
        // A matcher returns {match, start, end, groups, next}; next() gives the following match.
        const string Matcher = """
            $matcher := function($ch){ $m := function($str, $offset){(
                $before := $substringBefore($str, $ch);
                $start := $length($before) + ($exists($offset) ? $offset : 0);
                $before != $str ? { 'match': $ch, 'start': $start, 'end': $start + 1, 'groups': [],
                                    'next': function(){ $m($substringAfter($str, $ch), $start + 1) } }
            )} };
            """;
        Expect.Json("[0, 3, 5, 7, 10]", "(" + Matcher + "$match('abracadabra', $matcher('a')).index)");
        Expect.Value("-br-c-d-br-", "(" + Matcher + "$replace('abracadabra', $matcher('a'), '-'))");
        Expect.Value(true, "(" + Matcher + "$contains('xyz', $matcher('y')))");
    }

    [Fact]
    public void Undefined_pattern_gives_undefined()
    {
        Expect.Undefined("$contains('Hello World', nothing)", Samples.Address);
        Expect.Undefined("$split('a b', nothing)", Samples.Address);
    }

    [Fact]
    public void Large_integers_and_fractions_convert_like_javascript()
    {
        Expect.Value("5890840712243076", "$string(5890840712243076)");
        Expect.Value("3.14285714285714", "$string(22/7)");
        Expect.Value("1e-7", "$string(1e-7)");
        Expect.Value("0.000001", "$string(1e-6)");
        Expect.Value("100000000000000000000", "$string(1e20)");
        Expect.Value("5890840712243076", "$formatBase(5890840712243076)");
    }

    [Fact]
    public void Regex_matching_an_empty_string_repeatedly_is_an_error()
    {
        Expect.Error("D1004", "$replace('abc', /x*/, '-')");
    }

    [Fact]
    public void Base64_round_trip()
    {
        Expect.Value("bXl1c2VyOm15cGFzcw==", "$base64encode('myuser:mypass')");
        Expect.Value("myuser:mypass", "$base64decode('bXl1c2VyOm15cGFzcw==')");
    }

    [Fact]
    public void Url_encoding_and_decoding()
    {
        Expect.Value("%3Fx%3Dtest", "$encodeUrlComponent('?x=test')");
        Expect.Value("https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B", "$encodeUrl('https://mozilla.org/?x=шеллы')");
        Expect.Value("?x=test", "$decodeUrlComponent('%3Fx%3Dtest')");
        Expect.Value("https://mozilla.org/?x=шеллы", "$decodeUrl('https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B')");
        Expect.Error("D3140", "$decodeUrlComponent('%E0%A4%A')");
    }
}
