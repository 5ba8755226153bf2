using System.Diagnostics;
using System.Globalization;
using FlowEngine.Nodes.OpcUa.Protocol.Client;
using FlowEngine.Nodes.OpcUa.Protocol.Encoding;
using FlowEngine.Nodes.OpcUa.Protocol.Security;
using FlowEngine.Nodes.OpcUa.Protocol.Server;

/// <summary>
/// FlowEngine's own UaServer with N Double variables, all updated once a second (as `opcua server out` does), and
/// our client subscribed to all of them in the same process. Measures CPU and memory of the process (server and
/// client together), notifications per second, and the delay from the update (its source timestamp) to the
/// client decoding the notification (includes up to one publishing interval of batching).
/// </summary>
internal static class ServerMode
{
    public static async Task RunAsync(string[] args)
    {
        var items = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10000;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        var secure = args.Length > 2 && args[2] == "SignAndEncrypt";
        var publishing = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 100;
        var pki = Directory.CreateTempSubdirectory("opcua-bench-server-").FullName;
        try
        {
            var serverStore = new CertificateStore(Path.Combine(pki, "server"));
            var clientStore = new CertificateStore(Path.Combine(pki, "client"));
            var options = new UaServerOptions
            {
                Port = 0,
                EndpointPath = "/bench",
                Security = [ServerSecurity.None, ServerSecurity.SignAndEncrypt],
                Certificate = serverStore.GetOrCreateApplicationCertificate("urn:bench:server", "Bench server", CertificateStore.ServerCertificateName, ["127.0.0.1"]),
                ValidateClientCertificate = _ => { },
                MaxVariables = Math.Max(items, 1000),
            };
            await using var server = new UaServer(options);
            server.Start();
            var space = server.AddressSpace;
            for (var i = 0; i < items; i++) space.SetVariable($"Bench/Item{i}", BuiltInType.Double, false, DataValue.FromValue(new Variant(BuiltInType.Double, 0.0)));

            using var stop = new CancellationTokenSource();
            var updates = 0L;
            var updater = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                var round = 0;
                while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
                {
                    round++;
                    var now = DateTime.UtcNow;
                    for (var i = 0; i < items; i++)
                        space.SetVariable($"Bench/Item{i}", BuiltInType.Double, false, new DataValue(new Variant(BuiltInType.Double, round + i / 100000.0), StatusCode.Good, now));
                    Interlocked.Add(ref updates, items);
                }
            });

            var clientOptions = new UaClientOptions
            {
                EndpointUrl = new Uri(server.EndpointUrl),
                Mode = secure ? MessageSecurityMode.SignAndEncrypt : MessageSecurityMode.None,
                PolicyUri = secure ? SecurityPolicyUris.Basic256Sha256 : SecurityPolicyUris.None,
                ApplicationCertificate = secure ? clientStore.GetOrCreateApplicationCertificate("urn:bench:client", "Bench client") : null,
                ApplicationUri = "urn:bench:client",
                ValidateServerCertificate = _ => { },
                RequestTimeout = TimeSpan.FromSeconds(60),
            };
            await using var connection = new UaConnection(clientOptions, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
            var handler = new Handler();
            var specs = Enumerable.Range(0, items).Select(i => new MonitoredItemSpec($"ns=1;s=Bench/Item{i}", 0, 1)).ToList();
            var setup = Stopwatch.StartNew();
            await using var subscription = connection.Subscribe(new UaSubscriptionOptions(publishing, 10, 30), specs, handler);
            while (handler.Count < items && setup.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(100);
            Console.WriteLine($"server mode: {items} variables subscribed, initial values after {setup.Elapsed.TotalSeconds:0.0} s; status: {handler.LastStatus}");
            await Task.Delay(3000);
            GC.Collect();
            var process = Process.GetCurrentProcess();
            var cpuStart = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            handler.Reset();
            var updatesStart = Interlocked.Read(ref updates);
            long peakWorkingSet = 0, peakHeap = 0;
            while (wall.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await Task.Delay(1000);
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            }
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds / wall.Elapsed.TotalSeconds;
            var delays = handler.Delays();
            var changed = Interlocked.Read(ref updates) - updatesStart;
            Console.WriteLine($"items {items}, run {wall.Elapsed.TotalSeconds:0} s, security {(secure ? "Basic256Sha256 SignAndEncrypt" : "None")}, publishing interval {publishing} ms");
            Console.WriteLine($"value updates: {changed} ({changed / wall.Elapsed.TotalSeconds:0} /s); notifications received: {handler.Count} ({handler.Count / wall.Elapsed.TotalSeconds:0} /s)");
            Console.WriteLine($"process CPU (server + client + updater): {cpu * 100:0.0} % of one core");
            Console.WriteLine($"managed heap peak: {peakHeap / 1048576.0:0.0} MB, working set peak: {peakWorkingSet / 1048576.0:0.0} MB");
            if (delays.Length > 0)
                Console.WriteLine($"delay update -> decoded by the client: p50 {delays[delays.Length / 2]:0} ms, p99 {delays[Math.Min(delays.Length - 1, (int)(delays.Length * 0.99))]:0} ms, max {delays[^1]:0} ms");
            Console.WriteLine($"final status: {handler.LastStatus}");
            await stop.CancelAsync();
            try
            {
                await updater;
            }
            catch (OperationCanceledException)
            {
            }
        }
        finally
        {
            try { Directory.Delete(pki, true); } catch (IOException) { }
        }
    }
}
