using System.Threading.RateLimiting;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.RateLimiting;

namespace CsMetrics.Server.Hosting;

/// <summary>Per-key request budget (bound from "CsMetrics:RateLimit").</summary>
public sealed class RateLimitOptions
{
    public const string Section = "CsMetrics:RateLimit";

    /// <summary>Requests per second one key may make, sustained. 0 turns limiting off.</summary>
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Requests one key may make in a burst above the sustained rate.</summary>
    public int Burst { get; set; } = 400;
}

/// <summary>
/// A token bucket per API key (per client address for requests without a key), with ASP.NET
/// Core's rate limiter: over budget answers 429 with Retry-After. One noisy producer cannot
/// starve the others.
/// </summary>
public static class RateLimits
{
    public const string Policy = "per-key";

    public static IServiceCollection AddCsMetricsRateLimits(this IServiceCollection services, IConfiguration config)
    {
        var o = config.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, ct) =>
            {
                var response = context.HttpContext.Response;
                response.Headers.RetryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry)
                    ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "1";
                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = 429, Title = "Too many requests", Detail = "This API key is over its request budget; retry after the Retry-After seconds." },
                });
            };
            limiter.AddPolicy(Policy, http =>
            {
                if (o.RequestsPerSecond <= 0)
                {
                    return RateLimitPartition.GetNoLimiter("off");
                }
                string partition = http.User.KeyId() ?? "ip:" + http.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(o.Burst, o.RequestsPerSecond),
                    TokensPerPeriod = o.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        });
        return services;
    }
}
