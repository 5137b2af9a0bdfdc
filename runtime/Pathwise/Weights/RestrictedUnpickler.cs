using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Pathwise.Weights;

/// <summary>
/// A pickle virtual machine that understands exactly what <c>torch.save(model.state_dict())</c> writes and
/// nothing more: the safe equivalent of <c>torch.load(path, weights_only=True)</c>.
/// </summary>
/// <remarks>
/// <para>
/// Python's unpickler imports whatever module and calls whatever callable a file names, so a pickle can run any
/// code. This one never imports or calls anything: a global is a name looked up in <see cref="Allowed"/>, and
/// a name outside it (<c>posix.system</c>, <c>builtins.eval</c>, a model's own class) is refused at the opcode
/// that names it, before anything else happens. The allowed callables are implemented here as data
/// constructors: <c>collections.OrderedDict()</c> makes an empty dictionary, <c>torch._utils._rebuild_tensor_v2</c>
/// and <c>_rebuild_parameter</c> make a <see cref="PickledTensor"/> (a view description, not data), and the
/// <c>torch.*Storage</c> names are only valid inside a persistent id <c>('storage', type, key, location, numel)</c>.
/// </para>
/// <para>
/// Opcodes are those of protocols 2 to 5 that build plain data (ints, floats, strings, tuples, lists, dicts,
/// memo). <c>NEWOBJ</c>, <c>INST</c>, <c>OBJ</c>, <c>EXT*</c> and the text-protocol opcodes are refused.
/// The machine runs in one pass over the bytes without recursion; every read is bounds-checked, and the stack,
/// mark stack and memo are bounded by the pickle's length, so a malformed or hostile pickle fails with a
/// <see cref="WeightsFormatException"/> and never runs long or allocates beyond a small multiple of its size.
/// </para>
/// <para>
/// Why not Razorvine.Pickle: it resolves a global it has no registered constructor for to a <c>ClassDict</c>
/// (a silent placeholder, not a refusal) and ships constructors for globals of its own, so an allow-list would be
/// a layer over a resolver that accepts by default. Here the allow-list is the only path a global can take, and
/// the machine is small enough to read whole.
/// </para>
/// </remarks>
internal sealed class RestrictedUnpickler
{
    /// <summary>The globals a state_dict pickle may name, as <c>module.name</c>.</summary>
    public static readonly IReadOnlyList<string> Allowed =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage",
        "torch.DoubleStorage",
        "torch.HalfStorage",
        "torch.BFloat16Storage",
        "torch.LongStorage",
        "torch.IntStorage",
    ];

    private readonly byte[] _pickle;
    private readonly string _sourceName;
    private readonly Func<string, string, TensorDType, long, PickledStorage> _storage;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _position;

    private RestrictedUnpickler(byte[] pickle, string sourceName, Func<string, string, TensorDType, long, PickledStorage> storage)
    {
        _pickle = pickle;
        _sourceName = sourceName;
        _storage = storage;
    }

    /// <summary>
    /// Runs <paramref name="pickle"/> and returns the object it builds. <paramref name="storage"/> resolves a
    /// persistent id <c>('storage', type, key, location, numel)</c>: it receives the storage type's name, the key,
    /// the dtype and the element count, and returns the storage (or throws if the archive has no such data).
    /// </summary>
    public static object? Load(byte[] pickle, string sourceName, Func<string, string, TensorDType, long, PickledStorage> storage) =>
        new RestrictedUnpickler(pickle, sourceName, storage).Run();

    private object? Run()
    {
        while (true)
        {
            int at = _position;
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    {
                        byte protocol = ReadByte();
                        if (protocol is < 2 or > 5)
                        {
                            throw Fail($"pickle protocol {protocol} at byte {at}; expected 2 to 5");
                        }

                        break;
                    }

                case 0x95: // FRAME: an 8-byte length; frames are only a buffering hint.
                    ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                    {
                        throw Fail($"pickle stops at byte {at} with {_stack.Count} values on the stack and {_marks.Count} open marks; expected exactly one value");
                    }

                    if (_position != _pickle.Length)
                    {
                        throw Fail($"pickle has {_pickle.Length - _position} bytes after its STOP opcode at byte {at}");
                    }

                    return _stack[0];
                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    break;
                case (byte)'0': // POP
                    Pop(at);
                    break;
                case (byte)'1': // POP_MARK
                    PopMark(at);
                    break;
                case (byte)'2': // DUP
                    Push(Peek(at));
                    break;
                case (byte)'N': // NONE
                    Push(null);
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)));
                    break;
                case 0x8A: // LONG1
                    Push(ReadLong(ReadByte(), at));
                    break;
                case (byte)'G': // BINFLOAT, big-endian
                    Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), at));
                    break;
                case 0x8C: // SHORT_BINUNICODE
                    Push(ReadString(ReadByte(), at));
                    break;
                case 0x8D: // BINUNICODE8
                    Push(ReadString(BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8)), at));
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(Array.Empty<object?>());
                    break;
                case 0x85: // TUPLE1
                case 0x86: // TUPLE2
                case 0x87: // TUPLE3
                    {
                        int count = opcode - 0x84;
                        if (_stack.Count - Floor() < count)
                        {
                            throw Fail($"TUPLE{count} at byte {at} needs {count} values on the stack");
                        }

                        Push(Take(_stack.Count - count));
                        break;
                    }

                case (byte)'t': // TUPLE
                    Push(Take(PopMark(at)));
                    break;
                case (byte)']': // EMPTY_LIST
                    Push(new List<object?>());
                    break;
                case (byte)'l': // LIST
                    Push(new List<object?>(Take(PopMark(at))));
                    break;
                case (byte)'a': // APPEND
                    {
                        object? item = Pop(at);
                        AsList(Peek(at), at).Add(item);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        object?[] items = Take(PopMark(at));
                        AsList(Peek(at), at).AddRange(items);
                        break;
                    }

                case (byte)'}': // EMPTY_DICT
                    Push(new PickledDict());
                    break;
                case (byte)'d': // DICT
                    {
                        object?[] items = Take(PopMark(at));
                        var dict = new PickledDict();
                        SetItems(dict, items, at);
                        Push(dict);
                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        object? value = Pop(at);
                        object? key = Pop(at);
                        AsDict(Peek(at), at).Set(CheckKey(key, at), value);
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        object?[] items = Take(PopMark(at));
                        SetItems(AsDict(Peek(at), at), items, at);
                        break;
                    }

                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Peek(at);
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(at);
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek(at);
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadByte(), at));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), at));
                    break;
                case (byte)'c': // GLOBAL "module\nname\n"
                    {
                        string module = ReadLine(at);
                        string name = ReadLine(at);
                        Push(Resolve(module, name, at));
                        break;
                    }

                case 0x93: // STACK_GLOBAL
                    {
                        object? name = Pop(at);
                        object? module = Pop(at);
                        if (module is not string moduleText || name is not string nameText)
                        {
                            throw Fail($"STACK_GLOBAL at byte {at} needs two strings, found {Describe(module)} and {Describe(name)}");
                        }

                        Push(Resolve(moduleText, nameText, at));
                        break;
                    }

                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop(at), at));
                    break;
                case (byte)'R': // REDUCE
                    {
                        object? arguments = Pop(at);
                        object? callable = Pop(at);
                        Push(Reduce(callable, arguments, at));
                        break;
                    }

                case (byte)'b': // BUILD
                    {
                        object? state = Pop(at);
                        Build(Peek(at), state, at);
                        break;
                    }

                case 0x81: // NEWOBJ
                case 0x92: // NEWOBJ_EX
                case (byte)'i': // INST
                case (byte)'o': // OBJ
                case 0x82: // EXT1
                case 0x83: // EXT2
                case 0x84: // EXT4
                    throw Fail($"pickle opcode 0x{opcode:X2} at byte {at} constructs an arbitrary object; a state_dict never uses it, so it is refused");
                default:
                    throw Fail($"pickle opcode 0x{opcode:X2} at byte {at} is not one a state_dict uses (refused)");
            }
        }
    }

    /// <summary>Looks a global up in the allow-list; anything else is refused here, before it can be called.</summary>
    private static object Resolve(string module, string name, int at, string sourceName)
    {
        string qualified = module + "." + name;
        if (qualified is "collections.OrderedDict" or "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_parameter")
        {
            return new PickledGlobal(qualified);
        }

        if (module == "torch" && StorageDType(name) is TensorDType)
        {
            return new PickledGlobal(qualified);
        }

        string hint = module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal)
            ? $"storage type {qualified} holds a dtype Pathwise cannot read (supported: {TensorDTypeInfo.SupportedNames})"
            : $"refused global '{qualified}' at byte {at}: a state_dict needs only {string.Join(", ", Allowed)}; "
              + "the file may run code when loaded by Python's pickle (a pickled model, an optimizer state or a malicious file), and it is never executed here";
        throw new WeightsFormatException(sourceName, PyTorchCheckpoint.FormatName, hint, null);
    }

    private object Resolve(string module, string name, int at) => Resolve(module, name, at, _sourceName);

    /// <summary>The dtype of a <c>torch.*Storage</c> name, or <see langword="null"/>.</summary>
    public static TensorDType? StorageDType(string name) => name switch
    {
        "FloatStorage" => TensorDType.F32,
        "DoubleStorage" => TensorDType.F64,
        "HalfStorage" => TensorDType.F16,
        "BFloat16Storage" => TensorDType.BF16,
        "LongStorage" => TensorDType.I64,
        "IntStorage" => TensorDType.I32,
        _ => null,
    };

    private PickledStorage PersistentLoad(object? id, int at)
    {
        // ('storage', torch.FloatStorage, key, location, numel)
        if (id is not object?[] { Length: 5 } tuple || tuple[0] is not "storage")
        {
            throw Fail($"persistent id at byte {at} is {Describe(id)}; expected ('storage', type, key, location, numel)");
        }

        if (tuple[1] is not PickledGlobal { Name: var typeName } || !typeName.StartsWith("torch.", StringComparison.Ordinal)
            || StorageDType(typeName.Substring("torch.".Length)) is not TensorDType dtype)
        {
            throw Fail($"persistent id at byte {at} names storage type {Describe(tuple[1])}; expected a torch.*Storage");
        }

        if (tuple[2] is not string key || tuple[3] is not string || tuple[4] is not long numel || numel < 0)
        {
            throw Fail($"persistent id at byte {at} is ('storage', {typeName}, {Describe(tuple[2])}, {Describe(tuple[3])}, {Describe(tuple[4])}); expected a string key, a string location and a non-negative element count");
        }

        return _storage(typeName, key, dtype, numel);
    }

    private object Reduce(object? callable, object? arguments, int at)
    {
        if (callable is not PickledGlobal global)
        {
            throw Fail($"REDUCE at byte {at} calls {Describe(callable)}, not an allowed global");
        }

        if (arguments is not object?[] args)
        {
            throw Fail($"REDUCE at byte {at} calls {global.Name} with {Describe(arguments)}, not a tuple of arguments");
        }

        switch (global.Name)
        {
            case "collections.OrderedDict":
                if (args.Length != 0)
                {
                    throw Fail($"collections.OrderedDict at byte {at} is called with {args.Length} arguments; a state_dict calls it with none");
                }

                return new PickledDict();
            case "torch._utils._rebuild_tensor_v2":
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.Length is < 6 or > 7 || args[0] is not PickledStorage storage || args[1] is not long offset
                    || args[2] is not object?[] size || args[3] is not object?[] stride || args[4] is not bool
                    || args[5] is not PickledDict hooks)
                {
                    throw Fail($"torch._utils._rebuild_tensor_v2 at byte {at} has arguments ({DescribeAll(args)}); expected (storage, offset, size tuple, stride tuple, requires_grad, backward_hooks)");
                }

                if (hooks.Count != 0 || (args.Length == 7 && args[6] is not (null or PickledDict { Count: 0 })))
                {
                    throw Fail($"torch._utils._rebuild_tensor_v2 at byte {at} carries backward hooks or metadata; a state_dict has none");
                }

                return new PickledTensor(storage, offset, Integers(size, "size", at), Integers(stride, "stride", at));
            case "torch._utils._rebuild_parameter":
                // (data, requires_grad, backward_hooks)
                if (args.Length != 3 || args[0] is not PickledTensor tensor || args[1] is not bool || args[2] is not PickledDict { Count: 0 })
                {
                    throw Fail($"torch._utils._rebuild_parameter at byte {at} has arguments ({DescribeAll(args)}); expected (tensor, requires_grad, empty backward_hooks)");
                }

                return tensor;
            default:
                throw Fail($"REDUCE at byte {at} calls {global.Name}, which is a storage type and is only valid in a persistent id");
        }
    }

    private void Build(object? target, object? state, int at)
    {
        // An OrderedDict's BUILD sets attributes (state_dict's '_metadata': module versions), which carry no weights.
        if (target is PickledDict dict && state is PickledDict)
        {
            dict.HasAttributes = true;
            return;
        }

        throw Fail($"BUILD at byte {at} sets the state of {Describe(target)} to {Describe(state)}; only an OrderedDict's attribute dict is allowed");
    }

    private long[] Integers(object?[] tuple, string what, int at)
    {
        var result = new long[tuple.Length];
        for (int i = 0; i < tuple.Length; i++)
        {
            result[i] = tuple[i] is long value ? value : throw Fail($"tensor {what} at byte {at} has element {i} = {Describe(tuple[i])}, not an integer");
        }

        return result;
    }

    private void SetItems(PickledDict dict, object?[] items, int at)
    {
        if (items.Length % 2 != 0)
        {
            throw Fail($"dict items at byte {at} have an odd count ({items.Length}); expected key, value pairs");
        }

        for (int i = 0; i < items.Length; i += 2)
        {
            dict.Set(CheckKey(items[i], at), items[i + 1]);
        }
    }

    private object CheckKey(object? key, int at) =>
        key is string or long or bool ? key : throw Fail($"dict key at byte {at} is {Describe(key)}; only strings and integers are allowed");

    private List<object?> AsList(object? value, int at) =>
        value as List<object?> ?? throw Fail($"APPEND at byte {at} targets {Describe(value)}, not a list");

    private PickledDict AsDict(object? value, int at) =>
        value as PickledDict ?? throw Fail($"SETITEM at byte {at} targets {Describe(value)}, not a dict");

    private object? Recall(long index, int at) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Fail($"memo get at byte {at} reads index {index}, which was never stored");

    private long ReadLong(int length, int at)
    {
        if (length > 8)
        {
            throw Fail($"integer at byte {at} has {length} bytes; only integers of up to 8 bytes are supported");
        }

        ReadOnlySpan<byte> bytes = ReadBytes(length);
        long value = 0;
        for (int i = length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        // Two's complement: sign-extend from the top byte.
        if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0)
        {
            value -= 1L << (8 * length);
        }

        return value;
    }

    private string ReadString(ulong length, int at)
    {
        if (length > (ulong)(_pickle.Length - _position))
        {
            throw Fail($"string at byte {at} claims {length} bytes but only {_pickle.Length - _position} remain");
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(ReadBytes((int)length));
        }
        catch (DecoderFallbackException error)
        {
            throw new WeightsFormatException(_sourceName, PyTorchCheckpoint.FormatName, $"string at byte {at} is not valid UTF-8", error);
        }
    }

    private string ReadLine(int at)
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _position);
        if (end < 0 || end - _position > 256)
        {
            throw Fail($"GLOBAL at byte {at} has no newline-terminated name within 256 bytes");
        }

        string text = Encoding.ASCII.GetString(_pickle, _position, end - _position);
        _position = end + 1;
        return text;
    }

    private byte ReadByte() => ReadBytes(1)[0];

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > _pickle.Length - _position)
        {
            throw Fail($"pickle is truncated: {count} bytes needed at byte {_position} but only {_pickle.Length - _position} remain (no STOP opcode)");
        }

        ReadOnlySpan<byte> bytes = _pickle.AsSpan(_position, count);
        _position += count;
        return bytes;
    }

    private void Push(object? value) => _stack.Add(value);

    private int Floor() => _marks.Count == 0 ? 0 : _marks[^1];

    private object? Peek(int at) =>
        _stack.Count > Floor() ? _stack[^1] : throw Fail($"opcode at byte {at} needs a value but the stack is empty");

    private object? Pop(int at)
    {
        object? value = Peek(at);
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private int PopMark(int at)
    {
        if (_marks.Count == 0)
        {
            throw Fail($"opcode at byte {at} needs a MARK but none is open");
        }

        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        return mark;
    }

    /// <summary>Removes and returns the stack's values from <paramref name="start"/> up.</summary>
    private object?[] Take(int start)
    {
        object?[] items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private WeightsFormatException Fail(string problem) => new(_sourceName, PyTorchCheckpoint.FormatName, problem, null);

    private static string DescribeAll(object?[] values)
    {
        var parts = new string[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            parts[i] = Describe(values[i]);
        }

        return string.Join(", ", parts);
    }

    /// <summary>A short, non-recursive description of a value for messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool flag => flag ? "True" : "False",
        long number => number.ToString(CultureInfo.InvariantCulture),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        string text => text.Length <= 40 ? $"'{text}'" : $"'{text.Substring(0, 40)}...'",
        object?[] tuple => $"a tuple of {tuple.Length}",
        List<object?> list => $"a list of {list.Count}",
        PickledDict dict => $"a dict of {dict.Count}",
        PickledGlobal global => global.Name,
        PickledStorage storage => $"storage '{storage.Key}'",
        PickledTensor => "a tensor",
        _ => value.GetType().Name,
    };
}

