using FlowEngine.Core.Nodes;
using FlowEngine.Core.Values;

namespace FlowEngine.Nodes.Common.Storage;

/// <summary>Node-RED's watch node: sends a message when a watched file or directory changes.</summary>
internal sealed class WatchNode : FlowNode
{
    public static readonly NodeDeclaration Declaration = new("watch")
    {
        Category = "storage",
        Color = "BurlyWood",
        Icon = "watch.svg",
        Inputs = 0,
        Outputs = 1,
        Module = "node-red",
        Set = "node-red/watch",
        DefaultLabel = "watch",
        Help = """
            Watches files and directories. **files**: comma-separated paths (a directory reports changes of the files
            in it); **recursive**: include subdirectories. Paths must be under the directories of settings
            `fileNodeAllowedDirectories` (default: the user directory).

            Output: `payload` and `filename` the full path of what changed, `topic` the watched paths, `file` its
            base name, `event` `update` (created, changed, renamed to) or `remove` (deleted, renamed from), `type`
            `file`, `directory` or `none` (gone), and `size` for files.
            """,
        Properties =
        [
            new PropertyDeclaration("name", PropertyKind.String) { Default = "" },
            new PropertyDeclaration("files", PropertyKind.String) { Default = "", Required = true },
            new PropertyDeclaration("recursive", PropertyKind.Bool) { Default = false },
        ],
    };

    private readonly List<string> _paths;
    private readonly bool _recursive;
    private readonly FileAccessPolicy _policy;
    private readonly List<FileSystemWatcher> _watchers = [];

    public WatchNode(NodeSetup setup) : base(setup)
    {
        _paths = Config.GetString("files").Split(',').Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
        if (_paths.Count == 0) throw Config.Invalid("files", "at least one path is required");
        _recursive = Config.GetBool("recursive", false);
        _policy = FileAccessPolicy.From(Services.Settings);
    }

    protected override ValueTask OnStartAsync(CancellationToken cancellationToken)
    {
        var topic = string.Join(",", _paths);
        foreach (var name in _paths)
        {
            string full;
            try
            {
                full = _policy.Resolve(name);
            }
            catch (FileAccessException ex)
            {
                SetStatus(NodeStatus.Error("refused"));
                ReportError(ex.Message);
                continue;
            }
            FileSystemWatcher watcher;
            if (Directory.Exists(full))
            {
                watcher = new FileSystemWatcher(full) { IncludeSubdirectories = _recursive };
            }
            else if (Path.GetDirectoryName(full) is { } parent && Directory.Exists(parent))
            {
                watcher = new FileSystemWatcher(parent, Path.GetFileName(full));
            }
            else
            {
                SetStatus(NodeStatus.Error("not found"));
                ReportError($"Error: ENOENT: no such file or directory, watch '{full}'");
                continue;
            }
            watcher.NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size;
            watcher.Created += (_, e) => Emit(e.FullPath, "update", topic);
            watcher.Changed += (_, e) => Emit(e.FullPath, "update", topic);
            watcher.Deleted += (_, e) => Emit(e.FullPath, "remove", topic);
            watcher.Renamed += (_, e) =>
            {
                Emit(e.OldFullPath, "remove", topic);
                Emit(e.FullPath, "update", topic);
            };
            watcher.Error += (_, e) => Post(() =>
            {
                SetStatus(NodeStatus.Error("error"));
                ReportError($"watch: {e.GetException().Message}");
                return ValueTask.CompletedTask;
            });
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        return ValueTask.CompletedTask;
    }

    protected override ValueTask OnCloseAsync(bool removed, CancellationToken cancellationToken)
    {
        foreach (var watcher in _watchers) watcher.Dispose();
        _watchers.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs on the watcher's thread: describes the path now and hands the message to the mailbox.</summary>
    private void Emit(string path, string eventName, string topic)
    {
        var msg = new JsObject
        {
            ["payload"] = path,
            ["topic"] = topic,
            ["file"] = Path.GetFileName(path),
            ["filename"] = path,
            ["event"] = eventName,
        };
        if (File.Exists(path))
        {
            msg["type"] = "file";
            try
            {
                msg["size"] = (double)new FileInfo(path).Length;
            }
            catch (IOException)
            {
                // Gone between the check and the stat: the type says enough.
            }
        }
        else
        {
            msg["type"] = Directory.Exists(path) ? "directory" : "none";
        }
        Post(() =>
        {
            Send(msg);
            return ValueTask.CompletedTask;
        });
    }
}
