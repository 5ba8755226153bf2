// InfluxBench: write throughput with batching, and memory while spooling, against a real Debian influxd
// (InfluxDB 1.x) started here on free loopback ports. Usage: dotnet run -c Release [-- points=200000 batch=5000 spool=1000000]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowEngine.Nodes.Influx.Protocol;
using FlowEngine.Nodes.Influx.Spool;
using FlowEngine.TestKit.Peers;

var argsMap = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
var points = argsMap.GetValueOrDefault("points", 200_000);
var batch = argsMap.GetValueOrDefault("batch", 5000);
var spoolPoints = argsMap.GetValueOrDefault("spool", 1_000_000);

var work = Directory.CreateTempSubdirectory("influx-bench-").FullName;
await using var influxd = await InfluxPeer.StartAsync();
try
{
    using var http = new HttpClient();
    await influxd.CreateDatabaseAsync("bench");
    using var client = new InfluxClient(new InfluxClientOptions { BaseUri = new Uri(influxd.Url + "/"), Timeout = TimeSpan.FromSeconds(30) });
    var target = new InfluxWriteTarget("bench", null, null, null);

    // 1. Throughput: format points, hand batches to the spooling writer (LiteDB write-ahead + HTTP), until all are confirmed.
    foreach (var round in new[] { 1, 2 })
    {
        var measurement = "tp" + round;
        var spool = new PointSpool(Path.Combine(work, "tp" + round.ToString(CultureInfo.InvariantCulture) + ".db"), 10_000_000, SpoolOverflow.DropOldest);
        var done = new TaskCompletionSource();
        SpoolingWriter? writer = null;
        writer = new SpoolingWriter(client, target, spool, new SpoolingWriterOptions { MaxPointsPerWrite = Math.Max(batch, 5000) },
            () => { if (writer is { } w && w.State.Written >= points) done.TrySetResult(); }, e => Console.Error.WriteLine(e));
        writer.Start();
        var stopwatch = Stopwatch.StartNew();
        var sb = new StringBuilder();
        var count = 0;
        var ts = 1_700_000_000_000_000_000L;
        for (var i = 0; i < points; i++)
        {
            if (count > 0) sb.Append('\n');
            LineProtocol.Append(sb, new LinePoint(measurement, [new("line", "L" + (i % 10)), new("site", "north")],
                [new("v", FieldValue.Of(i * 0.5)), new("n", FieldValue.OfInteger(i)), new("ok", FieldValue.Of(true))], ts + i));
            if (++count == batch)
            {
                writer.Enqueue(count, sb.ToString());
                sb.Clear();
                count = 0;
            }
        }
        if (count > 0) writer.Enqueue(count, sb.ToString());
        var handedOver = stopwatch.Elapsed;
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        stopwatch.Stop();
        await writer.DisposeAsync();
        using var countResponse = await http.GetAsync($"{influxd.Url}/query?db=bench&q=" + Uri.EscapeDataString($"SELECT count(v) FROM {measurement}"));
        var stored = await countResponse.Content.ReadAsStringAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput round {round}: {points} points, batch {batch}: {points / stopwatch.Elapsed.TotalSeconds:N0} points/s confirmed by influxd ({stopwatch.Elapsed.TotalSeconds:0.00} s; handed over in {handedOver.TotalSeconds:0.00} s); server count: {stored}"));
    }

    // 2. Memory while spooling: influxd stopped, push spoolPoints points through the writer, measure heap and RSS.
    await influxd.StopAsync();
    GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
    var heapBefore = GC.GetTotalMemory(true);
    var rssBefore = Process.GetCurrentProcess().WorkingSet64;
    var outageSpool = new PointSpool(Path.Combine(work, "outage.db"), 10_000_000, SpoolOverflow.DropOldest);
    var outageWriter = new SpoolingWriter(client, target, outageSpool,
        new SpoolingWriterOptions { MaxPointsPerWrite = 5000, RetryDelay = TimeSpan.FromMilliseconds(200), RetryMaxDelay = TimeSpan.FromSeconds(1) }, () => { }, _ => { });
    outageWriter.Start();
    var spoolWatch = Stopwatch.StartNew();
    long peakHeap = 0, peakRss = 0;
    var lines = new StringBuilder();
    var ts2 = 1_700_000_000_000_000_000L;
    for (var i = 0; i < spoolPoints; i += 1000)
    {
        lines.Clear();
        for (var j = 0; j < 1000; j++)
        {
            if (j > 0) lines.Append('\n');
            LineProtocol.Append(lines, new LinePoint("outage", [new("line", "L" + (j % 10))], [new("v", FieldValue.Of(j)), new("seq", FieldValue.OfInteger(i + j))], ts2 + i + j));
        }
        outageWriter.Enqueue(1000, lines.ToString());
        if (i % 50_000 == 0)
        {
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64);
        }
    }
    while (outageSpool.Points < spoolPoints)
    {
        await Task.Delay(20);
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
        peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64);
    }
    var spoolTime = spoolWatch.Elapsed;
    GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
    var heapSpooled = GC.GetTotalMemory(true);
    var fileSize = new FileInfo(Path.Combine(work, "outage.db")).Length + (File.Exists(Path.Combine(work, "outage-log.db")) ? new FileInfo(Path.Combine(work, "outage-log.db")).Length : 0);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"spooling: {spoolPoints} points stored in {spoolTime.TotalSeconds:0.00} s ({spoolPoints / spoolTime.TotalSeconds:N0} points/s) while influxd was down; spool file {fileSize / 1048576.0:0.0} MiB"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"memory while spooling: managed heap before {heapBefore / 1048576.0:0.0} MiB, peak {peakHeap / 1048576.0:0.0} MiB, after GC with {spoolPoints} spooled {heapSpooled / 1048576.0:0.0} MiB; RSS before {rssBefore / 1048576.0:0} MiB, peak {peakRss / 1048576.0:0} MiB"));

    // 3. Drain: influxd back, the backlog is written oldest first.
    await influxd.RestartAsync();
    var drainWatch = Stopwatch.StartNew();
    while (outageSpool.Points > 0 && drainWatch.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(50);
    drainWatch.Stop();
    await outageWriter.DisposeAsync();
    using var drained = await http.GetAsync($"{influxd.Url}/query?db=bench&q=" + Uri.EscapeDataString("SELECT count(v) FROM outage"));
    var drainedCount = await drained.Content.ReadAsStringAsync();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"drain after restart: {spoolPoints} points in {drainWatch.Elapsed.TotalSeconds:0.00} s ({spoolPoints / drainWatch.Elapsed.TotalSeconds:N0} points/s); server count: {drainedCount}"));
}
finally
{
    try { Directory.Delete(work, true); } catch (IOException) { }
}
