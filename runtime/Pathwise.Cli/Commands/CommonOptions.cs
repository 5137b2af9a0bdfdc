using System;
using System.CommandLine;
using System.Globalization;
using Pathwise.Cli.Data;
using Pathwise.Cli.Models;

namespace Pathwise.Cli.Commands;

/// <summary>The options several commands share, made fresh for each command (an option belongs to one command).</summary>
internal static class CommonOptions
{
    /// <summary><c>--model</c>: a bundled model or a weights file.</summary>
    public static Option<string> Model() => new("--model", "-m")
    {
        HelpName = "cnn|mlp|FILE",
        Description = "The bundled model (cnn, mlp) or a .safetensors weights file",
        DefaultValueFactory = _ => "cnn",
    };

    /// <summary><c>--assembly</c>: the assembly declaring the network of a weights file.</summary>
    public static Option<string?> Assembly() => new("--assembly")
    {
        HelpName = "DLL",
        Description = "An assembly that declares the network of --model FILE ([Network] partial class built with Pathwise)",
    };

    /// <summary><c>--network</c>: the declared type, or a bundled declaration.</summary>
    public static Option<string?> Network() => new("--network")
    {
        HelpName = "TYPE",
        Description = "The network type in --assembly (full or simple name; optional when it declares one), or cnn/mlp for a bundled declaration",
    };

    /// <summary><c>--data</c>: a Fashion-MNIST folder or an IDX images file.</summary>
    public static Option<string?> Data() => new("--data", "-d")
    {
        HelpName = "DIR|FILE",
        Description = "A Fashion-MNIST folder (t10k-images-idx3-ubyte[.gz]) or an IDX images file [default: Debian's dataset-fashion-mnist if installed, else the bundled first 500 test images]",
    };

    /// <summary><c>--images</c>: which images.</summary>
    public static Option<string> Images(string defaultValue) => new("--images", "-i")
    {
        HelpName = "SPEC",
        Description = $"The images: {ImageSelection.Syntax}",
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary><c>--rule</c>: a quadrature rule by its lower-case name.</summary>
    public static Option<string> Rule()
    {
        var option = new Option<string>("--rule", "-r")
        {
            HelpName = "RULE",
            Description = "The quadrature rule of the path methods: " + string.Join(", ", RuleNames()) + " (exact: the piecewise-linear integral, one gradient per piece)",
            DefaultValueFactory = _ => "gausslegendre",
        };
        option.AcceptOnlyFromAmong(RuleNames());
        return option;
    }

    /// <summary><c>--points</c>: points per path.</summary>
    public static Option<int> Points(int defaultValue)
    {
        var option = new Option<int>("--points", "-p")
        {
            HelpName = "N",
            Description = "Points per path (gradient evaluations); for the exact rule the fallback count",
            DefaultValueFactory = _ => defaultValue,
        };
        Check(option, value => value is >= 1 and <= QuadratureNodes.MaxPoints, value => $"--points must be between 1 and {QuadratureNodes.MaxPoints}; got {value}.");
        return option;
    }

    /// <summary>Adds a validator: <paramref name="message"/> is the error when a parsed value fails <paramref name="valid"/> (a value that did not parse has its own error already).</summary>
    public static void Check<T>(Option<T> option, Func<T, bool> valid, Func<T, string> message) =>
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0)
            {
                return;   // the default
            }

            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return;   // not a T: the parser reports it
            }

            if (!valid(value))
            {
                result.AddError(message(value));
            }
        });

    /// <summary>Every rule's command-line name: its enum name in lower case (<c>gausslegendre</c>, <c>riemannmiddle</c>, <c>exact</c>).</summary>
    public static string[] RuleNames()
    {
        string[] names = Enum.GetNames<QuadratureRule>();
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = names[i].ToLowerInvariant();
        }

        return names;
    }

    /// <summary>The rule <paramref name="name"/> names (already checked by the parser).</summary>
    public static QuadratureRule ParseRule(string name) => Enum.Parse<QuadratureRule>(name, ignoreCase: true);

    /// <summary>Loads the model the options name.</summary>
    public static CliModel LoadModel(ParseResult parse, Option<string> model, Option<string?> assembly, Option<string?> network) =>
        ModelLoader.Load(parse.GetValue(model)!, parse.GetValue(assembly), parse.GetValue(network));

    /// <summary>Loads the data <paramref name="data"/> names (or the default) and checks each image is one input of <paramref name="model"/>.</summary>
    public static ImageSet LoadData(string? data, CliModel model)
    {
        ImageSet set = ImageSet.Load(data ?? ImageSet.DefaultPath);
        if (set.ImageSize != model.Info.InputLength)
        {
            throw CliException.BadInput(
                $"the images of {set.Source} are {set.Height}x{set.Width} ({set.ImageSize} values) but {model.Info.Name} takes " +
                $"{model.Info.Input.OutputShape} ({model.Info.InputLength} values).");
        }

        return set;
    }

    /// <summary>Formats a number with the invariant culture.</summary>
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
