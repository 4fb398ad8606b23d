namespace LogCluster.LogNode.Storage;

/// <summary>
/// A list with one writer (under the partition's lock) and lock-free readers, for index entries. The writer
/// fills a slot, then publishes the count; when it grows, it publishes the new array before the count. A
/// reader reads the count first and then the array, so every slot below the count it saw is written.
/// Entries are never changed once published; <see cref="Clear"/> is for recovery, before any reader exists.
/// </summary>
internal sealed class PublishedList<T>
    where T : struct
{
    private T[] _items = new T[16];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>A consistent view for a reader: the entries below <c>count</c> of <c>items</c>.</summary>
    public (T[] Items, int Count) Snapshot()
    {
        var count = Volatile.Read(ref _count);
        return (Volatile.Read(ref _items), count);
    }

    public void Add(T item)
    {
        var items = _items;
        if (_count == items.Length)
        {
            var grown = new T[items.Length * 2];
            items.CopyTo(grown, 0);
            Volatile.Write(ref _items, grown);
            items = grown;
        }
        items[_count] = item;
        Volatile.Write(ref _count, _count + 1);
    }

    public void Clear() => Volatile.Write(ref _count, 0);
}
