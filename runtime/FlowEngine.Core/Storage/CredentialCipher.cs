using System.Security.Cryptography;
using System.Text;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Storage;

/// <summary>
/// Node-RED's credentials file encryption (§1.10): AES-256-CTR, key = SHA-256(secret), a random 16-byte IV written
/// as 32 hex characters followed by the base64 ciphertext, in <c>{"$": "..."}</c>. An existing Node-RED
/// flows_cred.json opens with its secret, and ours opens in Node-RED.
/// </summary>
public static class CredentialCipher
{
    public static JsObject Encrypt(JsObject credentials, string secret)
    {
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var iv = RandomNumberGenerator.GetBytes(16);
        var plain = Encoding.UTF8.GetBytes(JsJson.Serialize(credentials));
        var cipher = Ctr(key, iv, plain);
        return new JsObject { ["$"] = Convert.ToHexStringLower(iv) + Convert.ToBase64String(cipher) };
    }

    /// <summary>Decrypts; throws <see cref="CryptographicException"/> when the secret is wrong (the text is not JSON).</summary>
    public static JsObject Decrypt(JsObject file, string secret)
    {
        if (file.Get("$") is not string text) return file; // stored as plain JSON
        if (text.Length < 32) throw new CryptographicException("credentials file is truncated");
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var iv = Convert.FromHexString(text[..32]);
        var cipher = Convert.FromBase64String(text[32..]);
        var plain = Ctr(key, iv, cipher);
        try
        {
            return JsJson.Parse(Encoding.UTF8.GetString(plain)) as JsObject ?? throw new CryptographicException("credentials are not an object");
        }
        catch (JsJsonException ex)
        {
            throw new CryptographicException("credentials could not be decrypted: wrong credentialSecret?", ex);
        }
    }

    /// <summary>AES in counter mode, built from the block cipher: the 16-byte IV is the initial counter, incremented big-endian.</summary>
    private static byte[] Ctr(byte[] key, byte[] iv, byte[] input)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var counter = (byte[])iv.Clone();
        var output = new byte[input.Length];
        var keystream = new byte[16];
        for (var offset = 0; offset < input.Length; offset += 16)
        {
            aes.EncryptEcb(counter, keystream, PaddingMode.None);
            var n = Math.Min(16, input.Length - offset);
            for (var i = 0; i < n; i++) output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
            for (var i = 15; i >= 0; i--)
            {
                if (++counter[i] != 0) break;
            }
        }
        return output;
    }
}
