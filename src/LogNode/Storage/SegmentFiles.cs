using System.Globalization;

namespace LogCluster.LogNode.Storage;

/// <summary>File naming and durable small-file writes.</summary>
internal static class SegmentFiles
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string RecoveryPointFile = "recovery-point";

    /// <summary>Kafka's naming: the segment's base offset as 20 zero-padded digits.</summary>
    public static string BaseName(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    public static bool TryParseBaseOffset(string logFileName, out long baseOffset)
    {
        baseOffset = -1;
        return logFileName.EndsWith(LogSuffix, StringComparison.Ordinal)
            && logFileName.Length == 20 + LogSuffix.Length
            && long.TryParse(logFileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>An index file's bytes; null when it is missing or not a whole number of entries (then it is rebuilt).</summary>
    public static byte[]? ReadEntries(string path, int entrySize)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var bytes = File.ReadAllBytes(path);
        return bytes.Length % entrySize == 0 ? bytes : null;
    }

    /// <summary>Writes a small file so that a crash leaves either the old or the new content: temp, fsync, rename.</summary>
    public static void WriteDurably(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, content, 0);
            RandomAccess.FlushToDisk(handle);
        }
        File.Move(temp, path, overwrite: true);
    }
}
