using System;
using System.CommandLine;
using System.IO;
using FashionMnist;
using Pathwise.Weights;
using Quickstart;

// The main job: the committed Fashion-MNIST CNN and MLP (samples/Models) classify test images, Integrated Gradients
// explains a handful, a summary table is printed and the pictures are written to a folder (./pathwise-output).
var outOption = new Option<string>("--out")
{
    HelpName = "dir",
    Description = "Folder the pictures are written to",
    DefaultValueFactory = _ => "pathwise-output",
};
var dataOption = new Option<string>("--data")
{
    HelpName = "dir",
    Description = "Folder with the Fashion-MNIST gzip IDX files (apt-get install dataset-fashion-mnist)",
    DefaultValueFactory = _ => FashionMnistData.DefaultDirectory,
};
var modelsOption = new Option<string>("--models")
{
    HelpName = "dir",
    Description = "Folder with fashion-cnn.safetensors and fashion-mlp.safetensors",
    DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "Models"),
};
var imagesOption = new Option<int>("--images")
{
    HelpName = "n",
    Description = "Test images to explain, one per class (1 to 10)",
    DefaultValueFactory = _ => 6,
};
imagesOption.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() is < 1 or > 10)
    {
        result.AddError("--images must be between 1 and 10.");
    }
});

var root = new RootCommand("Pathwise quick start: classify Fashion-MNIST with the committed models, explain a handful, write pictures.")
{
    outOption, dataOption, modelsOption, imagesOption,
};
root.SetAction(parse =>
{
    string data = parse.GetValue(dataOption)!;
    if (!Directory.Exists(data) && parse.GetResult(dataOption) is null or { Implicit: true })
    {
        // No --data and no Debian data set: the 500 test images committed beside the models.
        data = Path.Combine(AppContext.BaseDirectory, "Models", "fashion-mnist-slice");
        Console.WriteLine(
            "Debian's Fashion-MNIST is not installed (`apt-get install -y dataset-fashion-mnist` gives all 10,000 test images); " +
            "using the first 500, committed in samples/Models/fashion-mnist-slice.");
    }

    if (!Directory.Exists(data))
    {
        Console.Error.WriteLine(
            $"error: the Fashion-MNIST folder {data} does not exist. Install Debian's data set as root: " +
            "`apt-get update && apt-get install -y dataset-fashion-mnist`, or pass --data DIR for a folder with the four *-ubyte.gz files.");
        return 2;
    }

    try
    {
        MainJob.Run(new JobOptions(data, parse.GetValue(modelsOption)!, parse.GetValue(outOption)!, parse.GetValue(imagesOption)), Console.Out);
        return 0;
    }
    catch (Exception e) when (e is FileNotFoundException or InvalidDataException or WeightsFormatException or WeightsMismatchException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();
