using System;
using System.IO;
using Xunit;
using Xunit.Abstractions;

namespace Pathwise.Onnx.Tests;

/// <summary>
/// Mutated ONNX files, from a fixed seed: the importer either imports a file or refuses it with
/// <see cref="OnnxImportException"/>, and never throws anything else. An imported mutant's declaration must
/// still be consistent with its weights (every weight named by a layer the declaration has).
/// </summary>
public sealed class OnnxImportFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 4000;

    private static readonly string[] Files = { "mlp_gemm_opset13.onnx", "mlp_matmul_opset17.onnx", "cnn_opset17.onnx", "cnn_reshape_opset13.onnx" };

    [Fact]
    public void MutatedModels_ImportOrAreRefused_WithOnnxImportException()
    {
        var random = new Random(2026_0013);
        int imported = 0, refused = 0;
        for (int i = 0; i < Cases; i++)
        {
            string name = Files[random.Next(Files.Length)];
            byte[] bytes = File.ReadAllBytes(OnnxImportTests.Fixture(name));
            byte[] mutated = Mutate(bytes, random);
            try
            {
                ImportedNetwork network = OnnxImporter.Import(mutated, name);
                imported++;
                foreach (var weight in network.Weights)
                {
                    string prefix = weight.Name.Substring(0, weight.Name.LastIndexOf('.'));
                    Assert.Contains($"WeightName = \"{prefix}\"", network.Declaration, StringComparison.Ordinal);
                }
            }
            catch (OnnxImportException)
            {
                refused++;
            }
            catch (Exception error)
            {
                Assert.Fail($"case {i} of {name}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
            }
        }

        output.WriteLine($"{Cases} mutated models: {imported} imported, {refused} refused");
        Assert.True(refused >= Cases / 10, $"only {refused} refused");
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1:
                byte[] interesting = { 0x00, 0xFF, 0x7F, 0x80, 0x01, 0x08, 0x12, 0x1A };
                bytes[random.Next(bytes.Length)] = interesting[random.Next(interesting.Length)];
                return bytes;
            case 2:
                return bytes.AsSpan(0, random.Next(bytes.Length)).ToArray();
            default:
                {
                    int from = random.Next(bytes.Length);
                    int to = random.Next(bytes.Length);
                    int count = Math.Min(random.Next(1, 9), Math.Min(bytes.Length - from, bytes.Length - to));
                    Array.Copy(original, from, bytes, to, count);
                    return bytes;
                }
        }
    }
}
