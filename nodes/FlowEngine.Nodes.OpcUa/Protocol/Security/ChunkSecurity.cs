using System.Buffers.Binary;
using System.Security.Cryptography;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Transport;

namespace FlowEngine.Nodes.OpcUa.Protocol.Security;

/// <summary>
/// One secure channel chunk (Part 6 §6.7.2) made or opened: sequence header, padding, signature and encryption, the
/// asymmetric way (OpenSecureChannel: signed with our private key, encrypted with the peer's public key) or the
/// symmetric way (keys derived from the nonces). Shared by the client and the server end of a channel.
/// </summary>
internal static class ChunkSecurity
{
    /// <summary>Message type, chunk type, size and secure channel id.</summary>
    public const int MessageHeaderSize = 12;

    public delegate byte[] ChunkEncoder(ReadOnlySpan<byte> part, bool final);

    /// <summary>Cuts a message body into parts of at most <paramref name="maxBody"/> bytes, each encoded as a chunk ('C' then 'F').</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> body, int maxBody, ChunkEncoder encode)
    {
        var chunks = new List<byte[]>();
        var offset = 0;
        do
        {
            var length = Math.Min(maxBody, body.Length - offset);
            chunks.Add(encode(body.Slice(offset, length), offset + length >= body.Length));
            offset += length;
        }
        while (offset < body.Length);
        return chunks;
    }

    /// <summary>The largest body part an OPN chunk of <paramref name="bufferSize"/> bytes holds.</summary>
    public static int MaxAsymmetricBody(int bufferSize, int securityHeaderLength, RSA? localKey, RSA? remoteKey)
    {
        if (localKey is null || remoteKey is null) return bufferSize - MessageHeaderSize - securityHeaderLength - 8;
        var cipherBlock = remoteKey.KeySize / 8;
        var plainBlock = cipherBlock - Basic256Sha256.OaepOverhead;
        var blocks = (bufferSize - MessageHeaderSize - securityHeaderLength) / cipherBlock;
        return blocks * plainBlock - localKey.KeySize / 8 - 2 - 8;
    }

    /// <summary>The largest body part a MSG/CLO chunk of <paramref name="bufferSize"/> bytes holds (4-byte token id header).</summary>
    public static int MaxSymmetricBody(int bufferSize, MessageSecurityMode mode) => mode switch
    {
        MessageSecurityMode.SignAndEncrypt => (bufferSize - MessageHeaderSize - 4) / Basic256Sha256.BlockSize * Basic256Sha256.BlockSize - Basic256Sha256.SymmetricSignatureLength - 1 - 8,
        MessageSecurityMode.Sign => bufferSize - MessageHeaderSize - 4 - 8 - Basic256Sha256.SymmetricSignatureLength,
        _ => bufferSize - MessageHeaderSize - 4 - 8,
    };

