using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FlowEngine.Nodes.OpcUa.Protocol.Security;

public enum MessageSecurityMode
{
    Invalid = 0,
    None = 1,
    Sign = 2,
    SignAndEncrypt = 3,
}

public static class SecurityPolicyUris
{
    public const string None = "http://opcfoundation.org/UA/SecurityPolicy#None";
    public const string Basic256Sha256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

    public static string FromName(string name) => name switch
    {
        "None" => None,
        "Basic256Sha256" => Basic256Sha256,
        _ when name.StartsWith("http://", StringComparison.Ordinal) => name,
        _ => throw new ArgumentException($"security policy \"{name}\" is not supported; use None or Basic256Sha256"),
    };

    public static string ShortName(string uri) => uri[(uri.LastIndexOf('#') + 1)..];
}

/// <summary>Symmetric keys derived from the two nonces for one direction (Part 6 §6.7.5).</summary>
public sealed record SymmetricKeys(byte[] SigningKey, byte[] EncryptingKey, byte[] InitializationVector);

/// <summary>
/// The algorithms of Basic256Sha256 (Part 7, SecurityPolicy Basic256Sha256): RSA-OAEP (SHA-1) and RSA-PKCS#1 v1.5
/// SHA-256 for the asymmetric OpenSecureChannel, P_SHA256 key derivation, AES-256-CBC and HMAC-SHA256 for messages.
/// </summary>
public static class Basic256Sha256
{
    public const int NonceLength = 32;
    public const int SymmetricSignatureLength = 32;
    public const int SymmetricKeyLength = 32;
    public const int BlockSize = 16;
    /// <summary>OAEP with SHA-1 takes 2·20 + 2 bytes of each RSA block.</summary>
    public const int OaepOverhead = 42;
    public const string AsymmetricSignatureUri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    public const string AsymmetricEncryptionUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";

    /// <summary>P_SHA256 of RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)), output HMAC(secret, A(i) + seed)…</summary>
    public static byte[] PSha256(byte[] secret, byte[] seed, int length)
    {
        var output = new byte[length];
        var a = seed;
        var written = 0;
        while (written < length)
        {
            a = HMACSHA256.HashData(secret, a);
            byte[] input = [.. a, .. seed];
            var block = HMACSHA256.HashData(secret, input);
            var take = Math.Min(block.Length, length - written);
            block.AsSpan(0, take).CopyTo(output.AsSpan(written));
            written += take;
        }
        return output;
    }

    /// <summary>Keys for messages whose sender contributed <paramref name="seed"/>: client keys = P(serverNonce, clientNonce).</summary>
    public static SymmetricKeys DeriveKeys(byte[] secret, byte[] seed)
    {
        var bytes = PSha256(secret, seed, SymmetricSignatureLength + SymmetricKeyLength + BlockSize);
        return new SymmetricKeys(bytes[..32], bytes[32..64], bytes[64..80]);
    }

    public static byte[] SymmetricSign(SymmetricKeys keys, ReadOnlySpan<byte> data) => HMACSHA256.HashData(keys.SigningKey, data);

    public static bool SymmetricVerify(SymmetricKeys keys, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(keys.SigningKey, data), signature);

    public static byte[] SymmetricEncrypt(SymmetricKeys keys, ReadOnlySpan<byte> plain)
    {
        using var aes = Aes.Create();
        aes.Key = keys.EncryptingKey;
        return aes.EncryptCbc(plain, keys.InitializationVector, PaddingMode.None);
    }

    public static byte[] SymmetricDecrypt(SymmetricKeys keys, ReadOnlySpan<byte> cipher)
    {
        using var aes = Aes.Create();
        aes.Key = keys.EncryptingKey;
        return aes.DecryptCbc(cipher, keys.InitializationVector, PaddingMode.None);
    }

    public static byte[] AsymmetricSign(RSA key, ReadOnlySpan<byte> data) =>
        key.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public static bool AsymmetricVerify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        key.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>RSA-OAEP in blocks of (key size − 42) plain bytes, each giving one key-size cipher block.</summary>
    public static byte[] AsymmetricEncrypt(RSA key, ReadOnlySpan<byte> plain)
    {
        var keyBytes = key.KeySize / 8;
        var plainBlock = keyBytes - OaepOverhead;
        var blocks = (plain.Length + plainBlock - 1) / plainBlock;
        var output = new byte[blocks * keyBytes];
        for (var i = 0; i < blocks; i++)
        {
            var slice = plain.Slice(i * plainBlock, Math.Min(plainBlock, plain.Length - i * plainBlock));
            key.Encrypt(slice, output.AsSpan(i * keyBytes, keyBytes), RSAEncryptionPadding.OaepSHA1);
        }
        return output;
    }

    public static byte[] AsymmetricDecrypt(RSA key, ReadOnlySpan<byte> cipher)
    {
        var keyBytes = key.KeySize / 8;
        if (cipher.Length % keyBytes != 0) throw new CryptographicException($"{cipher.Length} encrypted bytes are not whole {keyBytes}-byte RSA blocks");
        using var output = new MemoryStream(cipher.Length);
        var buffer = new byte[keyBytes];
        for (var offset = 0; offset < cipher.Length; offset += keyBytes)
        {
            var written = key.Decrypt(cipher.Slice(offset, keyBytes), buffer, RSAEncryptionPadding.OaepSHA1);
            output.Write(buffer, 0, written);
        }
        return output.ToArray();
    }

    public static byte[] Thumbprint(X509Certificate2 certificate) => SHA1.HashData(certificate.RawData);

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceLength);
}
