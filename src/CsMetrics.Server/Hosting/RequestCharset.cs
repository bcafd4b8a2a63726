using System.Text;
using Microsoft.Net.Http.Headers;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// A JSON body declared in a charset .NET cannot decode (<c>charset=utf-7</c>, <c>=bogus</c>,
/// <c>="utf-8"</c>, an empty one) is the client's error: 415. Minimal-API body binding throws an
/// InvalidOperationException for it, which it does not turn into a 4xx (only JSON and I/O errors
/// are), so the client got a 500. Endpoints that read the raw body never throw it and are unchanged.
/// </summary>
public static class RequestCharset
{
    public static IApplicationBuilder UseKnownRequestCharsets(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (InvalidOperationException) when (!context.Response.HasStarted && HasUnknownCharset(context.Request))
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = 415, Title = "Unsupported charset", Detail = "Send JSON as UTF-8 (charset=utf-8, or no charset)." },
                });
            }
        });

    /// <summary>A JSON content type whose charset the JSON reader cannot decode (it looks it up exactly like this).</summary>
    private static bool HasUnknownCharset(HttpRequest request)
    {
        if (!request.HasJsonContentType()
            || !MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.Charset.HasValue
            || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        try
        {
            Encoding.GetEncoding(mediaType.Charset.ToString());
            return false;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return true;
        }
    }
}
