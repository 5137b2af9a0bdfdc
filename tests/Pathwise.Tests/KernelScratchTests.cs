using System;
using System.Threading;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// The kernels' scratch arrays under two threads that rent different sizes in an interleaved order, as the two halves
/// of a split call do (one thread's convolution forward while the other's runs a backward): once each thread has
/// rented its largest size, neither allocates again.
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class KernelScratchTests
{
    [Fact]
    public void TwoThreadsRentingInTurn_AllocateNothingOnceEachHasItsLargest()
    {
        // The steps of one round in order: which thread acts, the length it rents (0: it hands back what it holds), and
        // whether it keeps the array past its step. A policy that returned arrays to the shared slot first left thread
        // 1 allocating in every round of this order (found by simulating both policies over random orders).
        (int Thread, int Length, bool Hold)[] steps =
        [
            (1, 5000, true), (0, 1000, false), (1, 0, false), (0, 100, true), (1, 1000, false),
            (0, 0, false), (0, 5000, true), (1, 1000, true), (0, 0, false), (1, 0, false),
        ];
        const int warmRounds = 5, rounds = 30;
        long[] allocated = new long[2];
        using var turn0 = new SemaphoreSlim(0);
        using var turn1 = new SemaphoreSlim(0);
        SemaphoreSlim[] turns = [turn0, turn1];

        void Run(int me)
        {
            float[]? held = null;
            for (int round = 0; round < warmRounds + rounds; round++)
            {
                for (int i = 0; i < steps.Length; i++)
                {
                    (int thread, int length, bool hold) = steps[i];
                    if (thread != me)
                    {
                        continue;
                    }

                    turns[me].Wait();
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    if (length == 0)
                    {
                        KernelScratch<float>.Return(held!);
                        held = null;
                    }
                    else
                    {
                        float[] buffer = KernelScratch<float>.Rent(length);
                        Assert.True(buffer.Length >= length);
                        if (hold)
                        {
                            held = buffer;
                        }
                        else
                        {
                            KernelScratch<float>.Return(buffer);
                        }
                    }

                    if (round >= warmRounds)
                    {
                        allocated[me] += GC.GetAllocatedBytesForCurrentThread() - before;
                    }

                    // Hand the turn to whoever acts next (the next round's first step after the last).
                    bool last = i == steps.Length - 1 && round == warmRounds + rounds - 1;
                    if (!last)
                    {
                        turns[steps[(i + 1) % steps.Length].Thread].Release();
                    }
                }
            }
        }

        var other = new Thread(() => Run(1));
        other.Start();
        turns[steps[0].Thread].Release();
        Run(0);
        Assert.True(other.Join(TimeSpan.FromSeconds(30)), "the second thread did not finish");
        Assert.Equal(0, allocated[0]);
        Assert.Equal(0, allocated[1]);
    }
}
