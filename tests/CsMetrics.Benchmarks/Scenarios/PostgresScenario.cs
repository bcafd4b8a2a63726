using System.Diagnostics;
using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Scoring.Signals;
using Npgsql;
using NpgsqlTypes;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (2) What a user would build instead: every signal inserted into PostgreSQL and the account's
/// score recomputed by SQL over its recent signals, one durable transaction per batch of 500
/// (synchronous_commit on), against durable CsMetrics HTTP ingest, in interleaved rounds on
/// the same generated signals. Postgres is favoured: it gets the signals already parsed (no
/// HTTP), all of a batch's statements in one round trip, and one recompute per account per
/// batch instead of per signal.
/// </summary>
public static class PostgresScenario
{
    public const int BatchSize = 500;
    public const int PostgresConnections = 8;

    private const string Schema = """
        CREATE TABLE signals (
            id text PRIMARY KEY, account_id text NOT NULL, type smallint NOT NULL, ts timestamptz NOT NULL,
            user_id text, feature text, count integer, ticket_id text, status smallint, priority smallint,
            survey_kind smallint, survey_score integer, mrr numeric);
        CREATE INDEX signals_account_ts ON signals (account_id, ts);
        CREATE TABLE account_scores (account_id text PRIMARY KEY, score double precision NOT NULL, updated_at timestamptz NOT NULL);
        """;

    private const string Insert = """
        INSERT INTO signals (id, account_id, type, ts, user_id, feature, count, ticket_id, status, priority, survey_kind, survey_score, mrr)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING
        """;

    /// <summary>The default scorecard's five components in SQL, roughly: usage volume and breadth, open tickets, NPS, MRR trend.</summary>
    private const string Rescore = """
        INSERT INTO account_scores (account_id, score, updated_at)
        SELECT $1,
            0.30 * LEAST(100, COALESCE(SUM(count) FILTER (WHERE type = 0 AND ts > now() - interval '30 days'), 0) * 2.0)
          + 0.20 * LEAST(100, COUNT(DISTINCT user_id) FILTER (WHERE type = 0 AND ts > now() - interval '30 days') * 10.0)
          + 0.20 * GREATEST(0, 100 - 25 * (SELECT COUNT(*) FROM (
                SELECT DISTINCT ON (ticket_id) status FROM signals WHERE account_id = $1 AND type = 1 ORDER BY ticket_id, ts DESC) t
                WHERE t.status IN (0, 3)))
          + 0.15 * COALESCE(AVG(survey_score) FILTER (WHERE type = 2 AND survey_kind = 0) * 10.0, 50)
          + 0.15 * COALESCE((SELECT LEAST(100, 50 * last.mrr / NULLIF(first.mrr, 0)) FROM
                (SELECT mrr FROM signals WHERE account_id = $1 AND type = 3 ORDER BY ts DESC LIMIT 1) last,
                (SELECT mrr FROM signals WHERE account_id = $1 AND type = 3 AND ts > now() - interval '90 days' ORDER BY ts LIMIT 1) first), 50),
            now()
        FROM signals WHERE account_id = $1 AND ts > now() - interval '90 days'
        ON CONFLICT (account_id) DO UPDATE SET score = EXCLUDED.score, updated_at = EXCLUDED.updated_at
        """;

    public static async Task RunAsync(BenchContext context)
    {
        int csmetricsSignals = context.Size(40_000, 15_000);
        int postgresSignals = context.Size(10_000, 3_000);
        int rounds = context.Size(3, 2);
        await using var postgres = await PostgresInstance.StartAsync();
        await using var source = await postgres.OpenAsync();
        await using (var create = source.CreateCommand(Schema))
        {
            await create.ExecuteNonQueryAsync();
        }
        using var dir = BenchContext.NewTempDirectory("postgres");
        var (server, _) = await BenchServer.StartAsync(dir.Path);
        await using (server)
        {
            using var client = server.Client();
            await IngestScenario.WarmUpAsync(context, client);
            await InsertAsync(source, context.Workload.Generate(2_000, "warm"));

            var result = await InterleavedRounds.RunAsync(rounds,
                round => HttpIngestLoad.SendAsync(client, HttpIngestLoad.IngestPath,
                    SignalWorkload.ToJsonBatches(context.Workload.Generate(csmetricsSignals, $"p{round}"), BatchSize), csmetricsSignals, IngestScenario.Concurrency),
                round => InsertAsync(source, context.Workload.Generate(postgresSignals, $"p{round}")),
                "csmetrics", "postgres");
            context.Results.Record("postgresRatio", result.MedianRatio,
                $"CsMetrics durable HTTP / PostgreSQL 15 insert + SQL rescore, both durable; median (min {result.MinRatio:F2}, max {result.MaxRatio:F2}); Postgres {result.MedianB:N0} signals/s with {PostgresConnections} connections");
        }
    }

    /// <summary>The whole set in transactions of <see cref="BatchSize"/>, <see cref="PostgresConnections"/> at a time; signals/s.</summary>
    private static async Task<double> InsertAsync(NpgsqlDataSource source, Signal[] signals)
    {
        var batches = signals.Chunk(BatchSize).ToArray();
        int next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, PostgresConnections).Select(async _ =>
        {
            await using var connection = await source.OpenConnectionAsync();
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                await WriteBatchAsync(connection, batches[i]);
            }
        }));
        return signals.Length / watch.Elapsed.TotalSeconds;
    }

    private static async Task WriteBatchAsync(NpgsqlConnection connection, Signal[] signals)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var s in signals)
        {
            var command = new NpgsqlBatchCommand(Insert);
            command.Parameters.Add(new NpgsqlParameter { Value = s.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = s.AccountId });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)s.Type });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.Feature ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Count });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.TicketId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)s.TicketStatus });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)s.Priority });
            command.Parameters.Add(new NpgsqlParameter { Value = (short)s.SurveyKind });
            command.Parameters.Add(new NpgsqlParameter { Value = s.SurveyScore });
            command.Parameters.Add(new NpgsqlParameter { Value = s.Mrr });
            batch.BatchCommands.Add(command);
        }
        // Sorted: concurrent transactions touching the same busy accounts lock their score rows in one order (no deadlocks).
        foreach (var account in signals.Select(s => s.AccountId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var command = new NpgsqlBatchCommand(Rescore);
            command.Parameters.Add(new NpgsqlParameter { Value = account });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
}
