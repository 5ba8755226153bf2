namespace FlowEngine.Core.Nodes;

/// <summary>A node's status line under it in the editor: fill red|green|yellow|blue|grey, shape ring|dot.</summary>
public sealed record NodeStatus(string? Fill = null, string? Shape = null, string? Text = null)
{
    public static readonly NodeStatus Clear = new();

    public bool IsClear => Fill is null && Shape is null && Text is null;

    public static NodeStatus Error(string text) => new("red", "ring", text);
    public static NodeStatus Ok(string text) => new("green", "dot", text);
    public static NodeStatus Info(string text) => new("blue", "dot", text);
    public static NodeStatus Warning(string text) => new("yellow", "ring", text);
}
