using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Values;
using Microsoft.Extensions.Time.Testing;

namespace FlowEngine.Nodes.Modbus.Tests;

public sealed class PlannerAndBreakerTests
{
    private static ModbusTag Tag(string name, ModbusArea area, int address, ModbusValueType type = ModbusValueType.UInt16, int length = 1) =>
        new(name, area, (ushort)address, ModbusNames.IsBitArea(area) ? ModbusValueType.Bool : type, ModbusByteOrder.ABCD, length, null, 1, 0, null);

    private static string Describe(IEnumerable<ModbusReadBlock> blocks) => string.Join(" | ", blocks.Select(b => b.ToString()));

    [Fact]
    public void Contiguous_and_overlapping_tags_share_one_request()
    {
        var blocks = ModbusReadPlanner.Plan(
        [
            Tag("a", ModbusArea.HoldingRegisters, 0),
            Tag("c", ModbusArea.HoldingRegisters, 2, ModbusValueType.Float32),
            Tag("b", ModbusArea.HoldingRegisters, 1),
            Tag("overlap", ModbusArea.HoldingRegisters, 3),
            Tag("far", ModbusArea.HoldingRegisters, 10),
        ], maxGap: 0);
        Assert.Equal("holding 0+4 (4 tags) | holding 10+1 (1 tags)", Describe(blocks));
    }

    [Fact]
    public void A_gap_no_wider_than_max_gap_is_read_through()
    {
        ModbusTag[] tags = [Tag("a", ModbusArea.InputRegisters, 0), Tag("b", ModbusArea.InputRegisters, 5)];
        Assert.Equal("input 0+6 (2 tags)", Describe(ModbusReadPlanner.Plan(tags, maxGap: 4)));
        Assert.Equal("input 0+1 (1 tags) | input 5+1 (1 tags)", Describe(ModbusReadPlanner.Plan(tags, maxGap: 3)));
    }

    [Fact]
    public void Blocks_stay_within_125_registers_and_2000_bits()
    {
        var registers = Enumerable.Range(0, 130).Select(i => Tag($"r{i}", ModbusArea.HoldingRegisters, i));
        Assert.Equal("holding 0+125 (125 tags) | holding 125+5 (5 tags)", Describe(ModbusReadPlanner.Plan(registers, 0)));
        var bits = Enumerable.Range(0, 2001).Select(i => Tag($"c{i}", ModbusArea.Coils, i));
        Assert.Equal("coil 0+2000 (2000 tags) | coil 2000+1 (1 tags)", Describe(ModbusReadPlanner.Plan(bits, 0)));
    }

    [Fact]
    public void Tags_of_different_areas_never_share_a_request()
    {
        var blocks = ModbusReadPlanner.Plan(
        [
            Tag("coil", ModbusArea.Coils, 0),
            Tag("di", ModbusArea.DiscreteInputs, 1),
            Tag("hr", ModbusArea.HoldingRegisters, 0),
            Tag("ir", ModbusArea.InputRegisters, 1),
        ], maxGap: 10);
        Assert.Equal(
            [ModbusFunction.ReadCoils, ModbusFunction.ReadDiscreteInputs, ModbusFunction.ReadHoldingRegisters, ModbusFunction.ReadInputRegisters],
            blocks.Select(b => b.Request.Function));
    }

    [Fact]
    public void A_tag_decodes_its_value_from_the_middle_of_a_block_with_scaling()
    {
        var tag = Tag("t", ModbusArea.HoldingRegisters, 12, ModbusValueType.Int32) with { Scale = 0.01, Offset = 5 };
        // Block starts at 10; the tag's registers are the third and fourth: 0xFFFF 0xFF9C = -100 → -100 × 0.01 + 5.
        Assert.Equal(4.0, (double)tag.Decode(10, [0, 0, 0xFFFF, 0xFF9C], null)!, 10);
    }

    [Fact]
    public void The_breaker_opens_after_the_threshold_and_doubles_its_back_off_while_the_device_stays_dead()
    {
        var time = new FakeTimeProvider();
        var breaker = new ModbusCircuitBreaker(3, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), time);
        Assert.Null(breaker.Failure());
        Assert.Null(breaker.Failure());
        Assert.Equal(TimeSpan.FromSeconds(5), breaker.Failure());
        Assert.True(breaker.IsOpen(out var remaining));
        Assert.Equal(TimeSpan.FromSeconds(5), remaining);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(breaker.IsOpen(out _));
        Assert.Equal(TimeSpan.FromSeconds(10), breaker.Failure()); // the probe failed: back off longer
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(15), breaker.Failure()); // capped at the maximum
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(TimeSpan.FromSeconds(15), breaker.Failure());
    }

    [Fact]
    public void A_success_closes_the_breaker_and_resets_its_back_off()
    {
        var time = new FakeTimeProvider();
        var breaker = new ModbusCircuitBreaker(1, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), time);
        Assert.Equal(TimeSpan.FromSeconds(2), breaker.Failure());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(4), breaker.Failure());
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(breaker.Success());
        Assert.False(breaker.Success());
        Assert.Equal(TimeSpan.FromSeconds(2), breaker.Failure());
    }

    [Fact]
    public void Failures_of_requests_already_in_flight_do_not_stretch_an_open_breaker()
    {
        var time = new FakeTimeProvider();
        var breaker = new ModbusCircuitBreaker(1, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), time);
        Assert.Equal(TimeSpan.FromSeconds(5), breaker.Failure());
        Assert.Null(breaker.Failure());
        Assert.Null(breaker.Failure());
        Assert.True(breaker.IsOpen(out var remaining));
        Assert.Equal(TimeSpan.FromSeconds(5), remaining);
    }
}
