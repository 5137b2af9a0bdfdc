using System.Collections.Generic;
using System.Numerics;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// One layer kind, whole: how its attribute is read and checked, its shape rule, its tensors and the code of its
/// forward, backward and tangent passes. The parser and the emitter hold no per-kind switch; they ask the unit of
/// a layer's <see cref="LayerOp"/> (see <see cref="LayerUnits"/>). To add a kind, copy the unit closest to it
/// (<see cref="IdentityLayer"/> for a view, <see cref="DropoutLayer"/> for a checked setting,
/// <see cref="SequenceMeanLayer"/> for a parameter-free map with a kernel, <see cref="DenseLayer"/> for one with
/// weights), give it its <see cref="LayerOp"/> and attribute, and list it in <see cref="LayerUnits"/>; the README's
/// "Adding a layer kind" lists the few places outside the generator.
/// </summary>
/// <remarks>
/// A unit is stateless and never throws: bad declarations become diagnostics through the <see cref="LayerReader"/>.
/// The emitting methods write statements into a method whose locals are fixed by the pass: the forward pass reads
/// <c>x</c> (<c>[count, In.Length]</c>) and writes <c>z</c> (<c>[count, Out.Length]</c>, the value before the
/// activation); the backward pass reads <c>dz</c> and overwrites <c>dx</c>; the tangent pass reads <c>tx</c> and
/// overwrites <c>tz</c>. Each has <c>workspace</c> and <c>count</c> in scope.
/// </remarks>
internal abstract class LayerUnit
{
    /// <summary>The operation, which names the runtime's <c>Pathwise.LayerKind</c> member too.</summary>
    public abstract LayerOp Op { get; }

    /// <summary>The metadata name of the declaring attribute in namespace <c>Pathwise</c>, e.g. <c>DenseAttribute</c>; null for none.</summary>
    public virtual string? AttributeName => Op + "Attribute";

    /// <summary>Whether the layer has <c>state_dict</c> tensors, and so a <c>WeightName</c>.</summary>
    public virtual bool HasWeights => false;

    /// <summary>Whether the attribute's <c>Bias</c> named argument applies.</summary>
    public virtual bool HasBiasSetting => false;

    /// <summary>
    /// Whether, without an activation, the layer leaves its input's values as they are: it shares its input's
    /// memory and its passes write nothing (Flatten, Identity, Dropout). With an activation, the activation reads
    /// the input directly.
    /// </summary>
    public virtual bool PassesThrough => false;

    /// <summary>
    /// Whether the layer is affine, <c>z = W x + b</c>: as the first layer, the straight path then needs two
    /// products instead of one per point, through <see cref="WriteLinear"/> and <see cref="WriteLinearTranspose"/>.
    /// </summary>
    public virtual bool IsAffine => false;

    /// <summary>
    /// Whether the layer reads the layers its attribute names besides the previous one (<see cref="JoinLayer"/>): the
    /// parser resolves the names and calls <see cref="JoinShape"/>, the emitter <see cref="WriteJoinBackward"/>.
    /// </summary>
    public virtual bool Joins => false;

    /// <summary>
    /// A joining layer's output shape from its input <paramref name="input"/> (the previous layer's output, named
    /// <paramref name="inputMember"/>) and the named layers' outputs, or null after reporting, at each offending
    /// name, why they do not fit together.
    /// </summary>
    public virtual ShapeSpec? JoinShape(LayerReader reader, string inputMember, ShapeSpec input, IReadOnlyList<JoinSource> others) => input;

    /// <summary>
    /// A joining layer's backward pass: from <c>dz</c>, the gradient of every input in <see cref="LayerSpec.Inputs"/>
    /// order, overwritten or, where <paramref name="accumulate"/> says so, added into (the input is read by another
    /// layer whose part was written first).
    /// </summary>
    public virtual void WriteJoinBackward(EmitContext e, LayerSpec layer, IReadOnlyList<bool> accumulate)
    {
    }

    /// <summary>
    /// Reads the attribute's settings into <paramref name="settings"/>, reporting bad values through
    /// <paramref name="reader"/>. Sizes checked with <see cref="LayerReader.Positive"/> or
    /// <see cref="LayerReader.NonNegative"/> stop shape inference when bad; scalars checked with
    /// <see cref="LayerReader.BadScalar"/> do not.
    /// </summary>
    public virtual LayerSettings Read(LayerReader reader, LayerSettings settings) => settings;

