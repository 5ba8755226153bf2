using FlowEngine.Nodes.Influx.Protocol;

namespace FlowEngine.Nodes.Influx.Tests.Protocol;

/// <summary>Annotated CSV examples from InfluxDB's documentation ("Annotated CSV" reference, /api/v2/query responses).</summary>
public class FluxCsvTests
{
    internal const string DocumentationExample = """
        #group,false,false,true,true,false,false,true,true,true,true
        #datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
        #default,mean,,,,,,,,,
        ,result,table,_start,_stop,_time,_value,_field,_measurement,host,region
        ,,0,2022-12-31T05:41:24Z,2023-01-31T05:41:24.001Z,2023-01-01T00:52:00Z,15.43,mem,m,A,east
        ,,1,2022-12-31T05:41:24Z,2023-01-31T05:41:24.001Z,2023-01-01T00:52:00Z,59.25,mem,m,B,east
        ,,2,2022-12-31T05:41:24Z,2023-01-31T05:41:24.001Z,2023-01-01T00:52:00Z,52.62,mem,m,C,east

        """;

    [Fact]
    public void Documentation_example_gives_one_object_per_record_with_typed_values_and_defaults()
    {
        var rows = FluxCsv.Rows(DocumentationExample.ReplaceLineEndings("\r\n"));
        Assert.Equal(3, rows.Count);
        Assert.Equal("mean", rows[0]["result"]); // from #default
        Assert.Equal(0.0, rows[0]["table"]);
        Assert.Equal(2.0, rows[2]["table"]);
        Assert.Equal(15.43, rows[0]["_value"]);
        Assert.Equal("2023-01-01T00:52:00Z", rows[0]["_time"]);
        Assert.Equal("B", rows[1]["host"]);
        Assert.Equal("east", rows[1]["region"]);
    }

    [Fact]
    public void Several_tables_each_with_their_own_header_are_read()
    {
        var csv = """
            #datatype,string,long,string,boolean
            #group,false,false,true,false
            #default,_result,,,
            ,result,table,_field,_value
            ,,0,ok,true

            #datatype,string,long,string,long
            #group,false,false,true,false
            #default,_result,,,
            ,result,table,_field,_value
            ,,1,"count, total",42

            """;
        var rows = FluxCsv.Rows(csv);
        Assert.Equal(2, rows.Count);
        Assert.Equal(true, rows[0]["_value"]);
        Assert.Equal("count, total", rows[1]["_field"]);
        Assert.Equal(42.0, rows[1]["_value"]);
    }

    [Fact]
    public void Error_table_becomes_an_exception()
    {
        var csv = "#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,failed to compile query,897\n";
        var ex = Assert.Throws<InfluxQueryException>(() => FluxCsv.Rows(csv));
        Assert.Contains("failed to compile query", ex.Message);
    }
}
