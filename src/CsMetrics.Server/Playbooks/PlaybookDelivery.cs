using System.Net.Http.Json;
using System.Text.Json;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Grains.Playbooks;
using Microsoft.Extensions.Options;

namespace CsMetrics.Server.Playbooks;

/// <summary>Retry settings of playbook deliveries (section <c>CsMetrics:Playbooks</c>).</summary>
public sealed class PlaybookDeliveryOptions
{
    public const string Section = "CsMetrics:Playbooks";

    /// <summary>Attempts in all, the first included (1–20).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the second attempt; it doubles before each further one (0.5 s, 1 s, 2 s, 4 s).</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Time limit of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries in flight at once per silo; more wait their turn.</summary>
    public int MaxConcurrent { get; set; } = 16;
}

/// <summary>Slack's incoming-webhook body.</summary>
public sealed record SlackMessage(string Text);

/// <summary>
/// Posts playbook firings from the silo, with retries and exponential backoff, and reports each
/// attempt's outcome to the playbook's delivery log: <c>retrying</c> while attempts remain,
/// <c>delivered</c> on a 2xx answer, <c>dead</c> (the dead letter) after the last failed attempt.
/// </summary>
public sealed class PlaybookDeliveryService(
    IHttpClientFactory clients,
    IGrainFactory grains,
    IOptions<PlaybookDeliveryOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<PlaybookDeliveryService> logger)
    : IPlaybookDeliveryQueue
{
    public const string ClientName = "playbooks";

    /// <summary>camelCase; every documented field is present, null when unknown.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.MaxConcurrent));

    public void Enqueue(PlaybookDeliveryJob job) => _ = Task.Run(() => DeliverAsync(job));

    private async Task DeliverAsync(PlaybookDeliveryJob job)
    {
        var o = options.Value;
        int max = Math.Clamp(o.MaxAttempts, 1, 20);
        var stopping = lifetime.ApplicationStopping;
        string? error = null;
        string? lastError = null;
        try
        {
            for (int attempt = 1; attempt <= max; attempt++)
            {
                await _slots.WaitAsync(stopping);
                try
                {
                    error = await AttemptAsync(job, o.AttemptTimeout, stopping);
                }
                finally
                {
                    _slots.Release();
                }
                if (error is null)
                {
                    await ReportAsync(job, PlaybookDeliveryRecord.Delivered, attempt, lastError, time.GetUtcNow());
                    return;
                }
                lastError = error;
                if (attempt == max)
                {
                    break;
                }
                await ReportAsync(job, PlaybookDeliveryRecord.Retrying, attempt, error, null);
                await Task.Delay(o.FirstRetryDelay * Math.Pow(2, attempt - 1), stopping); // real time, also under a test clock
            }
            logger.LogWarning("Playbook {Playbook}: delivery {Delivery} for {Account} is dead after {Attempts} attempts: {Error}",
                job.Firing.PlaybookId, job.DeliveryId, job.Firing.AccountId, max, error);
            await ReportAsync(job, PlaybookDeliveryRecord.Dead, max, error, null);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the log keeps the delivery as "retrying".
        }
    }

    /// <summary>One POST; null when the receiver answered 2xx, else what went wrong.</summary>
    private async Task<string?> AttemptAsync(PlaybookDeliveryJob job, TimeSpan timeout, CancellationToken stopping)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        cts.CancelAfter(timeout);
        try
        {
            var client = clients.CreateClient(ClientName);
            using var content = job.Action.Type == "slack"
                ? JsonContent.Create(new SlackMessage(SlackText(job.Firing)), options: Json)
                : JsonContent.Create(job.Firing, options: Json);
            using var response = await client.PostAsync(job.Action.Url, content, cts.Token);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return $"timed out after {timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
    }

    private async Task ReportAsync(PlaybookDeliveryJob job, string status, int attempts, string? error, DateTimeOffset? deliveredAt)
    {
        try
        {
            await grains.GetGrain<IPlaybookGrain>(job.Firing.PlaybookId).Report(
                new PlaybookDeliveryRecord(job.DeliveryId, job.Firing.AccountId, status, attempts, error, job.Firing.FiredAt, deliveredAt));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Playbook {Playbook}: could not log delivery {Delivery}", job.Firing.PlaybookId, job.DeliveryId);
        }
    }

    /// <summary>The account, the change and its explanation, in one line.</summary>
    public static string SlackText(PlaybookFiring f)
    {
        static string Score(double? s) => s is { } v ? v.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) : "–";
        string who = f.AccountName is { Length: > 0 } name ? $"{name} ({f.AccountId})" : f.AccountId;
        string owner = f.Owner is { Length: > 0 } o ? $", owner {o}" : "";
        string why = f.Reason is { Length: > 0 } r ? $" Why: {r}" : "";
        return $"Playbook \"{f.PlaybookName}\": {who}{owner}: {PlaybookRules.Describe(f.Trigger)}. "
            + $"Score {Score(f.PreviousScore)} → {Score(f.Score)}, band {f.PreviousBand ?? "–"} → {f.Band ?? "–"}.{why}";
    }
}
