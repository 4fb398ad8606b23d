namespace LogCluster.Protocol.Compression;

/// <summary>The codec of a batch's records: bits 0-2 of the RecordBatch v2 attributes, Kafka's numbering.</summary>
public enum CompressionType
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
