using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>A network whose tensors are those of <c>nn.Sequential(Linear(4, 3), BatchNorm1d(3), Linear(3, 2))</c>, as mlp.pt holds them.</summary>
[Network]
public sealed partial class CheckpointMlp
{
    [Input(4)]                             public partial InputLayer Features { get; }
    [Dense(3, WeightName = "0")]           public partial Layer Hidden { get; }
    [BatchNorm(WeightName = "1")]          public partial Layer Norm { get; }
    [Dense(2, WeightName = "2")]           public partial Layer Logits { get; }
}

/// <summary>
/// <see cref="PyTorchCheckpoint"/> on files written by PyTorch 1.13's <c>torch.save</c>
/// (Fixtures/PyTorch/export_pt_fixtures.py), checked against the values the script wrote as JSON, and on
/// hand-built archives for every refusal.
/// </summary>
public sealed class PyTorchCheckpointTests
{
    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixture("pt_expected.json"))).RootElement);

    public static TheoryData<string> GoodFiles => new() { "mlp.pt", "dtypes.pt", "views.pt" };

    [Theory]
    [MemberData(nameof(GoodFiles))]
    public void Fixture_LoadsEveryTensor_AsPyTorchSavedIt(string file)
    {
        IReadOnlyDictionary<string, TensorData> tensors = PyTorchCheckpoint.Read(Fixture(file));
        AssertMatchesExpected(file, tensors);

        // The same bytes read by content, whatever the name says.
        AssertMatchesExpected(file, WeightsFile.Read(File.ReadAllBytes(Fixture(file)), "no-extension"));
    }

    [Fact]
    public void Views_OffsetSharedTransposedAndBroadcast_AreMaterialisedRowMajor()
    {
        IReadOnlyDictionary<string, TensorData> tensors = PyTorchCheckpoint.Read(Fixture("views.pt"));

        // shared_a = s[:6].view(3, 2) and shared_b = s[4:] overlap on s[4] and s[5].
        Assert.Equal(tensors["shared_a"].Values[4], tensors["shared_b"].Values[0]);
        Assert.Equal(tensors["shared_a"].Values[5], tensors["shared_b"].Values[1]);

        // expanded = column.expand(3, 4): every row is one repeated value.
        ReadOnlySpan<double> expanded = tensors["expanded"].Values;
        for (int row = 0; row < 3; row++)
        {
            for (int column = 1; column < 4; column++)
            {
                Assert.Equal(expanded[4 * row], expanded[4 * row + column]);
            }
        }

        Assert.Equal([4, 3], tensors["transposed"].Shape.ToArray());
    }

    [Fact]
    public void ReadMetadata_OfACheckpointIsEmpty_AndOfSafetensorsIsItsHeaders()
    {
        Assert.Empty(WeightsFile.ReadMetadata(File.ReadAllBytes(Fixture("mlp.pt")), "mlp.pt"));

        byte[] safetensors = SafeTensors.Serialize(
            [.. PyTorchCheckpoint.Read(Fixture("mlp.pt")).Values],
            metadata: new Dictionary<string, string> { ["source"] = "test" });
        IReadOnlyDictionary<string, string> metadata = WeightsFile.ReadMetadata(safetensors, "mlp.safetensors");
        Assert.Equal("test", Assert.Single(metadata).Value);
    }

    [Fact]
    public void Mlp_LoadsIntoANetwork_ThroughLoadWeights()
    {
        var model = new CheckpointMlp();
        model.LoadWeights(Fixture("mlp.pt"));
        JsonElement expected = Expected.Value.GetProperty("mlp.pt");
        foreach (Parameter<float> parameter in model.Parameters.Items)
        {
            double[] values = expected.GetProperty(parameter.Name).GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(values.Select(v => (float)v).ToArray(), parameter.Values);
        }

        Assert.Equal(7, PyTorchCheckpoint.Read(Fixture("mlp.pt"))["1.num_batches_tracked"].Values[0]);
    }

    [Theory]
    [InlineData("evil_system.pt", "refused global 'posix.system'")]
    [InlineData("evil_eval.pt", "refused global '__builtin__.eval'")]
    [InlineData("whole_model.pt", "refused global 'torch.nn.modules.linear.Linear'")]
    public void MaliciousOrWholeModelPickle_IsRefused_NamingTheGlobal(string file, string message)
    {
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(Fixture(file)));
        Assert.Contains(message, error.Problem, StringComparison.Ordinal);
        Assert.Equal("PyTorch checkpoint", error.Format);
        Assert.StartsWith($"Invalid PyTorch checkpoint file '{Fixture(file)}': ", error.Message, StringComparison.Ordinal);

        // Loading through a network refuses it the same way.
        Assert.Throws<WeightsFormatException>(() => new CheckpointMlp().LoadWeights(Fixture(file)));
    }

    [Fact]
    public void SafeTensorsFile_StillLoadsThroughWeightsFile()
    {
        var tensor = TensorData.From("w", [2], [1.5f, -2f]);
        byte[] bytes = SafeTensors.Serialize([tensor]);
        Assert.Equal([1.5, -2.0], WeightsFile.Read(bytes, "s").Values.Single().Values.ToArray());
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(bytes, "s"));
        Assert.Contains("it looks like a safetensors file", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SafeTensorsReader_NamesACheckpoint_AndPointsToTheReader()
    {
        var error = Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(File.ReadAllBytes(Fixture("mlp.pt")), "m"));
        Assert.Contains("PyTorchCheckpoint.Read", error.Problem, StringComparison.Ordinal);
    }

    // ---- Hand-built archives: one refusal each ----

    /// <summary>A state_dict {name: tensor} pickle of one F32 storage '0' with the given view.</summary>
    internal static byte[] TensorPickle(string storageType, long numel, long offset, long[] size, long[] stride, string name = "w")
    {
        var p = new PickleWriter();
        p.Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark().Unicode(name)
            .Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Unicode("storage").Global("torch", storageType).Unicode("0").Unicode("cpu").Int(numel).Tuple().BinPersId()
            .Int(offset).Ints(size).Ints(stride).False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce()
            .SetItems().Stop();
        return p.ToArray();
    }

    [Theory]
    [InlineData(6, 0, new long[] { 2, 3 }, new long[] { 3, 1 }, null)]
    [InlineData(6, 1, new long[] { 2, 3 }, new long[] { 3, 1 }, "reaching past the end of its storage '0' of 6 elements")]
    [InlineData(6, 0, new long[] { 3, 3 }, new long[] { 3, 1 }, "reaching past the end")]
    [InlineData(6, 7, new long[] { 0 }, new long[] { 1 }, "outside its storage")]
    [InlineData(6, 0, new long[] { 2, 3 }, new long[] { 3 }, "size and stride differ in length")]
    [InlineData(6, 0, new long[] { -1 }, new long[] { 1 }, "sizes must be in")]
    [InlineData(6, 0, new long[] { 2 }, new long[] { -1 }, "strides non-negative")]
    [InlineData(6, 0, new long[] { 2, 3 }, new long[] { 1, long.MaxValue / 2 }, "reaching past the end")]
    [InlineData(6, 5, new long[] { 1, 1 }, new long[] { long.MaxValue, long.MaxValue }, null)]
    public void View_OutsideItsStorage_IsRefused(long numel, long offset, long[] size, long[] stride, string? message)
    {
        byte[] file = Archive(TensorPickle("FloatStorage", numel, offset, size, stride), ("0", HandBuilt.F32(1, 2, 3, 4, 5, 6)));
        if (message is null)
        {
            TensorData tensor = PyTorchCheckpoint.Read(file, "t")["w"];
            double[] expected = Enumerable.Range(0, tensor.Values.Length).Select(i => (double)(offset + i + 1)).ToArray();
            Assert.Equal(expected, tensor.Values.ToArray());
            return;
        }

        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(file, "t"));
        Assert.Contains(message, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BroadcastBeyondTheBudget_IsRefused_WithoutAllocatingIt()
    {
        byte[] file = Archive(TensorPickle("FloatStorage", 1, 0, [1 << 25], [0]), ("0", HandBuilt.F32(1)));
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(file, "t"));
        Assert.Contains("broadcast views (stride 0) would materialise more than 16777216 elements", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ByteStorage", "storage type torch.ByteStorage holds a dtype Pathwise cannot read")]
    [InlineData("FloatStorage2", "refused global 'torch.FloatStorage2'")]
    public void UnknownStorageType_IsRefused(string type, string message)
    {
        byte[] file = Archive(TensorPickle(type, 6, 0, [6], [1]), ("0", HandBuilt.F32(1, 2, 3, 4, 5, 6)));
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(file, "t"));
        Assert.Contains(message, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void StorageLength_MustMatchItsElementCount()
    {
        byte[] file = Archive(TensorPickle("FloatStorage", 6, 0, [6], [1]), ("0", HandBuilt.F32(1, 2, 3, 4, 5)));
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(file, "t"));
        Assert.Contains("storage '0' (torch.FloatStorage) claims 6 elements of 4 bytes but its entry has 20 bytes", error.Problem, StringComparison.Ordinal);

        byte[] missing = Archive(TensorPickle("FloatStorage", 6, 0, [6], [1]));
        Assert.Contains("has no entry 'archive/data/0'", Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(missing, "t")).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BigEndianArchive_IsRefused()
    {
        byte[] file = Archive(TensorPickle("FloatStorage", 1, 0, [1], [1]), ("0", HandBuilt.F32(1)), ("byteorder", "big"u8.ToArray()));
        Assert.Contains("byteorder is 'big'", Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(file, "t")).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void StackGlobal_OfARefusedName_IsRefusedBeforeAnyCall()
    {
        var p = new PickleWriter();
        p.Proto().Unicode("os").Unicode("system").Op(0x93).Unicode("echo").Op(0x85).Reduce().Stop();
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(Archive(p.ToArray()), "t"));
        Assert.Contains("refused global 'os.system'", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x81, "constructs an arbitrary object")]   // NEWOBJ
    [InlineData((byte)'i', "constructs an arbitrary object")] // INST
    [InlineData((byte)'S', "is not one a state_dict uses")]  // STRING (text protocol)
    public void ObjectBuildingOpcodes_AreRefused(byte opcode, string message)
    {
        var p = new PickleWriter();
        p.Proto().Global("collections", "OrderedDict").EmptyTuple().Op(opcode).Stop();
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(Archive(p.ToArray()), "t"));
        Assert.Contains(message, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckpointDict_WithAnEpoch_IsRefused_SayingWhatAStateDictIs()
    {
        var p = new PickleWriter();
        p.Proto().EmptyDict().Unicode("epoch").Int(3).SetItem().Stop();
        var error = Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(Archive(p.ToArray()), "t"));
        Assert.Contains("entry 'epoch' is 3, not a tensor", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ReaderRefusals_OfTheZipItself()
    {
        Assert.Contains("archive has no '<name>/data.pkl' entry",
            Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(ZipOf(("a/other", [1])), "t")).Problem, StringComparison.Ordinal);
        Assert.Contains("two pickles",
            Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read(ZipOf(("a/data.pkl", [0x2E]), ("b/data.pkl", [0x2E])), "t")).Problem, StringComparison.Ordinal);
        Assert.Contains("not a PyTorch checkpoint",
            Assert.Throws<WeightsFormatException>(() => PyTorchCheckpoint.Read("not a zip"u8, "t")).Problem, StringComparison.Ordinal);
    }

    // ---- Helpers ----

    internal static byte[] Archive(byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        var entries = new List<(string, byte[])> { ("archive/data.pkl", pickle), ("archive/version", "3\n"u8.ToArray()) };
        foreach ((string key, byte[] data) in storages)
        {
            entries.Add((key == "byteorder" ? "archive/byteorder" : "archive/data/" + key, data));
        }

        return ZipOf(entries.ToArray());
    }

    internal static byte[] ZipOf(params (string Name, byte[] Data)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] data) in entries)
            {
                using Stream entry = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                entry.Write(data);
            }
        }

        return stream.ToArray();
    }

    internal static void AssertMatchesExpected(string file, IReadOnlyDictionary<string, TensorData> tensors)
    {
        JsonElement expected = Expected.Value.GetProperty(file);
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
        foreach (JsonProperty property in expected.EnumerateObject())
        {
            TensorData tensor = tensors[property.Name];
            Assert.Equal(property.Value.GetProperty("dtype").GetString(), tensor.StoredAs.ToString());
            Assert.Equal(property.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()), tensor.Shape.ToArray());

            // Decoding is exact: each stored element is exactly a double, and the script wrote it as a round-tripping repr.
            Assert.Equal(property.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()), tensor.Values.ToArray());
        }
    }

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "PyTorch", name);
}

