using FlowEngine.Core.Values;

namespace FlowEngine.Core.Settings;

/// <summary>
/// Runtime settings with Node-RED's key names (settings.js keys, written as JSON). Unknown keys are kept in
/// <see cref="Raw"/> for node types and the host to read.
/// </summary>
public sealed class RuntimeSettings
{
    public RuntimeSettings() : this(new JsObject()) { }

    public RuntimeSettings(JsObject raw)
    {
        Raw = raw;
        UserDir = raw.Get("userDir") as string ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".flowengine");
        FlowFile = raw.Get("flowFile") as string ?? "flows.json";
        FlowFilePretty = raw.Get("flowFilePretty") as bool? ?? true;
        UiPort = (int)(raw.Get("uiPort") as double? ?? 1880);
        UiHost = raw.Get("uiHost") as string ?? "127.0.0.1";
        ContextStorage = raw.Get("contextStorage") as JsObject;
        FunctionGlobalContext = raw.Get("functionGlobalContext") as JsObject;
        FunctionTimeoutSeconds = raw.Get("functionTimeout") as double? ?? 1;
        DebugMaxLength = (int)(raw.Get("debugMaxLength") as double? ?? 1000);
        DebugStatusLength = (int)(raw.Get("debugStatusLength") as double? ?? 32);
        NodeMessageBufferMaxLength = (int)(raw.Get("nodeMessageBufferMaxLength") as double? ?? 0);
        NodeCloseTimeout = TimeSpan.FromMilliseconds(raw.Get("nodeCloseTimeout") as double? ?? 15000);
        CredentialSecret = raw.Get("credentialSecret");
        RuntimeSyncDelivery = raw.Get("runtimeSyncDelivery") as bool? ?? false;
    }

    public JsObject Raw { get; }
    public string UserDir { get; set; }
    public string FlowFile { get; set; }
    public bool FlowFilePretty { get; set; }
    public int UiPort { get; set; }
    public string UiHost { get; set; }
    public JsObject? ContextStorage { get; set; }
    public JsObject? FunctionGlobalContext { get; set; }
    /// <summary>
    /// Default time limit of a function node call, in seconds. Node-RED's default is no limit (0); ours is 1 s because
    /// a script that loops forever must not take a core away from every other flow.
    /// </summary>
    public double FunctionTimeoutSeconds { get; set; }
    public int DebugMaxLength { get; set; }
    public int DebugStatusLength { get; set; }
    /// <summary>Cap on messages buffered by delay, join, sort, batch and switch; 0 = unbounded (Node-RED's default).</summary>
    public int NodeMessageBufferMaxLength { get; set; }
    public TimeSpan NodeCloseTimeout { get; set; }
    /// <summary>settings.credentialSecret: a string, false (plain text), or null (generated and kept in the user dir).</summary>
    public object? CredentialSecret { get; set; }
    public bool RuntimeSyncDelivery { get; set; }

    public string FlowFilePath => Path.IsPathRooted(FlowFile) ? FlowFile : Path.Combine(UserDir, FlowFile);

    public string CredentialsFilePath
    {
        get
        {
            var path = FlowFilePath;
            var ext = Path.GetExtension(path);
            return Path.Combine(Path.GetDirectoryName(path) ?? ".", Path.GetFileNameWithoutExtension(path) + "_cred" + ext);
        }
    }

    public T? Get<T>(string key) => Raw.Get(key) is T value ? value : default;
}
