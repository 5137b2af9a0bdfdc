using Pathwise;
using Pathwise.TorchSharp;

// The generator comes with Pathwise.TorchSharp's dependency on Pathwise; the libstdc++ fix with its build files.
var model = new Classifier();
model.InitializeWeights(new Random(3));
float[] input = [0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f];

var options = new IntegratedGradientsOptions { Points = 32 };
Attribution<float> onCpu = new IntegratedGradients<float>(model, options).Attribute(input, target: 1);
using var module = model.ToTorch("cpu");
using var ig = new TorchIntegratedGradients<float>(module, options);
Attribution<float> onTorch = ig.Attribute(input, target: 1);

double largest = 1e-6;
double difference = 0;
for (int i = 0; i < input.Length; i++)
{
    largest = Math.Max(largest, Math.Abs(onCpu[i]));
    difference = Math.Max(difference, Math.Abs(onCpu[i] - onTorch[i]));
}

bool agree = difference <= 1e-4 * largest;
Console.WriteLine($"torch vs cpu: max difference {difference:E2} (largest {largest:E2}); delta {onTorch.Delta.Relative:E2}");
Console.WriteLine(agree ? "consumer ok" : "consumer FAILED");
return agree ? 0 : 1;

[Network]
public sealed partial class Classifier
{
    [Input(6)]              public partial InputLayer Features { get; }
    [Dense(10), Tanh]       public partial Layer Hidden { get; }
    [Dense(4)]              public partial Layer Logits { get; }
}