/// <summary>Writes pickle opcodes by hand, following Python's pickletools descriptions (protocol 2).</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _bytes = new();

    public PickleWriter Op(byte opcode)
    {
        _bytes.WriteByte(opcode);
        return this;
    }

    public PickleWriter Proto() => Op(0x80).Op(2);

    public PickleWriter Stop() => Op((byte)'.');

    public PickleWriter Mark() => Op((byte)'(');

    public PickleWriter Tuple() => Op((byte)'t');

    public PickleWriter EmptyTuple() => Op((byte)')');

    public PickleWriter EmptyDict() => Op((byte)'}');

    public PickleWriter Reduce() => Op((byte)'R');

    public PickleWriter SetItem() => Op((byte)'s');

    public PickleWriter SetItems() => Op((byte)'u');

    public PickleWriter BinPersId() => Op((byte)'Q');

    public PickleWriter False() => Op(0x89);

    public PickleWriter Global(string module, string name)
    {
        Op((byte)'c');
        _bytes.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    public PickleWriter Unicode(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        Op((byte)'X');
        _bytes.Write(BitConverter.GetBytes(utf8.Length));
        _bytes.Write(utf8);
        return this;
    }

    /// <summary>LONG1 with 8 bytes: any <see cref="long"/>.</summary>
    public PickleWriter Int(long value)
    {
        Op(0x8A).Op(8);
        _bytes.Write(BitConverter.GetBytes(value));
        return this;
    }

    public PickleWriter Ints(long[] values)
    {
        Mark();
        foreach (long value in values)
        {
            Int(value);
        }

        return Tuple();
    }

    public byte[] ToArray() => _bytes.ToArray();
}
