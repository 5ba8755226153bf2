using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowEngine.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowEngine.Host.Admin;

/// <summary>
/// GET /metrics at the server root (beside the probes): Prometheus text format 0.0.4 with, per running node,
/// messages in and out, errors and mailbox depth (labels node_id, node_type, flow_id), and process figures
/// (CPU seconds, resident memory, managed heap, threads, GC counts, start time). With adminAuth set it needs
/// metrics.read (a "read" user or role has it): scrape with a bearer token.
/// </summary>
internal static class MetricsEndpoints
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Map(WebApplication app, AdminServices services)
    {
        app.MapGet("/metrics", () => Results.Text(Render(services), ContentType)).WithMetadata(new AdminRouteMetadata());
    }

    internal static string Render(AdminServices services)
    {
        var text = new StringBuilder();
        var runners = services.Runtime.Runners.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        Family(text, "flowengine_node_messages_in_total", "counter", "Messages received by each node");
        foreach (var r in runners) Sample(text, "flowengine_node_messages_in_total", Labels(r), Interlocked.Read(ref r.MessagesIn));
        Family(text, "flowengine_node_messages_out_total", "counter", "Messages sent by each node");
        foreach (var r in runners) Sample(text, "flowengine_node_messages_out_total", Labels(r), Interlocked.Read(ref r.MessagesOut));
        Family(text, "flowengine_node_errors_total", "counter", "Errors reported by each node");
        foreach (var r in runners) Sample(text, "flowengine_node_errors_total", Labels(r), Interlocked.Read(ref r.Errors));
        Family(text, "flowengine_node_queue_depth", "gauge", "Messages waiting in each node's mailbox");
        foreach (var r in runners) Sample(text, "flowengine_node_queue_depth", Labels(r), r.QueueDepth);
        Family(text, "flowengine_flows_started", "gauge", "1 when the flows run");
        Sample(text, "flowengine_flows_started", "", services.Runtime.IsStarted ? 1 : 0);

        using var process = Process.GetCurrentProcess();
        Family(text, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds");
        Sample(text, "process_cpu_seconds_total", "", process.TotalProcessorTime.TotalSeconds);
        Family(text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes");
        Sample(text, "process_resident_memory_bytes", "", process.WorkingSet64);
        Family(text, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds");
        Sample(text, "process_start_time_seconds", "", new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        Family(text, "process_num_threads", "gauge", "Number of OS threads in the process");
        Sample(text, "process_num_threads", "", process.Threads.Count);
        Family(text, "dotnet_gc_heap_bytes", "gauge", "Bytes allocated on the managed heap");
        Sample(text, "dotnet_gc_heap_bytes", "", GC.GetTotalMemory(false));
        Family(text, "dotnet_gc_collections_total", "counter", "Garbage collections per generation");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            Sample(text, "dotnet_gc_collections_total", $"{{generation=\"{generation}\"}}", GC.CollectionCount(generation));
        }
        return text.ToString();
    }

    private static string Labels(FlowEngine.Core.Runtime.NodeRunner runner) =>
        $"{{node_id=\"{Escape(runner.Id)}\",node_type=\"{Escape(runner.Identity.Type)}\",flow_id=\"{Escape(runner.Identity.FlowId ?? "")}\"}}";

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append(labels).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
