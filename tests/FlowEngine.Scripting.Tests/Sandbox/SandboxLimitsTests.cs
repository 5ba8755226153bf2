using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Scripting.Sandbox;

namespace FlowEngine.Scripting.Tests.Sandbox;

public sealed class SandboxLimitsTests
{
    [Fact]
    public void Defaults_are_one_second_and_finite_memory_statements_and_depth()
    {
        var limits = SandboxLimits.FromSettings(new RuntimeSettings(), 0);
        Assert.Equal(TimeSpan.FromSeconds(1), limits.Timeout);
        Assert.Equal(128L * 1024 * 1024, limits.MemoryBytes);
        Assert.Equal(100_000_000, limits.MaxStatements);
        Assert.True(limits.RecursionDepth > 0);
    }

    [Fact]
    public void Node_timeout_wins_over_the_setting_and_zero_means_the_setting()
    {
        var settings = new RuntimeSettings(new JsObject { ["functionTimeout"] = 5.0 });
        Assert.Equal(TimeSpan.FromSeconds(5), SandboxLimits.FromSettings(settings, 0).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(0.25), SandboxLimits.FromSettings(settings, 0.25).Timeout);
    }

    [Fact]
    public void The_statement_limit_grows_with_the_time_limit_so_time_speaks_first()
    {
        Assert.Equal(1_000_000_000, SandboxLimits.FromSettings(new RuntimeSettings(), 10).MaxStatements);
        Assert.Equal(100_000_000, SandboxLimits.FromSettings(new RuntimeSettings(), 0.5).MaxStatements);
    }

    [Fact]
    public void A_setting_of_zero_keeps_a_limit_instead_of_none()
    {
        var settings = new RuntimeSettings(new JsObject { ["functionTimeout"] = 0.0 });
        Assert.Equal(TimeSpan.FromSeconds(1), SandboxLimits.FromSettings(settings, 0).Timeout);
    }

    [Fact]
    public void Memory_statements_and_recursion_come_from_settings()
    {
        var settings = new RuntimeSettings(new JsObject { ["functionMemoryLimit"] = 16.0, ["functionMaxStatements"] = "1000", ["functionRecursionLimit"] = 50.0 });
        var limits = SandboxLimits.FromSettings(settings, 0);
        Assert.Equal(16L * 1024 * 1024, limits.MemoryBytes);
        Assert.Equal(1000, limits.MaxStatements);
        Assert.Equal(50, limits.RecursionDepth);
    }
}
