using System.Buffers.Binary;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Google.Protobuf;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata.Quorum;

/// <summary>
/// The Raft state machine of the metadata log: applies each committed entry (a <see cref="MetadataEntry"/>)
/// record by record to a <see cref="ClusterImage"/>, and snapshots the image every
/// <c>snapshotIntervalEntries</c> entries so the WAL before it can be dropped and a lagging member can be sent
/// the snapshot instead of the whole log.
/// </summary>
/// <remarks>
/// Threading: the WAL's applier calls <see cref="ApplyAsync"/> and <see cref="RestoreAsync(FileInfo, CancellationToken)"/>
/// one at a time; <see cref="SimpleStateMachine"/> finishes a snapshot's <see cref="PersistAsync"/> before it
/// applies the next entry. The image is immutable and published through a volatile field, so readers never lock.
/// <para>
/// Snapshot file (one per snapshot, named <c>{index}-{term}</c> by the library, in its own directory): a 16-byte
/// header then the protobuf <see cref="ClusterSnapshot"/>. Header, little-endian: magic "LCMS" (4 bytes), format
/// version 1 (int32), payload length (int32), CRC-32C of the payload (uint32). A snapshot that fails the checks
/// stops the start-up (or the install from the leader) rather than starting from a wrong image.
/// </para>
/// </remarks>
internal sealed class MetadataStateMachine : SimpleStateMachine
{
    private const int HeaderSize = 16;
    private const int FormatVersion = 1;
    private static readonly uint _magic = BinaryPrimitives.ReadUInt32LittleEndian("LCMS"u8);

    private readonly int _snapshotIntervalEntries;
    private readonly Action<ClusterImage> _published;
    private volatile ClusterImage _image = ClusterImage.Empty;
    private ClusterImage? _toPersist;
    private int _sinceSnapshot;

    /// <param name="location">Directory of the snapshots only: the library takes every file there named *-* for one.</param>
    /// <param name="snapshotIntervalEntries">Committed entries (no-ops included) between two snapshots.</param>
    /// <param name="published">Called with each new image, on the applier's thread.</param>
    public MetadataStateMachine(DirectoryInfo location, int snapshotIntervalEntries, Action<ClusterImage> published)
        : base(location)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotIntervalEntries, 1);
        _snapshotIntervalEntries = snapshotIntervalEntries;
        _published = published;
    }

    public ClusterImage Image => _image;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // Configuration entries and the no-op each new leader commits carry no records.
        if (!entry.IsConfiguration && entry.Length is > 0)
        {
            if (!entry.TryGetPayload(out var payload))
            {
                throw new InvalidDataException($"Metadata log entry {entry.Index} has no readable payload.");
            }
            var records = MetadataEntry.Parser.ParseFrom(payload).Records;
            var image = _image;
            foreach (var record in records)
            {
                image = image.Apply(record);
            }
            Publish(image);
        }
        if (++_sinceSnapshot < _snapshotIntervalEntries)
        {
            return ValueTask.FromResult(false);
        }
        _sinceSnapshot = 0;
        _toPersist = _image;
        return ValueTask.FromResult(true);
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        var image = _toPersist ?? _image;
        _toPersist = null;
        return writer.Invoke(Encode(image.ToSnapshot()), token);
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        var bytes = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        var image = ClusterImage.FromSnapshot(Decode(bytes, snapshotFile.FullName));
        _sinceSnapshot = 0;
        Publish(image);
    }

    private void Publish(ClusterImage image)
    {
        _image = image;
        _published(image);
    }

    internal static byte[] Encode(ClusterSnapshot snapshot)
    {
        var size = snapshot.CalculateSize();
        var buffer = new byte[HeaderSize + size];
        snapshot.WriteTo(buffer.AsSpan(HeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, _magic);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(8), size);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(12), Crc32C.Compute(buffer.AsSpan(HeaderSize)));
        return buffer;
    }

    internal static ClusterSnapshot Decode(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != _magic)
        {
            throw new InvalidDataException($"Metadata snapshot {source} has no LCMS header ({bytes.Length} bytes).");
        }
        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"Metadata snapshot {source} has format version {version}; this node reads {FormatVersion}.");
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (length != bytes.Length - HeaderSize)
        {
            throw new InvalidDataException($"Metadata snapshot {source} declares {length} payload bytes but holds {bytes.Length - HeaderSize}.");
        }
        var payload = bytes[HeaderSize..];
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        var actual = Crc32C.Compute(payload);
        if (actual != expected)
        {
            throw new InvalidDataException($"Metadata snapshot {source} fails its CRC-32C (stored {expected:x8}, computed {actual:x8}).");
        }
        return ClusterSnapshot.Parser.ParseFrom(payload);
    }
}
