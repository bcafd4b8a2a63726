using System.Text.Json.Nodes;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Server.Auth;

namespace CsMetrics.Server.Hosting;

public static class ScorecardApi
{
    public static IEndpointRouteBuilder MapScorecardApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/scorecard", (ScorecardRegistry registry) =>
        {
            // The document as written (comments dropped) with its version, so what an admin
            // reads is exactly what they would PUT back.
            var node = JsonNode.Parse(registry.SourceJson, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
            node["version"] = registry.Current.Version;
            return Results.Content(node.ToJsonString(), "application/json");
        })
        .RequireAuthorization(Policies.Read)
        .WithTags("Scorecard")
        .WithSummary("The active scorecard with its version.");
        return app;
    }
}
