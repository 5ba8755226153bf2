using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Http;

namespace FlowEngine.Host.Admin;

/// <summary>
/// A JSON response written with <see cref="JsJson"/>: the message value model serialises as JSON.stringify does
/// (key order kept, Buffers as {type,data}), which System.Text.Json's object serialisation would not.
/// </summary>
internal sealed class JsJsonResult(object? value, int statusCode = StatusCodes.Status200OK) : IResult
{
    public const string ContentType = "application/json; charset=utf-8";

    public object? Value { get; } = value;

    public int StatusCode { get; } = statusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var bytes = JsJson.SerializeToUtf8(Value);
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = ContentType;
        httpContext.Response.ContentLength = bytes.Length;
        return httpContext.Response.Body.WriteAsync(bytes, httpContext.RequestAborted).AsTask();
    }
}

/// <summary>Short helpers for endpoint results.</summary>
internal static class AdminResults
{
    public static IResult Json(object? value, int statusCode = StatusCodes.Status200OK) => new JsJsonResult(value, statusCode);

    /// <summary>Express's res.sendStatus: the status with its reason phrase as text ("OK", "Created").</summary>
    public static IResult Status(int statusCode) =>
        Results.Text(ReasonPhrases(statusCode), "text/plain; charset=utf-8", statusCode: statusCode);

    private static string ReasonPhrases(int statusCode) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(statusCode);
}
