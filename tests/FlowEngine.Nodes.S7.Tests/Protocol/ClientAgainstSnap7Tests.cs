using System.Net;
using System.Net.Sockets;
using FlowEngine.Nodes.S7.Protocol;
using FlowEngine.Nodes.S7.Tests.Peers;

namespace FlowEngine.Nodes.S7.Tests.Protocol;

/// <summary>Our S7 client against the real Snap7 S7Server (node-snap7) of tests/peers/s7/server.js.</summary>
public sealed class ClientAgainstSnap7Tests(S7PeerFixture fixture) : IClassFixture<S7PeerFixture>
{
    private S7ConnectionOptions Options(int pduSize = 960) => new()
    {
        Host = "127.0.0.1",
        Port = fixture.Peer.Port,
        RemoteTsap = S7Codec.RemoteTsap(1, 0, 1),
        RequestedPduSize = pduSize,
        RequestTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    private async Task<object?[]> ReadAsync(S7Client client, params string[] addresses)
    {
        var results = await client.ReadAsync(addresses.Select(S7Address.Parse).ToList(), CancellationToken.None);
        Assert.All(results, r => Assert.Null(r.Error));
        return results.Select(r => r.Value).ToArray();
    }

    [Fact]
    public async Task Connects_and_negotiates_the_pdu_size_it_asked_for()
    {
        await using var client = new S7Client(Options(480));
        var connection = await client.ConnectAsync(CancellationToken.None);
        Assert.Equal(480, connection.PduSize);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Every_type_of_a_data_block_reads_in_one_request()
    {
        await using var client = new S7Client(Options());
        var values = await ReadAsync(client, "DB3,BYTE0", "DB3,CHAR1", "DB3,WORD2", "DB3,INT4", "DB3,DWORD6", "DB3,DINT10", "DB3,REAL14",
            "DB3,LREAL18", "DB3,S26.10", "DB3,X38.0", "DB3,X38.1", "DB3,X38.2", "DB3,INT40.5", "DB3.DBW2");
        Assert.Equal<object?>([165.0, "Z", 48879.0, -1234.0, 3735928559.0, -123456789.0, 3.25, 1234.5678, "Hello", true, false, true,
            new List<object?> { 1.0, -2.0, 3.0, -4.0, 5.0 }, 48879.0], values);
        Assert.Equal(1, client.RequestsSent);
    }

    [Fact]
    public async Task Process_values_of_db1_are_read_and_change_between_reads()
    {
        await using var client = new S7Client(Options());
        var first = await ReadAsync(client, "DB1,REAL0", "DB1,INT4", "DB1,X6.0", "DB1,DINT8", "DB1,S12.20");
        Assert.InRange((double)first[0]!, 15.0, 25.0);
        Assert.Equal(true, first[2]);
        Assert.Equal(123456.0, first[3]);
        Assert.Equal("Line-1 Press", first[4]);
        await Task.Delay(700);
        var second = await ReadAsync(client, "DB1,INT4");
        Assert.NotEqual(first[1], second[0]);
    }

    [Fact]
    public async Task Flags_inputs_outputs_timers_and_counters_are_read()
    {
        await using var client = new S7Client(Options());
        var values = await ReadAsync(client, "MB0", "M0.2", "I0.0", "E0.1", "IB0", "IW2", "EW2", "T0", "C0", "QB63");
        Assert.Equal<object?>([60.0, true, true, false, 165.0, 4660.0, 4660.0, 4660.0, 66.0, 0.0], values);
    }

    [Theory]
    [InlineData("DB2,BYTE0", 200.0)]
    [InlineData("DB2,CHAR1", "q")]
    [InlineData("DB2,WORD2", 65000.0)]
    [InlineData("DB2,INT4", -32768.0)]
    [InlineData("DB2,DWORD6", 4000000000.0)]
    [InlineData("DB2,DINT10", -2000000000.0)]
    [InlineData("DB2,REAL14", -0.5)]
    [InlineData("DB2,LREAL18", 1e-300)]
    [InlineData("DB2,S26.12", "Ölpumpe 3")]
    [InlineData("DB2,X40.5", true)]
    [InlineData("MW20", 4242.0)]
    [InlineData("MR24", 1.5)]
    [InlineData("M30.7", true)]
    [InlineData("QB2", 129.0)]
    [InlineData("A3.1", true)]
    [InlineData("QW10", 777.0)]
    [InlineData("T10", 4096.0)]
    [InlineData("C11", 999.0)]
    public async Task Every_type_and_area_written_reads_back_equal(string address, object value)
    {
        await using var client = new S7Client(Options());
        var parsed = S7Address.Parse(address);
        await client.WriteAsync(parsed, value, CancellationToken.None);
        Assert.Equal(value, (await ReadAsync(client, address))[0]);
    }

    [Fact]
    public async Task A_bit_write_changes_only_that_bit()
    {
        await using var client = new S7Client(Options());
        await client.WriteAsync(S7Address.Parse("DB2,BYTE50"), 0x81 * 1.0, CancellationToken.None);
        await client.WriteAsync(S7Address.Parse("DB2,X50.3"), true, CancellationToken.None);
        await client.WriteAsync(S7Address.Parse("DB2,X50.7"), false, CancellationToken.None);
        Assert.Equal(0x09 * 1.0, (await ReadAsync(client, "DB2,BYTE50"))[0]);
    }

    [Fact]
    public async Task Arrays_write_and_read_back_including_bit_arrays()
    {
        await using var client = new S7Client(Options());
        var ints = new List<object?> { 10.0, -20.0, 30.0 };
        var bits = new List<object?> { true, false, true, true };
        await client.WriteAsync(S7Address.Parse("DB2,INT60.3"), ints, CancellationToken.None);
        await client.WriteAsync(S7Address.Parse("DB2,X70.6.4"), bits, CancellationToken.None);
        var values = await ReadAsync(client, "DB2,INT60.3", "DB2,X70.6.4");
        Assert.Equal(ints, values[0]);
        Assert.Equal(bits, values[1]);
    }

    [Fact]
    public async Task A_read_larger_than_the_pdu_is_split_over_several_requests()
    {
        await using var client = new S7Client(Options(240));
        var values = (List<object?>)(await ReadAsync(client, "DB4,B0.1000"))[0]!;
        Assert.Equal(240, client.PduSize);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (object?)(double)(i % 251)), values);
        Assert.Equal(5, client.RequestsSent);
    }

