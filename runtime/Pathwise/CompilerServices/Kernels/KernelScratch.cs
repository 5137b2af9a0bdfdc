using System;
using System.Numerics;
using System.Threading;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Scratch arrays per element type for kernels that pad or pack their operands: one slot per thread plus one shared
/// slot. <see cref="Rent"/> takes the thread's array, else the shared one, else allocates (when both are missing or too
/// small); <see cref="Return"/> keeps the larger of the returned array and the thread's own in the thread's slot and
/// offers the other to the shared slot. A thread therefore keeps its largest array, and once it has run every kernel of
/// a call it allocates nothing more, whatever other threads do at the same time (a shared-first order let two threads
/// of a split call trade arrays, so one of them could be left with an array too small for its next kernel).
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
        if (buffer is not null)
        {
            if (buffer.Length >= length)
            {
                return buffer;
            }

            // Too small here, but not for another thread's kernel: back to the shared slot, unless one came meanwhile.
            Interlocked.CompareExchange(ref s_shared, buffer, null);
        }

        return new T[length <= 1 << 29 ? (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 1)) : length];
    }

    /// <summary>Hands back an array from <see cref="Rent"/>.</summary>
    public static void Return(T[] buffer)
    {
        T[]? spare = buffer;
        if (t_local is not { } own || own.Length <= buffer.Length)
        {
            spare = t_local;
            t_local = buffer;
        }

        // The smaller array goes to the shared slot, for a thread that has none yet, unless one is there already.
        if (spare is not null)
        {
            Interlocked.CompareExchange(ref s_shared, spare, null);
        }
    }
}
