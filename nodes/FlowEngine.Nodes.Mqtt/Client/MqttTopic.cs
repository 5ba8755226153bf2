namespace FlowEngine.Nodes.Mqtt.Client;

/// <summary>Topic name and topic filter rules (MQTT 5.0 §4.7, shared subscriptions §4.8.2).</summary>
internal static class MqttTopic
{
    private const string SharePrefix = "$share/";

    /// <summary>
    /// A topic filter Node-RED accepts for a subscription: "+" only as a whole level, "#" only as the whole last
    /// level. "$share/group/filter" is accepted because the group part contains neither wildcard.
    /// </summary>
    public static bool IsValidFilter(string? filter)
    {
        if (string.IsNullOrEmpty(filter)) return false;
        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level == "+") continue;
            if (level == "#")
            {
                if (i != levels.Length - 1) return false;
                continue;
            }
            if (level.Contains('+') || level.Contains('#')) return false;
        }
        return true;
    }

    /// <summary>A topic name a message may be published to: not empty, no wildcard, no control characters Node-RED refuses.</summary>
    public static bool IsValidPublishTopic(string? topic)
    {
        if (string.IsNullOrEmpty(topic)) return false;
        foreach (var c in topic)
        {
            if (c is '+' or '#' or '\b' or '\f' or '\n' or '\r' or '\t' or '\v' or '\0') return false;
        }
        return true;
    }

    /// <summary>The filter without its "$share/{ShareName}/" prefix: what a received topic is matched against.</summary>
    public static string StripShare(string filter)
    {
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal)) return filter;
        var slash = filter.IndexOf('/', SharePrefix.Length);
        return slash < 0 ? filter : filter[(slash + 1)..];
    }

    /// <summary>Whether a received topic name matches a subscription filter (shared prefix removed first).</summary>
    public static bool Matches(string filter, string topic)
    {
        filter = StripShare(filter);
        if (filter == "#") return !topic.StartsWith('$');
        var f = 0;
        var t = 0;
        while (true)
        {
            var fEnd = filter.IndexOf('/', f);
            var tEnd = topic.IndexOf('/', t);
            var fLevel = fEnd < 0 ? filter.AsSpan(f) : filter.AsSpan(f, fEnd - f);
            if (fLevel.SequenceEqual("#"))
            {
                // "a/#" also matches "a" itself (MQTT 5.0 §4.7.1.2).
                return true;
            }
            if (t > topic.Length) return false;
            var tLevel = tEnd < 0 ? topic.AsSpan(t) : topic.AsSpan(t, tEnd - t);
            if (!fLevel.SequenceEqual("+") && !fLevel.SequenceEqual(tLevel)) return false;
            // A leading wildcard never matches a topic starting with "$" (§4.7.2).
            if (f == 0 && fLevel.SequenceEqual("+") && topic.StartsWith('$')) return false;
            if (fEnd < 0 && tEnd < 0) return true;
            if (fEnd < 0) return false;
            if (tEnd < 0)
            {
                // Topic ended: only a remaining "/#" can match.
                return filter.AsSpan(fEnd + 1).SequenceEqual("#");
            }
            f = fEnd + 1;
            t = tEnd + 1;
        }
    }
}
