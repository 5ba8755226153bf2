using FlowEngine.Core.Values;
using FlowEngine.Nodes.S7.Tests.Peers;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.S7.Tests;

/// <summary>A flow as the node-red-contrib-s7 editor exports it (numbers as strings, MPI fields, tsap mode) runs as is.</summary>
public sealed class ImportedFlowTests(S7PeerFixture fixture) : IClassFixture<S7PeerFixture>
{
    [Fact]
    public async Task A_node_red_contrib_s7_export_with_tsap_mode_and_a_string_vartable_loads_reads_and_writes()
    {
        var flows = $$"""
            [{"id":"f1","type":"tab","label":"Flow 1"},
             {"id":"e1","type":"s7 endpoint","transport":"iso-on-tcp","address":"127.0.0.1","port":"{{fixture.Peer.Port}}","rack":"0","slot":"2",
              "localtsaphi":"01","localtsaplo":"00","remotetsaphi":"03","remotetsaplo":"01","connmode":"tsap","adapter":"","busaddr":"2",
              "cycletime":"200","timeout":"2000","name":"Press PLC",
              "vartable":"[{\"addr\":\"DB1,DINT8\",\"name\":\"total\"},{\"addr\":\"DB1,S12.20\",\"name\":\"line\"},{\"addr\":\"E0.0\",\"name\":\"in0\"},{\"addr\":\"DB2,REAL200\",\"name\":\"speed\"}]"},
             {"id":"n1","type":"s7 in","z":"f1","endpoint":"e1","mode":"all","variable":"","diff":true,"name":"","x":120,"y":80,"wires":[["h"]]},
             {"id":"n2","type":"s7 out","z":"f1","endpoint":"e1","variable":"speed","name":"","x":320,"y":80,"wires":[]},
             {"id":"h","type":"helper","z":"f1","wires":[]}]
            """;
        await using var flow = await TestFlow.StartAsync(flows, new TestFlowOptions { Register = S7Nodes.Register });
        var first = await flow.NextAsync("h", TimeSpan.FromSeconds(15));
        var payload = (JsObject)first["payload"]!;
        Assert.Equal(123456.0, payload["total"]);
        Assert.Equal("Line-1 Press", payload["line"]);
        Assert.Equal(true, payload["in0"]);
        flow.Send("n2", """{"payload":12.5}""");
        // With diff, the next message comes when a value changes: here, the one just written.
        Assert.True(await S7Flows.EventuallyAsync(() => flow.Received("h").Any(m => ((JsObject)m["payload"]!)["speed"] is 12.5)));
        Assert.Equal(0x0301, S7Flows.Node<S7EndpointNode>(flow, "e1").Options.RemoteTsap);
    }
}
