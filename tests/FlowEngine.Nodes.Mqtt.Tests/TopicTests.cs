using FlowEngine.Nodes.Mqtt.Client;

namespace FlowEngine.Nodes.Mqtt.Tests;

public sealed class TopicTests
{
    [Theory]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/+", "a/b", true)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("a/#", "a", true)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("+/x", "$SYS/x", false)]
    [InlineData("+/+", "/x", true)]
    [InlineData("$share/g/a/+", "a/b", true)]
    [InlineData("a/b", "a/c", false)]
    public void Topic_filters_match_as_the_mqtt_specification_says(string filter, string topic, bool expected) =>
        Assert.Equal(expected, MqttTopic.Matches(filter, topic));

    [Theory]
    [InlineData("a/#", true)]
    [InlineData("a/+/c", true)]
    [InlineData("#", true)]
    [InlineData("a/#/c", false)]
    [InlineData("a/b+", false)]
    [InlineData("", false)]
    public void Subscription_filters_are_validated_like_node_red(string filter, bool valid) =>
        Assert.Equal(valid, MqttTopic.IsValidFilter(filter));

    [Theory]
    [InlineData("a/b", true)]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    [InlineData("a\tb", false)]
    [InlineData("", false)]
    public void Publish_topics_refuse_wildcards_and_control_characters(string topic, bool valid) =>
        Assert.Equal(valid, MqttTopic.IsValidPublishTopic(topic));
}
