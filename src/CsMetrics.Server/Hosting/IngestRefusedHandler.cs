using System.Globalization;
using CsMetrics.Grains.Ingest;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// A batch refused for memory (<see cref="IngestAdmission"/>) is the sender's to retry, not a
/// server error: 503 with Retry-After and a problem that says so, from every ingest endpoint
/// (signals, webhooks). Handled here, the exception is not logged per request (.NET 10 suppresses
/// diagnostics for handled exceptions): the admission logs once when refusing starts and ends.
/// </summary>
public sealed class IngestRefusedHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not IngestRefusedException refused)
        {
            return false;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = Math.Ceiling(refused.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Node short of memory; batch not stored",
                Detail = refused.Message,
                Type = SignalProblems.Type,
            },
        });
    }
}
