using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Linq;
using FashionMnist;
using Pathwise;
using Pathwise.TorchSharp;
using Pathwise.Weights;
using TorchSharp;

// Train in PyTorch style with TorchSharp, save the state_dict as safetensors, then explain predictions with the
// generated Pathwise network: Integrated Gradients, hidden-layer conductance and region-to-neuron.

var dataOption = new Option<string>("--data")
{
    HelpName = "dir",
    Description = "Folder with the Fashion-MNIST gzip IDX files (apt-get install dataset-fashion-mnist)",
    DefaultValueFactory = _ => FashionMnistData.DefaultDirectory,
};
var weightsOption = new Option<string?>("--weights")
{
    HelpName = "file",
    Description = "Skip training and explain with this safetensors file (conv1.weight, ..., fc2.bias)",
};
var outputOption = new Option<string>("--output")
{
    HelpName = "dir",
    Description = "Folder the trained weights are saved to",
    DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "pathwise-fashion-mnist"),
};
var batchesOption = new Option<int>("--batches")
{
    HelpName = "n",
    Description = "Training batches of 64 images (938 is one epoch)",
    DefaultValueFactory = _ => 938,
};
var imagesOption = new Option<int>("--images")
{
    HelpName = "n",
    Description = "Test images to explain, one per class",
    DefaultValueFactory = _ => 3,
};
var seedOption = new Option<int>("--seed")
{
    HelpName = "n",
    Description = "Seed of the initial weights and the shuffling",
    DefaultValueFactory = _ => 2026,
};
batchesOption.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 1)
    {
        result.AddError("--batches must be at least 1.");
    }
});
imagesOption.Validators.Add(result =>
{
    int images = result.GetValueOrDefault<int>();
    if (images < 1 || images > FashionMnistData.ClassNames.Length)
    {
        result.AddError($"--images must be between 1 and {FashionMnistData.ClassNames.Length}.");
    }
});

