using System.Collections.Concurrent;
using System.Threading.Channels;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial;

namespace FlowEngine.Nodes.Hmi;

/// <summary>
/// What the HMI nodes of one runtime share with the page endpoints: the running pages, groups, theme and widgets,
/// each widget's last state (replayed to a page that connects), and the stream of updates to push to open pages.
/// One instance per server (the host's NodeFamilies owns it).
/// </summary>
public sealed class HmiServices : IDisposable
{
    /// <summary>
    /// Updates waiting for the page pump. Bounded so a flood of messages while no page drains them cannot grow memory
    /// without limit; the oldest are dropped first, and a page that misses one still converges because every widget's
    /// state is replayed on reconnect (and "state" updates carry the whole state).
    /// </summary>
    public const int UpdateQueueCapacity = 10_000;

    private readonly ConcurrentDictionary<string, HmiConfigNode> _config = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HmiWidgetNode> _widgets = new(StringComparer.Ordinal);
    private readonly Channel<JsObject> _updates = Channel.CreateBounded<JsObject>(new BoundedChannelOptions(UpdateQueueCapacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });
    private long _sequence;

    public HmiServices(TimeProvider? clock = null, IAlarmStore? alarms = null)
    {
        Clock = clock ?? TimeProvider.System;
        Alarms = alarms;
    }

    public TimeProvider Clock { get; }

    /// <summary>The alarm store the alarm list widgets show (null: alarm lists stay empty and say so).</summary>
    public IAlarmStore? Alarms { get; }

    /// <summary>Orders updates: a page applies an update to a widget only when it is newer than the state it holds.</summary>
    internal long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>The updates for open pages, in order; one reader (the page pump).</summary>
    public ChannelReader<JsObject> Updates => _updates.Reader;

    internal void Enqueue(JsObject update) => _updates.Writer.TryWrite(update);

    internal void Add(HmiConfigNode node)
    {
        _config[node.Id] = node;
        LayoutChanged();
    }

    internal void Remove(HmiConfigNode node)
    {
        if (_config.TryGetValue(node.Id, out var current) && ReferenceEquals(current, node)) _config.TryRemove(node.Id, out _);
        LayoutChanged();
    }

    internal void Add(HmiWidgetNode widget)
    {
        _widgets[widget.Id] = widget;
        LayoutChanged();
    }

    internal void Remove(HmiWidgetNode widget)
    {
        // A redeploy starts the replacement before or after the old one closes: only remove the instance that is ours.
        if (_widgets.TryGetValue(widget.Id, out var current) && ReferenceEquals(current, widget)) _widgets.TryRemove(widget.Id, out _);
        LayoutChanged();
    }

    internal HmiWidgetNode? Widget(string id) => _widgets.GetValueOrDefault(id);

    internal IEnumerable<HmiWidgetNode> Widgets => _widgets.Values;

    /// <summary>A toast or a dialog for every open page (notification widgets).</summary>
    internal void Notify(JsObject notification)
    {
        notification["kind"] = "notify";
        notification["seq"] = (double)NextSequence();
        Enqueue(notification);
    }

    private void LayoutChanged() => Enqueue(new JsObject { ["kind"] = "layout", ["seq"] = (double)NextSequence() });

    /// <summary>
    /// Everything a page draws: theme, pages with their groups and widgets (sorted by order, then name), and each
    /// widget's state. <paramref name="canWrite"/> and <paramref name="canAcknowledge"/> are the caller's rights;
    /// widgets are drawn disabled without them (the server refuses the actions anyway).
    /// </summary>
    public JsObject Snapshot(string? user, bool canWrite, bool canAcknowledge)
    {
        var pages = _config.Values.OfType<HmiPageNode>().ToList();
        var groups = _config.Values.OfType<HmiGroupNode>().ToList();
        var theme = _config.Values.OfType<HmiThemeNode>().OrderBy(t => t.Id, StringComparer.Ordinal).FirstOrDefault();
        var widgets = _widgets.Values.ToList();

        var pageList = new List<object?>();
        foreach (var page in pages.OrderBy(p => p.Order).ThenBy(p => p.Title, StringComparer.Ordinal))
        {
            var groupList = new List<object?>();
            foreach (var group in groups.Where(g => g.PageId == page.Id).OrderBy(g => g.Order).ThenBy(g => g.Title, StringComparer.Ordinal))
            {
                var widgetList = widgets.Where(w => w.GroupId == group.Id)
                    .OrderBy(w => w.Order).ThenBy(w => w.Label, StringComparer.Ordinal)
                    .Select(w => (object?)w.Describe()).ToList();
                groupList.Add(new JsObject
                {
                    ["id"] = group.Id,
                    ["title"] = group.Title,
                    ["width"] = (double)group.Width,
                    ["widgets"] = widgetList,
                });
            }
            pageList.Add(new JsObject { ["id"] = page.Id, ["title"] = page.Title, ["icon"] = page.Icon, ["groups"] = groupList });
        }
        var unplaced = widgets.Where(w => w.GroupId is null || !groups.Any(g => g.Id == w.GroupId && pages.Any(p => p.Id == g.PageId))).ToList();
        return new JsObject
        {
            ["user"] = user,
            ["canWrite"] = canWrite,
            ["canAcknowledge"] = canAcknowledge,
            ["theme"] = theme?.Describe() ?? HmiThemeNode.DefaultTheme(),
            ["pages"] = pageList,
            // Widgets without a group on a page are not drawn; the count tells whoever wonders why a widget is missing.
            ["unplaced"] = (double)unplaced.Count,
        };
    }

    private readonly CancellationTokenSource _stopping = new();
    private Task? _pump;

    /// <summary>Whether a live hub feeds pages (false when the host runs without SignalR).</summary>
    public bool HubAvailable => _pump is not null;

    internal void StartPump(Web.HmiPump pump) => _pump ??= Task.Run(() => pump.RunAsync(_stopping.Token));

    public void Dispose()
    {
        _updates.Writer.TryComplete();
        _stopping.Cancel();
        // The pump ends at its next await; it only logs, so there is nothing to wait for.
        _stopping.Dispose();
    }
}
