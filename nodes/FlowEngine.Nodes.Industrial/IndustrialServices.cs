using System.Collections.Concurrent;
using FlowEngine.Nodes.Industrial.Alarm;
using FlowEngine.Nodes.Industrial.Enrich;
using FlowEngine.Nodes.Industrial.Storage;

namespace FlowEngine.Nodes.Industrial;

/// <summary>
/// What the industrial nodes of one runtime share with each other and with the host: the alarm store, the asset
/// table and the current value tables. One instance per runtime, passed to
/// <see cref="IndustrialNodes.Register(FlowEngine.Core.Nodes.NodeRegistry, IndustrialServices)"/>; the host keeps the
/// same instance to serve its HTTP endpoints, and disposes it after the runtime has stopped.
/// </summary>
public sealed class IndustrialServices : IDisposable
{
    private readonly ConcurrentDictionary<string, CurrentValueTable> _tables = new(StringComparer.Ordinal);
    private readonly AlarmStore _alarms;
    private readonly AssetStore _assets;

    /// <summary>Services whose database is <c>userDir/industrial.db</c> of the runtime whose nodes first use it.</summary>
    public IndustrialServices() : this(null) { }

    /// <param name="databasePath">The LiteDB file (the host passes <c>Path.Combine(settings.UserDir, "industrial.db")</c>); null to take it from the first node's runtime settings.</param>
    /// <param name="timeProvider">Clock for API command time-outs; the system clock by default.</param>
    /// <param name="alarmHistoryLimit">Alarm history entries kept; older ones are deleted.</param>
    public IndustrialServices(string? databasePath, TimeProvider? timeProvider = null, int alarmHistoryLimit = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(alarmHistoryLimit, 1);
        Database = new IndustrialDatabase(databasePath);
        _alarms = new AlarmStore(Database, timeProvider ?? TimeProvider.System, alarmHistoryLimit);
        _assets = new AssetStore(Database);
    }

    /// <summary>The name of the database file in the user directory.</summary>
    public const string DatabaseFileName = IndustrialDatabase.FileName;

    internal IndustrialDatabase Database { get; }
    internal AlarmStore AlarmStore => _alarms;
    internal AssetStore AssetStore => _assets;

    /// <summary>Active alarms, history and operator commands across every alarm node.</summary>
    public IAlarmStore Alarms => _alarms;

    /// <summary>The asset table that enrich nodes with source "store" read.</summary>
    public IAssetTable Assets => _assets;

    /// <summary>A current value table by name ("default" unless a cvt node names another); created on first use.</summary>
    public CurrentValueTable CurrentValues(string table = CurrentValueTables.DefaultName) =>
        _tables.GetOrAdd(table, static name => new CurrentValueTable(name));

    /// <summary>Names of the current value tables that exist.</summary>
    public IReadOnlyCollection<string> CurrentValueTableNames => _tables.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>Writes pending alarm changes and closes the database. Call after the runtime has stopped.</summary>
    public void Dispose()
    {
        _alarms.Dispose();
        _alarms.Flush();
        Database.Dispose();
    }
}

public static class CurrentValueTables
{
    public const string DefaultName = "default";
}