/// <summary>An allowed global, by its qualified name.</summary>
internal sealed record PickledGlobal(string Name);

/// <summary>A storage of the archive: its key, dtype, element count and raw little-endian bytes.</summary>
internal sealed record PickledStorage(string Key, TensorDType DType, long ElementCount, byte[] Bytes);

/// <summary>A tensor as <c>_rebuild_tensor_v2</c> describes it: a strided view into a storage.</summary>
internal sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Size, long[] Stride);

/// <summary>A pickled <c>dict</c> or <c>OrderedDict</c>: its items in insertion order, a key set once keeps its place.</summary>
internal sealed class PickledDict
{
    private readonly Dictionary<object, int> _index = new();

    /// <summary>The items in insertion order.</summary>
    public List<KeyValuePair<object, object?>> Items { get; } = new();

    /// <summary>The number of items.</summary>
    public int Count => Items.Count;

    /// <summary>Whether BUILD set attributes on it (a state_dict's <c>_metadata</c>).</summary>
    public bool HasAttributes { get; set; }

    /// <summary><c>dict[key] = value</c>, as Python does: a repeated key replaces the value in place.</summary>
    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int index))
        {
            Items[index] = new KeyValuePair<object, object?>(key, value);
        }
        else
        {
            _index.Add(key, Items.Count);
            Items.Add(new KeyValuePair<object, object?>(key, value));
        }
    }
}
