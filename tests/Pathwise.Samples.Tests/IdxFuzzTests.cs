using System;
using System.IO;
using FashionMnist;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>
/// Seeded mutation fuzzing of the IDX reader: mutated raw and gzip files either read (to data of the shape
/// asked for) or fail with an <see cref="InvalidDataException"/>, never anything else, and never allocate more
/// than the file can hold. Bounded by a fixed number of cases, a few seconds.
/// </summary>
public sealed class IdxFuzzTests
{
    private const int Cases = 4000;
    private const long FixedAllocation = 1 << 18;

    [Theory]
    [InlineData(false, 11)]
    [InlineData(true, 12)]
    public void MutatedImages_ReadOrFailWithInvalidData(bool gzip, int seed) =>
        Fuzz(IdxFiles.Raw([3, 28, 28], IdxFiles.Images(3, seed)), [0, 28, 28], gzip, seed);

    [Theory]
    [InlineData(false, 21)]
    [InlineData(true, 22)]
    public void MutatedLabels_ReadOrFailWithInvalidData(bool gzip, int seed) =>
        Fuzz(IdxFiles.Raw([12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 0]), [0], gzip, seed);

    private static void Fuzz(byte[] raw, int[] dimensions, bool gzip, int seed)
    {
        byte[] original = gzip ? IdxFiles.Gzip(raw) : raw;
        var random = new Random(seed);
        int accepted = 0;
        for (int trial = 0; trial < Cases; trial++)
        {
            byte[] file = Mutate(original, random, headerBytes: gzip ? 10 : 4 + 4 * dimensions.Length);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                byte[] data = IdxReader.Read(new MemoryStream(file), "fuzz", dimensions);
                int rowLength = 1;
                foreach (int d in dimensions[1..])
                {
                    rowLength *= d;
                }

                Assert.True(data.Length > 0 && data.Length % rowLength == 0, $"trial {trial}: {data.Length} bytes read");
                accepted++;
            }
            catch (InvalidDataException error)
            {
                Assert.StartsWith("fuzz:", error.Message);
            }
            catch (Exception error)
            {
                Assert.Fail($"trial {trial} (seed {seed}): {error.GetType().Name}: {error.Message}\n{Convert.ToHexString(file)}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long bound = FixedAllocation + (gzip ? IdxReader.MaxDeflateRatio : 1) * file.Length;
            Assert.True(allocated <= bound, $"trial {trial} (seed {seed}): {allocated} bytes allocated for a {file.Length}-byte file");
        }

        // Some mutations leave a valid file (a changed pixel of a raw file); the fuzzing reached past the checks.
        Assert.True(gzip || accepted > 0, "no mutated raw file was accepted");
    }

    /// <summary>One to three mutations: flipped bits, random bytes (often in the header), a cut, an inserted or removed run, junk appended.</summary>
    private static byte[] Mutate(byte[] original, Random random, int headerBytes)
    {
        byte[] file = (byte[])original.Clone();
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations && file.Length > 0; m++)
        {
            switch (random.Next(7))
            {
                case 0:
                    file[random.Next(file.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    file[random.Next(file.Length)] = (byte)random.Next(256);
                    break;
                case 2:
                    file[random.Next(Math.Min(headerBytes, file.Length))] = (byte)random.Next(256);
                    break;
                case 3:
                    file = file[..random.Next(file.Length)];
                    break;
                case 4:
                {
                    int at = random.Next(file.Length);
                    int count = random.Next(1, 9);
                    var longer = new byte[file.Length + count];
                    file.AsSpan(0, at).CopyTo(longer);
                    random.NextBytes(longer.AsSpan(at, count));
                    file.AsSpan(at).CopyTo(longer.AsSpan(at + count));
                    file = longer;
                    break;
                }

                case 5:
                {
                    int at = random.Next(file.Length);
                    int count = Math.Min(random.Next(1, 9), file.Length - at);
                    file = [.. file.AsSpan(0, at), .. file.AsSpan(at + count)];
                    break;
                }

                default:
                {
                    var longer = new byte[file.Length + random.Next(1, 17)];
                    file.CopyTo(longer, 0);
                    random.NextBytes(longer.AsSpan(file.Length));
                    file = longer;
                    break;
                }
            }
        }

        return file;
    }
}
