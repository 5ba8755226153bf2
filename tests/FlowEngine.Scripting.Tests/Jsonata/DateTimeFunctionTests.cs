using System.Text.RegularExpressions;
using FlowEngine.Scripting.Jsonata;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Scripting.Tests.Jsonata;

/// <summary>Date and time functions, with the examples of docs.jsonata.org "Date/Time Functions".</summary>
public class DateTimeFunctionTests
{
    [Fact]
    public void From_millis_defaults_to_iso_8601()
    {
        Expect.Value("2017-11-07T15:12:37.121Z", "$fromMillis(1510067557121)");
        Expect.Value("1970-01-01T00:00:00.001Z", "$fromMillis(1)");
    }

    [Fact]
    public void From_millis_with_picture_and_timezone()
    {
        Expect.Value("11/07/2017 3:12pm", "$fromMillis(1510067557121, '[M01]/[D01]/[Y0001] [h#1]:[m01][P]')");
        Expect.Value("10:12:37 GMT-05:00", "$fromMillis(1510067557121, '[H01]:[m01]:[s01] [z]', '-0500')");
        Expect.Value("2017-11-07T10:12:37.121-05:00", "$fromMillis(1510067557121, undefined, '-0500')");
    }

    [Theory]
    [InlineData("[Y0001]-[M01]-[D01]", "2018-03-23")]
    [InlineData("[D1o] [MNn] [Y]", "23rd March 2018")]
    [InlineData("[FNn], [D1o] [MNn]", "Friday, 23rd March")]
    [InlineData("[MNn,3-3] [D]", "Mar 23")]
    [InlineData("[FNn,*-3]", "Fri")]
    [InlineData("[Dwo] [MNn]", "twenty-third March")]
    [InlineData("[H01]:[m01]:[s01].[f001]", "10:33:36.617")]
    [InlineData("[h]:[m01] [PN]", "10:33 AM")]
    [InlineData("[Y,2-2]", "18")]
    [InlineData("[Y,2]", "18")]
    [InlineData("[Y0001,2]", "2018")]
    [InlineData("[D#1,2]/[M1,2]", "23/03")]
    [InlineData("[FNn], the [Dwo] of [MNn] [Y] [E]", "Friday, the twenty-third of March 2018 ISO")]
    [InlineData("Week: [w] of [xNn]", "Week: 4 of March")]
    [InlineData("[Y01]", "18")]
    [InlineData("[d]", "82")]
    [InlineData("[W]", "12")]
    [InlineData("[YI]", "MMXVIII")]
    [InlineData("[Z]", "+00:00")]
    [InlineData("[Z0101]", "+0000")]
    [InlineData("[[[Y]]]", "[2018]")]
    public void Picture_components(string picture, string expected)
    {
        // 2018-03-23T10:33:36.617Z, a Friday.
        Expect.Value(expected, $"$fromMillis(1521801216617, '{picture}')");
    }

    [Fact]
    public void To_millis_parses_iso_8601()
    {
        Expect.Value(1510067274972d, "$toMillis('2017-11-07T15:07:54.972Z')");
        Expect.Value(1509321600000d, "$toMillis('2017-10-30')");
        Expect.Value(1517478133123d, "$toMillis('2018-02-01T09:42:13.123+0000')");
        Expect.Value(1517474533123d, "$toMillis('2018-02-01T09:42:13.123+01:00')");
        Expect.Error("D3110", "$toMillis('next tuesday')");
    }

    [Fact]
    public void To_millis_with_a_picture()
    {
        Expect.Value(1514764800000d, "$toMillis('2018', '[Y1]')");
        Expect.Value(1522108800000d, "$toMillis('2018-03-27', '[Y1]-[M01]-[D01]')");
        Expect.Value(1522159380123d, "$toMillis('2018-03-27T14:03:00.123Z', '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z')");
        Expect.Value(1521801216000d, "$toMillis('23 March 2018 10:33:36', '[D] [MNn] [Y] [H]:[m]:[s]')");
        Expect.Value(1521801180000d, "$toMillis('03/23/2018 10:33am', '[M01]/[D01]/[Y0001] [h]:[m01][P]')");
        Expect.Undefined("$toMillis('Hello', 'Hello')");
        Expect.Value(1503273600000d, "$toMillis('twenty-first August two thousand and seventeen', '[Dw] [MNn] [Yw]')");
        Expect.Value("2020-09-09T17:00:00.000Z", "$toMillis('2020-09-09 12:00:00 GMT-5', '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01] [z01]') ~> $fromMillis()");
    }

    [Fact]
    public void Picture_errors()
    {
        Expect.Error("D3135", "$fromMillis(0, '[Y')");
        Expect.Error("D3133", "$fromMillis(0, '[YN]')");
        Expect.Error("D3136", "$toMillis('2018-32-5', '[X]-[W]-[F1]')");
    }

    [Fact]
    public void Now_and_millis_use_one_timestamp_per_evaluation()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1521801216617));
        var bindings = new JsonataBindings { TimeProvider = clock };
        Expect.Value("2018-03-23T10:33:36.617Z", "$now()", null, bindings);
        Expect.Value(1521801216617d, "$millis()", null, bindings);
        Expect.Value(true, "$now() = $fromMillis($millis())", null, bindings);
        Expect.Value("10:33", "$now('[H01]:[m01]')", null, bindings);
        Expect.Value("05:33", "$now('[H01]:[m01]', '-0500')", null, bindings);
    }

    [Fact]
    public void Now_is_an_iso_timestamp()
    {
        var now = (string)JsonataExpression.Compile("$now()").Evaluate(null)!;
        Assert.Matches(new Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"), now);
    }
}
