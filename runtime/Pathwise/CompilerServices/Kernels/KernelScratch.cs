using System;
using System.Numerics;
using System.Threading;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Scratch arrays per element type for kernels that pad or pack their operands: one shared slot plus one slot per
/// thread. <see cref="Rent"/> takes the thread's array, else the shared one, else allocates (when both are missing
/// or too small); <see cref="Return"/> refills the shared slot first, then the thread's. Repeated calls, from one
/// thread or from several at once, allocate nothing in steady state.
/// </summary>
internal static class KernelScratch<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static T[]? s_shared;

    [ThreadStatic]
    private static T[]? t_local;

    /// <summary>An array of at least <paramref name="length"/> elements; its contents are unspecified.</summary>
    public static T[] Rent(int length)
    {
        T[]? buffer = t_local;
        if (buffer is not null && buffer.Length >= length)
        {
            t_local = null;
            return buffer;
        }

        buffer = Interlocked.Exchange(ref s_shared, null);
        if (buffer is not null && buffer.Length >= length)
        {
            return buffer;
        }

        return new T[length <= 1 << 29 ? (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 1)) : length];
    }

    /// <summary>Hands back an array from <see cref="Rent"/>.</summary>
    public static void Return(T[] buffer)
    {
        if (Interlocked.CompareExchange(ref s_shared, buffer, null) is not null)
        {
            t_local = buffer;
        }
    }
}
