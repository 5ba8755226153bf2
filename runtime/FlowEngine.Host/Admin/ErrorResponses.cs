using FlowEngine.Core.Flows;
using FlowEngine.Core.Runtime;
using FlowEngine.Core.Values;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlowEngine.Host.Admin;

/// <summary>
/// A request the admin API refuses, with Node-RED's error shape <c>{"code","message"}</c> (§4) and an HTTP status.
/// Endpoints throw it; <see cref="ErrorResponses.Middleware"/> writes it.
/// </summary>
internal sealed class AdminApiException(int status, string code, string message, JsObject? details = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    /// <summary>Extra members written beside code and message (line and column of a JSON error...).</summary>
    public JsObject? Details { get; } = details;
}

/// <summary>Error codes and the error shape of the admin API.</summary>
internal static partial class ErrorResponses
{
    // Node-RED's own codes.
    public const string NotFound = "not_found";
    public const string InvalidApiVersion = "invalid_api_version";
    public const string VersionMismatch = "version_mismatch";
    public const string InvalidRunState = "invalid_run_state";
    public const string UnexpectedError = "unexpected_error";
    public const string InvalidRequest = "invalid_request";
    // FlowEngine's additions, for failures Node-RED reports only as unexpected_error or an HTML page.
    public const string InvalidFlows = "invalid_flows";
    public const string InvalidJson = "invalid_json";
    public const string PayloadTooLarge = "payload_too_large";
    public const string InvalidDeploymentType = "invalid_deployment_type";
    public const string NotStarted = "not_started";

    public static AdminApiException NotFoundError(string message) => new(StatusCodes.Status404NotFound, NotFound, message);

    public static AdminApiException BadRequest(string code, string message) => new(StatusCodes.Status400BadRequest, code, message);

    public static IResult Error(int status, string code, string message, JsObject? details = null)
    {
        var body = new JsObject { ["code"] = code, ["message"] = message };
        if (details is not null)
        {
            foreach (var (key, value) in details) body[key] = value;
        }
        return new JsJsonResult(body, status);
    }

    /// <summary>400 with every problem found, so the editor can point at each node and property.</summary>
    public static IResult InvalidFlowsError(FlowValidationException exception)
    {
        var problems = exception.Problems.Select(p => (object?)new JsObject
        {
            ["id"] = p.NodeId,
            ["name"] = p.NodeName,
            ["type"] = p.NodeType,
            ["property"] = p.Property,
            ["reason"] = p.Reason,
        }).ToList();
        return Error(StatusCodes.Status400BadRequest, InvalidFlows, exception.Message, new JsObject { ["problems"] = problems });
    }

    /// <summary>
    /// Turns what endpoints throw into Node-RED's error shape. Bad input never becomes a 500 with a stack trace;
    /// an unexpected failure is logged and answered with its message only.
    /// </summary>
    public static Func<HttpContext, RequestDelegate, Task> Middleware(ILogger logger) => async (context, next) =>
    {
        IResult? result;
        try
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        catch (AdminApiException ex)
        {
            result = Error(ex.Status, ex.Code, ex.Message, ex.Details);
        }
        catch (FlowValidationException ex)
        {
            LogDeployRefused(logger, ex.Message);
            result = InvalidFlowsError(ex);
        }
        catch (VersionMismatchException ex)
        {
            result = Error(StatusCodes.Status409Conflict, VersionMismatch, $"{ex.Message}: the current rev is {ex.CurrentRevision}");
        }
        catch (BadHttpRequestException ex)
        {
            result = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? Error(ex.StatusCode, PayloadTooLarge, "The request body is larger than the limit (settings apiMaxLength)")
                : Error(ex.StatusCode, InvalidRequest, ex.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            return;
        }
#pragma warning disable CA1031 // The last line of defence: log it and answer with the message, never with a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(logger, context.Request.Method, context.Request.Path.Value ?? "", ex);
            result = Error(StatusCodes.Status500InternalServerError, UnexpectedError, ex.Message);
        }
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        await result.ExecuteAsync(context).ConfigureAwait(false);
    };

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Deploy refused: {Reason}")]
    private static partial void LogDeployRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, Exception exception);
}
