using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Pathwise;

/// <summary>
/// One call's path points over two cores: the first half of the points on a second engine, the second half (with the
/// endpoints) on the call's own, then the halves' accumulators added in a fixed order. The numbers depend only on that
/// split, never on which thread ran a half: when the worker is busy the caller runs both halves itself, so results are
/// the same under any load. Used by the methods whose per-chunk steps are plain structs, on the CPU, when the call's work
/// (its points times the workspace bytes of one point) is at least <see cref="MinimumBytes"/>.
/// </summary>
internal static class PathSplit
{
    /// <summary>Calls below this much work (bytes of workspace per point times points) run on one core: the hand-off would cost more than it saves.</summary>
    public const long MinimumBytes = 256 * 1024;

    /// <summary>Runs the call begun on <paramref name="engine"/>, split over two cores when that pays; then read the results from <paramref name="engine"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T, TSteps>(IPathEngine<T> engine, ref TSteps steps, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSteps : struct, IPathSteps<T>
    {
        int points = engine.Call.Points;
        if (engine is not CpuPathEngine<T> { Owner: { } host } primary || engine.Call.Adaptive is not null || !Pays(engine.Plan, points))
        {
            PathRunner.Run(engine, ref steps, cancellationToken);
            return;
        }

        using var lease = host.Borrow();
        var helper = (CpuPathEngine<T>)lease.Item;
        helper.Call.CopyFrom(primary.Call);
        helper.HoldFrom(primary);
        int half = points / 2;
        SplitJob<T, TSteps> job = helper.Job<SplitJob<T, TSteps>>();
        job.Prepare(helper, steps, 0, half, cancellationToken);
        bool handedOff = SplitWorker.TryRun(job);
        try
        {
            if (!handedOff)
            {
                job.Execute();
            }

            PathRunner.RunRange(primary, ref steps, half, points, cancellationToken);
        }
        finally
        {
            // The helper engine goes back to the pool only once its half has stopped running.
            if (handedOff)
            {
                job.Wait();
            }
        }

        job.ThrowIfFailed();
        primary.AddFrom(helper);
    }

    /// <summary>
    /// Whether every call of <paramref name="plan"/>'s fixed rule splits over two cores: then a batch runs its examples in
    /// order, each on both cores, rather than one example per core (measured on the CNN of the speed targets, 64 inputs:
    /// 15.9 ms in order against 18.6 ms one per core, whose runs also swing more).
    /// </summary>
    public static bool SplitsEveryCall<T>(PathPlan<T> plan) where T : unmanaged, IFloatingPointIeee754<T> =>
        plan.Adaptive is null && plan.ExactPath is null && Pays(plan, plan.Points);

    /// <summary>Whether a call of <paramref name="points"/> points on <paramref name="plan"/> is worth two cores.</summary>
    public static bool Pays<T>(PathPlan<T> plan, int points) where T : unmanaged, IFloatingPointIeee754<T> =>
        SplitWorker.Available && points >= 4 && plan.BytesPerPoint * points >= MinimumBytes;
}

/// <summary>A half of a split call, run by <see cref="SplitWorker"/> or inline.</summary>
internal interface ISplitJob
{
    void Execute();

    void Complete();
}

/// <summary>The first half of a split call: its engine, a copy of the method's steps and the range of points. Kept per engine and reused, so a warm call allocates nothing.</summary>
internal sealed class SplitJob<T, TSteps> : ISplitJob
    where T : unmanaged, IFloatingPointIeee754<T>
    where TSteps : struct, IPathSteps<T>
{
    // A semaphore, not a ManualResetEventSlim: the event creates its lock object on the first wait that blocks, 24 bytes
    // on the caller's thread in whichever warm call first finds the worker's half still running; the semaphore makes its
    // lock at construction. Complete releases once per hand-off and Wait takes it, so the count is 0 between calls.
    private readonly SemaphoreSlim _done = new(0);
    private CpuPathEngine<T>? _engine;
    private TSteps _steps;
    private int _from;
    private int _to;
    private CancellationToken _cancellationToken;
    private ExceptionDispatchInfo? _failure;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Prepare(CpuPathEngine<T> engine, TSteps steps, int from, int to, CancellationToken cancellationToken)
    {
        _engine = engine;
        _steps = steps;
        _from = from;
        _to = to;
        _cancellationToken = cancellationToken;
        _failure = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute()
    {
        try
        {
            PathRunner.RunRange(_engine!, ref _steps, _from, _to, _cancellationToken);
        }
        catch (Exception exception)
        {
            _failure = ExceptionDispatchInfo.Capture(exception);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Complete() => _done.Release();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Wait() => _done.Wait();

    public void ThrowIfFailed() => _failure?.Throw();
}

/// <summary>
/// One persistent background thread that runs the first half of split calls, one at a time. A call that finds it busy
/// runs both halves itself. On a single processor there is no worker and nothing is split.
/// </summary>
internal static class SplitWorker
{
    private static readonly SemaphoreSlim s_signal = new(0);
    private static ISplitJob? s_job;
    private static int s_busy;
    private static Thread? s_thread;

    private static long s_allocated;

    /// <summary>The bytes the worker allocated while running halves, since it started (for the allocation tests).</summary>
    public static long AllocatedBytes => Volatile.Read(ref s_allocated);

    /// <summary>Whether splitting can pay: more than one processor.</summary>
    public static bool Available { get; } = Environment.ProcessorCount > 1;

    /// <summary>Hands <paramref name="job"/> to the worker unless it is running another; false means the caller runs it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryRun(ISplitJob job)
    {
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            return false;
        }

        if (s_thread is null)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "Pathwise path worker" };
            s_thread = thread;
            thread.Start();
        }

        Volatile.Write(ref s_job, job);
        s_signal.Release();
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Loop()
    {
        while (true)
        {
            s_signal.Wait();
            ISplitJob job = Volatile.Read(ref s_job)!;
            s_job = null;
            long before = GC.GetAllocatedBytesForCurrentThread();
            job.Execute();
            Interlocked.Add(ref s_allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Volatile.Write(ref s_busy, 0);
            job.Complete();
        }
    }
}
