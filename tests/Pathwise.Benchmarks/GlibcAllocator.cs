using System;
using System.Runtime.InteropServices;

namespace Pathwise.Benchmarks;

/// <summary>
/// glibc's allocator switches and the process's page-fault count, for <c>--targets</c>: <see cref="TurnOffMmap"/> does in
/// process what <c>MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824</c> do at start-up (large blocks come from the heap
/// and stay there, instead of being mapped fresh, and page-faulted in again, on every allocation), and
/// <see cref="MinorFaults"/> is <c>getrusage(RUSAGE_SELF).ru_minflt</c>, all threads' minor page faults so far.
/// </summary>
internal static class GlibcAllocator
{
    /// <summary>The trim threshold set with mmap off: 1 GiB, so freed heap memory is kept for the next call.</summary>
    public const int TrimThreshold = 1 << 30;

    // glibc <malloc.h>.
    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;
    private const int RUsageSelf = 0;

    /// <summary>Whether the calls below can work: Linux with glibc's <c>libc.so.6</c>.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>
    /// <c>mallopt(M_MMAP_MAX, 0)</c> and <c>mallopt(M_TRIM_THRESHOLD, 1 GiB)</c>. One-way: the first also turns off
    /// glibc's dynamic mmap threshold for the rest of the process. Throws if glibc refuses either.
    /// </summary>
    public static void TurnOffMmap()
    {
        if (Mallopt(MMmapMax, 0) != 1 || Mallopt(MTrimThreshold, TrimThreshold) != 1)
        {
            throw new InvalidOperationException("mallopt refused M_MMAP_MAX = 0 or M_TRIM_THRESHOLD = 1 GiB.");
        }
    }

    /// <summary>The minor page faults of the whole process so far (all threads), <c>getrusage(RUSAGE_SELF).ru_minflt</c>.</summary>
    public static long MinorFaults() => GetRUsage(RUsageSelf, out RUsage usage) == 0 ? usage.MinorFaults : -1;

    private static bool Probe()
    {
        try
        {
            return GetRUsage(RUsageSelf, out _) == 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc.so.6", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, out RUsage usage);

    /// <summary><c>struct rusage</c> on 64-bit Linux: two <c>timeval</c>s, then fourteen <c>long</c>s.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResident;
        public long SharedText;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }
}
