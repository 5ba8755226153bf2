using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FlowEngine.Core.Flows;
using FlowEngine.Core.Nodes;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Settings;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Common;
using FlowEngine.Nodes.Mqtt;
using MQTTnet;
using MQTTnet.Protocol;

// End-to-end MQTT benchmark: an outside publisher sends to mosquitto, FlowEngine runs mqtt in -> 10 change nodes ->
// mqtt out, an outside subscriber receives. Beside it, the same clients straight through mosquitto (pub -> sub), the
// ceiling of broker plus clients on this machine. Usage: MqttBench [messages=100000] [qos=0]
// Needs mosquitto on PATH (Debian package mosquitto); starts and stops its own instance on a free loopback port.
var total = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var qos = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;

await using var broker = await Mosquitto.StartAsync();
Console.WriteLine($"mosquitto on 127.0.0.1:{broker.Port}, {total} messages, QoS {qos}, {Environment.ProcessorCount} cores");

var direct = await Bench.RunAsync("mosquitto alone (pub -> sub)", broker.Port, "bench/direct", "bench/direct", total, qos, paced: false);
var directPaced = await Bench.RunAsync("mosquitto alone, paced at half speed", broker.Port, "bench/direct", "bench/direct", total / 2, qos, paced: true, rate: direct.Rate / 2);

var userDir = Directory.CreateTempSubdirectory("flowengine-mqttbench-").FullName;
var registry = new NodeRegistry();
CommonNodes.Register(registry);
MqttNodes.Register(registry);
await using (var runtime = new FlowRuntime(new FlowRuntimeOptions
{
    Settings = new RuntimeSettings(new JsObject { ["userDir"] = userDir }),
    Registry = registry,
}))
{
    await runtime.StartAsync();
    await runtime.DeployAsync(JsJson.Parse(Flows.Pipeline(broker.Port, qos)), DeploymentType.Full);
    await Task.Delay(1000);
    var flow = await Bench.RunAsync("FlowEngine: mqtt in -> 10 change -> mqtt out", broker.Port, "bench/in", "bench/out", total, qos, paced: false);
    var flowPaced = await Bench.RunAsync("FlowEngine, paced at half its speed", broker.Port, "bench/in", "bench/out", total / 2, qos, paced: true, rate: flow.Rate / 2);
    Console.WriteLine();
    Console.WriteLine(Bench.Header);
    foreach (var r in new[] { direct, directPaced, flow, flowPaced }) Console.WriteLine(r);
}
Directory.Delete(userDir, recursive: true);

internal static class Flows
{
    public static string Pipeline(int port, int qos)
    {
        var sb = new StringBuilder($$"""[{"id":"t","type":"tab","label":"bench"},{"id":"b","type":"mqtt-broker","broker":"127.0.0.1","port":"{{port}}","protocolVersion":"4","keepalive":"60","cleansession":true}""");
        sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"in","type":"mqtt in","z":"t","topic":"bench/in","qos":"{{qos}}","datatype":"auto-detect","broker":"b","inputs":0,"x":0,"y":0,"wires":[["c0"]]}""");
        for (var i = 0; i < 10; i++)
        {
            var next = i == 9 ? "out" : $"c{i + 1}";
            sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"c{{i}}","type":"change","z":"t","rules":[{"t":"set","p":"payload.step{{i}}","pt":"msg","to":"{{i}}","tot":"num"}],"x":0,"y":0,"wires":[["{{next}}"]]}""");
        }
        sb.Append(CultureInfo.InvariantCulture, $$""",{"id":"out","type":"mqtt out","z":"t","topic":"bench/out","qos":"{{qos}}","retain":"false","broker":"b","x":0,"y":0,"wires":[]}]""");
        return sb.ToString();
    }
}

internal sealed record BenchResult(string Name, int Sent, int Received, double Seconds, double P50Ms, double P99Ms)
{
    public double Rate => Received / Seconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name,-48} {Received,8}/{Sent,-8} {Rate,10:F0} msg/s   p50 {P50Ms,7:F2} ms   p99 {P99Ms,7:F2} ms");
}

internal static class Bench
{
    public const string Header = "scenario                                         received/sent     rate            latency";

    public static async Task<BenchResult> RunAsync(string name, int port, string publishTopic, string receiveTopic, int total, int qos, bool paced, double rate = 0)
    {
        var latencies = new double[total];
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var factory = new MqttClientFactory();
        using var subscriber = factory.CreateMqttClient();
        using var publisher = factory.CreateMqttClient();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            var now = Stopwatch.GetTimestamp();
            var reader = new Utf8JsonReader(e.ApplicationMessage.Payload.ToArray());
            using var doc = JsonDocument.ParseValue(ref reader);
            var sent = doc.RootElement.GetProperty("t").GetInt64();
            var n = Interlocked.Increment(ref received);
            if (n <= latencies.Length) latencies[n - 1] = Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
            if (n == total) done.TrySetResult();
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-sub-" + Guid.NewGuid().ToString("N")[..6]).Build());
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(receiveTopic, (MqttQualityOfServiceLevel)qos).Build());
        await publisher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-pub-" + Guid.NewGuid().ToString("N")[..6]).Build());

        var start = Stopwatch.GetTimestamp();
        var interval = paced && rate > 0 ? 1.0 / rate : 0;
        for (var i = 0; i < total; i++)
        {
            if (interval > 0)
            {
                // Paced: publish what is due, then sleep a millisecond (spinning would steal one of few cores).
                var due = start + (long)(i * interval * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < due) await Task.Delay(1);
            }
            var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"t":{{Stopwatch.GetTimestamp()}},"i":{{i}}}"""));
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(publishTopic).WithPayload(payload).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos).Build());
        }
        await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var count = Math.Min(Volatile.Read(ref received), total);
        var sorted = latencies.AsSpan(0, count).ToArray();
        Array.Sort(sorted);
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        await publisher.DisconnectAsync(new MqttClientDisconnectOptions());
        await subscriber.DisconnectAsync(new MqttClientDisconnectOptions());
        return new BenchResult(name, total, count, seconds, Percentile(0.50), Percentile(0.99));
    }
}

/// <summary>A throw-away mosquitto on a free loopback port (plain, anonymous).</summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private Mosquitto(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var dir = Directory.CreateTempSubdirectory("flowengine-mqttbench-mosquitto-").FullName;
        var config = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"persistence false\nlog_type error\nmax_queued_messages 1000000\nlistener {port} 127.0.0.1\nallow_anonymous true\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        }
        var process = Process.Start(new ProcessStartInfo("mosquitto", $"-c \"{config}\"") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("mosquitto did not start");
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new MqttClientFactory().CreateMqttClient();
                await probe.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).Build());
                await probe.DisconnectAsync(new MqttClientDisconnectOptions());
                return new Mosquitto(process, dir, port);
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                await Task.Delay(50);
            }
        }
        process.Kill();
        throw new InvalidOperationException("mosquitto did not answer");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
