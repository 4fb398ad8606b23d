namespace LogCluster.Protocol.Records;

/// <summary>One record header: a UTF-8 key that is never null and a value that may be (encoded as length -1).</summary>
public sealed record RecordHeader(string Key, byte[]? Value);
