using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Pathwise.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FashionMnist;

/// <summary>
/// The classifier as a PyTorch-style TorchSharp module, the way a training script writes it. Its
/// <c>state_dict</c> names (<c>conv1.weight</c>, <c>conv1.bias</c>, ..., <c>fc2.bias</c>) are the ones
/// <see cref="FashionCnn"/> declares.
/// </summary>
public sealed class TorchCnn : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1 = nn.Conv2d(1, 8, 3, padding: 1);
    private readonly Conv2d _conv2 = nn.Conv2d(8, 16, 3, padding: 1);
    private readonly Linear _fc1 = nn.Linear(16 * 7 * 7, 64);
    private readonly Linear _fc2 = nn.Linear(64, 10);

    /// <summary>Creates the module with TorchSharp's default initialisation (seed it with <c>torch.manual_seed</c>).</summary>
    public TorchCnn()
        : base(nameof(TorchCnn))
    {
        register_module("conv1", _conv1);
        register_module("conv2", _conv2);
        register_module("fc1", _fc1);
        register_module("fc2", _fc2);
    }

    /// <summary>Maps images <c>[n, 1, 28, 28]</c> to logits <c>[n, 10]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        x = F.max_pool2d(F.relu(_conv1.forward(x)), 2);   // [n, 8, 14, 14]
        x = F.max_pool2d(F.relu(_conv2.forward(x)), 2);   // [n, 16, 7, 7]
        x = x.flatten(1);                                 // [n, 784], the order Pathwise's Flatten uses
        x = F.relu(_fc1.forward(x));                      // [n, 64]
        return _fc2.forward(x);                           // [n, 10]
    }

    /// <summary>
    /// Trains with Adam (learning rate 1e-3) and cross-entropy on shuffled mini-batches of
    /// <paramref name="batchSize"/>, for <paramref name="batches"/> batches (one epoch is
    /// <c>ceil(data.Count / batchSize)</c>), printing the running loss now and then.
    /// </summary>
    public void Train(FashionMnistData data, int batches, int batchSize, int seed)
    {
        var random = new Random(seed);
        int[] order = ShuffledIndices(data.Count, random);
        using var optimizer = optim.Adam(parameters(), lr: 1e-3);
        train();

        var clock = Stopwatch.StartNew();
        double runningLoss = 0;
        int runningCount = 0;
        int position = 0;
        for (int batch = 1; batch <= batches; batch++)
        {
            if (position == order.Length)
            {
                order = ShuffledIndices(data.Count, random);
                position = 0;
            }

            int count = Math.Min(batchSize, order.Length - position);
            var pixels = new float[count * FashionMnistData.ImageSize];
            var labels = new long[count];
            for (int k = 0; k < count; k++)
            {
                int index = order[position + k];
                data.CopyImage(index, pixels.AsSpan(k * FashionMnistData.ImageSize, FashionMnistData.ImageSize));
                labels[k] = data.Labels[index];
            }

            position += count;
            using var scope = NewDisposeScope();
            Tensor images = tensor(pixels, [count, 1, 28, 28]);
            Tensor targets = tensor(labels, [count]);
            optimizer.zero_grad();
            Tensor loss = F.cross_entropy(forward(images), targets);
            loss.backward();
            optimizer.step();

            runningLoss += loss.item<float>();
            runningCount++;
            if (batch % 200 == 0 || batch == batches)
            {
                Console.WriteLine($"  batch {batch,4}/{batches}  loss {runningLoss / runningCount:0.000}  ({clock.Elapsed.TotalSeconds:0.0} s)");
                runningLoss = 0;
                runningCount = 0;
            }
        }

        eval();
    }

    /// <summary>The fraction of <paramref name="data"/> whose largest logit is the label.</summary>
    public double Accuracy(FashionMnistData data)
    {
        eval();
        using var noGrad = no_grad();
        const int chunk = 1000;
        int correct = 0;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int count = Math.Min(chunk, data.Count - start);
            var pixels = new float[count * FashionMnistData.ImageSize];
            for (int k = 0; k < count; k++)
            {
                data.CopyImage(start + k, pixels.AsSpan(k * FashionMnistData.ImageSize, FashionMnistData.ImageSize));
            }

            using var scope = NewDisposeScope();
            long[] predicted = forward(tensor(pixels, [count, 1, 28, 28])).argmax(1).data<long>().ToArray();
            for (int k = 0; k < count; k++)
            {
                correct += predicted[k] == data.Labels[start + k] ? 1 : 0;
            }
        }

        return (double)correct / data.Count;
    }

    /// <summary>The logits of one image (784 values in [0, 1]).</summary>
    public float[] Logits(ReadOnlySpan<float> image)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return forward(tensor(image.ToArray(), [1, 1, 28, 28])).data<float>().ToArray();
    }

    /// <summary>Writes the <c>state_dict</c> as float32 safetensors (atomically: a temp file, then a rename).</summary>
    public void SaveSafeTensors(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tensors = new List<TensorData>();
        foreach ((string name, Tensor value) in state_dict())
        {
            int[] shape = Array.ConvertAll(value.shape, d => checked((int)d));
            tensors.Add(TensorData.From(name, shape, value.detach().cpu().data<float>().ToArray()));
        }

        SafeTensors.Write(path, tensors, TensorDType.F32, metadata);
    }

    /// <summary>Reads every <c>state_dict</c> tensor from a safetensors file; a missing or mis-shaped tensor is an error naming it.</summary>
    public void LoadSafeTensors(string path)
    {
        IReadOnlyDictionary<string, TensorData> file = SafeTensors.Read(path);
        using var noGrad = no_grad();
        foreach ((string name, Tensor target) in state_dict())
        {
            if (!file.TryGetValue(name, out TensorData? source))
            {
                throw new InvalidDataException($"{path} has no tensor '{name}'.");
            }

            long[] shape = Array.ConvertAll(source.Shape.ToArray(), d => (long)d);
            if (!shape.AsSpan().SequenceEqual(target.shape))
            {
                throw new InvalidDataException($"{path}: '{name}' is [{string.Join(", ", shape)}]; expected [{string.Join(", ", target.shape)}].");
            }

            target.copy_(tensor(Array.ConvertAll(source.Values.ToArray(), v => (float)v), shape));
        }
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
