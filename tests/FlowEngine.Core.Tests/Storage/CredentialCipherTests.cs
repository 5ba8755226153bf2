using FlowEngine.Core.Storage;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Tests.Storage;

public sealed class CredentialCipherTests
{
    [Fact]
    public void Encrypted_credentials_decrypt_with_the_same_secret()
    {
        var creds = (JsObject)JsJson.Parse("""{"n1":{"user":"bob","password":"pw"}}""")!;
        var encrypted = CredentialCipher.Encrypt(creds, "secret");
        var text = (string)encrypted["$"]!;
        Assert.Matches("^[0-9a-f]{32}", text);
        Assert.True(JsValue.DeepEquals(creds, CredentialCipher.Decrypt(encrypted, "secret")));
    }

    [Fact]
    public void A_file_encrypted_by_aes_256_ctr_with_sha256_key_decrypts()
    {
        // Made with: printf '{"n1":{"user":"bob"}}' | openssl enc -aes-256-ctr -K $(printf secret | sha256sum | cut -c1-64) -iv 000102030405060708090a0b0c0d0e0f | base64
        // which is how Node-RED writes flows_cred.json.
        var file = new JsObject { ["$"] = "000102030405060708090a0b0c0d0e0f" + OpenSslVector.Ciphertext };
        var decrypted = CredentialCipher.Decrypt(file, "secret");
        Assert.Equal("bob", ((JsObject)decrypted["n1"]!)["user"]);
    }

    [Fact]
    public void A_wrong_secret_fails_clearly()
    {
        var encrypted = CredentialCipher.Encrypt(new JsObject { ["n"] = new JsObject { ["a"] = "b" } }, "right");
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => CredentialCipher.Decrypt(encrypted, "wrong"));
    }
}
