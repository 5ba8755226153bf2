using System.Globalization;
using FlowEngine.Core.Values;
using FlowEngine.Nodes.Industrial.Enrich;

namespace FlowEngine.Nodes.Industrial;

/// <summary>An HTTP answer without HTTP: a status code and a JSON body (a value of the message model, or null for none).</summary>
public sealed record ApiResult(int StatusCode, object? Body)
{
    public static ApiResult Ok(object? body) => new(200, body);
    public static ApiResult NoContent() => new(204, null);
    public static ApiResult Error(int status, string message) => new(status, new JsObject { ["error"] = message });
}

/// <summary>
/// The admin endpoints of the industrial nodes as plain methods, so the host maps each route to one call and
/// serializes <see cref="ApiResult.Body"/> with JsJson. Route, request and response of each are on the method.
/// </summary>
public sealed class IndustrialApi(IndustrialServices services)
{
    /// <summary>GET /alarms[?tag=&amp;state=] → 200 [alarm...], newest change first. An alarm: see <see cref="AlarmSnapshot.ToJson"/>.</summary>
    public ApiResult ListAlarms(string? tag = null, string? state = null) => ApiResult.Ok(services.Alarms.Active()
        .Where(a => (tag is null || a.Tag == tag) && (state is null || a.State.Equals(state, StringComparison.OrdinalIgnoreCase)))
        .Select(a => (object?)a.ToJson()).ToList());

    /// <summary>
    /// GET /alarms/history?page=1&amp;pageSize=50[&amp;tag=&amp;alarmId=&amp;from=&amp;to=] → 200 {page, pageSize, total, items:[event...]};
    /// from/to are ISO 8601 times; 400 when a parameter does not parse.
    /// </summary>
    public ApiResult History(string? page = null, string? pageSize = null, string? tag = null, string? alarmId = null, string? from = null, string? to = null)
    {
        if (!TryInt(page, 1, out var pageNumber) || pageNumber < 1) return ApiResult.Error(400, "page must be a whole number of 1 or more");
        if (!TryInt(pageSize, 50, out var size) || size < 1) return ApiResult.Error(400, "pageSize must be a whole number of 1 or more");
        if (!TryTime(from, out var fromTime)) return ApiResult.Error(400, "from must be an ISO 8601 time");
        if (!TryTime(to, out var toTime)) return ApiResult.Error(400, "to must be an ISO 8601 time");
        var result = services.Alarms.History(new AlarmHistoryQuery
        {
            Page = pageNumber,
            PageSize = Math.Min(size, AlarmHistoryQuery.MaxPageSize),
            Tag = Empty(tag),
            AlarmId = Empty(alarmId),
            From = fromTime,
            To = toTime,
        });
        return ApiResult.Ok(result.ToJson());
    }

    /// <summary>
    /// POST /alarms/ack, /alarms/shelve, /alarms/unshelve with body {id, comment?, duration? (seconds, shelve)}, or
    /// POST /alarms/:id/ack|shelve|unshelve (id URL-decoded by the host; the body's id is then not needed).
    /// <paramref name="user"/> is the logged-in user (the host decides whether a body "user" may stand in).
    /// → 200 alarm, 400 bad request, 404 no such alarm, 409 not allowed in its state, 503 its node is not running.
    /// </summary>
    public async Task<ApiResult> CommandAsync(string action, JsObject? body, string user, string? id = null, CancellationToken cancellationToken = default)
    {
        id ??= body?.Get("id") as string;
        if (string.IsNullOrEmpty(id)) return ApiResult.Error(400, "an alarm id is required");
        var comment = body?.Get("comment") as string;
        AlarmCommandResult result;
        switch (action)
        {
            case "ack":
                result = await services.Alarms.AcknowledgeAsync(id, user, comment, cancellationToken).ConfigureAwait(false);
                break;
            case "shelve":
                var seconds = body?.Get("duration") switch
                {
                    double d => d,
                    string s => JsValue.StringToNumber(s),
                    _ => double.NaN,
                };
                if (!double.IsFinite(seconds) || seconds <= 0) return ApiResult.Error(400, "duration (seconds, more than zero) is required to shelve");
                result = await services.Alarms.ShelveAsync(id, TimeSpan.FromSeconds(seconds), user, comment, cancellationToken).ConfigureAwait(false);
                break;
            case "unshelve":
                result = await services.Alarms.UnshelveAsync(id, user, comment, cancellationToken).ConfigureAwait(false);
                break;
            default:
                return ApiResult.Error(404, $"unknown alarm action \"{action}\"");
        }
        return result.Status switch
        {
            AlarmCommandStatus.Done => ApiResult.Ok(result.Alarm?.ToJson()),
            AlarmCommandStatus.NotFound => ApiResult.Error(404, result.Message),
            AlarmCommandStatus.InvalidState => ApiResult.Error(409, result.Message),
            _ => ApiResult.Error(503, result.Message),
        };
    }

