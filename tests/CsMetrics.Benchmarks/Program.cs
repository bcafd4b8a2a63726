using CsMetrics.Benchmarks;

// dotnet run -c Release --project tests/CsMetrics.Benchmarks -- sweep|calibration [--accounts 100000] | voc [--accounts = comments, 50000]
string scenario = args.FirstOrDefault() ?? "help";
int accounts = args.SkipWhile(a => a != "--accounts").Skip(1).Select(int.Parse).FirstOrDefault(100_000);

switch (scenario)
{
    case "sweep":
        await SweepBenchmark.RunAsync(accounts);
        break;
    case "calibration":
        await CalibrationBenchmark.RunAsync(accounts);
        break;
    case "voc":
        await VocBenchmark.RunAsync(Math.Min(accounts, CsMetrics.Grains.Voc.VocCommentStoreGrain.MaxComments));
        break;
    default:
        Console.WriteLine("scenarios: sweep [--accounts N], calibration [--accounts N], voc [--accounts comments]");
        break;
}
