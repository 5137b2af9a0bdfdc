using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace Pathwise.Weights.Tests;

/// <summary>
/// Mutated PyTorch checkpoints, from a fixed seed: the reader must either refuse a file with
/// <see cref="WeightsFormatException"/> or load it correctly, and never throw anything else or hang.
/// </summary>
/// <remarks>
/// Two families. Raw byte mutations of the fixtures (flips, overwrites, truncations, insertions) hit the zip
/// structure, whose CRC-32 check must catch every change of content: a file that still loads must load exactly
/// what PyTorch saved. Pickle mutations re-packed into a valid zip with the original storages exercise the
/// unpickler itself: a file that still loads may hold other names, shapes or views, but every value must be an
/// element of one of its storages, since the reader has no other source of numbers.
/// </remarks>
public sealed class PyTorchCheckpointFuzzTests(ITestOutputHelper output)
{
    private const int RawCases = 3000;
    private const int PickleCases = 6000;

    private static readonly string[] Files = { "mlp.pt", "views.pt", "dtypes.pt" };

    [Fact]
    public void RawByteMutations_AreRefusedOrLoadExactly()
    {
        var random = new Random(13_2026);
        int loaded = 0, refused = 0;
        for (int i = 0; i < RawCases; i++)
        {
            string name = Files[random.Next(Files.Length)];
            byte[] file = Mutate(File.ReadAllBytes(PyTorchCheckpointTests.Fixture(name)), random);
            IReadOnlyDictionary<string, TensorData>? tensors = Read(file, $"raw case {i} of {name}");
            if (tensors is null)
            {
                refused++;
                continue;
            }

            loaded++;
            PyTorchCheckpointTests.AssertMatchesExpected(name, tensors);
        }

        output.WriteLine($"{RawCases} raw mutations: {loaded} loaded exactly, {refused} refused");
        Assert.True(refused >= RawCases / 2, $"only {refused} refused");
    }

    [Fact]
    public void PickleMutations_AreRefusedOrLoadOnlyStoredValues()
    {
        var random = new Random(2026_13);
        int loaded = 0, refused = 0;
        foreach (string name in Files)
        {
            (byte[] pickle, List<(string Name, byte[] Data)> others) = Split(File.ReadAllBytes(PyTorchCheckpointTests.Fixture(name)));
            HashSet<double> stored = StoredValues(others);
            for (int i = 0; i < PickleCases / Files.Length; i++)
            {
                byte[] mutated = Mutate(pickle, random);
                var entries = new List<(string, byte[])> { ("archive/data.pkl", mutated) };
                entries.AddRange(others);
                IReadOnlyDictionary<string, TensorData>? tensors = Read(PyTorchCheckpointTests.ZipOf(entries.ToArray()), $"pickle case {i} of {name}");
                if (tensors is null)
                {
                    refused++;
                    continue;
                }

                loaded++;
                foreach (TensorData tensor in tensors.Values)
                {
                    foreach (double value in tensor.Values)
                    {
                        Assert.True(stored.Contains(value) || double.IsNaN(value), $"pickle case {i} of {name}: tensor '{tensor.Name}' holds {value}, which no storage of the file holds");
                    }
                }
            }
        }

        output.WriteLine($"{PickleCases} pickle mutations: {loaded} loaded, {refused} refused");
        Assert.True(loaded >= PickleCases / 20, $"only {loaded} loaded: the mutations are too destructive to test acceptance");
        Assert.True(refused >= PickleCases / 3, $"only {refused} refused");
    }

    /// <summary>The result, or <see langword="null"/> for a <see cref="WeightsFormatException"/>; any other exception fails the test.</summary>
    private static IReadOnlyDictionary<string, TensorData>? Read(byte[] file, string label)
    {
        try
        {
            return PyTorchCheckpoint.Read(file, "fuzz");
        }
        catch (WeightsFormatException)
        {
            return null;
        }
        catch (Exception error)
        {
            Assert.Fail($"{label}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
            return null;
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0: // flip bits
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1: // overwrite with an interesting byte
                byte[] interesting = { 0x00, 0xFF, 0x7F, 0x80, (byte)'(', (byte)'t', (byte)'R', (byte)'.', (byte)'c', 0x8A, (byte)'h', (byte)'u' };
                bytes[random.Next(bytes.Length)] = interesting[random.Next(interesting.Length)];
                return bytes;
            case 2: // truncate
                return bytes.AsSpan(0, random.Next(bytes.Length)).ToArray();
            case 3: // insert random bytes
                {
                    int at = random.Next(bytes.Length + 1);
                    var extra = new byte[random.Next(1, 5)];
                    random.NextBytes(extra);
                    return [.. bytes.AsSpan(0, at), .. extra, .. bytes.AsSpan(at)];
                }

            case 4: // delete a run
                {
                    int at = random.Next(bytes.Length);
                    int count = Math.Min(random.Next(1, 9), bytes.Length - at);
                    return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + count)];
                }

            default: // copy a run over another place (moves opcodes, memo indices, small integers)
                {
                    int from = random.Next(bytes.Length);
                    int to = random.Next(bytes.Length);
                    int count = Math.Min(random.Next(1, 9), Math.Min(bytes.Length - from, bytes.Length - to));
                    Array.Copy(original, from, bytes, to, count);
                    return bytes;
                }
        }
    }

    private static (byte[] Pickle, List<(string Name, byte[] Data)> Others) Split(byte[] file)
    {
        using var archive = new ZipArchive(new MemoryStream(file), ZipArchiveMode.Read);
        byte[]? pickle = null;
        var others = new List<(string, byte[])>();
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            using var copy = new MemoryStream();
            using (Stream stream = entry.Open())
            {
                stream.CopyTo(copy);
            }

            string relative = entry.FullName.Substring(entry.FullName.IndexOf('/', StringComparison.Ordinal) + 1);
            if (relative == "data.pkl")
            {
                pickle = copy.ToArray();
            }
            else
            {
                others.Add(("archive/" + relative, copy.ToArray()));
            }
        }

        return (pickle!, others);
    }

    /// <summary>
    /// Every element of every storage entry of the fixture, decoded as each dtype the reader knows (the pickle, which
    /// says which dtype a storage has, is what the mutations change), at aligned positions.
    /// </summary>
    private static HashSet<double> StoredValues(List<(string Name, byte[] Data)> entries)
    {
        var values = new HashSet<double>();
        foreach ((string name, byte[] data) in entries)
        {
            if (!name.StartsWith("archive/data/", StringComparison.Ordinal))
            {
                continue;
            }

            for (int i = 0; i + 2 <= data.Length; i += 2)
            {
                values.Add((double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(i))));
                values.Add(BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(i)) << 16));
            }

            for (int i = 0; i + 4 <= data.Length; i += 4)
            {
                values.Add(BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(i)));
                values.Add(BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i)));
            }

            for (int i = 0; i + 8 <= data.Length; i += 8)
            {
                values.Add(BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(i)));
                values.Add(BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(i)));
            }
        }

        return values;
    }
}
