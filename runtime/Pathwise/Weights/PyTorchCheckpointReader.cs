using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace Pathwise.Weights;

/// <summary>
/// Reads the zip archive <c>torch.save</c> writes (PyTorch 1.6 and later): <c>&lt;name&gt;/data.pkl</c>, the pickled
/// state_dict, whose tensors refer to storages by key; <c>&lt;name&gt;/data/&lt;key&gt;</c>, each storage's raw
/// little-endian bytes; <c>&lt;name&gt;/version</c>; and in newer files <c>&lt;name&gt;/byteorder</c>.
/// </summary>
/// <remarks>
/// Every check runs before the result is returned, so a bad file fails with one <see cref="WeightsFormatException"/>
/// and never loads partially. Memory is bounded by the archive's real contents: an entry is read only as far as
/// its bytes go, each storage's length must equal its element count times its element size, and a strided tensor
/// may materialise more elements than its storage holds (a broadcast, stride 0) only up to
/// <see cref="MaxBroadcastElements"/> in all.
/// </remarks>
internal static class PyTorchCheckpointReader
{
    /// <summary>The most elements all tensors together may hold beyond their storages' sizes (broadcast views): 2^24.</summary>
    public const long MaxBroadcastElements = 1L << 24;

    /// <summary>Reads every tensor of the state_dict in <paramref name="file"/>.</summary>
    public static Dictionary<string, TensorData> ReadTensors(ReadOnlySpan<byte> file, string sourceName)
    {
        if (!file.StartsWith("PK\u0003\u0004"u8))
        {
            string found = file.Length > 8 && file[8] == (byte)'{'
                ? "it looks like a safetensors file; read it with SafeTensors.Read"
                : ForeignFormat.Describe(file) is string foreign ? $"it looks like {foreign}" : "its first bytes match no known format";
            throw Fail(sourceName, $"not a PyTorch checkpoint (a zip archive starting PK\\x03\\x04): {found}");
        }

        Dictionary<string, byte[]> entries = ReadEntries(file.ToArray(), sourceName, out string prefix);
        if (entries.TryGetValue(prefix + "byteorder", out byte[]? order) && Encoding.ASCII.GetString(order) != "little")
        {
            throw Fail(sourceName, $"archive's byteorder is '{Encoding.ASCII.GetString(order)}'; only little-endian checkpoints are supported");
        }

        var storages = new Dictionary<string, PickledStorage>(StringComparer.Ordinal);
        PickledStorage Storage(string typeName, string key, TensorDType dtype, long numel)
        {
            if (storages.TryGetValue(key, out PickledStorage? known))
            {
                return known.DType == dtype && known.ElementCount == numel
                    ? known
                    : throw Fail(sourceName, $"storage '{key}' is referenced as {TensorDTypeInfo.NameOf(known.DType)} × {known.ElementCount} and as {TensorDTypeInfo.NameOf(dtype)} × {numel}");
            }

            if (!entries.TryGetValue(prefix + "data/" + key, out byte[]? bytes))
            {
                throw Fail(sourceName, $"storage '{key}' ({typeName}) has no entry '{prefix}data/{key}' in the archive");
            }

            int size = TensorDTypeInfo.SizeOf(dtype);
            if (numel > bytes.Length / size || numel * size != bytes.Length)
            {
                throw Fail(sourceName, $"storage '{key}' ({typeName}) claims {numel} elements of {size} bytes but its entry has {bytes.Length} bytes");
            }

            var storage = new PickledStorage(key, dtype, numel, bytes);
            storages.Add(key, storage);
            return storage;
        }

        object? root = RestrictedUnpickler.Load(entries[prefix + "data.pkl"], sourceName, Storage);
        if (root is not PickledDict dict)
        {
            throw Fail(sourceName, $"the pickle holds {RestrictedUnpickler.Describe(root)}; a state_dict is a dict of tensors");
        }

        var tensors = new Dictionary<string, TensorData>(dict.Count, StringComparer.Ordinal);
        long broadcast = 0;
        foreach (KeyValuePair<object, object?> item in dict.Items)
        {
            if (item.Key is not string name)
            {
                throw Fail(sourceName, $"the state_dict has key {RestrictedUnpickler.Describe(item.Key)}; tensor names are strings");
            }

            if (item.Value is not PickledTensor tensor)
            {
                throw Fail(sourceName, $"entry '{name}' is {RestrictedUnpickler.Describe(item.Value)}, not a tensor; "
                    + "a state_dict maps names to tensors (save model.state_dict(), not a checkpoint dict or the model)");
            }

            tensors.Add(name, Materialise(name, tensor, ref broadcast, sourceName));
        }

        return tensors;
    }

