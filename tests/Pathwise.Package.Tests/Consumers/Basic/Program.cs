using Pathwise;

// Declare, save and load weights, explain: what a user of the package does, checked end to end.
string path = Path.Combine(Path.GetTempPath(), $"consumer-{Guid.NewGuid():N}.safetensors");
var trained = new LoanModel();
trained.InitializeWeights(new Random(7));
trained.SaveWeights(path);
LoanModel model = LoanModel.Load(path);
File.Delete(path);

float[] applicant = [2.4f, -0.8f, 0.6f, 1.6f, -3.0f, 1.2f, 2.2f, -0.4f];
var ig = new IntegratedGradients<float>(model, new IntegratedGradientsOptions { Points = 64 });
Attribution<float> attribution = ig.Attribute(applicant, target: 0);
LayerAttribution<float> conductance = model.LayerConductance(model.Hidden, applicant, target: 0);

double change = attribution.Delta.OutputAtInput - attribution.Delta.OutputAtBaseline;
bool complete = Math.Abs(attribution.Delta.Absolute) <= 1e-3 * Math.Max(1, Math.Abs(change));
bool conductanceComplete = Math.Abs(conductance.Sum() - change) <= 1e-3 * Math.Max(1, Math.Abs(change));
Console.WriteLine($"ig sum {attribution.Sum():R} change {change:R} delta {attribution.Delta.Absolute:E2}");
Console.WriteLine($"conductance sum {conductance.Sum():R}");
Console.WriteLine(complete && conductanceComplete ? "consumer ok" : "consumer FAILED");
return complete && conductanceComplete ? 0 : 1;

[Network]
public sealed partial class LoanModel
{
    [Input(8)]                              public partial InputLayer Applicant { get; }
    [Dense(16, WeightName = "fc1"), ReLU]   public partial Layer Hidden { get; }
    [Dense(3, WeightName = "fc2")]          public partial Layer Scores { get; }
}
