using FlowEngine.Core.Values;
using FlowEngine.Host.Configuration;

namespace FlowEngine.Host.Security;

/// <summary>One user of settings adminAuth.users.</summary>
internal sealed record AdminUser(string Username, string PasswordHash, IReadOnlyList<string> Permissions, string? Role, string? TotpSecret);

/// <summary>
/// settings.adminAuth in Node-RED's shape, so an existing settings block carries over:
/// <c>{"type":"credentials", "users":[{"username","password":"&lt;bcrypt&gt;","permissions":"*"|"read"|[...]}],
/// "default":{"permissions":"read"}, "sessionExpiryTime":604800}</c>. FlowEngine adds, per user, <c>role</c>
/// (admin, operator, viewer; used when <c>permissions</c> is absent, added to them otherwise) and <c>totp</c> (a
/// base32 TOTP secret: the user must then send a current code as <c>totp</c> when asking for a token).
/// Node-RED's function forms (users, authenticate, tokens) cannot be written in JSON and are not supported;
/// adminAuth.type "strategy" is refused at start.
/// </summary>
internal sealed class AdminAuthSettings
{
    public const double DefaultSessionExpirySeconds = 604800;

    private AdminAuthSettings(IReadOnlyDictionary<string, AdminUser> users, IReadOnlyList<string>? defaultPermissions, double sessionExpirySeconds)
    {
        Users = users;
        DefaultPermissions = defaultPermissions;
        SessionExpirySeconds = sessionExpirySeconds;
    }

    public IReadOnlyDictionary<string, AdminUser> Users { get; }
    /// <summary>What a caller without a token may do (adminAuth.default.permissions); null: nothing.</summary>
    public IReadOnlyList<string>? DefaultPermissions { get; }
    public double SessionExpirySeconds { get; }
    public bool AnyTotp => Users.Values.Any(u => u.TotpSecret is not null);

    /// <summary>Null when settings have no adminAuth (the admin API is open).</summary>
    public static AdminAuthSettings? From(JsObject settings)
    {
        if (settings.Get("adminAuth") is not { } raw) return null;
        if (raw is not JsObject auth) throw new SettingsException("adminAuth must be an object like {\"type\":\"credentials\",\"users\":[...]}");
        var type = auth.Get("type") as string ?? "credentials";
        if (type != "credentials") throw new SettingsException($"adminAuth.type \"{type}\" is not supported: use \"credentials\"");
        var users = new Dictionary<string, AdminUser>(StringComparer.Ordinal);
        if (auth.Get("users") is { } rawUsers)
        {
            if (rawUsers is not List<object?> list) throw new SettingsException("adminAuth.users must be an array of {username, password, permissions}");
            for (var i = 0; i < list.Count; i++)
            {
                var user = ParseUser(list[i], i);
                if (!users.TryAdd(user.Username, user)) throw new SettingsException($"adminAuth.users has two users named {user.Username}");
            }
        }
        IReadOnlyList<string>? defaults = null;
        if (auth.Get("default") is JsObject anonymous) defaults = ParsePermissions(anonymous.Get("permissions"), "adminAuth.default.permissions");
        var expiry = DefaultSessionExpirySeconds;
        if (auth.Get("sessionExpiryTime") is { } rawExpiry)
        {
            if (rawExpiry is not double seconds || seconds <= 0) throw new SettingsException("adminAuth.sessionExpiryTime must be a number of seconds above 0");
            expiry = seconds;
        }
        return new AdminAuthSettings(users, defaults, expiry);
    }

    private static AdminUser ParseUser(object? raw, int index)
    {
        var where = $"adminAuth.users[{index}]";
        if (raw is not JsObject user) throw new SettingsException($"{where} must be an object");
        if (user.Get("username") is not string { Length: > 0 } name) throw new SettingsException($"{where}.username must be text");
        if (user.Get("password") is not string hash || !hash.StartsWith("$2", StringComparison.Ordinal))
        {
            throw new SettingsException($"{where}.password must be a bcrypt hash ($2a$/$2b$...): make one with `flowengine hash-pw`");
        }
        var role = user.Get("role") as string;
        List<string> permissions = [];
        if (role is not null)
        {
            permissions.AddRange(Permissions.ForRole(role)
                ?? throw new SettingsException($"{where}.role \"{role}\" is unknown: use admin, operator or viewer"));
        }
        if (user.Get("permissions") is { } rawPermissions) permissions.AddRange(ParsePermissions(rawPermissions, where + ".permissions"));
        var totp = user.Get("totp") as string;
        if (totp is not null)
        {
            try
            {
                _ = OtpNet.Base32Encoding.ToBytes(totp);
            }
            catch (ArgumentException)
            {
                throw new SettingsException($"{where}.totp must be a base32 secret");
            }
        }
        return new AdminUser(name, hash, permissions, role, string.IsNullOrEmpty(totp) ? null : totp);
    }

    private static List<string> ParsePermissions(object? raw, string where) => raw switch
    {
        string s => [s],
        List<object?> list when list.All(p => p is string) => list.Cast<string>().ToList(),
        _ => throw new SettingsException($"{where} must be \"*\", \"read\" or an array of permission names"),
    };
}
