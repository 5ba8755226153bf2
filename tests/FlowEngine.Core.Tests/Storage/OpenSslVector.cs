namespace FlowEngine.Core.Tests.Storage;

internal static class OpenSslVector
{
    public const string Ciphertext = "WifGBOqCqkTCNjYpQDGN5CBHn45X";
}
