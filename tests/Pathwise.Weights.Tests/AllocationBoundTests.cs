using System;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>The reader allocates in proportion to the bytes it is given, never to sizes a header claims.</summary>
public sealed class AllocationBoundTests
{
    private const long Budget = 256 * 1024;

    [Fact]
    public void HeaderClaimingAHugeTensor_FailsWithoutAllocatingIt()
    {
        // 100 million F64 values (800 MB) claimed by a 120-byte file.
        byte[] file = HandBuilt.File("{\"w\":{\"dtype\":\"F64\",\"shape\":[100000000],\"data_offsets\":[0,800000000]}}", new byte[16]);

        long allocated = AllocatedWhileRejecting(file);

        Assert.True(allocated < Budget, $"allocated {allocated} bytes");
    }

    [Fact]
    public void HeaderLengthClaimingNearlyTheLimit_FailsWithoutAllocatingIt()
    {
        byte[] file = HandBuilt.WithDeclaredLength(99_999_999, "{}"u8, ReadOnlySpan<byte>.Empty);

        long allocated = AllocatedWhileRejecting(file);

        Assert.True(allocated < Budget, $"allocated {allocated} bytes");
    }

    [Fact]
    public void ManyEmptyTensorsWithHugeShapes_AllocateNothingPerElement()
    {
        // Empty tensors whose other dimensions are as large as a file may say.
        var header = new System.Text.StringBuilder("{");
        for (int i = 0; i < 200; i++)
        {
            header.Append(i == 0 ? "" : ",").Append($"\"t{i}\":{{\"dtype\":\"F64\",\"shape\":[2147483647,0,2147483647],\"data_offsets\":[0,0]}}");
        }

        byte[] file = HandBuilt.File(header.Append('}').ToString(), ReadOnlySpan<byte>.Empty);
        SafeTensors.Read(file, "warm-up");

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(200, SafeTensors.Read(file, "empty").Count);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 2 * Budget, $"allocated {allocated} bytes for a {file.Length}-byte file");
    }

    private static long AllocatedWhileRejecting(byte[] file)
    {
        // Once to compile the paths, once to measure.
        Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, "warm-up"));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, "claims"));
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