    /// <summary>GET /cvt[?table=default&amp;prefix=] → 200 {tag: {tag, value, time, quality, updates}...} ordered by tag.</summary>
    public ApiResult CurrentValues(string? table = null, string? prefix = null)
    {
        var cvt = services.CurrentValues(Empty(table) ?? CurrentValueTables.DefaultName);
        var entries = string.IsNullOrEmpty(prefix) ? cvt.Snapshot() : cvt.Snapshot(prefix);
        var body = new JsObject(entries.Count);
        foreach (var entry in entries) body[entry.Tag] = entry.ToJson();
        return ApiResult.Ok(body);
    }

    /// <summary>GET /cvt/:tag[?table=] → 200 {tag, value, time, quality, updates}, 404 when the tag has no value.</summary>
    public ApiResult CurrentValue(string tag, string? table = null) =>
        services.CurrentValues(Empty(table) ?? CurrentValueTables.DefaultName).Get(tag) is { } entry
            ? ApiResult.Ok(entry.ToJson())
            : ApiResult.Error(404, $"no value for tag \"{tag}\"");

    /// <summary>GET /cvt/tables → 200 ["default", ...].</summary>
    public ApiResult CurrentValueTableNames() => ApiResult.Ok(services.CurrentValueTableNames.Select(n => (object?)n).ToList());

    /// <summary>GET /assets → 200 [record...] ordered by tag. A record: see <see cref="AssetRecord.ToJson"/>.</summary>
    public ApiResult ListAssets() => ApiResult.Ok(services.Assets.List().Select(r => (object?)r.ToJson()).ToList());

    /// <summary>GET /assets/:tag → 200 record, 404.</summary>
    public ApiResult GetAsset(string tag) =>
        services.Assets.Get(tag) is { } record ? ApiResult.Ok(record.ToJson()) : ApiResult.Error(404, $"no asset \"{tag}\"");

    /// <summary>PUT /assets/:tag with body {site, area, ...} (the path's tag wins over a tag in the body) → 200 record, 400.</summary>
    public ApiResult PutAsset(string tag, object? body)
    {
        if (body is not JsObject json) return ApiResult.Error(400, "the body must be a JSON object");
        var withTag = new JsObject(json.Count + 1) { ["tag"] = tag };
        foreach (var (key, value) in json) if (key != "tag") withTag[key] = value;
        var record = AssetRecord.FromJson(withTag, out var error);
        if (record is null) return ApiResult.Error(400, error!);
        services.Assets.Upsert(record);
        return ApiResult.Ok(record.ToJson());
    }

    /// <summary>
    /// PUT /assets replaces the whole table. Body: JSON (a list of records or an object keyed by tag) or, with
    /// Content-Type text/csv, CSV text as the enrich node reads it. → 200 {count}, 400 naming the problem.
    /// </summary>
    public ApiResult ReplaceAssets(object? body, bool csv = false)
    {
        Dictionary<string, AssetRecord> table;
        try
        {
            table = csv ? AssetTableSource.FromCsv(body as string ?? "") : AssetTableSource.FromJson(body);
        }
        catch (AssetTableException ex)
        {
            return ApiResult.Error(400, ex.Message);
        }
        services.Assets.ReplaceAll(table.Values);
        return ApiResult.Ok(new JsObject { ["count"] = (double)table.Count });
    }

    /// <summary>DELETE /assets/:tag → 204, 404.</summary>
    public ApiResult DeleteAsset(string tag) =>
        services.Assets.Delete(tag) ? ApiResult.NoContent() : ApiResult.Error(404, $"no asset \"{tag}\"");

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static bool TryInt(string? text, int defaultValue, out int value)
    {
        if (string.IsNullOrEmpty(text))
        {
            value = defaultValue;
            return true;
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryTime(string? text, out DateTime? time)
    {
        time = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return false;
        time = parsed.UtcDateTime;
        return true;
    }
}
