namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>
/// While open on a thread, what that thread writes to a <see cref="BatchingSocketStream"/> is held, and sent in one
/// go (one send per connection) when the batch ends on the same thread.
/// </summary>
/// <remarks>
/// <see cref="DirectReceiveAdapter"/> opens it while the messages of one read run through the flows on the receive
/// loop, so a read of a hundred messages that each cause a publish costs one send, not a hundred. Writes on other
/// threads, and writes with no batch open, are sent as before. The owner must end the batch before it awaits
/// anything that may continue on another thread, or the held bytes would wait for that thread's next batch.
/// </remarks>
internal static class SendBatch
{
    [ThreadStatic]
    private static bool t_open;

    [ThreadStatic]
    private static List<BatchingSocketStream>? t_held;

    public static bool IsOpen => t_open;

    public static void Begin() => t_open = true;

    /// <summary>Called by a stream that queued bytes without sending them: it is sent when the batch ends.</summary>
    public static void Hold(BatchingSocketStream stream)
    {
        var held = t_held ??= [];
        if (!held.Contains(stream)) held.Add(stream);
    }

    /// <summary>Ends the batch (if one is open) and starts the sends of every stream it held.</summary>
    public static void End()
    {
        if (!t_open) return;
        t_open = false;
        if (t_held is not { Count: > 0 } held) return;
        // With the batch closed, nothing a send does on this thread can add to the list while it is walked.
        foreach (var stream in held) stream.SendHeld();
        held.Clear();
    }
}