    /// <summary>
    /// Builds one chunk. Asymmetric: signed with <paramref name="localKey"/> and encrypted with <paramref name="remoteKey"/>
    /// (both null for policy None). Symmetric: signed and/or encrypted with <paramref name="keys"/> as <paramref name="mode"/> says.
    /// </summary>
    public static byte[] Encode(string type, bool final, uint channelId, byte[] securityHeader, uint sequence, uint requestId, ReadOnlySpan<byte> part,
        bool asymmetric, RSA? localKey, RSA? remoteKey, MessageSecurityMode mode, SymmetricKeys? keys)
    {
        var sign = asymmetric ? localKey is not null : mode is MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt;
        var encrypt = asymmetric ? remoteKey is not null : mode == MessageSecurityMode.SignAndEncrypt;
        var signatureLength = !sign ? 0 : asymmetric ? localKey!.KeySize / 8 : Basic256Sha256.SymmetricSignatureLength;
        var plainBlock = !encrypt ? 1 : asymmetric ? remoteKey!.KeySize / 8 - Basic256Sha256.OaepOverhead : Basic256Sha256.BlockSize;
        var cipherBlock = !encrypt ? 1 : asymmetric ? remoteKey!.KeySize / 8 : Basic256Sha256.BlockSize;
        // Part 6 §6.7.2.4: an ExtraPaddingSize byte follows when the encrypting key is longer than 2048 bits.
        var extraPadding = encrypt && asymmetric && remoteKey!.KeySize > 2048;

        var plain = new UaBinaryWriter(part.Length + 64);
        plain.WriteUInt32(sequence);
        plain.WriteUInt32(requestId);
        plain.WriteRaw(part);
        if (encrypt)
        {
            var sizeBytes = extraPadding ? 2 : 1;
            var used = (plain.Length + sizeBytes + signatureLength) % plainBlock;
            var padding = used == 0 ? 0 : plainBlock - used;
            for (var i = 0; i <= padding; i++) plain.WriteByte((byte)(padding & 0xFF));
            if (extraPadding) plain.WriteByte((byte)(padding >> 8));
        }
        var encryptedLength = encrypt ? (plain.Length + signatureLength) / plainBlock * cipherBlock : plain.Length + signatureLength;
        var size = MessageHeaderSize + securityHeader.Length + encryptedLength;

        var chunk = new byte[MessageHeaderSize + securityHeader.Length + plain.Length + signatureLength];
        System.Text.Encoding.ASCII.GetBytes(type, chunk);
        chunk[3] = (byte)(final ? 'F' : 'C');
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(8), channelId);
        securityHeader.CopyTo(chunk, MessageHeaderSize);
        var plainStart = MessageHeaderSize + securityHeader.Length;
        plain.WrittenSpan.CopyTo(chunk.AsSpan(plainStart));
        if (sign)
        {
            var signed = chunk.AsSpan(0, plainStart + plain.Length);
            var signature = asymmetric ? Basic256Sha256.AsymmetricSign(localKey!, signed) : Basic256Sha256.SymmetricSign(keys!, signed);
            signature.CopyTo(chunk, plainStart + plain.Length);
        }
        if (!encrypt) return chunk;
        var toEncrypt = chunk.AsSpan(plainStart);
        var cipher = asymmetric ? Basic256Sha256.AsymmetricEncrypt(remoteKey!, toEncrypt) : Basic256Sha256.SymmetricEncrypt(keys!, toEncrypt);
        var output = new byte[plainStart + cipher.Length];
        chunk.AsSpan(0, plainStart).CopyTo(output);
        cipher.CopyTo(output, plainStart);
        return output;
    }

    /// <summary>
    /// Decrypts an OPN chunk with our private key and checks the peer's signature; returns the sequence header and
    /// body. <paramref name="headerLength"/> covers the message and asymmetric security headers.
    /// </summary>
    public static ReadOnlySpan<byte> OpenAsymmetric(byte[] chunk, int headerLength, RSA localKey, RSA remoteKey)
    {
        var rest = chunk.AsSpan(headerLength);
        if (rest.Length % (localKey.KeySize / 8) != 0) throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "the encrypted part is not whole RSA blocks");
        var plain = Basic256Sha256.AsymmetricDecrypt(localKey, rest);
        var signatureLength = remoteKey.KeySize / 8;
        if (plain.Length < signatureLength + 9) throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "OpenSecureChannel is too short for its signature");
        var signed = new byte[headerLength + plain.Length - signatureLength];
        chunk.AsSpan(0, headerLength).CopyTo(signed);
        plain.AsSpan(0, plain.Length - signatureLength).CopyTo(signed.AsSpan(headerLength));
        if (!Basic256Sha256.AsymmetricVerify(remoteKey, signed, plain.AsSpan(plain.Length - signatureLength)))
            throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "the OpenSecureChannel signature is wrong");
        return StripPadding(plain, signatureLength, localKey.KeySize > 2048);
    }

    /// <summary>Decrypts and/or verifies a MSG/CLO chunk as <paramref name="mode"/> says; returns the sequence header and body.</summary>
    public static ReadOnlySpan<byte> OpenSymmetric(byte[] chunk, int headerLength, MessageSecurityMode mode, SymmetricKeys keys)
    {
        var rest = chunk.AsSpan(headerLength);
        if (mode is not (MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt)) return rest;
        byte[] plain;
        if (mode == MessageSecurityMode.SignAndEncrypt)
        {
            if (rest.Length % Basic256Sha256.BlockSize != 0) throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "an encrypted chunk is not whole AES blocks");
            plain = Basic256Sha256.SymmetricDecrypt(keys, rest);
        }
        else
        {
            plain = rest.ToArray();
        }
        const int signatureLength = Basic256Sha256.SymmetricSignatureLength;
        if (plain.Length < signatureLength + 8) throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "a chunk is too short for its signature");
        var signed = new byte[headerLength + plain.Length - signatureLength];
        chunk.AsSpan(0, headerLength).CopyTo(signed);
        plain.AsSpan(0, plain.Length - signatureLength).CopyTo(signed.AsSpan(headerLength));
        if (!Basic256Sha256.SymmetricVerify(keys, signed, plain.AsSpan(plain.Length - signatureLength)))
            throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "a message signature is wrong");
        return mode == MessageSecurityMode.SignAndEncrypt ? StripPadding(plain, signatureLength, false) : plain.AsSpan(0, plain.Length - signatureLength);
    }

    /// <summary>Removes padding (and checks every padding byte) from decrypted content followed by its signature.</summary>
    public static ReadOnlySpan<byte> StripPadding(byte[] plain, int signatureLength, bool extra)
    {
        var end = plain.Length - signatureLength;
        int padding = plain[end - 1];
        var sizeBytes = 1;
        if (extra)
        {
            padding = (padding << 8) | plain[end - 2];
            sizeBytes = 2;
        }
        var contentLength = end - sizeBytes - padding;
        if (contentLength < 8) throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "the padding of a chunk is wrong");
        for (var i = contentLength; i < end - sizeBytes; i++)
        {
            if (plain[i] != (byte)(padding & 0xFF)) throw new UaStatusException(StatusCodes.BadSecurityChecksFailed, "the padding bytes of a chunk are wrong");
        }
        return plain.AsSpan(0, contentLength);
    }
}
