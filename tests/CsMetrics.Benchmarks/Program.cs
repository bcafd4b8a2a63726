using CsMetrics.Benchmarks;

// dotnet run -c Release --project tests/CsMetrics.Benchmarks -- sweep|metrics [--accounts 100000]
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
    default:
        Console.WriteLine("scenarios: sweep [--accounts N], metrics [--accounts N]");
        break;
}
