using System;
using System.Buffers.Binary;

namespace Pathwise.Weights;

/// <summary>
/// Converts little-endian tensor bytes to and from <see cref="double"/>. Narrowing conversions round to
/// nearest, ties to even, directly from the double (no double rounding through an intermediate type).
/// </summary>
internal static class ElementCodec
{
    /// <summary>
    /// <c>destination[i] = (double)element_i(source)</c>, where <c>element_i</c> reads the i-th little-endian
    /// value of <paramref name="dtype"/>. <paramref name="source"/> holds exactly <c>destination.Length × size</c> bytes.
    /// </summary>
    public static void Decode(TensorDType dtype, ReadOnlySpan<byte> source, Span<double> destination)
    {
        switch (dtype)
        {
            case TensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)));
                }

                break;
            case TensorDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BFloat16BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)));
                }

                break;
            case TensorDType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(4 * i));
                }

                break;
            case TensorDType.F64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(8 * i));
                }

                break;
            case TensorDType.I64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8 * i));
                }

                break;
            case TensorDType.I32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(4 * i));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype.");
        }
    }

    /// <summary>
    /// Writes <c>round(source[i])</c> as little-endian <paramref name="dtype"/> into <paramref name="destination"/>,
    /// which holds exactly <c>source.Length × size</c> bytes. Only floating-point dtypes are accepted.
    /// </summary>
    public static void Encode(TensorDType dtype, ReadOnlySpan<double> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case TensorDType.F16:
                for (int i = 0; i < source.Length; i++)
                {
                    // Half's explicit conversion from double rounds once, to nearest even.
                    BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(2 * i), BitConverter.HalfToUInt16Bits((Half)source[i]));
                }

                break;
            case TensorDType.BF16:
                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(2 * i), DoubleToBFloat16Bits(source[i]));
                }

                break;
            case TensorDType.F32:
                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(destination.Slice(4 * i), (float)source[i]);
                }

                break;
            case TensorDType.F64:
                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(destination.Slice(8 * i), source[i]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Only F16, BF16, F32 and F64 can be written.");
        }
    }

    /// <summary>A bfloat16 is the upper half of a binary32: <c>value = float(bits &lt;&lt; 16)</c>.</summary>
    public static float BFloat16BitsToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>
    /// Rounds <paramref name="value"/> to the nearest bfloat16, ties to even; NaN stays a (quiet) NaN with its sign.
    /// </summary>
    /// <remarks>
    /// The double is first narrowed to binary32 with round-to-odd (truncate, then set the last bit if anything
    /// was dropped). Binary32 keeps 16 more significand bits than bfloat16, so rounding that result to nearest
    /// even gives the same answer as rounding the double directly.
    /// </remarks>
    public static ushort DoubleToBFloat16Bits(double value)
    {
        if (double.IsNaN(value))
        {
            uint nanBits = BitConverter.SingleToUInt32Bits((float)value);
            return (ushort)((nanBits >> 16) | 0x0040);
        }

        float single = (float)value;
        uint bits = BitConverter.SingleToUInt32Bits(single);
        if (single != value && !double.IsInfinity(value))
        {
            if (Math.Abs((double)single) > Math.Abs(value))
            {
                // Rounded away from zero: step the magnitude back one unit toward zero (sign bit untouched).
                bits -= 1;
            }

            bits |= 1;
        }

        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
