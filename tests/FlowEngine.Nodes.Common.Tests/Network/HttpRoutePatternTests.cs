using FlowEngine.Nodes.Common.Network;
using static FlowEngine.Nodes.Common.Tests.Network.NetworkFlow;

namespace FlowEngine.Nodes.Common.Tests.Network;

public sealed class HttpRoutePatternTests
{
    [Theory]
    [InlineData("/users/:id", "/users/7", """{"id":"7"}""")]
    [InlineData("/users/:id", "/users/7/", """{"id":"7"}""")]
    [InlineData("/users/:id", "/USERS/7", """{"id":"7"}""")]
    [InlineData("/a/:x/b/:y", "/a/1/b/two", """{"x":"1","y":"two"}""")]
    [InlineData("/opt/:id?", "/opt", "{}")]
    [InlineData("/opt/:id?", "/opt/3", """{"id":"3"}""")]
    [InlineData("/files/*", "/files/a/b.txt", """{"0":"a/b.txt"}""")]
    [InlineData("/enc/:name", "/enc/a%20b", """{"name":"a b"}""")]
    [InlineData("/", "/", "{}")]
    public void Express_paths_match_and_fill_params(string pattern, string path, string expected)
    {
        Assert.True(HttpRoutePattern.Parse(pattern).TryMatch(path, out var parameters));
        Assert.Equal(expected, ToJson(parameters));
    }

    [Theory]
    [InlineData("/users/:id", "/users")]
    [InlineData("/users/:id", "/users/7/x")]
    [InlineData("/a", "/ab")]
    [InlineData("/a.json", "/aXjson")]
    public void Express_paths_do_not_match_other_paths(string pattern, string path) =>
        Assert.False(HttpRoutePattern.Parse(pattern).TryMatch(path, out _));

    [Fact]
    public void Head_requests_use_the_get_route()
    {
        var table = new HttpNodeRouteTable();
        using var route = table.Add("get", "/x", (_, _) => Task.CompletedTask);
        Assert.NotNull(table.Match("HEAD", "/x", out _));
        Assert.Null(table.Match("POST", "/x", out _));
    }
}
