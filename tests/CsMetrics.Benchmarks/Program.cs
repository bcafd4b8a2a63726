using CsMetrics.Benchmarks;

// dotnet run -c Release --project tests/CsMetrics.Benchmarks -- sweep|metrics|metrics-query|calibration [--accounts 100000] | voc [--accounts = comments, 50000]
string scenario = args.FirstOrDefault() ?? "help";
int accounts = args.SkipWhile(a => a != "--accounts").Skip(1).Select(int.Parse).FirstOrDefault(100_000);

switch (scenario)
{
    case "sweep":
        await SweepBenchmark.RunAsync(accounts);
        break;
    case "metrics":
        await MetricsBenchmark.RunAsync(accounts);
        break;
    case "metrics-query":
        MetricsQueryBenchmark.Run(accounts);
        break;
    case "metrics-account":
        MetricsAccountBenchmark.Run(args.SkipWhile(a => a != "--users").Skip(1).Select(int.Parse).FirstOrDefault(20));
        break;
    case "calibration":
        await CalibrationBenchmark.RunAsync(accounts);
        break;
    case "voc":
        await VocBenchmark.RunAsync(Math.Min(accounts, CsMetrics.Grains.Voc.VocCommentStoreGrain.MaxComments));
        break;
    default:
        Console.WriteLine("scenarios: sweep | metrics | metrics-query | calibration [--accounts N], metrics-account [--users N], voc [--accounts comments]");
        break;
}
