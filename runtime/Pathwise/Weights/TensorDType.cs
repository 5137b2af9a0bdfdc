using System;

namespace Pathwise.Weights;

/// <summary>
/// Element types of a safetensors tensor that Pathwise can read. Every type converts to <see cref="double"/>
/// on load; the floating-point types can also be written.
/// </summary>
public enum TensorDType
{
    /// <summary>IEEE 754 binary16 (<see cref="Half"/>), 2 bytes. Safetensors name <c>F16</c>.</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of a binary32, 2 bytes. Safetensors name <c>BF16</c>.</summary>
    BF16,

    /// <summary>IEEE 754 binary32 (<see cref="float"/>), 4 bytes. Safetensors name <c>F32</c>.</summary>
    F32,

    /// <summary>IEEE 754 binary64 (<see cref="double"/>), 8 bytes. Safetensors name <c>F64</c>.</summary>
    F64,

    /// <summary>
    /// Signed 64-bit integer, 8 bytes, read-only. PyTorch stores BatchNorm's <c>num_batches_tracked</c> as I64;
    /// values beyond 2^53 in magnitude lose precision when converted to <see cref="double"/>.
    /// </summary>
    I64,

    /// <summary>Signed 32-bit integer, 4 bytes, read-only. Converts to <see cref="double"/> exactly.</summary>
    I32,
}

/// <summary>Sizes and safetensors names of <see cref="TensorDType"/> values.</summary>
internal static class TensorDTypeInfo
{
    /// <summary>The dtype names this reader understands, for error messages.</summary>
    public const string SupportedNames = "F16, BF16, F32, F64, I64, I32";

    /// <summary>Bytes per element: <c>2</c> for F16/BF16, <c>4</c> for F32/I32, <c>8</c> for F64/I64.</summary>
    public static int SizeOf(TensorDType dtype) => dtype switch
    {
        TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F64 or TensorDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    /// <summary>The name the safetensors header uses for <paramref name="dtype"/> (the enum name).</summary>
    public static string NameOf(TensorDType dtype) => dtype switch
    {
        TensorDType.F16 => "F16",
        TensorDType.BF16 => "BF16",
        TensorDType.F32 => "F32",
        TensorDType.F64 => "F64",
        TensorDType.I64 => "I64",
        TensorDType.I32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    /// <summary>Parses a header dtype name; case-sensitive, as the format is.</summary>
    public static bool TryParse(string name, out TensorDType dtype)
    {
        switch (name)
        {
            case "F16": dtype = TensorDType.F16; return true;
            case "BF16": dtype = TensorDType.BF16; return true;
            case "F32": dtype = TensorDType.F32; return true;
            case "F64": dtype = TensorDType.F64; return true;
            case "I64": dtype = TensorDType.I64; return true;
            case "I32": dtype = TensorDType.I32; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>
    /// <see langword="true"/> for a dtype the format defines (the reference implementation's <c>Dtype</c> names)
    /// but this reader cannot decode, such as <c>U8</c> or <c>F8_E4M3</c>.
    /// </summary>
    public static bool IsFormatOnly(string name) => name is
        "BOOL" or "F4" or "F6_E2M3" or "F6_E3M2" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" or "F8_E8M0"
        or "F8_E4M3FNUZ" or "F8_E5M2FNUZ" or "I16" or "U16" or "U32" or "C64" or "U64";

    /// <summary><see langword="true"/> for the floating-point dtypes <see cref="SafeTensors.Write"/> accepts.</summary>
    public static bool IsWritable(TensorDType dtype) =>
        dtype is TensorDType.F16 or TensorDType.BF16 or TensorDType.F32 or TensorDType.F64;
}