    /// <summary>
    /// Copies a strided view into row-major order: element <c>(i0, ..., ik)</c> is storage element
    /// <c>offset + i0 × stride[0] + ... + ik × stride[k]</c>. Strides must be non-negative and every element must lie
    /// inside the storage; contiguous views are decoded in one pass.
    /// </summary>
    private static TensorData Materialise(string name, PickledTensor tensor, ref long broadcast, string sourceName)
    {
        PickledStorage storage = tensor.Storage;
        int rank = tensor.Size.Length;
        string view = $"size {FormatLongs(tensor.Size)}, stride {FormatLongs(tensor.Stride)}, offset {tensor.Offset}";
        if (tensor.Stride.Length != rank)
        {
            throw Fail(sourceName, $"tensor '{name}' has {view}: size and stride differ in length");
        }

        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            if (tensor.Size[i] < 0 || tensor.Size[i] > int.MaxValue || tensor.Stride[i] < 0)
            {
                throw Fail(sourceName, $"tensor '{name}' has {view}: sizes must be in [0, {int.MaxValue}] and strides non-negative");
            }

            shape[i] = (int)tensor.Size[i];
            count = count == 0 || shape[i] == 0 ? 0 : count > Array.MaxLength / shape[i] ? long.MaxValue : count * shape[i];
        }

        if (count > Array.MaxLength)
        {
            throw Fail(sourceName, $"tensor '{name}' has {view}: more elements than an array can hold");
        }

        if (tensor.Offset < 0 || tensor.Offset > storage.ElementCount)
        {
            throw Fail(sourceName, $"tensor '{name}' has {view}, outside its storage '{storage.Key}' of {storage.ElementCount} elements");
        }

        var values = new double[count];
        if (count == 0)
        {
            return new TensorData(name, shape, values, storage.DType);
        }

        // The furthest element: offset + sum (size - 1) × stride, in checked arithmetic (each term < 2^62 once bounded).
        long last = tensor.Offset;
        bool contiguous = true;
        long expected = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            if (tensor.Size[i] == 1)
            {
                continue;
            }

            if (tensor.Stride[i] > storage.ElementCount)
            {
                last = long.MaxValue;
                break;
            }

            last += (tensor.Size[i] - 1) * tensor.Stride[i];
            if (last >= storage.ElementCount)
            {
                break;
            }

