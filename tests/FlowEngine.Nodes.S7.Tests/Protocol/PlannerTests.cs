using FlowEngine.Nodes.S7.Protocol;

namespace FlowEngine.Nodes.S7.Tests.Protocol;

public sealed class PlannerTests
{
    private static List<S7Address> Parse(params string[] addresses) => addresses.Select(S7Address.Parse).ToList();

    [Fact]
    public void Close_variables_of_one_db_merge_and_other_dbs_and_areas_stay_apart()
    {
        var ranges = S7Client.MergeRanges(Parse("DB1,REAL0", "DB1,INT4", "DB1,X6.0", "DB1,INT30", "DB2,INT0", "MW0", "MW2", "T1", "T3"), S7Client.MaxMergeGap);
        Assert.Equal(6, ranges.Count);
        var db1 = ranges.Where(r => r.DbNumber == 1).ToList();
        Assert.Equal([(0, 7), (30, 2)], db1.Select(r => (r.Start, r.Length)));
        Assert.Equal([0, 1, 2], db1[0].Variables);
        Assert.Equal((0, 4), ranges.Where(r => r.Area == S7Area.Flags).Select(r => (r.Start, r.Length)).Single());
        // Timers are merged only when contiguous.
        Assert.Equal(2, ranges.Count(r => r.Area == S7Area.Timers));
    }

    [Fact]
    public void A_range_larger_than_the_pdu_is_cut_into_items_that_fit()
    {
        var range = new S7Range(S7Area.DataBlock, 4, 0, 1000, [0]);
        var pieces = S7Client.SplitRange(range, 240).ToList();
        Assert.Equal([0, 222, 444, 666, 888], pieces.Select(p => p.Offset));
        Assert.Equal(1000, pieces.Sum(p => p.Item.Count));
        var requests = S7Client.PackReads(pieces.Select(p => p.Item).ToList(), 240);
        Assert.Equal(5, requests.Count);
        Assert.All(requests, r => Assert.True(S7Codec.ReadSizes(r.Select(i => pieces[i].Item)).Response <= 240));
    }

    [Fact]
    public void Many_small_items_are_packed_up_to_twenty_per_request()
    {
        var items = Enumerable.Range(0, 45).Select(i => new S7Item(S7Area.DataBlock, i + 1, S7TransportSize.Byte, 0, 0, 2)).ToList();
        var requests = S7Client.PackReads(items, 960);
        Assert.Equal([20, 20, 5], requests.Select(r => r.Count));
        // At 240 bytes the request (12 + 12 per item) is the limit: 19 items.
        Assert.Equal(19, S7Client.PackReads(items, 240)[0].Count);
    }

    [Fact]
    public void A_large_write_is_split_so_every_request_fits_the_pdu()
    {
        var variable = S7Address.Parse("DB2,B0.500");
        var pieces = S7Client.SplitWrite(variable, new byte[500], 240);
        Assert.Equal(500, pieces.Sum(p => p.Data.Length));
        var requests = S7Client.PackWrites(pieces.Select(p => p.Item).ToList(), 240);
        Assert.All(requests, r => Assert.True(S7Codec.WriteSize(r.Select(i => pieces[i].Item)) <= 240));
        Assert.Equal(3, requests.Count);
    }
}
