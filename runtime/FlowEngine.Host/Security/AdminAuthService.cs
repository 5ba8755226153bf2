using FlowEngine.Core.Runtime;
using System.Security.Cryptography;
using FlowEngine.Core.Values;
using FlowEngine.Host.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Security;

/// <summary>Who is calling: a logged-in user, or the anonymous caller with adminAuth.default permissions.</summary>
internal sealed record AuthUser(string Username, IReadOnlyList<string> Permissions, bool Anonymous, string? Token = null)
{
    public const string ItemKey = "FlowEngine.User";

    public bool Has(string permission) => Security.Permissions.Has(Permissions, permission);
}

/// <summary>The answer to a token request: a token, or Node-RED's invalid_grant refusal.</summary>
internal sealed record TokenGrant(string? AccessToken, double ExpiresIn, string? Refusal);

/// <summary>
/// adminAuth at run time: password (bcrypt) and TOTP checks, bearer tokens with expiry and revoke, and the
/// brute-force guard (5 failures for one username within 10 minutes lock it for the rest of the window; from the
/// third failure each answer is slowed down). Sessions persist in &lt;userDir&gt;/.sessions.json in Node-RED's shape.
/// </summary>
internal sealed partial class AdminAuthService
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly string _sessionsFile;
    private readonly TimeProvider _clock;
    private readonly IAuditLog _audit;
    private readonly ILogger _logger;

    public AdminAuthService(AdminAuthSettings settings, string userDir, TimeProvider clock, IAuditLog audit, ILogger logger)
    {
        Settings = settings;
        _sessionsFile = Path.Combine(userDir, ".sessions.json");
        _clock = clock;
        _audit = audit;
        _logger = logger;
        Load();
    }

    public AdminAuthSettings Settings { get; }

    /// <summary>Slow-down per failure from the third one on; tests may shorten it.</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The caller of a request: bearer token (Authorization header, or access_token query for the comms websocket), else anonymous.</summary>
    public AuthUser? Authenticate(HttpContext context)
    {
        var token = BearerToken(context);
        if (token is not null)
        {
            var session = Find(token);
            // A token that is not (or no longer) valid is refused even when anonymous access exists: the client must know.
            return session is null ? null : new AuthUser(session.User, session.Scope, Anonymous: false, token);
        }
        return Settings.DefaultPermissions is { } permissions ? new AuthUser("anonymous", permissions, Anonymous: true) : null;
    }

    public static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        var query = context.Request.Query["access_token"].ToString();
        return query.Length > 0 ? query : null;
    }

    /// <summary>POST /auth/token: OAuth2 password grant with an optional TOTP code.</summary>
    public async Task<TokenGrant> GrantAsync(string? username, string? password, string? totp, string? scope, string? client, CancellationToken cancellationToken)
    {
        username ??= "";
        if (IsLocked(username))
        {
            Refused(username, "locked");
            return new TokenGrant(null, 0, "Too many failed logins: try again later");
        }
        var user = Settings.Users.GetValueOrDefault(username);
        var reason = user is null ? "unknown user"
            : !Verify(password ?? "", user.PasswordHash) ? "wrong password"
            : user.TotpSecret is { } secret && !VerifyTotp(secret, totp) ? (string.IsNullOrEmpty(totp) ? "totp missing" : "wrong totp")
            : null;
        IReadOnlyList<string> granted = user?.Permissions ?? [];
        if (reason is null && !string.IsNullOrEmpty(scope) && scope != "")
        {
            var requested = scope.Split(' ', ',').Where(s => s.Length > 0).ToList();
            if (!Permissions.Within(user!.Permissions, requested)) reason = "scope too wide";
            else granted = requested;
        }
        if (reason is not null)
        {
            var failures = Fail(username);
            Refused(username, reason);
            if (failures > 2) await Task.Delay(FailureDelay * (failures - 2), _clock, cancellationToken).ConfigureAwait(false);
            return new TokenGrant(null, 0, "Invalid resource owner credentials");
        }
        lock (_gate) _failures.Remove(username);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(128));
        var expires = _clock.GetUtcNow() + TimeSpan.FromSeconds(Settings.SessionExpirySeconds);
        lock (_gate)
        {
            _sessions[token] = new Session(username, client ?? "node-red-editor", granted, expires);
            Save();
        }
        _audit.Record("auth.login", username, new JsObject { ["result"] = "success", ["client"] = client ?? "node-red-editor" });
        LogLogin(_logger, username);
        return new TokenGrant(token, Settings.SessionExpirySeconds, null);
    }

    /// <summary>POST /auth/revoke: the token stops working at once.</summary>
    public bool Revoke(string token, string? by)
    {
        bool removed;
        lock (_gate)
        {
            removed = _sessions.Remove(token, out var session);
            if (removed) Save();
            by ??= session?.User;
        }
        if (removed)
        {
            _audit.Record("auth.revoke", by);
            TokenRevoked?.Invoke(token);
        }
        return removed;
    }

    /// <summary>Raised after a token was revoked, so live connections opened with it can be closed.</summary>
    public event Action<string>? TokenRevoked;

    /// <summary>When the token stops working; null when it is not (or no longer) valid.</summary>
    public DateTimeOffset? TokenExpiry(string token) => Find(token)?.Expires;

    public bool IsLocked(string username)
    {
        lock (_gate) return CountRecent(username) >= MaxFailures;
    }

    private int Fail(string username)
    {
        lock (_gate)
        {
            if (!_failures.TryGetValue(username, out var list)) _failures[username] = list = [];
            list.Add(_clock.GetUtcNow());
            return CountRecent(username);
        }
    }

    private int CountRecent(string username)
    {
        if (!_failures.TryGetValue(username, out var list)) return 0;
        var since = _clock.GetUtcNow() - FailureWindow;
        list.RemoveAll(t => t < since);
        return list.Count;
    }

    private void Refused(string username, string reason)
    {
        _audit.Record("auth.login", username, new JsObject { ["result"] = "failure", ["reason"] = reason });
        LogLoginFailed(_logger, username, reason);
    }

    private static bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    private bool VerifyTotp(string secret, string? code)
    {
        if (string.IsNullOrWhiteSpace(code)) return false;
        var totp = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(secret), timeCorrection: new OtpNet.TimeCorrection(_clock.GetUtcNow().UtcDateTime));
        return totp.VerifyTotp(code.Trim(), out _, OtpNet.VerificationWindow.RfcSpecifiedNetworkDelay);
    }

    private Session? Find(string token)
    {
        lock (_gate)
        {
            if (!_sessions.TryGetValue(token, out var session)) return null;
            if (session.Expires > _clock.GetUtcNow()) return session;
            _sessions.Remove(token);
            Save();
            return null;
        }
    }

    private void Load()
    {
        if (!File.Exists(_sessionsFile)) return;
        try
        {
            if (JsJson.Parse(File.ReadAllText(_sessionsFile)) is not JsObject stored) return;
            foreach (var (token, value) in stored)
            {
                if (value is not JsObject s || s.Get("user") is not string user || s.Get("expires") is not double expires) continue;
                var scope = s.Get("scope") is List<object?> list ? list.OfType<string>().ToList() : [];
                // A user removed from settings loses its sessions.
                if (!Settings.Users.ContainsKey(user)) continue;
                _sessions[token] = new Session(user, s.Get("client") as string ?? "node-red-editor", scope, DateTimeOffset.FromUnixTimeMilliseconds((long)expires));
            }
        }
        catch (Exception ex) when (ex is IOException or JsJsonException or UnauthorizedAccessException)
        {
            LogSessionsUnreadable(_logger, _sessionsFile, ex.Message);
        }
    }

    /// <summary>Called under the gate.</summary>
    private void Save()
    {
        var stored = new JsObject();
        foreach (var (token, s) in _sessions)
        {
            stored[token] = new JsObject
            {
                ["user"] = s.User,
                ["client"] = s.Client,
                ["scope"] = s.Scope.Cast<object?>().ToList(),
                ["accessToken"] = token,
                ["expires"] = (double)s.Expires.ToUnixTimeMilliseconds(),
            };
        }
        try
        {
            var temp = _sessionsFile + ".tmp";
            File.WriteAllText(temp, JsJson.Serialize(stored));
            File.Move(temp, _sessionsFile, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Sessions still work in memory; they will not survive a restart.
            LogSessionsUnwritable(_logger, _sessionsFile, ex.Message);
        }
    }

    private sealed record Session(string User, string Client, IReadOnlyList<string> Scope, DateTimeOffset Expires);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "User {User} logged in")]
    private static partial void LogLogin(ILogger logger, string user);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Login refused for user '{User}': {Reason}")]
    private static partial void LogLoginFailed(ILogger logger, string user, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Sessions file {File} cannot be read ({Reason}); everyone must log in again")]
    private static partial void LogSessionsUnreadable(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Sessions file {File} cannot be written: {Reason}")]
    private static partial void LogSessionsUnwritable(ILogger logger, string file, string reason);
}
