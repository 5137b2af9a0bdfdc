using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using FashionMnist;
using Pathwise.Weights;

namespace Pathwise.Cli.Models;

/// <summary>
/// Finds a network declaration and loads weights into it: the bundled Fashion-MNIST models (<c>cnn</c>, <c>mlp</c>), a
/// weights file with a bundled declaration, or a weights file with a network declared in an assembly. Reflection is
/// used here, once per command, to find and create the declared type; nothing after that goes through it.
/// </summary>
internal static class ModelLoader
{
    /// <summary>The bundled models by name.</summary>
    public static readonly IReadOnlyList<string> BundledNames = ["cnn", "mlp"];

    /// <summary>The folder of the bundled weights, next to the tool.</summary>
    public static string ModelsDirectory => Path.Combine(AppContext.BaseDirectory, "Models");

    /// <summary>The bundled weights file of <paramref name="name"/> (<c>cnn</c> or <c>mlp</c>).</summary>
    public static string BundledWeights(string name) => Path.Combine(ModelsDirectory, $"fashion-{name}.safetensors");

    /// <summary>
    /// Loads the model <paramref name="model"/> names: <c>cnn</c> or <c>mlp</c> (the bundled weights), or a safetensors
    /// file loaded into the declaration <paramref name="network"/> names (<c>cnn</c>, <c>mlp</c> or, with
    /// <paramref name="assembly"/>, a type there); with neither, the bundled declaration the file fits.
    /// </summary>
    /// <exception cref="CliException">A file or type is missing or unusable (exit code 1) or the weights do not fit (exit code 2).</exception>
    public static CliModel Load(string model, string? assembly, string? network)
    {
        if (IsBundled(model))
        {
            string name = model.ToLowerInvariant();
            if (assembly is not null)
            {
                throw CliException.BadInput($"--model {model} is a bundled model; --assembly declares the network of a weights file (--model FILE.safetensors).");
            }

            if (network is not null && !string.Equals(network, name, StringComparison.OrdinalIgnoreCase))
            {
                throw CliException.BadInput($"--model {model} is the bundled {name}; --network {network} declares the network of a weights file (--model FILE.safetensors).");
            }

            return LoadBundled(name, BundledWeights(name));
        }

        string weights = Path.GetFullPath(model);
        if (!File.Exists(weights))
        {
            throw CliException.BadInput($"--model: the weights file {weights} does not exist; expected cnn, mlp or a .safetensors file.");
        }

        if (assembly is not null)
        {
            return Bind(CreateDeclared(assembly, network), weights);
        }

        if (network is not null)
        {
            if (!IsBundled(network))
            {
                throw CliException.BadInput($"--network {network}: without --assembly the network is one of the bundled declarations, cnn or mlp.");
            }

            return LoadBundled(network.ToLowerInvariant(), weights);
        }

        // No declaration named: the bundled one the file fits.
        var problems = new List<string>();
        foreach (string name in BundledNames)
        {
            try
            {
                return LoadBundled(name, weights);
            }
            catch (CliException e) when (e.ExitCode == ExitCodes.WeightsMismatch)
            {
                problems.Add(e.Message);
            }
        }

        throw new CliException(
            ExitCodes.WeightsMismatch,
            $"{weights} fits neither bundled network (cnn, mlp); declare its network with --assembly DLL --network TYPE.{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    /// <summary>True for <c>cnn</c> and <c>mlp</c>, in any case.</summary>
    public static bool IsBundled(string name) =>
        string.Equals(name, "cnn", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "mlp", StringComparison.OrdinalIgnoreCase);

    /// <summary>The declaration of a bundled model, without weights (for <c>inspect</c>).</summary>
    public static NetworkInfo BundledInfo(string name) =>
        string.Equals(name, "cnn", StringComparison.OrdinalIgnoreCase) ? new FashionCnn().Info : new FashionMlp().Info;

    /// <summary>The declaration of <paramref name="network"/> in <paramref name="assembly"/>, without weights (for <c>inspect</c>).</summary>
    public static NetworkInfo DeclaredInfo(string assembly, string? network) => CreateDeclared(assembly, network) switch
    {
        INetwork<float> single => single.Info,
        INetwork<double> @double => @double.Info,
        _ => throw new InvalidOperationException("Unreachable: CreateDeclared returns networks only."),
    };

    private static CliModel LoadBundled(string name, string weights)
    {
        string[] classes = FashionMnistData.ClassNames;
        return name == "cnn"
            ? Bind(new FashionCnn(), weights, "cnn", classes)
            : Bind(new FashionMlp(), weights, "mlp", classes);
    }

    private static CliModel Bind(object network, string weights) => network switch
    {
        INetwork<float> single => Bind(single, weights, single.Info.Name, null),
        INetwork<double> @double => Bind(@double, weights, @double.Info.Name, null),
        _ => throw new InvalidOperationException("Unreachable: CreateDeclared returns networks only."),
    };

    private static CliModel<T> Bind<T>(INetwork<T> network, string weights, string name, IReadOnlyList<string>? classes)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        try
        {
            network.Parameters.Load(WeightSet.Load(weights, network.Info.Weights));
            network.ParametersChanged();
        }
        catch (WeightsMismatchException e)
        {
            throw new CliException(ExitCodes.WeightsMismatch, e.Message, e);
        }
        catch (Exception e) when (e is WeightsFormatException or WeightsValueException or IOException or UnauthorizedAccessException)
        {
            throw CliException.BadInput($"cannot load {weights}: {e.Message}", e);
        }

        if (classes is null)
        {
            var numbers = new string[network.Info.OutputLength];
            for (int i = 0; i < numbers.Length; i++)
            {
                numbers[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            classes = numbers;
        }

        return new CliModel<T>(name, weights, classes, network);
    }

    /// <summary>Loads <paramref name="assemblyPath"/> and creates the network type <paramref name="typeName"/> names (or its only one).</summary>
    private static object CreateDeclared(string assemblyPath, string? typeName)
    {
        string path = Path.GetFullPath(assemblyPath);
        if (!File.Exists(path))
        {
            throw CliException.BadInput($"--assembly: {path} does not exist.");
        }

        Assembly assembly;
        Type[] types;
        try
        {
            assembly = Assembly.LoadFrom(path);
            types = assembly.GetTypes();
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or IOException)
        {
            throw CliException.BadInput($"--assembly: cannot load {path}: {e.Message}", e);
        }
        catch (ReflectionTypeLoadException e)
        {
            throw CliException.BadInput($"--assembly: cannot load the types of {path}: {e.LoaderExceptions[0]?.Message ?? e.Message}", e);
        }

        var networks = new List<Type>();
        foreach (Type type in types)
        {
            if (!type.IsAbstract && (typeof(INetwork<float>).IsAssignableFrom(type) || typeof(INetwork<double>).IsAssignableFrom(type)))
            {
                networks.Add(type);
            }
        }

        Type? chosen = null;
        if (typeName is null)
        {
            if (networks.Count != 1)
            {
                throw CliException.BadInput(
                    $"--network: {Path.GetFileName(path)} declares {networks.Count} networks ({Names(networks)}); name one with --network TYPE.");
            }

            chosen = networks[0];
        }
        else
        {
            foreach (Type type in networks)
            {
                if (type.FullName == typeName || type.Name == typeName)
                {
                    chosen = type;
                    break;
                }
            }

            if (chosen is null)
            {
                throw CliException.BadInput(
                    $"--network {typeName}: {Path.GetFileName(path)} declares no such network; it declares {(networks.Count == 0 ? "none" : Names(networks))}.");
            }
        }

        if (chosen.GetConstructor(Type.EmptyTypes) is null)
        {
            throw CliException.BadInput($"--network {chosen.FullName}: the type has no public parameterless constructor to create it with.");
        }

        return Activator.CreateInstance(chosen)!;
    }

    private static string Names(List<Type> types)
    {
        var names = new string[types.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = types[i].FullName!;
        }

        return string.Join(", ", names);
    }
}
