using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// What a method object holds, on either backend: its <see cref="PathPlan{T}"/> and a pool of engines, one rented per
/// call. On a device it also owns the plan's device tensors, released by <see cref="Dispose"/>; a disposed host
/// refuses further calls with an <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class PathHost<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<IPathEngine<T>> _engines;
    private readonly IDisposable? _owned;
    private volatile bool _disposed;

    /// <summary>A host for <paramref name="plan"/> whose pool starts with <paramref name="first"/> and makes more with <paramref name="create"/>.</summary>
    public PathHost(PathPlan<T> plan, IPathEngine<T> first, Func<IPathEngine<T>> create, IDisposable? owned = null, bool parallelBatches = false)
    {
        plan.CheckPathSpace();
        Plan = plan;
        ParallelBatches = parallelBatches;
        _engines = new ScratchPool<IPathEngine<T>>(create);
        _engines.Return(first);
        _owned = owned;
    }

    public PathPlan<T> Plan { get; }

    public NetworkInfo Info => Plan.Info;

    /// <summary>Whether a batch runs its examples in parallel over the cores, one engine per worker (the CPU), or in order on one engine (a device).</summary>
    public bool ParallelBatches { get; }

    /// <summary>An engine for one call: <c>using var lease = host.Borrow();</c>.</summary>
    public ScratchPool<IPathEngine<T>>.Lease Borrow()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _engines.Borrow();
    }

    /// <summary>Releases what the host owns (the plan's device tensors); later calls throw.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _owned?.Dispose();
    }
}
