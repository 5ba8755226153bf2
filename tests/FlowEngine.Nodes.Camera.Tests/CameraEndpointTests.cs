using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FlowEngine.Core.Runtime;
using FlowEngine.Nodes.Camera.Storage;
using FlowEngine.Nodes.Camera.Tests.Peers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Nodes.Camera.Tests;

[Collection(CameraCollection.Name)]
public sealed class CameraEndpointTests(CameraStreamPeer camera)
{
    [Fact]
    public async Task Stored_clips_are_listed_and_served_with_range_requests_and_every_endpoint_needs_camera_read()
    {
        var root = Directory.CreateTempSubdirectory("flowengine-camera-endpoints-").FullName;
        using var services = new CameraServices(root);
        var bytes = await CameraStreamPeer.MakeClipAsync(camera.Directory, 1);
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var (id, path) = services.Store.NewFile("yard", "mp4", start);
        await File.WriteAllBytesAsync(path, bytes);
        services.Store.Add(new StoredMedia { Id = id, Kind = "clip", Camera = "yard", Start = start.UtcDateTime, End = start.UtcDateTime.AddSeconds(1), Path = path, Created = DateTime.UtcNow });

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        CameraNodes.MapEndpoints(app, services);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var list = JsonDocument.Parse(await http.GetStringAsync("/camera/clips?camera=yard"));
        var item = Assert.Single(list.RootElement.EnumerateArray().ToList());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal("/camera/clips/" + id, item.GetProperty("url").GetString());
        Assert.Empty(JsonDocument.Parse(await http.GetStringAsync("/camera/clips?camera=gate")).RootElement.EnumerateArray());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/camera/clips/" + id);
        request.Headers.Range = new RangeHeaderValue(100, 199);
        using var partial = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("video/mp4", partial.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"bytes 100-199/{bytes.Length}", partial.Content.Headers.ContentRange!.ToString());
        Assert.Equal(bytes[100..200], await partial.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/camera/snapshots/" + id)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/camera/clips/" + new string('0', 32))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/camera/clips/..%2F..%2Fetc%2Fpasswd")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/camera/clips?from=yesterday")).StatusCode);

        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Where(e => e.RoutePattern.RawText!.StartsWith("/camera", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, endpoints.Count);
        Assert.All(endpoints, e => Assert.Equal("camera.read", e.Metadata.GetMetadata<EndpointPermission>()?.Permission));
        await app.StopAsync();
        Directory.Delete(root, recursive: true);
    }
}
