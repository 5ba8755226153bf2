using System.Security.Cryptography;
using System.Text;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;

namespace FlowEngine.Core.Storage;

/// <summary>What was read from disk at start.</summary>
public sealed record FlowLoadResult(FlowConfiguration Configuration, JsObject Credentials, string? Error);

/// <summary>Where flows and credentials live. The file implementation writes Node-RED's files.</summary>
public interface IFlowStorage
{
    Task<FlowLoadResult> LoadAsync(CancellationToken cancellationToken);
    Task SaveAsync(FlowConfiguration configuration, JsObject credentials, CancellationToken cancellationToken);
}

/// <summary>
/// flows.json (pretty, 4 spaces, original key order) and flows_cred.json (encrypted as Node-RED does) in the user
/// directory. Writes go to a temporary file that is flushed and renamed over the old one, after a backup copy.
/// </summary>
public sealed class FileFlowStorage(RuntimeSettings settings) : IFlowStorage
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string FlowFilePath => settings.FlowFilePath;
    public string CredentialsFilePath => settings.CredentialsFilePath;

    public async Task<FlowLoadResult> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(FlowFilePath))
        {
            return new FlowLoadResult(FlowConfiguration.Empty, new JsObject(), null);
        }
        var text = await File.ReadAllTextAsync(FlowFilePath, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return new FlowLoadResult(FlowConfiguration.Empty, new JsObject(), null);
        }
        FlowConfiguration config;
        try
        {
            config = FlowConfiguration.FromJson(JsJson.Parse(text));
        }
        catch (JsJsonException ex)
        {
            return new FlowLoadResult(FlowConfiguration.Empty, new JsObject(),
                $"{FlowFilePath} is not valid JSON: {ex.Reason} at line {ex.Line}, column {ex.Column}. Starting with no flows; the file is left as it is.");
        }
        catch (FlowValidationException ex)
        {
            return new FlowLoadResult(FlowConfiguration.Empty, new JsObject(),
                $"{FlowFilePath} is not a valid flow file: {ex.Message}. Starting with no flows; the file is left as it is.");
        }
        var credentials = new JsObject();
        string? error = null;
        if (File.Exists(CredentialsFilePath))
        {
            try
            {
                var raw = JsJson.Parse(await File.ReadAllTextAsync(CredentialsFilePath, cancellationToken).ConfigureAwait(false)) as JsObject ?? new JsObject();
                credentials = raw.ContainsKey("$") ? CredentialCipher.Decrypt(raw, await SecretAsync(cancellationToken).ConfigureAwait(false) ?? "") : raw;
            }
            catch (Exception ex) when (ex is CryptographicException or JsJsonException or FormatException)
            {
                error = $"credentials_load_failed: {CredentialsFilePath}: {ex.Message}. Flows start with empty credentials.";
            }
        }
        return new FlowLoadResult(config, credentials, error);
    }

    public async Task SaveAsync(FlowConfiguration configuration, JsObject credentials, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(FlowFilePath))!);
            await WriteAtomicallyAsync(FlowFilePath, JsJson.Serialize(configuration.ToJson(), settings.FlowFilePretty), cancellationToken).ConfigureAwait(false);
            var secret = await SecretAsync(cancellationToken).ConfigureAwait(false);
            var stored = secret is null ? credentials : CredentialCipher.Encrypt(credentials, secret);
            if (credentials.Count > 0 || File.Exists(CredentialsFilePath))
            {
                await WriteAtomicallyAsync(CredentialsFilePath, JsJson.Serialize(stored, settings.FlowFilePretty), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>settings.credentialSecret; false means plain text; unset means a generated secret kept in .config.runtime.json.</summary>
    private async Task<string?> SecretAsync(CancellationToken cancellationToken)
    {
        switch (settings.CredentialSecret)
        {
            case string s when s.Length > 0:
                return s;
            case false:
                return null;
        }
        var runtimeConfig = Path.Combine(settings.UserDir, ".config.runtime.json");
        JsObject state = new();
        if (File.Exists(runtimeConfig))
        {
            try
            {
                state = JsJson.Parse(await File.ReadAllTextAsync(runtimeConfig, cancellationToken).ConfigureAwait(false)) as JsObject ?? new JsObject();
            }
            catch (JsJsonException)
            {
                state = new JsObject();
            }
        }
        if (state.Get("_credentialSecret") is string existing) return existing;
        var generated = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        state["_credentialSecret"] = generated;
        Directory.CreateDirectory(settings.UserDir);
        await WriteAtomicallyAsync(runtimeConfig, JsJson.Serialize(state, true), cancellationToken).ConfigureAwait(false);
        return generated;
    }

    private static async Task WriteAtomicallyAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        if (File.Exists(path))
        {
            var backup = Path.Combine(Path.GetDirectoryName(path) ?? ".", "." + Path.GetFileName(path) + ".backup");
            File.Copy(path, backup, overwrite: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
