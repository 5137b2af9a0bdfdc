using System;
using Pathwise;
using Pathwise.Tests;

namespace Pathwise.TorchSharp.Tests;

/// <summary>A generated network with its parameters, freshly randomised from a seed.</summary>
internal sealed record Subject<T>(INetwork<T> Network, ParameterSet<T> Parameters, Action<Pathwise.Weights.WeightSet> LoadWeights) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    public NetworkInfo Info => Network.Info;

    /// <summary>Random points in [-scale, scale], row-major <c>[count, input length]</c>.</summary>
    public T[] RandomPoints(int count, int seed, double scale = 1.5)
    {
        var random = new Random(seed);
        var points = new T[count * Info.InputLength];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = T.CreateChecked((2 * random.NextDouble() - 1) * scale);
        }

        return points;
    }

    /// <summary>The generated forward pass of <paramref name="points"/>.</summary>
    public T[] Forward(T[] points, int count)
    {
        var workspace = new Workspace<T>(Info, count);
        points.CopyTo(workspace.Input(count));
        Network.ForwardFrom(Info.Input, workspace, count);
        return workspace.Output(count).ToArray();
    }

    /// <summary>The generated backward pass: <c>d(sum_{n,j} outputCoefficients[n, j] F_j(x_n)) / dx_n</c>.</summary>
    public T[] InputGradient(T[] points, T[] outputCoefficients, int count)
    {
        var workspace = new Workspace<T>(Info, count);
        points.CopyTo(workspace.Input(count));
        Network.ForwardFrom(Info.Input, workspace, count);
        outputCoefficients.CopyTo(workspace.OutputGradient(count));
        Network.BackwardFrom(Info.Output, workspace, count);
        return workspace.Gradients(Info.Input, count).ToArray();
    }
}

/// <summary>The networks of <c>Networks.cs</c> by name, randomised with <c>InitializeWeights(new Random(seed))</c>.</summary>
internal static class Subjects
{
    public static readonly string[] Float64 =
    [
        nameof(Linear),
        nameof(ActivationZoo),
        nameof(ReluMlp),
        nameof(EveryLayerCnn),
        nameof(FashionCnn64),
        nameof(PoolFirst),
        nameof(ExportedCnn),
        nameof(GlobalPoolFirst),
        nameof(PwlGlobalPoolCnn),
        nameof(LayerNormMlp),
        nameof(GeneralConvNet),
        nameof(PwlGeneralConvNet),
        nameof(Conv1DNet),
        nameof(PwlConv1DNet),
    ];

    public static Subject<double> Create64(string name, int seed = 7)
    {
        var random = new Random(seed);
        switch (name)
        {
            case nameof(Linear): { var n = new Linear(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(ActivationZoo): { var n = new ActivationZoo(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(ReluMlp): { var n = new ReluMlp(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(EveryLayerCnn): { var n = new EveryLayerCnn(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(FashionCnn64): { var n = new FashionCnn64(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(PoolFirst): { var n = new PoolFirst(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(ExportedCnn): { var n = new ExportedCnn(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(GlobalPoolFirst): { var n = new GlobalPoolFirst(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(PwlGlobalPoolCnn): { var n = new PwlGlobalPoolCnn(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(LayerNormMlp): { var n = new LayerNormMlp(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(GeneralConvNet): { var n = new GeneralConvNet(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(PwlGeneralConvNet): { var n = new PwlGeneralConvNet(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(Conv1DNet): { var n = new Conv1DNet(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            case nameof(PwlConv1DNet): { var n = new PwlConv1DNet(); n.InitializeWeights(random); return new(n, n.Parameters, n.LoadWeights); }
            default: throw new ArgumentException($"Unknown network {name}.", nameof(name));
        }
    }

    public static Subject<float> CreateSmallCnn32(int seed = 7)
    {
        var n = new TorchSmallCnn32();
        n.InitializeWeights(new Random(seed));
        return new(n, n.Parameters, n.LoadWeights);
    }
}
