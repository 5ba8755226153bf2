using FlowEngine.Nodes.Camera.Storage;

namespace FlowEngine.Nodes.Camera.Tests.Storage;

public sealed class ClipStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("flowengine-clipstore-").FullName;
    private readonly ClipStore _store;
    private readonly DateTimeOffset _now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public ClipStoreTests() => _store = new ClipStore(_root);

    private StoredMedia Add(string camera, DateTimeOffset start, int bytes, string kind = "clip")
    {
        var (id, path) = _store.NewFile(camera, kind == "clip" ? "mp4" : "jpg", start);
        File.WriteAllBytes(path, new byte[bytes]);
        var media = new StoredMedia { Id = id, Kind = kind, Camera = camera, Start = start.UtcDateTime, End = start.UtcDateTime.AddSeconds(10), Path = path, Created = start.UtcDateTime };
        _store.Add(media);
        return media;
    }

    [Fact]
    public void Retention_deletes_files_older_than_the_maximum_age_and_their_index_entries()
    {
        var old = Add("yard", _now.AddHours(-30), 100);
        var recent = Add("yard", _now.AddHours(-2), 100);
        var otherCamera = Add("gate", _now.AddHours(-30), 100);

        var deleted = _store.ApplyRetention("yard", TimeSpan.FromHours(24), 0, _now);

        Assert.Equal(1, deleted);
        Assert.False(File.Exists(old.Path));
        Assert.Null(_store.Find(old.Id));
        Assert.True(File.Exists(recent.Path));
        Assert.NotNull(_store.Find(otherCamera.Id));
    }

    [Fact]
    public void Retention_deletes_the_oldest_until_the_camera_total_fits_the_size_limit()
    {
        var first = Add("yard", _now.AddMinutes(-30), 400);
        var second = Add("yard", _now.AddMinutes(-20), 400);
        var third = Add("yard", _now.AddMinutes(-10), 400);

        var deleted = _store.ApplyRetention("yard", TimeSpan.Zero, 1000, _now);

        Assert.Equal(1, deleted);
        Assert.Null(_store.Find(first.Id));
        Assert.NotNull(_store.Find(second.Id));
        Assert.NotNull(_store.Find(third.Id));
        Assert.Equal(800, _store.TotalBytes("yard"));
    }

    [Fact]
    public void Clips_overlapping_a_window_come_back_best_covering_first_and_snapshots_are_not_clips()
    {
        var partly = Add("yard", _now.AddSeconds(-15), 10);       // covers [-15, -5]
        var fully = Add("yard", _now.AddSeconds(-8), 10);         // covers [-8, +2]
        Add("yard", _now.AddSeconds(-8), 10, kind: "snapshot");
        Add("yard", _now.AddMinutes(-5), 10);                     // long before

        var found = _store.ClipsOverlapping("yard", _now.AddSeconds(-8).UtcDateTime, _now.AddSeconds(2).UtcDateTime);

        Assert.Equal([fully.Id, partly.Id], found.Select(m => m.Id));
    }

    [Fact]
    public void A_minimum_free_space_larger_than_the_disk_is_reported_as_storage_full()
    {
        Assert.Null(ClipStore.StorageProblem(_root, 0));
        Assert.Null(ClipStore.StorageProblem(_root, 1));
        var problem = ClipStore.StorageProblem(_root, long.MaxValue / 2);
        Assert.NotNull(problem);
        Assert.StartsWith("storage full", problem, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
