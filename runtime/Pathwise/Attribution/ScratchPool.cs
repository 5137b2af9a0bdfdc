using System;

namespace Pathwise;

/// <summary>
/// The per-call state of one attribution method object (a workspace and its buffers), pooled so that one object
/// serves many threads at once and a warm call allocates nothing. <see cref="Rent"/> takes a kept item or makes a
/// new one; <see cref="Return"/> keeps the item for a later call, or drops it when <see cref="Capacity"/> items are
/// already kept. The pool thus holds as many items as calls once ran at the same time, up to its capacity.
/// </summary>
/// <remarks>
/// A lock guards the few instructions of a rent or a return, which is nothing beside the path passes of a call. It
/// is there for exactness rather than speed: a lock-free scan of slots can miss an item put back behind it by
/// another thread and make a new one, so steady-state calls would allocate nothing only most of the time; with the
/// lock, a rent finds an item whenever one is kept. Taking and releasing the lock allocate no managed memory.
/// </remarks>
internal sealed class ScratchPool<TItem> where TItem : class
{
    private readonly Func<TItem> _create;
    private readonly TItem?[] _items;
    private int _count;

    /// <summary>An empty pool keeping up to <see cref="DefaultCapacity"/> items made by <paramref name="create"/>.</summary>
    public ScratchPool(Func<TItem> create)
    {
        _create = create;
        _items = new TItem?[DefaultCapacity];
    }

    /// <summary>Twice the processor count, at least 8: room for every core's call plus as many blocked or queued.</summary>
    public static int DefaultCapacity => 2 * Math.Max(4, Environment.ProcessorCount);

    /// <summary>The most items kept between calls.</summary>
    public int Capacity => _items.Length;

    /// <summary>A kept item, or a new one when none is free; hand it back with <see cref="Return"/> when the call ends.</summary>
    public TItem Rent()
    {
        lock (_items)
        {
            if (_count > 0)
            {
                TItem item = _items[--_count]!;
                _items[_count] = null;
                return item;
            }
        }

        return _create();
    }

    /// <summary>Rents an item for as long as the returned lease lives: <c>using var lease = pool.Borrow();</c>.</summary>
    public Lease Borrow() => new(this, Rent());

    /// <summary>Keeps <paramref name="item"/> for a later call, unless the pool is full.</summary>
    public void Return(TItem item)
    {
        lock (_items)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = item;
            }
        }
    }

    /// <summary>A rented item that goes back to its pool when the lease is disposed, however the call ends.</summary>
    public readonly ref struct Lease
    {
        private readonly ScratchPool<TItem> _pool;

        internal Lease(ScratchPool<TItem> pool, TItem item)
        {
            _pool = pool;
            Item = item;
        }

        /// <summary>The rented item, this call's alone until the lease ends.</summary>
        public TItem Item { get; }

        /// <summary>Hands the item back.</summary>
        public void Dispose() => _pool.Return(Item);
    }
}
