using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CsMetrics.Server.Auth;

/// <summary>
/// Authenticates a request by its API key: <c>Authorization: Bearer &lt;key&gt;</c>, or
/// <c>X-Api-Key</c>, or (for the SignalR hub, whose WebSocket clients cannot set headers) the
/// <c>access_token</c> query parameter. Failures answer with RFC 7807 problem details.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";
    public const string OwnerClaim = "owner";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = PresentedKey(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var info = keys.Find(presented);
        if (info is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, info.Name), new(KeyIdClaim, info.Id) };
        if (info.Owner is { } owner)
        {
            claims.Add(new Claim(OwnerClaim, owner));
        }
        foreach (var scope in Enum.GetValues<ApiScope>())
        {
            if (scope != ApiScope.None && info.Scopes.HasFlag(scope))
            {
                claims.Add(new Claim(ScopeClaim, scope.ToString().ToLowerInvariant()));
            }
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    internal static string? PresentedKey(HttpRequest request)
    {
        string? auth = request.Headers.Authorization;
        if (auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return auth["Bearer ".Length..].Trim();
        }
        string? header = request.Headers["X-Api-Key"];
        if (!string.IsNullOrEmpty(header))
        {
            return header.Trim();
        }
        if (request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var token))
        {
            return token.ToString();
        }
        return null;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "API key required",
            "Send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "Insufficient scope",
            "This API key's scopes do not allow this request.");

    private async Task WriteProblem(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
        }
        var problems = Context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

public static class KeyClaims
{
    /// <summary>The CSM this key is restricted to, or null when it sees every account.</summary>
    public static string? OwnerRestriction(this ClaimsPrincipal user) => user.FindFirst(ApiKeyAuthenticationHandler.OwnerClaim)?.Value;

    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value;

    /// <summary>Whether this key may see an account of <paramref name="accountOwner"/>.</summary>
    public static bool MaySee(this ClaimsPrincipal user, string? accountOwner) =>
        user.OwnerRestriction() is not { } owner || owner == accountOwner;
}

/// <summary>The three policies: admin can do everything, so it satisfies the other two.</summary>
public static class Policies
{
    public const string Ingest = "ingest";
    public const string Read = "read";
    public const string Admin = "admin";

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        options.AddPolicy(Ingest, p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, "ingest", "admin"));
        options.AddPolicy(Read, p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, "read", "admin"));
        options.AddPolicy(Admin, p => p.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, "admin"));
    }
}