    [Fact]
    public async Task Many_variables_are_packed_into_requests_of_at_most_twenty_items()
    {
        await using var client = new S7Client(Options(240));
        // 30 variables 40 bytes apart: too far to merge, so 30 items; 19 fit a 240-byte request.
        var addresses = Enumerable.Range(0, 24).Select(i => $"DB4,BYTE{i * 40}").ToArray();
        var values = await ReadAsync(client, addresses);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (object?)(double)(i * 40 % 251)), values);
        Assert.Equal(2, client.RequestsSent);
    }

    [Fact]
    public async Task A_large_write_is_split_and_reads_back_equal()
    {
        await using var client = new S7Client(Options(240));
        // 230 bytes: a 240-byte PDU carries 212 data bytes in one write item, so two requests.
        var data = Enumerable.Range(0, 230).Select(i => (object?)(double)(255 - i)).ToList();
        await client.WriteAsync(S7Address.Parse("DB2,B20.230"), data, CancellationToken.None);
        Assert.Equal(2, client.RequestsSent);
        Assert.Equal(data, (await ReadAsync(client, "DB2,B20.230"))[0]);
    }

    [Fact]
    public async Task A_missing_db_fails_alone_with_object_does_not_exist()
    {
        await using var client = new S7Client(Options());
        var results = await client.ReadAsync([S7Address.Parse("DB3,INT4"), S7Address.Parse("DB99,INT0"), S7Address.Parse("MB0")], CancellationToken.None);
        Assert.Equal(-1234.0, results[0].Value);
        var error = Assert.IsType<S7ItemException>(results[1].Error);
        Assert.Equal(S7ReturnCode.ObjectDoesNotExist, error.Code);
        Assert.Equal("DB99,INT0: object does not exist", error.Message);
        Assert.Equal(60.0, results[2].Value);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task A_variable_past_the_end_of_its_db_fails_without_failing_its_neighbours()
    {
        await using var client = new S7Client(Options());
        // DB3 is 64 bytes: INT62 fits, DINT62 does not; both are merged into one item first.
        var results = await client.ReadAsync([S7Address.Parse("DB3,INT60"), S7Address.Parse("DB3,DINT62")], CancellationToken.None);
        Assert.Null(results[0].Error);
        Assert.Equal(S7ReturnCode.AddressOutOfRange, Assert.IsType<S7ItemException>(results[1].Error).Code);
    }

    [Fact]
    public async Task A_write_to_an_unregistered_area_is_refused_with_a_typed_error()
    {
        await using var client = new S7Client(Options());
        var error = await Assert.ThrowsAsync<S7ItemException>(() => client.WriteAsync(S7Address.Parse("DB99,INT0"), 1.0, CancellationToken.None));
        Assert.Equal(S7ReturnCode.ObjectDoesNotExist, error.Code);
        var outOfRange = await Assert.ThrowsAsync<S7ItemException>(() => client.WriteAsync(S7Address.Parse("DB2,INT255"), 1.0, CancellationToken.None));
        Assert.Equal(S7ReturnCode.AddressOutOfRange, outOfRange.Code);
        // The connection survives refusals.
        Assert.Equal(-1234.0, (await ReadAsync(client, "DB3,INT4"))[0]);
    }

    [Fact]
    public async Task A_closed_port_is_a_connection_error_that_names_the_endpoint()
    {
        var port = S7Peer.FreePort();
        await using var client = new S7Client(Options() with { Port = port });
        var error = await Assert.ThrowsAsync<S7ConnectionException>(() => client.ConnectAsync(CancellationToken.None));
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_peer_times_out_at_connect()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var client = new S7Client(Options() with { Port = port, ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        var error = await Assert.ThrowsAsync<S7ConnectionException>(() => client.ConnectAsync(CancellationToken.None));
        Assert.Contains("no answer within 300 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_answer_times_out_closes_the_connection_and_the_next_read_reconnects()
    {
        await using var relay = new DelayRelay(fixture.Peer.Port, TimeSpan.Zero);
        await using var client = new S7Client(Options() with { Port = relay.Port, RequestTimeout = TimeSpan.FromMilliseconds(300) });
        Assert.Equal(-1234.0, (await ReadAsync(client, "DB3,INT4"))[0]);
        relay.Delay = TimeSpan.FromMilliseconds(1500);
        var error = await Assert.ThrowsAsync<S7TimeoutException>(() => client.ReadAsync([S7Address.Parse("DB3,INT4")], CancellationToken.None));
        Assert.Contains("did not answer within 300 ms", error.Message, StringComparison.Ordinal);
        Assert.False(client.IsConnected);
        relay.Delay = TimeSpan.Zero;
        Assert.Equal(-1234.0, (await ReadAsync(client, "DB3,INT4"))[0]);
        Assert.Equal(2, client.Connects);
    }
}
