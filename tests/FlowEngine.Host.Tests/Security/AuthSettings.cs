namespace FlowEngine.Host.Tests;

/// <summary>adminAuth settings used by the security tests: one user per role, one with TOTP.</summary>
internal static class AuthSettings
{
    public const string Password = "s3cret!";
    public const string TotpSecret = "JBSWY3DPEHPK3PXP";
    // Cost 4 keeps the tests fast; real settings use 8 or more (flowengine hash-pw uses 10).
    public static readonly string Hash = BCrypt.Net.BCrypt.HashPassword(Password, workFactor: 4);

    public static string Json => Settings();

    public static string Settings(string extra = "") =>
        "{\"adminAuth\":{\"type\":\"credentials\",\"users\":["
        + User("alice", "\"permissions\":\"*\"") + ","
        + User("otto", "\"role\":\"operator\"") + ","
        + User("vera", "\"role\":\"viewer\"") + ","
        + User("rita", "\"permissions\":\"read\"") + ","
        + User("tom", "\"role\":\"admin\",\"totp\":\"" + TotpSecret + "\"")
        + "]" + extra + "}}";

    private static string User(string name, string rest) => "{\"username\":\"" + name + "\",\"password\":\"" + Hash + "\"," + rest + "}";
}