var root = new RootCommand("Fashion-MNIST: train a small CNN with TorchSharp, explain its predictions with Pathwise.")
{
    dataOption, weightsOption, outputOption, batchesOption, imagesOption, seedOption,
};
var train = TrainCommand(dataOption.DefaultValueFactory!);
root.Subcommands.Add(train);
root.SetAction(parse =>
{
    try
    {
        Run(
            parse.GetValue(dataOption)!,
            parse.GetValue(weightsOption),
            parse.GetValue(outputOption)!,
            parse.GetValue(batchesOption),
            parse.GetValue(imagesOption),
            parse.GetValue(seedOption));
        return 0;
    }
    catch (Exception e) when (e is FileNotFoundException or InvalidDataException or WeightsFormatException or WeightsMismatchException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();

static void Run(string dataDirectory, string? weightsPath, string outputDirectory, int batches, int imageCount, int seed)
{
    string[] classes = FashionMnistData.ClassNames;

    // 1. Data, from the files Debian's dataset-fashion-mnist package installs.
    FashionMnistData test = FashionMnistData.LoadTest(dataDirectory);
    Console.WriteLine($"Fashion-MNIST from {dataDirectory}: {test.Count} test images");

    // 2. Train in PyTorch style (or load a finished run), then save the state_dict as safetensors.
    torch.manual_seed(seed);
    using var trained = new TorchCnn();
    if (weightsPath is null)
    {
        FashionMnistData training = FashionMnistData.LoadTraining(dataDirectory);
        Console.WriteLine($"Training the TorchSharp CNN on {training.Count} images: {batches} batches of 64, Adam, CPU");
        var clock = Stopwatch.StartNew();
        trained.Train(training, batches, batchSize: 64, seed);
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:0.0} s");

        Directory.CreateDirectory(outputDirectory);
        weightsPath = Path.Combine(outputDirectory, "fashion-cnn.safetensors");
        trained.SaveSafeTensors(weightsPath, new Dictionary<string, string> { ["source"] = "samples/FashionMnist", ["batches"] = $"{batches}" });
        Console.WriteLine($"Saved {weightsPath} ({new FileInfo(weightsPath).Length / 1024} KiB): {string.Join(", ", trained.state_dict().Keys)}");
    }
    else
    {
        trained.LoadSafeTensors(weightsPath);
        Console.WriteLine($"Loaded {weightsPath} into the TorchSharp CNN (training skipped)");
    }

    Console.WriteLine($"Test accuracy (TorchSharp): {trained.Accuracy(test):P1}");

    // 3. The same network declared for Pathwise, loaded from the same file: names and shapes are checked.
    FashionCnn model = FashionCnn.Load(weightsPath);
    int[] picked = OnePerClass(test, imageCount);
    var workspace = model.CreateWorkspace(1);
    double largestDifference = 0;
    int agreementImages = Math.Max(8, picked.Length);
    for (int index = 0; index < agreementImages; index++)
    {
        float[] reference = trained.Logits(test.Image(index));
        float[] logits = Logits(model, workspace, test.Image(index));
        for (int j = 0; j < logits.Length; j++)
        {
            largestDifference = Math.Max(largestDifference, Math.Abs(logits[j] - reference[j]));
        }
    }

    Console.WriteLine($"Pathwise FashionCnn.Load: logits agree with TorchSharp on {agreementImages} test images, max |difference| {largestDifference:E2}");

    // 4. Explain one test image per class with the prediction as the target.
    var igOptions = new IntegratedGradientsOptions { Points = 50, Rule = QuadratureRule.GaussLegendre, Baseline = Baseline.Zero };
    var layerOptions = new LayerAttributionOptions { Points = 50, Rule = QuadratureRule.GaussLegendre, Baseline = Baseline.Zero };
    var ig = new IntegratedGradients<float>(model, igOptions);
    bool[] topLeft = FashionMnistData.Square(0, 0, 14);
    bool[] centre = FashionMnistData.Square(7, 7, 14);
    Console.WriteLine();
    Console.WriteLine("Explaining the predicted class of one test image per class (zero baseline = black image).");
    Console.WriteLine("Shading ' .:-=+*#%@' runs from 0 to each map's 99th percentile of |value|.");
    foreach (int index in picked)
    {
        float[] image = test.Image(index);
        float[] logits = Logits(model, workspace, image);
        int target = ArgMax(logits);
        Console.WriteLine();
        Console.WriteLine($"=== Test image {index}: {classes[test.Labels[index]]}, predicted {classes[target]} (p = {Softmax(logits)[target]:0.000})");

        Attribution<float> attribution = ig.Attribute(image, target);
        LayerAttribution<float> conductance = model.LayerConductance(model.Hidden, image, target, layerOptions);
        int[] top = TopByMagnitude(conductance.ToArray(), 5);
        NeuronAttribution<float> flow = model.NeuronConductance(model.Hidden, image, target, [top[0]], layerOptions);
        Heatmap.PrintSideBySide(
        [
            ("image", image),
            ("|IG|", attribution.ToArray()),
            ($"|cond. via hidden #{top[0]}|", flow.Row(0).ToArray()),
        ]);

        ConvergenceDelta delta = attribution.Delta;
        Console.WriteLine(
            $"  IG, {attribution.Points} Gauss-Legendre points: sum {attribution.Sum():+0.0000;-0.0000}, F(x) - F(0) " +
            $"{delta.OutputAtInput - delta.OutputAtBaseline:+0.0000;-0.0000}, delta {delta.Absolute:E2} (relative {delta.Relative:E2})");
        Console.WriteLine(
            $"  Hidden conductance, top 5 of 64: {string.Join("  ", top.Select(j => $"#{j} {conductance[j]:+0.000;-0.000}"))}" +
            $"   (sum {conductance.Sum():+0.000;-0.000}, delta {conductance.Delta.Absolute:E2})");

        foreach ((string name, bool[] region) in new[] { ("top-left 14x14", topLeft), ("centre 14x14", centre) })
        {
            LayerAttribution<float> share = model.RegionToNeuron(model.Hidden, image, target, region, layerOptions);
            ConvergenceDelta regionDelta = share.Delta;
            Console.WriteLine(
                $"  Region {name,-15} IG of region {regionDelta.OutputAtInput - regionDelta.OutputAtBaseline,8:+0.000;-0.000}, " +
                $"via {string.Join("  ", top.Select(j => $"#{j} {share[j]:+0.000;-0.000}"))}   (delta {regionDelta.Absolute:E2})");
        }
    }

    // 5. Speed, for information: the same IG call in Pathwise and through TorchIntegratedGradients on TorchSharp.
    float[] timed = test.Image(picked[0]);
    int timedTarget = ArgMax(Logits(model, workspace, timed));
    var attributions = new float[FashionCnn.InputLength];
    double pathwiseMs = MedianMilliseconds(() => ig.Attribute(timed, timedTarget, attributions), warmup: 20, runs: 100);
    using TorchNetwork<float> module = model.ToTorch("cpu");
    using var torchIg = new TorchIntegratedGradients<float>(module, igOptions);
    double torchMs = MedianMilliseconds(() => torchIg.Attribute(timed, timedTarget), warmup: 10, runs: 50);
    Attribution<float> torchAttribution = torchIg.Attribute(timed, timedTarget);
    double igDifference = 0;
    for (int i = 0; i < attributions.Length; i++)
    {
        igDifference = Math.Max(igDifference, Math.Abs(attributions[i] - torchAttribution.Values[i]));
    }

    Console.WriteLine();
    Console.WriteLine($"IG, 50 Gauss-Legendre points, one 28x28 image (median; {Environment.ProcessorCount} cores; informative only):");
    Console.WriteLine($"  Pathwise (generated C#)           {pathwiseMs,7:0.00} ms");
    Console.WriteLine($"  TorchIntegratedGradients (CPU)    {torchMs,7:0.00} ms   (max |difference| from Pathwise {igDifference:E2})");
}

// `train`: the recipe behind the committed samples/Models files (see samples/Models/README.md).
static Command TrainCommand(Func<System.CommandLine.Parsing.ArgumentResult, string> defaultData)
{
    var data = new Option<string>("--data") { HelpName = "dir", Description = "Folder with the Fashion-MNIST gzip IDX files", DefaultValueFactory = defaultData };
    var output = new Option<string>("--out") { HelpName = "dir", Description = "Folder the safetensors files are written to", DefaultValueFactory = _ => Path.Combine("samples", "Models") };
    var model = new Option<string>("--model") { HelpName = "cnn|mlp|all", Description = "Which model to train", DefaultValueFactory = _ => "all" };
    var cnnEpochs = new Option<int>("--cnn-epochs") { HelpName = "n", Description = "Epochs of the CNN", DefaultValueFactory = _ => 12 };
    var mlpEpochs = new Option<int>("--mlp-epochs") { HelpName = "n", Description = "Epochs of the MLP", DefaultValueFactory = _ => 12 };
    var seed = new Option<int>("--seed") { HelpName = "n", Description = "Seed of the initial weights and the shuffling", DefaultValueFactory = _ => 2026 };
    model.AcceptOnlyFromAmong("cnn", "mlp", "all");
    var command = new Command("train", "Train the README's FashionCnn and the 784-256-128-10 FashionMlp from a fixed seed; save them as safetensors.")
    {
        data, output, model, cnnEpochs, mlpEpochs, seed,
    };
    command.SetAction(parse =>
    {
        string which = parse.GetValue(model)!;
        FashionMnistData training;
        FashionMnistData test;
        try
        {
            training = FashionMnistData.LoadTraining(parse.GetValue(data)!);
            test = FashionMnistData.LoadTest(parse.GetValue(data)!);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        int seedValue = parse.GetValue(seed);
        Console.WriteLine($"TorchSharp on the CPU, {torch.get_num_threads()} threads; {training.Count} training and {test.Count} test images; seed {seedValue}");
        if (which is "cnn" or "all")
        {
            torch.manual_seed(seedValue);
            using var cnn = new TorchCnn();
            TrainOne(cnn, "fashion-cnn", training, test, parse.GetValue(cnnEpochs), seedValue, parse.GetValue(output)!);
        }

        if (which is "mlp" or "all")
        {
            torch.manual_seed(seedValue);
            using var mlp = new TorchMlp();
            TrainOne(mlp, "fashion-mlp", training, test, parse.GetValue(mlpEpochs), seedValue, parse.GetValue(output)!);
        }

        return 0;
    });
    return command;
}

static void TrainOne(torch.nn.Module<torch.Tensor, torch.Tensor> module, string name, FashionMnistData training, FashionMnistData test, int epochs, int seed, string output)
{
    const int batchSize = 64;
    const double learningRate = 2e-3;
    Console.WriteLine($"Training {name}: {epochs} epochs, batches of {batchSize}, Adam, learning rate {learningRate} with cosine decay");
    var clock = Stopwatch.StartNew();
    Training.Train(module, training, test, epochs, batchSize, learningRate, seed);
    double seconds = clock.Elapsed.TotalSeconds;
    double accuracy = Training.Accuracy(module, test);
    string path = Path.Combine(output, name + ".safetensors");
    Training.SaveSafeTensors(module, path, new Dictionary<string, string>
    {
        ["source"] = "dotnet run -c Release --project samples/FashionMnist -- train",
        ["seed"] = $"{seed}",
        ["epochs"] = $"{epochs}",
        ["batch_size"] = $"{batchSize}",
        ["learning_rate"] = $"{learningRate}",
        ["test_accuracy"] = $"{accuracy:0.0000}",
    });
    Console.WriteLine($"{name}: test accuracy {accuracy:P2} after {seconds:0} s; saved {path} ({new FileInfo(path).Length / 1024} KiB)");
}

static float[] Logits(FashionCnn model, Workspace<float> workspace, ReadOnlySpan<float> image)
{
    image.CopyTo(workspace.Input(1));
    model.ForwardFrom(model.Pixels, workspace, 1);
    return workspace.Output(1).ToArray();
}

static int[] OnePerClass(FashionMnistData data, int count)
{
    var picked = new List<int>();
    var seen = new HashSet<int>();
    for (int i = 0; i < data.Count && picked.Count < count; i++)
    {
        if (seen.Add(data.Labels[i]))
        {
            picked.Add(i);
        }
    }

    return [.. picked];
}

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        best = values[i] > values[best] ? i : best;
    }

    return best;
}

static float[] Softmax(float[] logits)
{
    float max = logits.Max();
    float[] exp = Array.ConvertAll(logits, v => MathF.Exp(v - max));
    float total = exp.Sum();
    return Array.ConvertAll(exp, v => v / total);
}

static int[] TopByMagnitude(float[] values, int count) =>
    [.. Enumerable.Range(0, values.Length).OrderByDescending(j => Math.Abs(values[j])).Take(count)];

static double MedianMilliseconds(Action action, int warmup, int runs)
{
    for (int i = 0; i < warmup; i++)
    {
        action();
    }

    var times = new double[runs];
    for (int i = 0; i < runs; i++)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(times);
    return times[runs / 2];
}
