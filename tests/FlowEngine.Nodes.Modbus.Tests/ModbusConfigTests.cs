using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.TestKit;

namespace FlowEngine.Nodes.Modbus.Tests;

/// <summary>Bad configuration is refused at deploy, naming the node and the property.</summary>
public sealed class ModbusConfigTests
{
    private static async Task<FlowProblem> RefusedAsync(string nodes)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => ModbusFlows.StartAsync(ModbusFlows.Device(1502) + "," + nodes));
        return Assert.Single(error.Problems);
    }

    [Theory]
    [InlineData("""[{"name":"a","area":"memory","address":0}]""", "tags[0].area", "\"memory\" is not one of coil, discrete, holding, input")]
    [InlineData("""[{"name":"a","area":"coil","address":0,"type":"float32"}]""", "tags[0].type", "coil holds bits: the type must be bool, not float32")]
    [InlineData("""[{"name":"a","address":65535,"type":"int32"}]""", "tags[0].address", "int32 at 65535 runs past address 65535")]
    [InlineData("""[{"name":"a","address":1},{"name":"a","address":2}]""", "tags", "two tags are named \"a\"")]
    [InlineData("""[{"name":"a","address":1,"order":"ACBD"}]""", "tags[0].order", "\"ACBD\" is not one of ABCD, CDAB, BADC, DCBA")]
    [InlineData("""[{"name":"a","address":1,"type":"string","length":0}]""", "tags[0].length", "a string takes 1..125 registers, not 0")]
    [InlineData("""[{"name":"a","address":1,"type":"uint16","bit":3}]""", "tags[0].bit", "a bit applies to bool tags in register areas only")]
    [InlineData("""[{"name":"a","address":1,"interval":5}]""", "tags[0].interval", "5 ms is below the 10 ms minimum")]
    public async Task A_read_node_with_a_bad_tag_is_refused_naming_the_tag_field(string tags, string property, string reason)
    {
        var problem = await RefusedAsync($$"""{"id":"r","type":"modbus-read","z":"t1","device":"dev","tags":{{tags}},"wires":[]}""");
        Assert.Equal(("r", property, reason), (problem.NodeId, problem.Property, problem.Reason));
    }

    [Fact]
    public async Task A_write_node_cannot_write_input_registers()
    {
        var problem = await RefusedAsync("""{"id":"w","type":"modbus-write","z":"t1","device":"dev","area":"input","address":0,"wires":[]}""");
        Assert.Equal("area", problem.Property);
    }

    [Fact]
    public async Task Single_register_mode_cannot_carry_a_float32()
    {
        var problem = await RefusedAsync("""{"id":"w","type":"modbus-write","z":"t1","device":"dev","dataType":"float32","mode":"single","wires":[]}""");
        Assert.Equal(("mode", "a float32 takes 2 registers; single-register writes (FC6) cannot carry it"), (problem.Property, problem.Reason));
    }

    [Fact]
    public async Task A_node_without_a_device_is_refused()
    {
        var problem = await RefusedAsync("""{"id":"g","type":"modbus-getter","z":"t1","wires":[]}""");
        Assert.Equal(("g", "device", "a value is required"), (problem.NodeId, problem.Property, problem.Reason));
    }

    [Theory]
    [InlineData("\"port\":70000", "port")]
    [InlineData("\"unitId\":300", "unitId")]
    [InlineData("\"maxInFlight\":0", "maxInFlight")]
    public async Task A_device_with_values_out_of_range_is_refused(string property, string name)
    {
        var error = await Assert.ThrowsAsync<FlowValidationException>(() => ModbusFlows.StartAsync(
            $$"""{"id":"dev","type":"modbus-device","host":"127.0.0.1",{{property}}}"""));
        Assert.Equal(name, Assert.Single(error.Problems).Property);
    }

    [Fact]
    public void Every_modbus_node_type_is_declared_with_help_and_the_modbus_category()
    {
        var registry = TestFlow.CreateRegistry(ModbusNodes.Register);
        string[] types = ["modbus-device", "modbus-read", "modbus-getter", "modbus-write", "modbus-server"];
        foreach (var type in types)
        {
            var declaration = registry.Declaration(type);
            Assert.NotNull(declaration);
            Assert.Equal(type == "modbus-device" ? "config" : "modbus", declaration.Category);
            Assert.True(declaration.Help.Length > 200, type);
            Assert.Contains(declaration.Properties, p => p.Name == "name");
        }
        Assert.True(registry.Declaration("modbus-device")!.IsConfig);
        Assert.All(types.Skip(1).Where(t => t != "modbus-server"),
            t => Assert.Equal("modbus-device", registry.Declaration(t)!.Properties.Single(p => p.Kind == PropertyKind.ConfigReference).ConfigType));
    }
}
