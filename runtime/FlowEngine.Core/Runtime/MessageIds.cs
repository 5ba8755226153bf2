using System.Buffers.Binary;

namespace FlowEngine.Core.Runtime;

/// <summary>Node-RED style ids: 16 lowercase hex characters from 8 random bytes.</summary>
public static class MessageIds
{
    /// <summary>
    /// A new id. Ids only need to be unique, not unpredictable (nothing is authorised by one), so the shared
    /// pseudo-random generator serves: it costs a fraction of the cryptographic one on the path of every new message.
    /// </summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, Random.Shared.NextInt64(long.MinValue, long.MaxValue));
        return Convert.ToHexStringLower(bytes);
    }
}
