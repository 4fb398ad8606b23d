using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LogCluster.LogNode.Storage;

/// <summary>File naming, durable small-file writes, and directory fsync (which .NET does not offer).</summary>
internal static partial class SegmentFiles
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string SnapshotSuffix = ".snapshot";
    public const string RecoveryPointFile = "recovery-point";
    public const string HighWatermarkFile = "high-watermark";
    public const string LeaderEpochCheckpointFile = "leader-epoch-checkpoint";

    /// <summary>Kafka's naming: the segment's base offset as 20 zero-padded digits.</summary>
    public static string BaseName(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    public static bool TryParseBaseOffset(string logFileName, out long baseOffset) => TryParseOffset(logFileName, LogSuffix, out baseOffset);

    /// <summary>The offset in a name of 20 digits and <paramref name="suffix"/>; false for any other name (a leftover .tmp too).</summary>
    public static bool TryParseOffset(string fileName, string suffix, out long offset)
    {
        offset = -1;
        return fileName.EndsWith(suffix, StringComparison.Ordinal)
            && fileName.Length == 20 + suffix.Length
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
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
        FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Writes an offset file (<c>recovery-point</c>, <c>high-watermark</c>): eight bytes, big-endian, durably.</summary>
    public static void WriteOffset(string path, long offset)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, offset);
        WriteDurably(path, bytes);
    }

    /// <summary>Reads an offset file written by <see cref="WriteOffset"/>; damaged when it is not exactly eight bytes.</summary>
    public static (OffsetFile State, long Offset) ReadOffset(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return (OffsetFile.Missing, -1);
        }
        return bytes.Length == sizeof(long) ? (OffsetFile.Valid, BinaryPrimitives.ReadInt64BigEndian(bytes)) : (OffsetFile.Damaged, -1);
    }

    /// <summary>
    /// Makes a directory's entries durable: a new or renamed file is only found after a power loss once its
    /// directory has been fsynced (Kafka's Utils.flushDir). No-op where directories cannot be opened (Windows).
    /// </summary>
    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        const int ReadOnly = 0;
        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>What <see cref="SegmentFiles.ReadOffset"/> found.</summary>
internal enum OffsetFile
{
    Missing,
    Valid,
    Damaged,
}
