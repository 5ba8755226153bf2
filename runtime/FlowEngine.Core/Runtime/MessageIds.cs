using System.Security.Cryptography;

namespace FlowEngine.Core.Runtime;

/// <summary>Node-RED style ids: 16 lowercase hex characters from 8 random bytes.</summary>
public static class MessageIds
{
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
