using System.Text;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace FlowEngine.Host.Admin;

/// <summary>A request body read as the admin API reads it: absent, or one parsed JSON value.</summary>
internal readonly record struct JsonBody(bool Present, object? Value);

/// <summary>
/// Reads admin request bodies: UTF-8 JSON parsed by <see cref="JsJson"/> (so errors carry line and column), at most
/// settings apiMaxLength bytes. Form bodies (application/x-www-form-urlencoded) are read as Node-RED's body parser
/// reads them, unless the text is plainly JSON — curl -d sends that content type by default.
/// </summary>
internal static class RequestBody
{
    public static async Task<JsonBody> ReadJsonAsync(HttpContext context, long limit, string limitText)
    {
        var request = context.Request;
        if (request.ContentLength is { } declared && declared > limit) throw TooLarge(limitText);
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit;

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit) throw TooLarge(limitText);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limitText);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (IsBlank(bytes)) return new JsonBody(false, null);
        if (IsForm(request.ContentType) && !LooksLikeJson(bytes))
        {
            return new JsonBody(true, ParseForm(Encoding.UTF8.GetString(bytes)));
        }
        try
        {
            return new JsonBody(true, JsJson.Parse(bytes));
        }
        catch (JsJsonException ex)
        {
            throw new AdminApiException(StatusCodes.Status400BadRequest, ErrorResponses.InvalidJson,
                $"The request body is not valid JSON: {ex.Reason} at line {ex.Line}, column {ex.Column}",
                new JsObject { ["line"] = (double)ex.Line, ["column"] = (double)ex.Column });
        }
    }

    private static AdminApiException TooLarge(string limitText) =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorResponses.PayloadTooLarge,
            $"The request body is larger than {limitText} (settings apiMaxLength)");

    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        }
        return true;
    }

    private static bool LooksLikeJson(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF) continue;
            return b is (byte)'{' or (byte)'[';
        }
        return false;
    }

    private static bool IsForm(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    private static JsObject ParseForm(string text)
    {
        var result = new JsObject();
        foreach (var (key, values) in QueryHelpers.ParseQuery(text))
        {
            result[key] = values.Count == 1 ? values[0] : values.Select(v => (object?)v).ToList();
        }
        return result;
    }
}
