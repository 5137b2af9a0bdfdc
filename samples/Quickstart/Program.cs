using System;
using System.IO;
using Pathwise;
using Quickstart;

// 1. A network with weights. Here they are drawn from a seed and saved as safetensors, as PyTorch would
//    write them (fc1.weight [16, 8], ...); a real app ships the file its training run saved.
string weightsPath = Path.Combine(Path.GetTempPath(), "pathwise-quickstart.safetensors");
var trained = new LoanModel();
trained.InitializeWeights(new Random(2026));
trained.SaveWeights(weightsPath);

// 2. Load it back: every tensor's name and shape is checked against the declaration.
LoanModel model = LoanModel.Load(weightsPath);

string[] features = ["income", "debt", "age", "tenure", "late payments", "credit lines", "savings", "requests"];
string[] decisions = ["approve", "review", "decline"];
float[] applicant = [2.4f, -0.8f, 0.6f, 1.6f, -3.0f, 1.2f, 2.2f, -0.4f];

// 3. Predict.
float[] scores = model.Predict(applicant);
int target = 0;
for (int j = 1; j < scores.Length; j++)
{
    if (scores[j] > scores[target])
    {
        target = j;
    }
}

Console.WriteLine($"Scores: {string.Join(", ", ScoresText(scores))} -> {decisions[target]}");

// 4. Explain the decision with Integrated Gradients: 50 Gauss-Legendre points from an all-zero baseline.
var ig = new IntegratedGradients<float>(model, new IntegratedGradientsOptions { Points = 50, Rule = QuadratureRule.GaussLegendre });
Attribution<float> attribution = ig.Attribute(applicant, target);

Console.WriteLine();
Console.WriteLine($"Integrated Gradients for '{decisions[target]}' ({attribution.Points} points, {ig.Options.Rule}):");
float largest = 1e-12f;
foreach (float value in attribution.Values)
{
    largest = Math.Max(largest, Math.Abs(value));
}

for (int i = 0; i < features.Length; i++)
{
    float value = attribution[i];
    string bar = new string(value >= 0 ? '+' : '-', (int)Math.Round(Math.Abs(value) / largest * 30));
    Console.WriteLine($"  {features[i],-14} {value,9:+0.0000;-0.0000}  {bar}");
}

ConvergenceDelta delta = attribution.Delta;
Console.WriteLine();
Console.WriteLine($"Sum of attributions      {attribution.Sum(),10:+0.000000;-0.000000}");
Console.WriteLine($"F(x) - F(baseline)       {delta.OutputAtInput - delta.OutputAtBaseline,10:+0.000000;-0.000000}");
Console.WriteLine($"Convergence delta        {delta.Absolute,10:E2}  (relative {delta.Relative:E2})");

// 5. How the quadrature rule changes completeness at a given budget.
Console.WriteLine();
Console.WriteLine("Relative delta by rule and step count:");
Console.WriteLine($"  {"rule",-14} {"8",10} {"16",10} {"50",10}");
foreach (QuadratureRule rule in Enum.GetValues<QuadratureRule>())
{
    Console.Write($"  {rule,-14}");
    foreach (int steps in new[] { 8, 16, 50 })
    {
        var method = new IntegratedGradients<float>(model, new IntegratedGradientsOptions { Points = steps, Rule = rule });
        Console.Write($" {method.Attribute(applicant, target).Delta.Relative,10:E2}");
    }

    Console.WriteLine();
}

File.Delete(weightsPath);

static string[] ScoresText(float[] values) => Array.ConvertAll(values, v => v.ToString("0.000"));
