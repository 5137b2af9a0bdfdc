using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/Pathwise.Benchmarks -- [--quick] [--profile] [BenchmarkDotNet arguments]</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>--quick</c>: BenchmarkDotNet's short job (3 warm-ups, 3 iterations, one launch); every benchmark in about a minute.</item>
/// <item><c>--profile</c>: no BenchmarkDotNet; a Stopwatch split of one Pathwise IG call into its layers' generated passes.</item>
/// <item><c>--agreement</c>: on the trained float64 Fashion MLP, exact IG by the chain sweep against the same path integrated piece by piece.</item>
/// <item><c>--exact</c>: no BenchmarkDotNet; pieces, time per call and completeness of the exact rule against Gauss–Legendre on
/// random networks, then on the trained Fashion models the exact rule against 32-point Gauss–Legendre in float32 and, with
/// <c>--points</c>, the points each fixed rule needs for a relative delta of 1e-3 and 1e-6 (float64); <c>--images N</c> (default 4),
/// <c>--cnn-images N</c> for the float64 CNN table, <c>--points-only</c>, <c>--fashion-only</c>, <c>--mlp-only</c> (float32 table).</item>
/// <item><c>--adaptive</c>: no BenchmarkDotNet; points, time per call, estimated and true error of the adaptive rule per tolerance.</item>
/// <item><c>--targets</c>: no BenchmarkDotNet; the speed targets in one process: IG on one input and on 64 against
/// TorchSharp as it comes and with glibc's mmap off (page faults per call shown), and the one-to-two-thread speed-up
/// from child processes; ends with a table for the README.</item>
/// <item><c>--startup</c>: no BenchmarkDotNet; time per call from a fresh process's first call (run it with <c>DOTNET_PROCESSOR_COUNT=1</c>).</item>
/// <item>anything else goes to <see cref="BenchmarkSwitcher"/> (<c>--filter *Cnn*</c>, <c>--list flat</c>, ...);
/// without a <c>--filter</c> every benchmark runs.</item>
/// </list>
/// Benchmarks run in process: BenchmarkDotNet's generated out-of-process project would not import
/// Pathwise.TorchSharp.targets, so its copy of libLibTorchSharp.so would not load on Debian 12.
/// </remarks>
public static class Program
{
    public static int Main(string[] args)
    {
        bool quick = args.Contains("--quick");
        if (args.Contains("--profile"))
        {
            PassProfile.Run();
            return 0;
        }

        if (args.Contains("--agreement"))
        {
            int count = Array.IndexOf(args, "--images") is int i && i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : 4;
            FashionExactReport.Agreement(count);
            return 0;
        }

        if (args.Contains("--exact"))
        {
            int at = Array.IndexOf(args, "--images");
            int images = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 4;
            if (!args.Contains("--fashion-only"))
            {
                ExactRuleReport.Run();
            }

            int cnnAt = Array.IndexOf(args, "--cnn-images");
            int cnnImages = cnnAt >= 0 && cnnAt + 1 < args.Length ? int.Parse(args[cnnAt + 1], System.Globalization.CultureInfo.InvariantCulture) : images;
            FashionExactReport.Run(images, float64Table: args.Contains("--points"), cnnImages, ratioTable: !args.Contains("--points-only"), mlpOnly: args.Contains("--mlp-only"));
            return 0;
        }

        if (args.Contains("--adaptive"))
        {
            AdaptiveRuleReport.Run();
            return 0;
        }

        if (args.Contains("--targets"))
        {
            TargetsReport.Run();
            return 0;
        }

        if (args.Contains(TargetsReport.ThreadsChildFlag))
        {
            TargetsReport.RunThreadsChild();
            return 0;
        }

        if (args.Contains("--startup"))
        {
            StartupLatency.Run();
            return 0;
        }

        string[] rest = args.Where(a => a != "--quick").ToArray();
        if (!rest.Any(a => a is "--filter" or "-f" or "--list" or "--info" or "--help" or "-h" or "--version"))
        {
            rest = [.. rest, "--filter", "*"];
        }

        Job job = (quick ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance).AsDefault();
        // Artifacts (logs, reports) go beside the binaries, not into the working directory.
        IConfig config = DefaultConfig.Instance.AddJob(job)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
