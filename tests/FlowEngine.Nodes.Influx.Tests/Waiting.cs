namespace FlowEngine.Nodes.Influx.Tests;

/// <summary>Polling for a condition that background writers make true, with a generous bound for busy CI machines.</summary>
internal static class Waiting
{
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20);
        }
        return true;
    }
}
