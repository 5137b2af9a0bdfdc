using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// A layer <c>z = W x (+ b)</c> with weights and an optional bias: its passes are its linear map and the map's
/// transpose (<see cref="LayerUnit.WriteLinear"/>, <see cref="LayerUnit.WriteLinearTranspose"/>), which a kind writes
/// with its kernels; the tangent is the linear part, without the bias. The first such layer on a straight path costs
/// two products instead of one per point (<see cref="IsAffine"/>).
/// </summary>
internal abstract class AffineLayer : LayerUnit
{
    public override bool HasWeights => true;

    public override bool HasBiasSetting => true;

    public override bool IsAffine => true;

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteLinear(e, layer, "x", "z", "count", withBias: true);

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteLinearTranspose(e, layer, "dz", "dx", "count");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line("// The tangent of an affine map is its linear part: no bias.");
        WriteLinear(e, layer, "tx", "tz", "count", withBias: false);
    }
}
