using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Alarm;
using FlowEngine.Nodes.Industrial.Common;
using FlowEngine.Nodes.Industrial.Enrich;
using FlowEngine.Nodes.Industrial.Scale;

namespace FlowEngine.Nodes.Industrial.Tests.Common;

/// <summary>The small pure pieces the nodes share: quality, numbers, patterns, units, CSV, statistics.</summary>
public sealed class HelperTests
{
    [Theory]
    [InlineData(null, QualityLevel.Good)]
    [InlineData("good", QualityLevel.Good)]
    [InlineData("GoodLocalOverride", QualityLevel.Good)]
    [InlineData("Uncertain", QualityLevel.Uncertain)]
    [InlineData("BadSensorFailure", QualityLevel.Bad)]
    [InlineData(true, QualityLevel.Good)]
    [InlineData(false, QualityLevel.Bad)]
    [InlineData(0.0, QualityLevel.Good)]
    [InlineData(1083179008.0, QualityLevel.Uncertain)] // 0x40900000 UncertainInitialValue
    [InlineData(2150891520.0, QualityLevel.Bad)]       // 0x80350000 BadSensorFailure
    public void Quality_reads_names_booleans_and_opc_ua_status_codes(object? value, QualityLevel expected)
    {
        Assert.Equal(expected, Quality.Parse(value));
    }

    [Fact]
    public void Quality_reads_an_object_with_a_status_code()
    {
        Assert.Equal(QualityLevel.Bad, Quality.Parse(new JsObject { ["code"] = 2147483648.0 }));
    }

    [Theory]
    [InlineData(12.5, true, 12.5)]
    [InlineData(" 7 ", true, 7.0)]
    [InlineData("0x10", true, 16.0)]
    [InlineData(true, true, 1.0)]
    [InlineData("", false, double.NaN)]
    [InlineData("12 bar", false, double.NaN)]
    [InlineData("Infinity", false, double.NaN)]
    [InlineData(null, false, double.NaN)]
    public void Numbers_accept_numeric_strings_and_booleans_but_not_text_or_infinity(object? value, bool ok, double expected)
    {
        Assert.Equal(ok, MessageValues.TryNumber(value, out var number));
        Assert.Equal(expected, number);
    }

    [Theory]
    [InlineData("TT-*", "TT-101", true)]
    [InlineData("TT-*", "PT-101", false)]
    [InlineData("plant/*/TT-?01", "plant/area1/TT-101", true)]
    [InlineData("plant/*/TT-?01", "plant/area1/TT-1011", false)]
    [InlineData("*-1", "a-1-1", true)]
    [InlineData("a*b*c", "abxbc", true)]
    [InlineData("a*b*c", "abxb", false)]
    public void Alarm_tag_patterns_match_with_star_and_question_mark(string pattern, string tag, bool matches)
    {
        Assert.Equal(matches, AlarmRule.GlobMatch(pattern, tag));
    }

    [Fact]
    public void Every_unit_converts_to_itself_through_its_base_unit()
    {
        foreach (var symbol in Units.Symbols)
        {
            var unit = Units.Find(symbol)!;
            Assert.Equal(123.456, unit.FromBase(unit.ToBase(123.456)), 9);
        }
    }

    [Fact]
    public void Csv_parser_handles_quotes_doubled_quotes_line_breaks_in_fields_and_crlf()
    {
        var rows = AssetTableSource.ParseCsv("\uFEFFtag,description\r\nA,\"two\nlines, \"\"quoted\"\"\"\r\n\r\nB,plain");
        Assert.Equal([(1, "tag|description"), (2, "A|two\nlines, \"quoted\""), (5, "B|plain")], rows.Select(r => (r.Item1, string.Join("|", r.Item2))));
    }

    [Fact]
    public void Quantiles_interpolate_between_order_statistics()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal((1.75, 2.5, 3.25), (Statistics.Quantile(sorted, 0.25), Statistics.Quantile(sorted, 0.5), Statistics.Quantile(sorted, 0.75)));
        Assert.Equal(7.0, Statistics.Quantile([7.0], 0.25));
    }

    [Fact]
    public void Running_aggregate_matches_the_two_pass_sample_deviation()
    {
        double[] values = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
        var aggregate = RunningAggregate.Of(values);
        Assert.Equal(Statistics.SampleStandardDeviation(values), aggregate.StandardDeviation, 9);
        Assert.Equal(Math.Sqrt(30), aggregate.StandardDeviation, 9);
    }
}