            contiguous &= tensor.Stride[i] == expected;
            expected *= tensor.Size[i];
        }

        if (last >= storage.ElementCount)
        {
            throw Fail(sourceName, $"tensor '{name}' has {view}, reaching past the end of its storage '{storage.Key}' of {storage.ElementCount} elements");
        }

        int size = TensorDTypeInfo.SizeOf(storage.DType);
        if (contiguous)
        {
            ElementCodec.Decode(storage.DType, storage.Bytes.AsSpan(checked((int)(tensor.Offset * size)), checked((int)(count * size))), values);
            return new TensorData(name, shape, values, storage.DType);
        }

        if (count > storage.ElementCount)
        {
            broadcast += count - storage.ElementCount;
            if (broadcast > MaxBroadcastElements)
            {
                throw Fail(sourceName, $"tensor '{name}' has {view}: broadcast views (stride 0) would materialise more than {MaxBroadcastElements} elements beyond their storages' sizes");
            }
        }

        var index = new long[rank];
        long position = tensor.Offset;
        Span<double> one = stackalloc double[1];
        for (long k = 0; k < count; k++)
        {
            ElementCodec.Decode(storage.DType, storage.Bytes.AsSpan((int)(position * size), size), one);
            values[k] = one[0];

            // Odometer: advance the last dimension, carrying into earlier ones.
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < tensor.Size[d])
                {
                    position += tensor.Stride[d];
                    break;
                }

                position -= (tensor.Size[d] - 1) * tensor.Stride[d];
                index[d] = 0;
            }
        }

        return new TensorData(name, shape, values, storage.DType);
    }

    /// <summary>
    /// Reads the archive's entries, requiring exactly one <c>&lt;name&gt;/data.pkl</c> and no duplicate names;
    /// returns the entries under that <c>&lt;name&gt;/</c> by full name.
    /// </summary>
    private static Dictionary<string, byte[]> ReadEntries(byte[] file, string sourceName, out string prefix)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? found = null;
        try
        {
            using var archive = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                string name = entry.FullName;
                int slash = name.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && name.AsSpan(slash + 1).SequenceEqual("data.pkl"))
                {
                    if (found is not null)
                    {
                        throw Fail(sourceName, $"archive has two pickles, '{found}' and '{name}'; a torch.save archive has one <name>/data.pkl");
                    }

                    found = name;
                }
            }

            if (found is null)
            {
                throw Fail(sourceName, "archive has no '<name>/data.pkl' entry; it is a zip file but not one written by torch.save");
            }

            prefix = found.Substring(0, found.Length - "data.pkl".Length);
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                if (!entry.FullName.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (entries.ContainsKey(entry.FullName))
                {
                    throw Fail(sourceName, $"archive has entry '{entry.FullName}' more than once");
                }

                entries.Add(entry.FullName, ReadEntry(entry, file.Length, sourceName));
            }
        }
        catch (Exception error) when (error is InvalidDataException or IOException or NotSupportedException or ArgumentException or OverflowException)
        {
            throw new WeightsFormatException(sourceName, PyTorchCheckpoint.FormatName, $"the zip archive is corrupt or truncated: {error.Message}", error);
        }

        return entries;
    }

    /// <summary>Reads one entry in full, never more than its stated length and never more than 1032 bytes per byte of file (deflate's limit).</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long fileLength, string sourceName)
    {
        long length = entry.Length;
        if (length < 0 || length > Array.MaxLength || length > 1032 * fileLength)
        {
            throw Fail(sourceName, $"archive entry '{entry.FullName}' claims {length} bytes, more than a {fileLength}-byte archive can hold");
        }

        using Stream stream = entry.Open();
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        while (true)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length + 1 - copy.Length));
            if (read == 0)
            {
                break;
            }

            copy.Write(buffer, 0, read);
            if (copy.Length > length)
            {
                throw Fail(sourceName, $"archive entry '{entry.FullName}' holds more than the {length} bytes its header states");
            }
        }

        if (copy.Length != length)
        {
            throw Fail(sourceName, $"archive entry '{entry.FullName}' holds {copy.Length} bytes but its header states {length}");
        }

        byte[] bytes = copy.ToArray();
        uint crc = Crc32(bytes);
        if (crc != entry.Crc32)
        {
            throw Fail(sourceName, $"archive entry '{entry.FullName}' has CRC-32 {crc:x8} but its header states {entry.Crc32:x8}: the file is corrupt");
        }

        return bytes;
    }

    /// <summary>The zip format's CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<uint> table = CrcTable;
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in bytes)
        {
            crc = table[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    private static string FormatLongs(long[] values)
    {
        var parts = new string[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            parts[i] = values[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private static WeightsFormatException Fail(string sourceName, string problem) =>
        new(sourceName, PyTorchCheckpoint.FormatName, problem, null);
}