    /// <summary>The output shape for <paramref name="input"/>, or null after reporting why the layer cannot take it.</summary>
    public abstract ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings);

    /// <summary>The number of weights, checked against the array limit.</summary>
    public virtual BigInteger WeightCount(ShapeSpec input, LayerSettings settings) => BigInteger.Zero;

    /// <summary>The tensor names after the <c>WeightName</c> prefix, e.g. <c>weight</c>, <c>bias</c>.</summary>
    public virtual IEnumerable<string> TensorSuffixes(bool bias)
    {
        yield break;
    }

    /// <summary>The tensors: name suffix, PyTorch dims, <c>ParameterRole</c> member and fan-in (for initialisation).</summary>
    public virtual IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        yield break;
    }

    /// <summary>The generated member names beyond the layer field, the passes and the tensor fields (shape fields, folded values).</summary>
    public virtual IEnumerable<string> ExtraNames(string member)
    {
        yield break;
    }

    /// <summary>What the layer does, for the generated comments: e.g. <c>dense 8 → 16</c>.</summary>
    public abstract string Describe(LayerSpec layer);

    /// <summary>The named arguments of the runtime <c>Layer</c> constructor that describe the kind's settings, e.g. <c>kernel: 3</c>.</summary>
    public virtual IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield break;
    }

    /// <summary>Static fields (kernel geometry records), written after every layer's field.</summary>
    public virtual void WriteStaticFields(EmitContext e, LayerSpec layer)
    {
    }

    /// <summary>Instance fields derived from the tensors (folded scales), written after every tensor field.</summary>
    public virtual void WriteDerivedFields(EmitContext e, LayerSpec layer)
    {
    }

    /// <summary>Statements of <c>ParametersChanged</c> that recompute the derived fields.</summary>
    public virtual void WriteParametersChanged(EmitContext e, LayerSpec layer)
    {
    }

    /// <summary>Writes <c>z</c> from <c>x</c> (see the remarks).</summary>
    public abstract void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous);

    /// <summary>Overwrites <c>dx</c> from <c>dz</c> (see the remarks).</summary>
    public abstract void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous);

    /// <summary>Overwrites <c>tz</c> from <c>tx</c> (see the remarks).</summary>
    public abstract void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous);

    /// <summary>An affine layer's <c>z = W x (+ b)</c> over <paramref name="count"/> rows; only called when <see cref="IsAffine"/>.</summary>
    public virtual void WriteLinear(EmitContext e, LayerSpec layer, string x, string z, string count, bool withBias)
    {
    }

    /// <summary>
    /// An affine first layer's two products on the straight path, <c>start = W x' + b</c> and <c>step = W d</c>; only
    /// called when <see cref="IsAffine"/>. By default two <see cref="WriteLinear"/> calls; a layer whose weights are
    /// large writes one kernel call that reads them once.
    /// </summary>
    public virtual void WritePathEnds(EmitContext e, LayerSpec layer, string baseline, string direction, string start, string step)
    {
        WriteLinear(e, layer, baseline, start, "1", withBias: true);
        WriteLinear(e, layer, direction, step, "1", withBias: false);
    }

    /// <summary>An affine layer's <c>dx = W^T dz</c> over <paramref name="count"/> rows; only called when <see cref="IsAffine"/>.</summary>
    public virtual void WriteLinearTranspose(EmitContext e, LayerSpec layer, string dz, string dx, string count)
    {
    }

    /// <summary>The comment of a pass that writes nothing because the activation reads the input itself.</summary>
    protected static void WriteNoOperation(EmitContext e, string pass) => e.W.Line(pass switch
    {
        "forward" => "// No operation: the activation reads the previous layer's output.",
        "backward" => "// No operation: dz is the previous layer's gradient.",
        _ => "// No operation: tz is the previous layer's tangent.",
    });
}

/// <summary>A layer named by a joining attribute, as the parser resolved it: its member, output shape and the argument naming it.</summary>
internal readonly struct JoinSource
{
    public JoinSource(string member, ShapeSpec shape, Microsoft.CodeAnalysis.Location at)
    {
        Member = member;
        Shape = shape;
        At = at;
    }

    public string Member { get; }

    public ShapeSpec Shape { get; }

    /// <summary>The attribute argument that names the layer, where its diagnostics go.</summary>
    public Microsoft.CodeAnalysis.Location At { get; }
}

/// <summary>One parameter tensor of a layer: <c>{WeightName}.{Suffix}</c> with PyTorch dims such as <c>"16, 8"</c>.</summary>
internal readonly struct TensorSpec
{
    public TensorSpec(string suffix, string dims, string role, int fanIn)
    {
        Suffix = suffix;
        Dims = dims;
        Role = role;
        FanIn = fanIn;
    }

    public string Suffix { get; }

    public string Dims { get; }

    /// <summary>The <c>Pathwise.ParameterRole</c> member.</summary>
    public string Role { get; }

    public int FanIn { get; }
}
