namespace LogCluster.Protocol.Records;

/// <summary>
/// Byte positions of the RecordBatch v2 header (Kafka DefaultRecordBatch). All integers are big-endian.
/// The CRC covers [<see cref="AttributesOffset"/>, end); base offset and partition leader epoch lie
/// before it, so a leader can stamp them without recomputing the checksum.
/// </summary>
public static class RecordBatchLayout
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordCountOffset = 57;

    /// <summary>Bytes of the header; records start here.</summary>
    public const int HeaderSize = 61;

    /// <summary>Bytes before the batch length counts (base offset + the length itself): total = length + 12.</summary>
    public const int LogOverhead = 12;

    public const byte CurrentMagic = 2;

    public const int CompressionCodecMask = 0x07;
    public const int TimestampTypeFlag = 0x08;
    public const int TransactionalFlag = 0x10;
    public const int ControlFlag = 0x20;

    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;
    public const int NoPartitionLeaderEpoch = -1;
}
