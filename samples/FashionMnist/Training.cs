using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Pathwise.Weights;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FashionMnist;

/// <summary>
/// The training recipe behind the committed models (<c>samples/Models</c>): Adam on cross-entropy over shuffled
/// mini-batches, the learning rate following a cosine from <c>learningRate</c> down to 0 over all batches, the
/// shuffling drawn from <c>new Random(seed)</c> and the initial weights from <c>torch.manual_seed(seed)</c>.
/// </summary>
public static class Training
{
    // Managed memory one training step may allocate with the collector held off (tensor wrappers and scalars, far less).
    private const long NoGcBytes = 16 << 20;

    /// <summary>
    /// Trains <paramref name="module"/> for <paramref name="epochs"/> passes over <paramref name="data"/> in batches of
    /// <paramref name="batchSize"/>; after each epoch prints the mean loss and, when <paramref name="test"/> is given,
    /// the test accuracy.
    /// </summary>
    public static void Train(nn.Module<Tensor, Tensor> module, FashionMnistData data, FashionMnistData? test, int epochs, int batchSize, double learningRate, int seed)
    {
        var random = new Random(seed);
        int batchesPerEpoch = (data.Count + batchSize - 1) / batchSize;
        int totalBatches = epochs * batchesPerEpoch;
        using var optimizer = optim.Adam(module.parameters(), lr: learningRate);
        var clock = Stopwatch.StartNew();
        var pixels = new float[batchSize * FashionMnistData.ImageSize];
        var labels = new long[batchSize];
        int step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            module.train();
            int[] order = ShuffledIndices(data.Count, random);
            double lossSum = 0;
            for (int position = 0; position < order.Length; position += batchSize)
            {
                int count = Math.Min(batchSize, order.Length - position);
                for (int k = 0; k < count; k++)
                {
                    int index = order[position + k];
                    data.CopyImage(index, pixels.AsSpan(k * FashionMnistData.ImageSize, FashionMnistData.ImageSize));
                    labels[k] = data.Labels[index];
                }

                // Cosine decay: lr_t = lr_0 (1 + cos(pi t / T)) / 2.
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = learningRate * 0.5 * (1 + Math.Cos(Math.PI * step / totalBatches));
                }

                // No garbage collection during the step: TorchSharp passes temporary Scalars (from doubles, inside
                // Adam's step) to native code without keeping them alive, and a collection that finalises one
                // mid-call fails the step with "Unknown scalar type". Collections happen between steps instead.
                bool noGc = GC.TryStartNoGCRegion(NoGcBytes);
                try
                {
                    using var scope = NewDisposeScope();
                    Tensor images = tensor(count == batchSize ? pixels : pixels.AsSpan(0, count * FashionMnistData.ImageSize).ToArray(), [count, 1, 28, 28]);
                    Tensor targets = tensor(count == batchSize ? labels : labels.AsSpan(0, count).ToArray(), [count]);
                    optimizer.zero_grad();
                    Tensor loss = F.cross_entropy(module.forward(images), targets);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * count;
                }
                finally
                {
                    if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
                    {
                        GC.EndNoGCRegion();
                    }
                }

                step++;
            }

            string accuracy = test is null ? "" : $"  test accuracy {Accuracy(module, test):P2}";
            Console.WriteLine($"  epoch {epoch,2}/{epochs}  loss {lossSum / data.Count:0.0000}{accuracy}  ({clock.Elapsed.TotalSeconds:0} s)");
        }

        module.eval();
    }

    /// <summary>The fraction of <paramref name="data"/> whose largest logit is the label (the module in eval mode).</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> module, FashionMnistData data)
    {
        module.eval();
        using var noGrad = no_grad();
        const int chunk = 1000;
        int correct = 0;
        var pixels = new float[chunk * FashionMnistData.ImageSize];
        for (int start = 0; start < data.Count; start += chunk)
        {
            int count = Math.Min(chunk, data.Count - start);
            for (int k = 0; k < count; k++)
            {
                data.CopyImage(start + k, pixels.AsSpan(k * FashionMnistData.ImageSize, FashionMnistData.ImageSize));
            }

            using var scope = NewDisposeScope();
            Tensor images = tensor(pixels.AsSpan(0, count * FashionMnistData.ImageSize).ToArray(), [count, 1, 28, 28]);
            long[] predicted = module.forward(images).argmax(1).data<long>().ToArray();
            for (int k = 0; k < count; k++)
            {
                correct += predicted[k] == data.Labels[start + k] ? 1 : 0;
            }
        }

        return (double)correct / data.Count;
    }

    /// <summary>Writes the module's <c>state_dict</c> as float32 safetensors (atomically: a temp file, then a rename).</summary>
    public static void SaveSafeTensors(nn.Module<Tensor, Tensor> module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tensors = new List<TensorData>();
        foreach ((string name, Tensor value) in module.state_dict())
        {
            int[] shape = Array.ConvertAll(value.shape, d => checked((int)d));
            tensors.Add(TensorData.From(name, shape, value.detach().cpu().data<float>().ToArray()));
        }

        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        SafeTensors.Write(path, tensors, TensorDType.F32, metadata);
    }

    private static int[] ShuffledIndices(int count, Random random)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order);
        return order;
    }
}
