using System;
using System.IO;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Pathwise.TorchSharp;

/// <summary>Resolves device names ("cpu", "cuda", "cuda:N") to TorchSharp devices with actionable errors.</summary>
public static class TorchDevices
{
    private const string LoadHint =
        "TorchSharp's native library (libLibTorchSharp.so / libtorch) could not be loaded. " +
        "Check that the application references a native backend package (TorchSharp-cpu, or a CUDA libtorch package). " +
        "On Linux with a libstdc++ older than GCC 13 (e.g. Debian 12), libLibTorchSharp.so requires symbol version GLIBCXX_3.4.32 " +
        "and fails to load (TorchSharp then misleadingly reports a missing libtorch package reference): import " +
        "Pathwise.TorchSharp.targets (runtime/Pathwise.TorchSharp/build/, or the package's build/ folder) into the " +
        "application or test project so the build marks that version requirement weak in the copy under bin/ and publish/. " +
        "Check with: readelf -V <bin>/libLibTorchSharp.so | grep GLIBCXX_3.4.32 (Flags: WEAK when patched).";

    /// <summary>
    /// Returns the device for <paramref name="name"/>: "cpu", "cuda" or "cuda:N" (case-insensitive).
    /// </summary>
    /// <exception cref="InvalidOperationException">The native library cannot load, or CUDA is requested but unavailable.</exception>
    /// <exception cref="ArgumentException">The name is not a supported device.</exception>
    public static torch.Device Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().ToLowerInvariant();

        if (n == "cpu")
        {
            EnsureNativeLoaded();
            return torch.CPU;
        }

        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = -1;
            if (n.Length > 4 && (!int.TryParse(n.AsSpan(5), out index) || index < 0))
            {
                throw new ArgumentException($"Invalid CUDA device '{name}': expected 'cuda' or 'cuda:N'.", nameof(name));
            }

            EnsureNativeLoaded();
            bool available;
            try
            {
                available = torch.cuda.is_available();
            }
            catch (Exception ex) when (IsNativeLoadFailure(ex))
            {
                available = false;
            }
            if (!available)
            {
                throw new InvalidOperationException(
                    $"CUDA was requested ('{name}') but torch.cuda.is_available() is false: add a CUDA libtorch package " +
                    "(e.g. TorchSharp-cuda-linux / TorchSharp-cuda-windows instead of TorchSharp-cpu) and make sure an NVIDIA GPU " +
                    "and driver are present, or use device 'cpu'.");
            }

            if (index >= 0)
            {
                int count = torch.cuda.device_count();
                if (index >= count)
                {
                    throw new InvalidOperationException($"CUDA device {index} was requested but only {count} CUDA device(s) are available.");
                }

                return torch.device(DeviceType.CUDA, index);
            }
            return torch.CUDA;
        }

        throw new ArgumentException($"Unknown device '{name}': expected 'cpu', 'cuda' or 'cuda:N'.", nameof(name));
    }

    /// <summary>Loads TorchSharp's native CPU backend, turning the load failure into an actionable error.</summary>
    /// <exception cref="InvalidOperationException">The native library cannot load.</exception>
    public static void EnsureNativeLoaded()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception ex) when (IsNativeLoadFailure(ex))
        {
            throw new InvalidOperationException(LoadHint + " " + Diagnose() + " TorchSharp said: " + FirstLine(Innermost(ex).Message), ex);
        }
    }

    // Asks the dynamic loader directly, since TorchSharp's own message hides the dlopen error
    // (e.g. "version `GLIBCXX_3.4.32' not found").
    private static string Diagnose()
    {
        string libName = OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
        string baseDir = AppContext.BaseDirectory;
        string rid = RuntimeInformation.RuntimeIdentifier;
        string[] candidates =
        {
            Path.Combine(baseDir, libName),
            Path.Combine(baseDir, "runtimes", rid, "native", libName),
            Path.Combine(baseDir, "runtimes", (OperatingSystem.IsLinux() ? "linux-" : OperatingSystem.IsMacOS() ? "osx-" : "win-") + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), "native", libName),
        };
        foreach (string candidate in candidates)
        {
            if (!File.Exists(candidate))
            {
                continue;
            }

            try
            {
                NativeLibrary.Load(candidate);
                return $"The dynamic loader can load {candidate}, so the failure is elsewhere in the native backend.";
            }
            catch (Exception loadError)
            {
                return $"Loading {candidate} directly failed with: {LoaderError(loadError.Message)}.";
            }
        }
        return $"{libName} was not found in {baseDir} (nor under runtimes/*/native/).";
    }

    // .NET puts the generic "Unable to load shared library ..." line first and dlerror() after it.
    private static string LoaderError(string message)
    {
        string[] lines = message.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 ? string.Join("; ", lines[1..]) : FirstLine(message);
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private static string FirstLine(string text)
    {
        int nl = text.IndexOfAny(new[] { '\r', '\n' });
        return (nl < 0 ? text : text[..nl]).Trim();
    }

    private static bool IsNativeLoadFailure(Exception ex) =>
        ex is NotSupportedException or DllNotFoundException or TypeInitializationException or BadImageFormatException or EntryPointNotFoundException;
}
