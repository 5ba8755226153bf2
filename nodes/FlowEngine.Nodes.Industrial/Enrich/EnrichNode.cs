using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Common;

namespace FlowEngine.Nodes.Industrial.Enrich;

/// <summary>Adds asset context to messages by tag and builds unified-namespace topics; unknown tags go to output 2.</summary>
internal sealed class EnrichNode : IndustrialNode
{
    public static readonly NodeDeclaration Declaration = new("enrich")
    {
        Category = "industrial",
        Color = "#C0DEED",
        Icon = "join.svg",
        PaletteLabel = "enrich",
        Inputs = 1,
        Outputs = 2,
        OutputLabels = ["known tags, enriched", "unknown tags"],
        DefaultLabel = "enrich",
        Help = """
            Looks up the tag of each message (**tagProperty**, `topic`) in an asset table and adds what it finds.

            ### The table (**source**)
            * `json`: **assets** holds a list of records `[{tag, site, area, ...}]` or an object keyed by tag
              `{"TT-101": {site, ...}}`.
            * `csv`: **csv** holds CSV text with a header row that has a `tag` column. Columns `lolo`, `lo`, `hi`,
              `hihi`, `min`, `max` (or `limits.hi` ...) become numbers in `limits`; a header with a dot
              (`location.room`) makes a nested field; other cells are strings; empty cells are left out.
            * `file`: **file** is a `.csv` file or a JSON file (any other extension), relative to the user
              directory unless absolute; read when the node starts and again on `msg.reload`.
            * `store`: the runtime's asset table in LiteDB (`industrial.db`), managed through the admin API; changes
              apply to the next message.

            A record: `{tag, enterprise, site, area, line, cell, asset, unit, description, camera,
            limits: {lolo, lo, hi, hihi, min, max}, ...any other field}`. A table that does not parse, a tag listed
            twice or a limit that is not a number is refused at deploy (file: reported when read).

            ### Output 1 (known tags)
            **target** (`msg.asset`) is set to a copy of the record, tag included. With a **topicPattern** such as
            `{enterprise}/{site}/{area}/{line}/{cell}/{tag}` (ISA-95 levels of a unified namespace), **topicTarget**
            (`msg.topic`) is set to it: placeholders name record fields (dotted paths allowed) or `tag`;
            `enterprise` falls back to the node's **enterprise** when the record has none; levels without a value
            are left out with their '/', and `+` and `#` in values become `_`.

            ### Output 2 (unknown tags)
            The message unchanged.

            ### State
            None besides the table: a redeploy that changes the node reads it again.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String),
            new PropertyDeclaration("tagProperty", PropertyKind.String) { Default = "topic", Label = "Tag" },
            new PropertyDeclaration("source", PropertyKind.Select) { Default = "json", Options = ["json", "csv", "file", "store"], Label = "Table from" },
            new PropertyDeclaration("assets", PropertyKind.Json) { Default = "[]", Label = "Assets (JSON)" },
            new PropertyDeclaration("csv", PropertyKind.Code) { Default = "", Label = "Assets (CSV)" },
            new PropertyDeclaration("file", PropertyKind.String) { Default = "", Label = "File" },
            new PropertyDeclaration("target", PropertyKind.String) { Default = "asset", Label = "Context to" },
            new PropertyDeclaration("topicPattern", PropertyKind.String) { Default = "", Label = "Topic pattern (empty: keep topic)" },
            new PropertyDeclaration("topicTarget", PropertyKind.String) { Default = "topic", Label = "Topic to" },
            new PropertyDeclaration("enterprise", PropertyKind.String) { Default = "", Label = "Enterprise" },
        ],
    };

    private readonly IndustrialServices _services;
    private readonly string _source;
    private readonly PropertyPath _tagPath;
    private readonly PropertyPath _targetPath;
    private readonly TopicPattern? _pattern;
    private readonly PropertyPath _topicTarget;
    private readonly string? _enterprise;
    private readonly string? _file;
    private Dictionary<string, AssetRecord> _table = new(StringComparer.Ordinal);
    private bool _acquired;
    private long _enriched;
    private long _unknown;
    private string? _loadError;

    public EnrichNode(NodeSetup setup, IndustrialServices services) : base(setup)
    {
        _services = services;
        _tagPath = MessageValues.Path(Config, "tagProperty", "topic");
        _targetPath = MessageValues.Path(Config, "target", "asset");
        _topicTarget = MessageValues.Path(Config, "topicTarget", "topic");
        _enterprise = Config.GetString("enterprise", "").Trim() is { Length: > 0 } e ? e : null;
        var pattern = Config.GetString("topicPattern", "").Trim();
        if (pattern.Length > 0)
        {
            try
            {
                _pattern = new TopicPattern(pattern);
            }
            catch (AssetTableException ex)
            {
                throw Config.Invalid("topicPattern", ex.Message);
            }
        }
        _source = Config.GetString("source", "json") is { Length: > 0 } s ? s : "json";
        switch (_source)
        {
            case "json":
                _table = Load("assets", () => AssetTableSource.FromJson(Config.Get("assets")));
                break;
            case "csv":
                _table = Load("csv", () => AssetTableSource.FromCsv(Config.GetString("csv", "")));
                break;
            case "file":
                var file = Config.GetString("file", "").Trim();
                if (file.Length == 0) throw Config.Invalid("file", "a file name is required when the table comes from a file");
                _file = Path.IsPathRooted(file) ? file : Path.Combine(Services.Settings.UserDir, file);
                break;
            case "store":
                break;
            default:
                throw Config.Invalid("source", $"expected json, csv, file or store, got \"{_source}\"");
        }
    }

    private Dictionary<string, AssetRecord> Load(string property, Func<Dictionary<string, AssetRecord>> read)
    {
        try
        {
            return read();
        }
        catch (AssetTableException ex)
        {
            throw Config.Invalid(property, ex.Message);
        }
    }

    protected override async ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        if (_source == "store")
        {
            _services.Database.Acquire(Services.Settings.UserDir);
            _acquired = true;
        }
        if (_file is not null) await ReadFileAsync(cancellationToken).ConfigureAwait(false);
        StatusChanged();
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        if (_acquired)
        {
            _services.Database.Release();
            _acquired = false;
        }
        return ValueTask.CompletedTask;
    }

    private async Task ReadFileAsync(CancellationToken cancellationToken)
    {
        try
        {
            var text = await File.ReadAllTextAsync(_file!, cancellationToken).ConfigureAwait(false);
            _table = _file!.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? AssetTableSource.FromCsv(text) : AssetTableSource.FromJson(text);
            _loadError = null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or AssetTableException)
        {
            // Keep the previous table: a file being rewritten must not empty a running enrichment.
            _loadError = $"{Path.GetFileName(_file)}: {ex.Message}";
            ReportError($"asset file {_file}: {ex.Message}");
        }
        StatusChanged();
    }

    protected override async ValueTask OnInputAsync(NodeInput input)
    {
        var msg = input.Message;
        if (msg.ContainsKey("reload") && _file is not null)
        {
            await ReadFileAsync(CancellationToken.None).ConfigureAwait(false);
            return;
        }
        var tag = MessageValues.TagOf(_tagPath, msg);
        var record = _source == "store" ? _services.AssetStore.Get(tag) : _table.GetValueOrDefault(tag);
        if (record is null)
        {
            _unknown++;
            StatusChanged();
            Send(1, msg);
            return;
        }
        _targetPath.SetValue(msg, record.ToJson());
        if (_pattern is not null) _topicTarget.SetValue(msg, _pattern.Format(record, name => name == "enterprise" ? _enterprise : null));
        _enriched++;
        StatusChanged();
        Send(0, msg);
    }

    protected override NodeStatus BuildStatus()
    {
        if (_loadError is not null) return NodeStatus.Error(_loadError);
        var size = _source == "store" ? _services.AssetStore.Count : _table.Count;
        return new NodeStatus(_unknown > 0 ? "yellow" : "grey", "dot",
            $"{MessageValues.FormatCount(size)} assets, {MessageValues.FormatCount(_enriched)} enriched, {MessageValues.FormatCount(_unknown)} unknown");
    }
}
