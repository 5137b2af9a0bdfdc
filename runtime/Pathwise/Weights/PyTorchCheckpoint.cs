using System;
using System.Collections.Generic;
using System.IO;

namespace Pathwise.Weights;

/// <summary>
/// Reads the <c>.pt</c> / <c>.pth</c> files that <c>torch.save(model.state_dict(), path)</c> writes (the zip format of
/// PyTorch 1.6 and later) without Python and without running the file: the safe equivalent of
/// <c>torch.load(path, weights_only=True)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The pickle inside the archive is run by a restricted machine that knows exactly the constructors a state_dict
/// uses: <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c>
/// and the storage types <c>torch.FloatStorage</c>, <c>DoubleStorage</c>, <c>HalfStorage</c>, <c>BFloat16Storage</c>,
/// <c>LongStorage</c> and <c>IntStorage</c> (F32, F64, F16, BF16, I64, I32). Any other global (<c>posix.system</c>,
/// <c>builtins.eval</c>, a pickled model's class) is refused with a <see cref="WeightsFormatException"/> naming it;
/// nothing a file names is ever imported or called.
/// </para>
/// <para>
/// Tensors may be views: a storage offset, several tensors sharing one storage, and any non-negative strides
/// (a transposed or broadcast tensor) are materialised in row-major order, element <c>(i0, ..., ik)</c> taken from
/// storage element <c>offset + Σ ij × stride[j]</c>. A view reaching past its storage, a storage whose entry
/// length differs from its element count times its element size, a big-endian archive, a truncated or corrupt
/// zip, and a pickle holding anything but names mapped to tensors are each refused with a message saying so.
/// </para>
/// </remarks>
public static class PyTorchCheckpoint
{
    /// <summary>The format's name in <see cref="WeightsFormatException"/> messages.</summary>
    internal const string FormatName = "PyTorch checkpoint";

    /// <summary>Reads every tensor of the state_dict saved in the file at <paramref name="path"/>, converting values to <see cref="double"/>.</summary>
    /// <exception cref="WeightsFormatException">The file is not a state_dict saved by <c>torch.save</c>, is corrupt, or names a refused global.</exception>
    public static IReadOnlyDictionary<string, TensorData> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return PyTorchCheckpointReader.ReadTensors(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads every tensor of a state_dict saved by <c>torch.save</c> held in <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">A name for the bytes, used in error messages.</param>
    /// <exception cref="WeightsFormatException">The bytes are not a state_dict saved by <c>torch.save</c>, are corrupt, or name a refused global.</exception>
    public static IReadOnlyDictionary<string, TensorData> Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return PyTorchCheckpointReader.ReadTensors(bytes, sourceName);
    }
}
