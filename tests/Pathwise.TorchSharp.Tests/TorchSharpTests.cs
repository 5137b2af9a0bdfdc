using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

public class TorchSharpTests
{
    private const string NativeName = "libLibTorchSharp.so";
    private const string TorchSharpVersion = "0.107.0"; // keep in sync with the TorchSharp package version
    private const string WeakVersion = "GLIBCXX_3.4.32";

    [Fact]
    public void TorchSharp_loads_and_computes()
    {
        TorchDevices.EnsureNativeLoaded();
        using Tensor ones = torch.ones(3);
        using Tensor sum = ones.sum();
        Assert.Equal(3.0f, sum.item<float>());
    }

    [Fact]
    public void Autograd_matches_closed_form_gradient_in_float64()
    {
        double[,] w = { { 0.3, -1.2, 0.7, 0.05 }, { -0.4, 0.9, 1.5, -0.8 }, { 1.1, 0.2, -0.6, 0.35 } };
        double[] x = { 0.5, -1.5, 2.0, 0.25 };
        double[] b = { 0.1, -0.2, 0.3 };

        using var scope = torch.NewDisposeScope();
        Tensor W = torch.tensor(w.Cast<double>().ToArray(), new long[] { 3, 4 }, ScalarType.Float64).requires_grad_();
        Tensor X = torch.tensor(x, ScalarType.Float64).requires_grad_();
        Tensor B = torch.tensor(b, ScalarType.Float64).requires_grad_();

        Tensor y = torch.tanh(torch.mv(W, X) + B).sum();
        y.backward();

        // Closed form: z = W x + b, s = 1 - tanh(z)^2; dy/dW = s x^T, dy/dx = W^T s, dy/db = s.
        var s = new double[3];
        double yExpected = 0;
        for (int i = 0; i < 3; i++)
        {
            double z = b[i];
            for (int j = 0; j < 4; j++)
            {
                z += w[i, j] * x[j];
            }

            double t = Math.Tanh(z);
            yExpected += t;
            s[i] = 1 - t * t;
        }

        Assert.Equal(ScalarType.Float64, W.grad!.dtype);
        Assert.Equal(yExpected, y.item<double>(), 1e-12);
        double[] gW = W.grad!.data<double>().ToArray();
        double[] gX = X.grad!.data<double>().ToArray();
        double[] gB = B.grad!.data<double>().ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(s[i], gB[i], 1e-12);
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(s[i] * x[j], gW[i * 4 + j], 1e-12);
            }
        }
        for (int j = 0; j < 4; j++)
        {
            double expected = 0;
            for (int i = 0; i < 3; i++)
            {
                expected += w[i, j] * s[i];
            }

            Assert.Equal(expected, gX[j], 1e-12);
        }
    }

    [Fact]
    public void Output_copy_is_patched_and_nuget_cache_copy_is_not()
    {
        Assert.True(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), "this test project targets linux-x64");

        string output = FindOutputCopy();
        string cache = CacheCopy();
        Assert.True(File.Exists(cache), $"NuGet cache copy not found at {cache}");

        byte[] outBytes = File.ReadAllBytes(output);
        byte[] cacheBytes = File.ReadAllBytes(cache);

        ElfVersionNeeds.Need outNeed = Assert.Single(ElfVersionNeeds.Read(outBytes), n => n.Name == WeakVersion);
        ElfVersionNeeds.Need cacheNeed = Assert.Single(ElfVersionNeeds.Read(cacheBytes), n => n.Name == WeakVersion);
        Assert.Equal("libstdc++.so.6", outNeed.File);
        Assert.NotEqual(0, outNeed.Flags & ElfVersionNeeds.VerFlgWeak);
        Assert.Equal(0, cacheNeed.Flags & ElfVersionNeeds.VerFlgWeak);

        // Only that one flag differs; every other version requirement is left as it was.
        Assert.Equal(cacheBytes.Length, outBytes.Length);
        int[] diffs = Enumerable.Range(0, outBytes.Length).Where(i => outBytes[i] != cacheBytes[i]).ToArray();
        Assert.Equal(new[] { outNeed.FlagsOffset }, diffs);
        Assert.All(ElfVersionNeeds.Read(outBytes).Where(n => n.Name != WeakVersion), n => Assert.Equal(0, n.Flags & ElfVersionNeeds.VerFlgWeak));

        // The output file is its own inode, not a hard link into the cache.
        (long outLinks, long outInode) = Stat(output);
        (_, long cacheInode) = Stat(cache);
        Assert.Equal(1, outLinks);
        Assert.NotEqual(cacheInode, outInode);
    }

    [Fact]
    public void Resolve_cpu_returns_cpu_device()
    {
        Device d = TorchDevices.Resolve("CPU");
        Assert.Equal(DeviceType.CPU, d.type);
    }

    [Fact]
    public void Resolve_cuda_without_gpu_throws_clear_error()
    {
        Assert.False(torch.cuda.is_available(), "this test expects a machine without CUDA");
        var ex = Assert.Throws<InvalidOperationException>(() => TorchDevices.Resolve("cuda"));
        Assert.Contains("CUDA was requested", ex.Message);
        Assert.Contains("torch.cuda.is_available() is false", ex.Message);
        Assert.Contains("add a CUDA libtorch package", ex.Message);
        Assert.Throws<InvalidOperationException>(() => TorchDevices.Resolve("cuda:0"));
    }

    [Fact]
    public void Resolve_unknown_device_throws_argument_exception()
    {
        Assert.Throws<ArgumentException>(() => TorchDevices.Resolve("tpu"));
        Assert.Throws<ArgumentException>(() => TorchDevices.Resolve("cuda:x"));
    }

    private static string FindOutputCopy()
    {
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        {
            Path.Combine(baseDir, NativeName),                                  // RuntimeIdentifier set
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", NativeName), // no RuntimeIdentifier
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{NativeName} not found in the output ({string.Join(", ", candidates)})");
    }

    private static string CacheCopy()
    {
        string? root = typeof(TorchSharpTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value;
        if (string.IsNullOrEmpty(root))
        {
            root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        return Path.Combine(root, "torchsharp", TorchSharpVersion, "runtimes", "linux-x64", "native", NativeName);
    }

    private static (long Links, long Inode) Stat(string path)
    {
        var psi = new ProcessStartInfo("stat") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("%h %i");
        psi.ArgumentList.Add(path);
        using Process p = Process.Start(psi)!;
        string[] parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return (long.Parse(parts[0]), long.Parse(parts[1]));
    }
}
